// CUDA half of the scene-score kernel (scene_score.h): each thread adds the
// absolute differences of a grid-stride run of pixels, a warp sums its 32
// partial sums with shuffles, and one atomic per warp adds that to the
// 64-bit total. Integer additions, so the total is the CPU twin's exactly.
#include "kernels/cuda_check.h"
#include "kernels/device_buffer.h"
#include "kernels/scene_score.h"

namespace ff::kernels {
namespace {

__global__ void plane_sad_kernel(PlaneView a, PlaneView b, unsigned long long* total) {
  const long long pixels = static_cast<long long>(a.width) * a.height;
  unsigned long long sum = 0;
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < pixels;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long y = i / a.width;
    const long long x = i - y * a.width;
    const int va = a.data[y * a.stride + x];
    const int vb = b.data[y * b.stride + x];
    sum += static_cast<unsigned long long>(va > vb ? va - vb : vb - va);
  }
  for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_down_sync(0xffffffffu, sum, offset);
  if ((threadIdx.x & 31) == 0) atomicAdd(total, sum);
}

}  // namespace

uint64_t plane_sad_cuda(PlaneView a, PlaneView b) {
  check_sad_sizes(a, b);
  DeviceBuffer total(sizeof(unsigned long long));
  FF_CUDA_CHECK(cudaMemset(total.as<void>(), 0, sizeof(unsigned long long)));
  const long long pixels = static_cast<long long>(a.width) * a.height;
  const int block = 256;  // a whole number of warps: every lane takes part in the shuffles
  const long long wanted = (pixels + block - 1) / block;
  const int grid = static_cast<int>(wanted < 1024 ? wanted : 1024);
  plane_sad_kernel<<<grid, block>>>(a, b, total.as<unsigned long long>());
  FF_CUDA_CHECK(cudaGetLastError());
  unsigned long long host = 0;
  FF_CUDA_CHECK(cudaMemcpy(&host, total.as<void>(), sizeof host, cudaMemcpyDeviceToHost));
  return static_cast<uint64_t>(host);
}

}  // namespace ff::kernels
