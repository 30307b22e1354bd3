#pragma once
// Device memory owned by scope, for the .cu halves of the kernel twins:
// allocated with cudaMalloc (checked, throws CudaError) and freed on scope
// exit without throwing, as destructors must (a failed cudaFree is logged).
//
//   DeviceBuffer sums(sizeof(unsigned long long));
//   kernel<<<grid, block>>>(sums.as<unsigned long long>());
#if defined(FRAMEFARM_HAVE_CUDA)
#include <cstddef>

#include "kernels/cuda_check.h"

namespace ff::kernels {

class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t bytes) {
    if (bytes > 0) FF_CUDA_CHECK(cudaMalloc(&ptr_, bytes));
  }
  ~DeviceBuffer() {
    if (ptr_ != nullptr) FF_CUDA_CHECK_NOTHROW(cudaFree(ptr_));
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  template <typename T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }

 private:
  void* ptr_ = nullptr;
};

}  // namespace ff::kernels
#endif
