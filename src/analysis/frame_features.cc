#include "analysis/frame_features.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdlib>

#include "kernels/downscale.h"
#include "kernels/scene_score.h"

namespace ff::analysis {
namespace {

// The scene-score kernel (kernels/scene_score.h) on one thumbnail plane.
template <size_t N>
uint64_t plane_sad(const std::array<uint8_t, N>& a, const std::array<uint8_t, N>& b, int w) {
  const int h = static_cast<int>(N) / w;
  return kernels::plane_sad_cpu({a.data(), w, h, w}, {b.data(), w, h, w});
}

}  // namespace

float Thumbnail::mean_luma() const {
  uint64_t sum = 0;
  for (uint8_t p : y) sum += p;
  return static_cast<float>(static_cast<double>(sum) / static_cast<double>(y.size()));
}

Thumbnail make_thumbnail(kernels::PlaneView y, kernels::PlaneView u, kernels::PlaneView v) {
  Thumbnail t;
  kernels::downscale_area_cpu(
      y, {t.y.data(), Thumbnail::kLumaW, Thumbnail::kLumaH, Thumbnail::kLumaW});
  kernels::downscale_area_cpu(
      u, {t.u.data(), Thumbnail::kChromaW, Thumbnail::kChromaH, Thumbnail::kChromaW});
  kernels::downscale_area_cpu(
      v, {t.v.data(), Thumbnail::kChromaW, Thumbnail::kChromaH, Thumbnail::kChromaW});
  return t;
}

float scene_score(const Thumbnail& a, const Thumbnail& b) {
  constexpr int kLw = Thumbnail::kLumaW, kCw = Thumbnail::kChromaW;
  const double luma =
      static_cast<double>(plane_sad(a.y, b.y, kLw)) / static_cast<double>(a.y.size());
  const double cu = static_cast<double>(plane_sad(a.u, b.u, kCw)) / static_cast<double>(a.u.size());
  const double cv = static_cast<double>(plane_sad(a.v, b.v, kCw)) / static_cast<double>(a.v.size());
  return static_cast<float>((2.0 * luma + cu + cv) / 4.0);
}

PixelRect lower_face_rect(const FaceBox& face, int frame_w, int frame_h) {
  const double x0 = (face.x + 0.3 * face.w) * frame_w;
  const double x1 = (face.x + 0.7 * face.w) * frame_w;
  const double y0 = (face.y + 0.65 * face.h) * frame_h;
  const double y1 = (face.y + 0.9 * face.h) * frame_h;
  PixelRect r;
  r.x = static_cast<int>(std::lround(x0));
  r.y = static_cast<int>(std::lround(y0));
  r.w = static_cast<int>(std::lround(x1)) - r.x;
  r.h = static_cast<int>(std::lround(y1)) - r.y;
  return r;
}

float region_activity(kernels::PlaneView prev, kernels::PlaneView cur, PixelRect rect) {
  const int x0 = std::clamp(rect.x, 0, cur.width);
  const int y0 = std::clamp(rect.y, 0, cur.height);
  const int x1 = std::clamp(rect.x + rect.w, 0, cur.width);
  const int y1 = std::clamp(rect.y + rect.h, 0, cur.height);
  if (x1 <= x0 || y1 <= y0) return 0.f;
  uint64_t sum = 0;
  for (int y = y0; y < y1; ++y) {
    const uint8_t* a = prev.data + static_cast<ptrdiff_t>(y) * prev.stride;
    const uint8_t* b = cur.data + static_cast<ptrdiff_t>(y) * cur.stride;
    for (int x = x0; x < x1; ++x) sum += static_cast<uint64_t>(std::abs(a[x] - b[x]));
  }
  const auto count = static_cast<double>((x1 - x0) * (y1 - y0));
  return static_cast<float>(static_cast<double>(sum) / count);
}

}  // namespace ff::analysis
