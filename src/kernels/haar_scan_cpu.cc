// The CPU half of the Haar scan twin, and the host code both halves share
// (level plan, resize taps, feature tables, hit collection). OpenCV 4.6's
// steps are cited where this follows them (objdetect/src/cascadedetect.cpp,
// imgproc/src/resize.cpp).
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

#include "kernels/haar_scan.h"

namespace ff::kernels {
namespace {

// cvRound: nearest, ties to even (lrint in the default rounding mode).
int round_even(double v) {
  return static_cast<int>(std::lrint(v));
}
int round_even(float v) {
  return static_cast<int>(std::lrint(v));
}

}  // namespace

std::vector<HaarLevel> plan_haar_levels(const HaarCascade& cascade, int frame_w, int frame_h,
                                        const HaarScanParams& params) {
  std::vector<HaarLevel> levels;
  const int win_w = cascade.window_w;
  const int win_h = cascade.window_h;
  if (frame_w < win_w || frame_h < win_h) return levels;
  int max_w = params.max_w;
  int max_h = params.max_h;
  if (max_w == 0 || max_h == 0) {
    max_w = frame_w;
    max_h = frame_h;
  }
  // detectMultiScaleNoGrouping: every scale whose window fits the frame (in
  // double), then those within [min, max] (window size from the float scale).
  std::vector<float> all_scales;
  for (double factor = 1;; factor *= params.scale_factor) {
    if (round_even(win_w * factor) > frame_w || round_even(win_h * factor) > frame_h) break;
    all_scales.push_back(static_cast<float>(factor));
  }
  std::vector<float> scales;
  for (float s : all_scales) {
    const int w = round_even(static_cast<float>(win_w) * s);
    const int h = round_even(static_cast<float>(win_h) * s);
    if (w > max_w || h > max_h) break;
    if (w < params.min_w || h < params.min_h) continue;
    scales.push_back(s);
  }
  if (scales.empty() && !all_scales.empty()) {
    size_t best = 0;
    double best_d = 0;
    for (size_t i = 0; i < all_scales.size(); ++i) {
      const int dw = params.min_w - round_even(static_cast<float>(win_w) * all_scales[i]);
      const int dh = params.min_h - round_even(static_cast<float>(win_h) * all_scales[i]);
      const double d = static_cast<double>(dw * dw + dh * dh);
      if (i == 0 || best_d > d) {
        best = i;
        best_d = d;
      }
    }
    scales.push_back(all_scales[best]);
  }
  // FeatureEvaluator::updateScaleData and the invoker's loops.
  for (float s : scales) {
    HaarLevel l;
    l.scale = s;
    l.level_w = round_even(static_cast<float>(frame_w) / s);
    l.level_h = round_even(static_cast<float>(frame_h) / s);
    l.step = s >= 2.f ? 1 : 2;
    const int span_w = std::max(l.level_w + 1 - win_w, 0);
    const int span_h = std::max(l.level_h + 1 - win_h, 0);
    l.cols = (span_w + l.step - 1) / l.step;
    l.rows = (span_h + l.step - 1) / l.step;
    l.box_w = round_even(static_cast<float>(win_w) * s);
    l.box_h = round_even(static_cast<float>(win_h) * s);
    levels.push_back(l);
  }
  return levels;
}

namespace haar_detail {

void check_scan_args(const HaarCascade& cascade, PlaneView gray, const HaarScanParams& params) {
  if (!std::isfinite(params.scale_factor) || params.scale_factor <= 1.0)
    throw std::invalid_argument("haar_scan: scale_factor " + std::to_string(params.scale_factor) +
                                " must be a number > 1 (detectMultiScale's scaleFactor, e.g. 1.1)");
  if (params.min_w < 0 || params.min_h < 0 || params.max_w < 0 || params.max_h < 0)
    throw std::invalid_argument("haar_scan: min/max sizes must not be negative (got min " +
                                std::to_string(params.min_w) + "x" + std::to_string(params.min_h) +
                                ", max " + std::to_string(params.max_w) + "x" +
                                std::to_string(params.max_h) + ")");
  if (gray.data == nullptr || gray.width <= 0 || gray.height <= 0 || gray.stride < gray.width)
    throw std::invalid_argument("haar_scan: the gray plane is empty or its stride (" +
                                std::to_string(gray.stride) + ") is below its width (" +
                                std::to_string(gray.width) + "); pass an 8-bit luma plane");
  check_haar_cascade(cascade);
}

// interpolationLinear::getCoeffs in softdouble: fval = scale * (d + 0.5) - 0.5
// with scale = 1 / inv_scale, inv_scale = dst / src (cv::resize recomputes it
// from the sizes); weight of the right sample cvRound(frac * 256), ties even.
std::vector<ResizeTap> resize_taps(int src_size, int dst_size) {
  std::vector<ResizeTap> taps(static_cast<size_t>(dst_size));
  const double inv_scale = static_cast<double>(dst_size) / src_size;
  const double scale = 1.0 / inv_scale;
  for (int d = 0; d < dst_size; ++d) {
    const double fval = scale * (static_cast<double>(d) + 0.5) - 0.5;
    const int ival = static_cast<int>(std::floor(fval));
    ResizeTap& t = taps[static_cast<size_t>(d)];
    if (ival >= 0 && src_size > 1 && ival < src_size - 1) {
      t.ofs0 = ival;
      t.ofs1 = ival + 1;
      t.c1 = static_cast<int32_t>(std::nearbyint((fval - ival) * 256.0));
      t.c0 = 256 - t.c1;
    } else {
      // Left of the first sample, right of the last one, or a 1-sample axis.
      t.ofs0 = t.ofs1 = (ival >= 0 && src_size > 1) ? src_size - 1 : 0;
      t.c0 = 256;
      t.c1 = 0;
    }
  }
  return taps;
}

void resize_level_cpu(PlaneView src, int dst_w, int dst_h, std::vector<uint8_t>& dst) {
  dst.resize(static_cast<size_t>(dst_w) * static_cast<size_t>(dst_h));
  if (dst_w == src.width && dst_h == src.height) {  // cv::resize copies
    for (int y = 0; y < dst_h; ++y)
      std::copy(src.data + static_cast<ptrdiff_t>(y) * src.stride,
                src.data + static_cast<ptrdiff_t>(y) * src.stride + dst_w,
                dst.begin() + static_cast<ptrdiff_t>(y) * dst_w);
    return;
  }
  const std::vector<ResizeTap> tx = resize_taps(src.width, dst_w);
  const std::vector<ResizeTap> ty = resize_taps(src.height, dst_h);
  for (int y = 0; y < dst_h; ++y) {
    uint8_t* out = dst.data() + static_cast<ptrdiff_t>(y) * dst_w;
    for (int x = 0; x < dst_w; ++x)
      out[x] = resize_pixel(src.data, src.stride, tx[static_cast<size_t>(x)],
                            ty[static_cast<size_t>(y)]);
  }
}

void integral_cpu(const uint8_t* img, int w, int h, int stride, std::vector<uint32_t>& sum,
                  std::vector<uint32_t>& sqsum) {
  const size_t n = static_cast<size_t>(h + 1) * static_cast<size_t>(stride);
  sum.assign(n, 0);
  sqsum.assign(n, 0);
  for (int y = 0; y < h; ++y) {
    const uint8_t* row = img + static_cast<ptrdiff_t>(y) * w;
    const uint32_t* above = sum.data() + static_cast<ptrdiff_t>(y) * stride;
    const uint32_t* above_sq = sqsum.data() + static_cast<ptrdiff_t>(y) * stride;
    uint32_t* cur = sum.data() + static_cast<ptrdiff_t>(y + 1) * stride;
    uint32_t* cur_sq = sqsum.data() + static_cast<ptrdiff_t>(y + 1) * stride;
    uint32_t s = 0;
    uint32_t sq = 0;
    for (int x = 0; x < w; ++x) {
      const uint32_t v = row[x];
      s += v;
      sq += v * v;
      cur[x + 1] = above[x + 1] + s;
      cur_sq[x + 1] = above_sq[x + 1] + sq;
    }
  }
}

std::vector<OptFeature> opt_features(const HaarCascade& cascade, int stride) {
  std::vector<OptFeature> out(cascade.features.size());
  for (size_t f = 0; f < cascade.features.size(); ++f) {
    OptFeature& o = out[f];
    for (int r = 0; r < 3; ++r) {
      const HaarRect& rect = cascade.features[f].rect[r];
      o.weight[r] = rect.weight;
      if (rect.weight == 0.f) {
        o.ofs[r][0] = o.ofs[r][1] = o.ofs[r][2] = o.ofs[r][3] = 0;
        continue;
      }
      o.ofs[r][0] = rect.x + stride * rect.y;
      o.ofs[r][1] = rect.x + rect.w + stride * rect.y;
      o.ofs[r][2] = rect.x + stride * (rect.y + rect.h);
      o.ofs[r][3] = rect.x + rect.w + stride * (rect.y + rect.h);
    }
  }
  return out;
}

std::vector<Stump> stumps_of(const HaarCascade& cascade) {
  std::vector<Stump> out;
  for (const HaarTree& t : cascade.trees) {
    if (t.node_count != 1) return {};
    const HaarNode& n = cascade.nodes[static_cast<size_t>(t.first_node)];
    out.push_back({n.feature, n.threshold,
                   cascade.leaves[static_cast<size_t>(t.first_leaf - n.left)],
                   cascade.leaves[static_cast<size_t>(t.first_leaf - n.right)]});
  }
  return out;
}

CascadeView cascade_view(const HaarCascade& cascade, const std::vector<OptFeature>& features,
                         int stride, const std::vector<Stump>& stumps) {
  CascadeView v;
  v.stumps = stumps.empty() ? nullptr : stumps.data();
  v.stages = cascade.stages.data();
  v.stage_count = static_cast<int>(cascade.stages.size());
  v.trees = cascade.trees.data();
  v.nodes = cascade.nodes.data();
  v.leaves = cascade.leaves.data();
  v.features = features.data();
  // HaarEvaluator: normrect = (1, 1, win_w - 2, win_h - 2).
  const int nw = cascade.window_w - 2;
  const int nh = cascade.window_h - 2;
  v.norm_ofs[0] = 1 + stride * 1;
  v.norm_ofs[1] = 1 + nw + stride * 1;
  v.norm_ofs[2] = 1 + stride * (1 + nh);
  v.norm_ofs[3] = 1 + nw + stride * (1 + nh);
  v.norm_area = static_cast<double>(nw * nh);
  return v;
}

void collect_level_hits(const HaarLevel& level, int level_index, int stage_count,
                        std::vector<int16_t>& outcomes, HaarScanResult& result) {
  for (int r = 0; r < level.rows; ++r) {
    int16_t* row = outcomes.data() + static_cast<ptrdiff_t>(r) * level.cols;
    bool skip = false;
    for (int c = 0; c < level.cols; ++c) {
      if (skip) {  // CascadeClassifierInvoker: if (result == 0) x += yStep;
        row[c] = kNotScanned;
        skip = false;
        continue;
      }
      skip = row[c] == 0;
      if (row[c] != stage_count) continue;
      const int x = c * level.step;
      const int y = r * level.step;
      result.hits.push_back({round_even(static_cast<float>(x) * level.scale),
                             round_even(static_cast<float>(y) * level.scale), level.box_w,
                             level.box_h});
      result.hit_level.push_back(level_index);
    }
  }
}

}  // namespace haar_detail

HaarScanResult haar_scan_cpu(const HaarCascade& cascade, PlaneView gray,
                             const HaarScanParams& params) {
  using namespace haar_detail;
  check_scan_args(cascade, gray, params);
  HaarScanResult result;
  result.levels = plan_haar_levels(cascade, gray.width, gray.height, params);
  if (result.levels.empty()) return result;
  // One stride for every level, as OpenCV's shared buffer: the feature
  // offsets are computed once.
  const int stride = gray.width + 1;
  const std::vector<OptFeature> features = opt_features(cascade, stride);
  const std::vector<Stump> stumps = stumps_of(cascade);
  const CascadeView view = cascade_view(cascade, features, stride, stumps);
  std::vector<uint8_t> level_img;
  std::vector<uint32_t> sum;
  std::vector<uint32_t> sqsum;
  std::vector<int16_t> outcomes;
  for (size_t li = 0; li < result.levels.size(); ++li) {
    const HaarLevel& level = result.levels[li];
    resize_level_cpu(gray, level.level_w, level.level_h, level_img);
    integral_cpu(level_img.data(), level.level_w, level.level_h, stride, sum, sqsum);
    outcomes.assign(static_cast<size_t>(level.rows) * static_cast<size_t>(level.cols), 0);
    for (int r = 0; r < level.rows; ++r) {
      const ptrdiff_t at = static_cast<ptrdiff_t>(r) * level.step * stride;
      int16_t* row = outcomes.data() + static_cast<ptrdiff_t>(r) * level.cols;
      for (int c = 0; c < level.cols; ++c) {
        const ptrdiff_t pos = at + static_cast<ptrdiff_t>(c) * level.step;
        row[c] = static_cast<int16_t>(window_outcome(view, sum.data() + pos, sqsum.data() + pos));
        if (row[c] == 0 && c + 1 < level.cols) row[++c] = kNotScanned;
      }
    }
    collect_level_hits(level, static_cast<int>(li), view.stage_count, outcomes, result);
    if (params.keep_outcomes) result.outcomes.push_back(std::move(outcomes));
  }
  return result;
}

}  // namespace ff::kernels
