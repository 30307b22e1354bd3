#pragma once
// Every CUDA runtime call goes through FF_CUDA_CHECK, which throws CudaError
// carrying the call's text, file:line and CUDA's own error name and string.
// Destructors use FF_CUDA_CHECK_NOTHROW, which logs instead of throwing.
#if defined(FRAMEFARM_HAVE_CUDA)
#include <cuda_runtime_api.h>

#include <stdexcept>
#include <string>

namespace ff::kernels {

class CudaError : public std::runtime_error {
 public:
  CudaError(cudaError_t code, const char* call, const char* file, int line)
      : std::runtime_error(std::string("CUDA call failed: ") + call + " at " + file + ":" +
                           std::to_string(line) + ": " + cudaGetErrorName(code) + " (" +
                           cudaGetErrorString(code) + ")"),
        code_(code) {}
  cudaError_t code() const { return code_; }

 private:
  cudaError_t code_;
};

void cuda_report_nothrow(cudaError_t code, const char* call, const char* file, int line) noexcept;

}  // namespace ff::kernels

#define FF_CUDA_CHECK(call)                                                       \
  do {                                                                            \
    const cudaError_t ff_cuda_status_ = (call);                                   \
    if (ff_cuda_status_ != cudaSuccess)                                           \
      throw ::ff::kernels::CudaError(ff_cuda_status_, #call, __FILE__, __LINE__); \
  } while (0)

#define FF_CUDA_CHECK_NOTHROW(call)                                                   \
  do {                                                                                \
    const cudaError_t ff_cuda_status_ = (call);                                       \
    if (ff_cuda_status_ != cudaSuccess)                                               \
      ::ff::kernels::cuda_report_nothrow(ff_cuda_status_, #call, __FILE__, __LINE__); \
  } while (0)
#endif
