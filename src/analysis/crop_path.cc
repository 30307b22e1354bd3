#include "analysis/crop_path.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace ff::analysis {
namespace {

// A window that has stayed still this long re-centres on the face (see
// dead_zone()).
constexpr double kSettleS = 1.0;

template <typename T>
[[noreturn]] void out_of_range(const char* field, T value, const char* allowed) {
  std::ostringstream os;
  os << field << " = " << value << " is out of range; allowed " << allowed;
  throw std::invalid_argument(os.str());
}

[[noreturn]] void bad_input(const std::string& what) {
  throw std::invalid_argument("plan_crop_path: " + what);
}

// Frames without a face: linear between known neighbours, held at the ends.
// `known` is sorted and not empty.
std::vector<double> fill_gaps(const std::vector<double>& v, const std::vector<size_t>& known) {
  std::vector<double> out(v.size());
  for (size_t i = 0; i <= known.front(); ++i) out[i] = v[known.front()];
  for (size_t i = known.back(); i < v.size(); ++i) out[i] = v[known.back()];
  for (size_t k = 0; k + 1 < known.size(); ++k) {
    const size_t a = known[k], b = known[k + 1];
    for (size_t i = a; i <= b; ++i) {
      const double t = static_cast<double>(i - a) / static_cast<double>(b - a);
      out[i] = i == b ? v[b] : v[a] + t * (v[b] - v[a]);
    }
  }
  return out;
}

// Dead zone: the output stays still while the input stays within
// half_width of it; beyond, it follows just enough to keep the input on the
// edge. Once it has been (nearly) still for settle_frames, it re-centres on
// the middle of the input's range over that time, written back to the first
// of those frames (planning is offline): the face ends up centred in a hold
// rather than on the edge where it came to rest, and jitter no longer pushes
// the window. "Nearly still": moved at most half_width / 4 in all, so the
// last, ever rarer pushes of jitter on a face that came to rest do not keep
// restarting the count, while a slow drift does. The re-centred value never
// goes back past the value before the stillness (no back-and-forth).
std::vector<double> dead_zone(const std::vector<double>& v, double half_width,
                              size_t settle_frames) {
  const double creep = half_width / 4;
  std::vector<double> out(v.size());
  double anchor = v.front();
  size_t still_from = 0;
  bool centred = false;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] > anchor + half_width || v[i] < anchor - half_width) {
      anchor = v[i] > anchor ? v[i] - half_width : v[i] + half_width;
      if (std::abs(anchor - out[still_from]) > creep) {
        still_from = i;
        centred = false;
      }
    }
    out[i] = anchor;
    if (centred || i + 1 - still_from < settle_frames) continue;
    const auto first = v.begin() + static_cast<std::ptrdiff_t>(still_from);
    const auto [lo, hi] =
        std::minmax_element(first, v.begin() + static_cast<std::ptrdiff_t>(i) + 1);
    double mid = (*lo + *hi) / 2;
    if (still_from > 0) {
      const double before = out[still_from - 1];
      if (before < out[still_from]) mid = std::max(mid, before);
      if (before > out[still_from]) mid = std::min(mid, before);
    }
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(still_from),
              out.begin() + static_cast<std::ptrdiff_t>(i) + 1, mid);
    anchor = mid;
    centred = true;
  }
  return out;
}

// Centred moving average over 2 * half + 1 frames, the ends replicated. It is
// written as v[i] + mean(v[j] - v[i]) so a constant run stays bit-identical.
std::vector<double> moving_average(const std::vector<double>& v, size_t half) {
  if (half == 0 || v.empty()) return v;
  std::vector<double> out(v.size());
  const auto last = static_cast<std::ptrdiff_t>(v.size()) - 1;
  const auto h = static_cast<std::ptrdiff_t>(half);
  for (std::ptrdiff_t i = 0; i <= last; ++i) {
    double dev = 0.0;
    for (std::ptrdiff_t j = i - h; j <= i + h; ++j)
      dev += v[static_cast<size_t>(std::clamp<std::ptrdiff_t>(j, 0, last))] -
             v[static_cast<size_t>(i)];
    out[static_cast<size_t>(i)] = v[static_cast<size_t>(i)] + dev / static_cast<double>(2 * h + 1);
  }
  return out;
}

