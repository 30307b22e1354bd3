#include "kernels/cuda_check.h"
#include "kernels/downscale.h"
#include "kernels/downscale_bounds.h"

namespace ff::kernels {
namespace {

__global__ void downscale_area_kernel(PlaneView src, MutablePlane dst) {
  const int x = blockIdx.x * blockDim.x + threadIdx.x;
  const int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x >= dst.width || y >= dst.height) return;
  const BoxBounds bx = box_bounds(x, src.width, dst.width);
  const BoxBounds by = box_bounds(y, src.height, dst.height);
  unsigned sum = 0;
  for (int sy = by.begin; sy < by.end; ++sy) {
    const uint8_t* row = src.data + static_cast<ptrdiff_t>(sy) * src.stride;
    for (int sx = bx.begin; sx < bx.end; ++sx) sum += row[sx];
  }
  const unsigned count = static_cast<unsigned>((by.end - by.begin) * (bx.end - bx.begin));
  dst.data[static_cast<ptrdiff_t>(y) * dst.stride + x] =
      static_cast<uint8_t>((sum + count / 2) / count);
}

}  // namespace

void downscale_area_cuda(PlaneView src, MutablePlane dst) {
  check_downscale_sizes(src.width, src.height, dst.width, dst.height);
  const dim3 block(32, 8);
  const dim3 grid((dst.width + block.x - 1) / block.x, (dst.height + block.y - 1) / block.y);
  downscale_area_kernel<<<grid, block>>>(src, dst);
  FF_CUDA_CHECK(cudaGetLastError());
  FF_CUDA_CHECK(cudaDeviceSynchronize());
}

}  // namespace ff::kernels
