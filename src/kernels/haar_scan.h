#pragma once
// Haar cascade scan over scales and positions (DESIGN.md §5, face-detector
// stages): the raw hits that cv::CascadeClassifier::detectMultiScale finds
// before grouping, computed the way OpenCV 4.6 computes them, so the CPU half
// reproduces OpenCV's raw hits exactly; group_haar_hits (haar_group.h) then
// gives detectMultiScale's faces.
//
// Twins with one signature: haar_scan_cpu (host pointers, always built) and
// haar_scan_cuda (the gray plane in device memory, built when nvcc is found).
// Both scan the same levels (plan_haar_levels, host code) with the same
// arithmetic (haar_eval.h), so their outcomes and hits are identical.
//
// Per level, as OpenCV: the frame is resized (INTER_LINEAR_EXACT) by the
// level's scale to round(W / scale) x round(H / scale), its integral and
// squared integral are taken, and the cascade's own window (24x24 for
// frontalface_default) is evaluated at every `step`-th position (step 2 while
// the scale is below 2, then 1), left to right; a window that fails the first
// stage makes the scan skip the next position of its row. A hit at level
// position (x, y) is the frame box (round(x * scale), round(y * scale),
// round(win_w * scale), round(win_h * scale)). Scales are 1, f, f^2, ... while
// the scaled window fits the frame, keeping those within [min, max] size.
//
//   HaarScanParams p;  p.scale_factor = 1.1;  p.min_w = p.min_h = 28;
//   HaarScanResult raw = haar_scan_cpu(cascade, {y, 640, 360, 640}, p);
//   std::vector<HaarBox> faces = group_haar_hits(raw.hits, 4, 640, 360);
#include <cstdint>
#include <vector>

#include "kernels/haar_cascade.h"
#include "kernels/haar_eval.h"
#include "kernels/plane.h"

namespace ff::kernels {

struct HaarScanParams {
  double scale_factor = 1.1;  // detectMultiScale's scaleFactor; must be > 1
  int min_w = 0;              // minSize in frame pixels (0: no minimum)
  int min_h = 0;
  int max_w = 0;  // maxSize in frame pixels (either 0: the frame size)
  int max_h = 0;
  bool keep_outcomes = false;  // fill HaarScanResult::outcomes (tests, diagnostics)
};

// A box in frame pixels.
struct HaarBox {
  int x = 0;
  int y = 0;
  int w = 0;
  int h = 0;
  // Spelled out: the .cu files compile as C++17 (no defaulted ==).
  bool operator==(const HaarBox& o) const { return x == o.x && y == o.y && w == o.w && h == o.h; }
};

// One level of the pyramid.
struct HaarLevel {
  float scale = 1.f;  // frame pixels per level pixel (OpenCV keeps it as a float)
  int level_w = 0;    // the resized frame
  int level_h = 0;
  int step = 2;   // position step in level pixels
  int cols = 0;   // window positions across: x = 0, step, ... while x + win_w <= level_w
  int rows = 0;   // and down
  int box_w = 0;  // a hit's box size in frame pixels
  int box_h = 0;
};

struct HaarScanResult {
  std::vector<HaarLevel> levels;
  // Raw hits in scan order (level, row, column), not clipped to the frame.
  std::vector<HaarBox> hits;
  std::vector<int> hit_level;  // the level of each hit
  // With keep_outcomes: per level, rows * cols codes, row-major: the number
  // of stages passed, haar_detail::kLowVariance or kNotScanned.
  std::vector<std::vector<int16_t>> outcomes;
};

// Throws std::invalid_argument (one line) for a scale_factor that is not a
// finite number > 1, negative sizes, an empty plane or a stride below its
// width, or a cascade that check_haar_cascade rejects.
HaarScanResult haar_scan_cpu(const HaarCascade& cascade, PlaneView gray,
                             const HaarScanParams& params);

#if defined(FRAMEFARM_HAVE_CUDA)
// Same contract with `gray` in device memory; synchronous on the default
// stream. Uploads the cascade (about 0.1 MB) on every call. Throws
// ff::kernels::CudaError when a CUDA call fails.
HaarScanResult haar_scan_cuda(const HaarCascade& cascade, PlaneView gray,
                              const HaarScanParams& params);
#endif

// The levels OpenCV 4.6 scans for a frame of frame_w x frame_h (empty when the
// frame is smaller than the window). When no scale's window lies within
// [min, max], OpenCV scans the one closest to the minimum size; so does this.
std::vector<HaarLevel> plan_haar_levels(const HaarCascade& cascade, int frame_w, int frame_h,
                                        const HaarScanParams& params);

// Shared by the twins and the tests; not for callers.
namespace haar_detail {

// Argument checks of both twins (messages name the argument).
void check_scan_args(const HaarCascade& cascade, PlaneView gray, const HaarScanParams& params);

// Taps for resizing src_size samples to dst_size (OpenCV's
// interpolationLinear with scale = 1 / (dst_size / src_size)).
std::vector<ResizeTap> resize_taps(int src_size, int dst_size);

// Resize and integral images on the host (the CPU half's steps, exposed for
// tests): `dst` is dst_w x dst_h, tightly packed.
void resize_level_cpu(PlaneView src, int dst_w, int dst_h, std::vector<uint8_t>& dst);

// Integral and squared integral of a w x h image (tightly packed) into
// (h + 1) rows of `stride` >= w + 1 values; row 0 and column 0 are zero.
void integral_cpu(const uint8_t* img, int w, int h, int stride, std::vector<uint32_t>& sum,
                  std::vector<uint32_t>& sqsum);

// The cascade's features as corner offsets for an integral of `stride`.
std::vector<OptFeature> opt_features(const HaarCascade& cascade, int stride);

// Every tree as a Stump when all trees are stumps (else empty).
std::vector<Stump> stumps_of(const HaarCascade& cascade);

// A view of the cascade's host arrays with `features` built for `stride` and
// `stumps` from stumps_of (null when empty).
CascadeView cascade_view(const HaarCascade& cascade, const std::vector<OptFeature>& features,
                         int stride, const std::vector<Stump>& stumps = {});

// Applies OpenCV's skip rule to a level's outcomes computed at every position
// (marks kNotScanned where the scan does not go) and appends the level's
// hits, in scan order.
void collect_level_hits(const HaarLevel& level, int level_index, int stage_count,
                        std::vector<int16_t>& outcomes, HaarScanResult& result);

}  // namespace haar_detail
}  // namespace ff::kernels