// Speed limit, forward in time like a camera operator: each step is at most
// max_step (Euclidean); where the path is slower it is followed exactly.
void limit_speed(std::vector<double>& xs, std::vector<double>& ys, double max_step) {
  for (size_t i = 1; i < xs.size(); ++i) {
    const double dx = xs[i] - xs[i - 1], dy = ys[i] - ys[i - 1];
    const double dist = std::hypot(dx, dy);
    if (dist <= max_step) continue;
    xs[i] = xs[i - 1] + dx * (max_step / dist);
    ys[i] = ys[i - 1] + dy * (max_step / dist);
  }
}

}  // namespace

NoFacePolicy parse_no_face_policy(const std::string& name) {
  if (name == "hold") return NoFacePolicy::kHold;
  if (name == "centre") return NoFacePolicy::kCentre;
  throw std::invalid_argument("no_face = \"" + name +
                              "\" is not known; allowed \"hold\" or \"centre\"");
}

const char* to_string(NoFacePolicy policy) {
  return policy == NoFacePolicy::kHold ? "hold" : "centre";
}

const char* to_string(CropMode mode) {
  return mode == CropMode::kSteady ? "steady" : "track";
}

void CropPathParams::validate() const {
  if (!(steady_max_motion >= 0.0 && steady_max_motion <= 1.0))
    out_of_range("steady_max_motion", steady_max_motion, "0..1");
  if (!(dead_zone >= 0.0 && dead_zone <= 0.5)) out_of_range("dead_zone", dead_zone, "0..0.5");
  if (!(max_pan_px_per_frame > 0.0 && std::isfinite(max_pan_px_per_frame)))
    out_of_range("max_pan_px_per_frame", max_pan_px_per_frame, "> 0");
  if (!(smoothing_s >= 0.0 && std::isfinite(smoothing_s)))
    out_of_range("smoothing_s", smoothing_s, ">= 0");
  if (!(target_x >= 0.0 && target_x <= 1.0)) out_of_range("target_x", target_x, "0..1");
  if (!(target_y >= 0.0 && target_y <= 1.0)) out_of_range("target_y", target_y, "0..1");
}

CropSize crop_size_for(int32_t src_w, int32_t src_h, int32_t out_w, int32_t out_h, double scale) {
  if (src_w <= 0 || src_h <= 0 || out_w <= 0 || out_h <= 0) {
    throw std::invalid_argument("crop_size_for: sizes must be > 0, got source " +
                                std::to_string(src_w) + "x" + std::to_string(src_h) +
                                " and output " + std::to_string(out_w) + "x" +
                                std::to_string(out_h));
  }
  if (!(scale > 0.0 && scale <= 1.0)) out_of_range("crop scale", scale, "(0, 1]");
  double w = 0.0, h = 0.0;
  if (int64_t{src_w} * out_h >= int64_t{src_h} * out_w) {  // source wider: full height
    h = src_h;
    w = static_cast<double>(src_h) * out_w / out_h;
  } else {
    w = src_w;
    h = static_cast<double>(src_w) * out_h / out_w;
  }
  auto even = [](double v, int32_t limit) {
    const auto e = static_cast<int32_t>(std::floor(v / 2)) * 2;
    return std::clamp(e, 2, std::max(2, limit));
  };
  return {even(w * scale, src_w), even(h * scale, src_h)};
}

