#pragma once
// NV12 chroma to yuv420p chroma: NVDEC decodes 8-bit 4:2:0 into NV12 (a luma
// plane and one plane of interleaved U, V byte pairs), the crop + scale twins
// (crop_scale.h) take three planes. The luma plane is used as it is; this
// splits the interleaved plane into a U and a V plane.
//
// Twins with one signature: deinterleave_uv_cpu (host pointers, always built)
// and deinterleave_uv_cuda (device pointers, built when nvcc is found). Both
// copy bytes, nothing is computed, so they are bit-identical by construction:
//   u(x, y) = uv.data[y * uv.stride + 2 x]
//   v(x, y) = uv.data[y * uv.stride + 2 x + 1]
// for x < uv.width, y < uv.height. `uv.width` counts chroma samples (U, V
// pairs): a row holds 2 * uv.width bytes, so uv.stride >= 2 * uv.width.
//
//   // a 1920x1080 NV12 frame: chroma 960x540
//   deinterleave_uv_cpu({frame.data[1], 960, 540, frame.linesize[1]},
//                       {u.data(), 960, 540, 960}, {v.data(), 960, 540, 960});
#include "kernels/plane.h"

namespace ff::kernels {

// Throws std::invalid_argument when a plane is missing (null data), a size is
// not positive, u or v is not uv.width x uv.height, or a stride is shorter
// than its row.
void deinterleave_uv_cpu(PlaneView uv, MutablePlane u, MutablePlane v);

#if defined(FRAMEFARM_HAVE_CUDA)
// Same contract on device memory; synchronous on the default stream (so the
// caller's next kernel or copy on any stream sees the planes). Throws
// ff::kernels::CudaError when a CUDA call fails.
void deinterleave_uv_cuda(PlaneView uv, MutablePlane u, MutablePlane v);
#endif

// Shared by the twins: the argument checks above. Not for callers.
void check_deinterleave_uv(PlaneView uv, MutablePlane u, MutablePlane v);

}  // namespace ff::kernels
