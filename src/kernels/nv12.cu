// The CUDA half of the NV12 chroma split (nv12.h): one thread per chroma
// sample reads its U, V pair and writes one byte to each plane.
#include "kernels/cuda_check.h"
#include "kernels/nv12.h"

namespace ff::kernels {
namespace {

__global__ void deinterleave_uv_kernel(PlaneView uv, MutablePlane u, MutablePlane v) {
  const int x = blockIdx.x * blockDim.x + threadIdx.x;
  const int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x >= uv.width || y >= uv.height) return;
  const uint8_t* in = uv.data + static_cast<ptrdiff_t>(y) * uv.stride + 2 * x;
  u.data[static_cast<ptrdiff_t>(y) * u.stride + x] = in[0];
  v.data[static_cast<ptrdiff_t>(y) * v.stride + x] = in[1];
}

}  // namespace

void deinterleave_uv_cuda(PlaneView uv, MutablePlane u, MutablePlane v) {
  check_deinterleave_uv(uv, u, v);
  const dim3 block(32, 8);
  const dim3 grid((uv.width + block.x - 1) / block.x, (uv.height + block.y - 1) / block.y);
  deinterleave_uv_kernel<<<grid, block>>>(uv, u, v);
  FF_CUDA_CHECK(cudaGetLastError());
  FF_CUDA_CHECK(cudaDeviceSynchronize());
}

}  // namespace ff::kernels