CropPath plan_crop_path(const CropPathInput& in, const CropPathParams& params) {
  params.validate();
  if (in.shot.size() < 0)
    bad_input("shot [" + std::to_string(in.shot.begin) + ", " + std::to_string(in.shot.end) +
              ") ends before it begins");
  if (in.src_w <= 0 || in.src_h <= 0)
    bad_input("source size " + std::to_string(in.src_w) + "x" + std::to_string(in.src_h) +
              " must be > 0");
  if (in.crop.w <= 0 || in.crop.h <= 0 || in.crop.w > in.src_w || in.crop.h > in.src_h)
    bad_input("crop " + std::to_string(in.crop.w) + "x" + std::to_string(in.crop.h) +
              " must be > 0 and fit inside the source " + std::to_string(in.src_w) + "x" +
              std::to_string(in.src_h));
  const auto n = static_cast<size_t>(in.shot.size());
  if (in.target.size() != n)
    bad_input(std::to_string(in.target.size()) + " target entries for a shot of " +
              std::to_string(n) + " frames; pass one per output frame");
  if (!(in.fps > 0.0 && std::isfinite(in.fps))) out_of_range("fps", in.fps, "> 0");

  const double cw = in.crop.w, ch = in.crop.h;
  const double min_x = cw / 2, max_x = in.src_w - cw / 2;
  const double min_y = ch / 2, max_y = in.src_h - ch / 2;
  auto window_at = [&](double cx, double cy) {
    return CropWindow{std::clamp(cx, min_x, max_x), std::clamp(cy, min_y, max_y), cw, ch};
  };

  // Wanted window centres on frames with a face.
  std::vector<double> want_x(n, 0.0), want_y(n, 0.0);
  std::vector<size_t> known;
  for (size_t i = 0; i < n; ++i) {
    if (!in.target[i]) continue;
    const double fx = static_cast<double>(in.target[i]->cx()) * in.src_w;
    const double fy = static_cast<double>(in.target[i]->cy()) * in.src_h;
    if (!std::isfinite(fx) || !std::isfinite(fy))
      bad_input("target face on frame " + std::to_string(in.shot.begin + static_cast<int64_t>(i)) +
                " has a non-finite centre");
    const CropWindow w =
        window_at(fx + (0.5 - params.target_x) * cw, fy + (0.5 - params.target_y) * ch);
    want_x[i] = w.cx, want_y[i] = w.cy;
    known.push_back(i);
  }

  CropPath path;
  path.mode = CropMode::kSteady;
  path.has_face = !known.empty();
  if (known.empty()) {
    CropWindow w = window_at(in.src_w / 2.0, in.src_h / 2.0);
    if (params.no_face == NoFacePolicy::kHold && in.previous)
      w = window_at(in.previous->cx, in.previous->cy);
    path.windows.assign(n, w);
    return path;
  }

  double lo_x = want_x[known[0]], hi_x = lo_x, lo_y = want_y[known[0]], hi_y = lo_y;
  for (size_t i : known) {
    lo_x = std::min(lo_x, want_x[i]), hi_x = std::max(hi_x, want_x[i]);
    lo_y = std::min(lo_y, want_y[i]), hi_y = std::max(hi_y, want_y[i]);
  }
  if (std::max(hi_x - lo_x, hi_y - lo_y) <= params.steady_max_motion * in.src_w) {
    path.windows.assign(n, window_at((lo_x + hi_x) / 2, (lo_y + hi_y) / 2));
    return path;
  }

  path.mode = CropMode::kTrack;
  const auto settle = static_cast<size_t>(std::max(1.0, std::round(kSettleS * in.fps)));
  const auto half = static_cast<size_t>(std::llround(params.smoothing_s * in.fps / 4));
  const auto denoise = static_cast<size_t>(std::llround(params.smoothing_s * in.fps / 2));
  std::vector<double> xs =
      dead_zone(moving_average(fill_gaps(want_x, known), denoise), params.dead_zone * cw, settle);
  std::vector<double> ys =
      dead_zone(moving_average(fill_gaps(want_y, known), denoise), params.dead_zone * ch, settle);
  limit_speed(xs, ys, params.max_pan_px_per_frame);
  // Smoothing last: an average of shifted copies of a speed-limited path is
  // speed-limited too, and it rounds the corners where the limit bit.
  xs = moving_average(moving_average(xs, half), half);
  ys = moving_average(moving_average(ys, half), half);
  path.windows.resize(n);
  for (size_t i = 0; i < n; ++i) path.windows[i] = window_at(xs[i], ys[i]);
  return path;
}

}  // namespace ff::analysis
