#pragma once
// FF_HOST_DEVICE marks a function both twins of a kernel pair call: compiled
// for the host and, under nvcc, for the device too. One definition for every
// header of src/kernels that shares arithmetic between the twins.
#if defined(__CUDACC__)
#define FF_HOST_DEVICE __host__ __device__
#else
#define FF_HOST_DEVICE
#endif
