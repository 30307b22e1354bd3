#include <cstdio>

#include "kernels/cuda_check.h"
#include "kernels/device.h"

namespace ff::kernels {

void cuda_report_nothrow(cudaError_t code, const char* call, const char* file, int line) noexcept {
  std::fprintf(stderr, "CUDA call failed (ignored in cleanup): %s at %s:%d: %s\n", call, file, line,
               cudaGetErrorName(code));
}

DeviceInfo probe_cuda_device() {
  DeviceInfo info;
  info.built_with_cuda = true;
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    info.reason = std::string("no usable CUDA device: ") + cudaGetErrorName(status) + " (" +
                  cudaGetErrorString(status) + ")";
    return info;
  }
  info.device_count = count;
  if (count == 0) {
    info.reason = "no CUDA device present";
    return info;
  }
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, 0) == cudaSuccess) info.name = prop.name;
  return info;
}

}  // namespace ff::kernels
