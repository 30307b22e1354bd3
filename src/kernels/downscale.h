#pragma once
// Analysis downscale: area average of one 8-bit plane to a smaller size.
//
// Twins with one signature: downscale_area_cpu (host pointers, always built)
// and downscale_area_cuda (device pointers, built when nvcc is found). Both
// compute, for each output pixel, the rounded mean of the source box
// [floor(x*sx), max(floor((x+1)*sx), floor(x*sx)+1)) in each axis, with
// sx = src.width / dst.width. Results are bit-identical between the twins.
//
//   std::vector<uint8_t> out(480 * 270);
//   downscale_area_cpu({y, 1920, 1080, 1920}, {out.data(), 480, 270, 480});
#include "kernels/plane.h"

namespace ff::kernels {

// Throws std::invalid_argument when dst is larger than src or a size is 0.
void downscale_area_cpu(PlaneView src, MutablePlane dst);

#if defined(FRAMEFARM_HAVE_CUDA)
// Same contract on device memory; synchronous on the default stream.
// Throws ff::kernels::CudaError when a CUDA call fails.
void downscale_area_cuda(PlaneView src, MutablePlane dst);
#endif

}  // namespace ff::kernels
