#pragma once
// Scene score: the sum of absolute differences of two 8-bit planes of the
// same size, the term the scan's scene score is built from
// (analysis/frame_features.h weights the luma and chroma sums of two
// thumbnails into one score).
//
// Twins with one signature: plane_sad_cpu (host pointers, always built) and
// plane_sad_cuda (device pointers, built when nvcc is found). The sum is an
// integer, so the twins agree exactly whatever order they add in.
//
//   uint64_t sad = plane_sad_cpu({a.data(), 64, 36, 64}, {b.data(), 64, 36, 64});
#include <cstdint>

#include "kernels/plane.h"

namespace ff::kernels {

// Throws std::invalid_argument when the sizes differ or a size is not
// positive: "plane_sad: planes differ in size or are empty (64x36 and 32x18)".
uint64_t plane_sad_cpu(PlaneView a, PlaneView b);

#if defined(FRAMEFARM_HAVE_CUDA)
// Same contract on device memory; synchronous on the default stream.
// Throws ff::kernels::CudaError when a CUDA call fails.
uint64_t plane_sad_cuda(PlaneView a, PlaneView b);
#endif

// The size check both twins make (throws as above).
void check_sad_sizes(PlaneView a, PlaneView b);

}  // namespace ff::kernels
