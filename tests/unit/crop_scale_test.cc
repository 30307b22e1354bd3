// The crop + scale twins (src/kernels/crop_scale.h): exact cases (identity,
// integer downscale, sub-pixel shifts), chroma siting against positions the
// test derives from the siting definition itself, BT.601 -> BT.709 on colour
// bars computed from RGB, libswscale as an independent reference, the SIMD
// rows against the per-sample formula the CUDA twin runs, and the CUDA twin
// element by element when a device exists.
#include "kernels/crop_scale.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <ostream>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "kernels/device.h"
#include "media/av.h"

extern "C" {
#include <libavutil/opt.h>
}

#if defined(FRAMEFARM_HAVE_CUDA)
#include <cuda_runtime_api.h>

#include "kernels/cuda_check.h"
#endif

namespace ff::kernels {
namespace {

// An owned yuv420p frame; `pad` extra bytes per row exercise strides.
struct Frame {
  int w, h, pad;
  std::vector<uint8_t> planes[3];
  Frame(int width, int height, int row_pad = 0) : w(width), h(height), pad(row_pad) {
    for (int p = 0; p < 3; ++p) planes[p].assign(static_cast<size_t>(stride(p) * height_of(p)), 0);
  }
  int width_of(int p) const { return p == 0 ? w : (w + 1) / 2; }
  int height_of(int p) const { return p == 0 ? h : (h + 1) / 2; }
  int stride(int p) const { return width_of(p) + pad; }
  uint8_t& at(int p, int x, int y) { return planes[p][static_cast<size_t>(y * stride(p) + x)]; }
  uint8_t at(int p, int x, int y) const {
    return planes[p][static_cast<size_t>(y * stride(p) + x)];
  }
  MutablePlane plane(int p) { return {planes[p].data(), width_of(p), height_of(p), stride(p)}; }
  YuvPlanes view() { return {plane(0).view(), plane(1).view(), plane(2).view()}; }
  MutableYuvPlanes out() { return {plane(0), plane(1), plane(2)}; }
};

Frame random_frame(int w, int h, unsigned seed, int pad = 0) {
  Frame f(w, h, pad);
  std::mt19937 rng(seed);
  for (auto& plane : f.planes)
    for (auto& v : plane) v = static_cast<uint8_t>(rng() & 0xff);
  return f;
}

Frame run_cpu(Frame& src, CropRect window, int out_w, int out_h,
              ColorConversion conversion = ColorConversion::kNone) {
  Frame out(out_w, out_h);
  CropScaleOptions opts;
  opts.conversion = conversion;
  crop_scale_cpu(src.view(), window, out.out(), opts);
  return out;
}

TEST(CropScaleCpu, IdentityIsABitExactCopy) {
  Frame src = random_frame(45, 31, 1, /*pad=*/5);  // odd sizes, padded rows
  const Frame out = run_cpu(src, {0.0, 0.0, 45.0, 31.0}, 45, 31);
  for (int p = 0; p < 3; ++p)
    for (int y = 0; y < src.height_of(p); ++y)
      for (int x = 0; x < src.width_of(p); ++x)
        ASSERT_EQ(out.at(p, x, y), src.at(p, x, y)) << "plane " << p << " at " << x << "," << y;
}

TEST(CropScaleCpu, IntegerDownscaleKeepsConstantsAndGradients) {
  Frame flat(64, 32);
  std::fill(flat.planes[0].begin(), flat.planes[0].end(), 77);
  std::fill(flat.planes[1].begin(), flat.planes[1].end(), 200);
  std::fill(flat.planes[2].begin(), flat.planes[2].end(), 30);
  const Frame flat_out = run_cpu(flat, {0.0, 0.0, 64.0, 32.0}, 32, 16);
  for (int p = 0; p < 3; ++p)
    for (uint8_t v : flat_out.planes[p]) ASSERT_EQ(v, flat.planes[p][0]) << "plane " << p;

  // Luma 10 + 2x + 2y: a 2:1 footprint centred on source 2j + 0.5 averages a
  // linear plane to its value there, 10 + 2 (2j + 0.5) + 2 (2i + 0.5).
  Frame ramp(64, 32);
  for (int y = 0; y < 32; ++y)
    for (int x = 0; x < 64; ++x) ramp.at(0, x, y) = static_cast<uint8_t>(10 + 2 * x + 2 * y);
  const Frame out = run_cpu(ramp, {0.0, 0.0, 64.0, 32.0}, 32, 16);
  for (int i = 1; i < 15; ++i)  // the border rows and columns replicate the edge
    for (int j = 1; j < 31; ++j)
      ASSERT_EQ(out.at(0, j, i), 12 + 4 * j + 4 * i) << "at " << j << "," << i;
}

// Where a sharp step lands after sampling: n - (number of samples on the
// bright side, counting partial ones), exact for a bilinear ramp at scale 1.
double edge_position(const Frame& f, bool vertical, int lo, int hi) {
  const int n = vertical ? f.h : f.w;
  double bright = 0.0;
  for (int i = 0; i < n; ++i) {
    const int v = vertical ? f.at(0, 3, i) : f.at(0, i, 3);
    bright += static_cast<double>(v - lo) / (hi - lo);
  }
  return n - bright;
}

TEST(CropScaleCpu, SubPixelWindowShiftMovesAnEdgeByTheFraction) {
  for (bool vertical : {false, true}) {
    Frame src(64, 64);
    for (int y = 0; y < 64; ++y)
      for (int x = 0; x < 64; ++x) src.at(0, x, y) = ((vertical ? y : x) < 30) ? 40 : 220;
    for (double t : {0.0, 0.25, 0.5, 0.8}) {
      // The edge sits at source coordinate 30, so at 30 - 14 - t in the output.
      const CropRect window =
          vertical ? CropRect{10.0, 14.0 + t, 32.0, 32.0} : CropRect{14.0 + t, 10.0, 32.0, 32.0};
      const Frame out = run_cpu(src, window, 32, 32);
      EXPECT_NEAR(edge_position(out, vertical, 40, 220), 16.0 - t, 0.01)
          << (vertical ? "y0" : "x0") << " shifted by " << t;
    }
  }
}

// Chroma siting, derived here from the definition rather than from the
// header's formulas: luma pixel i sits at i + 0.5; chroma sample k (left
// siting) sits at 2k + 0.5 horizontally and 2k + 1 vertically. A plane that
// is linear in that physical coordinate, sampled at those positions, must
// come out as the same linear function of each output sample's position.
struct Siting {
  double scale;  // output size / window size
  bool vertical;
};
void PrintTo(const Siting& s, std::ostream* os) {
  *os << s.scale << "x_" << (s.vertical ? "down" : "across");
}

class CropScaleSiting : public ::testing::TestWithParam<Siting> {};

TEST_P(CropScaleSiting, ChromaStaysAlignedWithLuma) {
  const Siting s = GetParam();
  constexpr int kSize = 40;
  constexpr double kSlope = 6.0;  // levels per luma pixel; even so chroma codes are exact
  const auto f = [](double pos) { return 16.0 + kSlope * (pos - 0.5); };
  Frame src(kSize, kSize);
  for (int y = 0; y < kSize; ++y)
    for (int x = 0; x < kSize; ++x)
      src.at(0, x, y) = static_cast<uint8_t>(f((s.vertical ? y : x) + 0.5));
  for (int y = 0; y < kSize / 2; ++y)
    for (int x = 0; x < kSize / 2; ++x) {
      const double pos = s.vertical ? 2 * y + 1.0 : 2 * x + 0.5;
      src.at(1, x, y) = src.at(2, x, y) = static_cast<uint8_t>(f(pos));
    }
  // A window whose filter footprint stays inside the frame.
  const double win = s.scale > 1 ? 16.0 : 24.0;
  const double x0 = s.vertical ? 4.0 : 7.25, y0 = s.vertical ? 7.25 : 4.0;
  const int n = static_cast<int>(win * s.scale);
  const double step = win / n;
  const Frame out = run_cpu(src, {x0, y0, win, win}, n, n);
  const double origin = s.vertical ? y0 : x0;
  for (int j = 0; j < n; ++j) {
    const int x = s.vertical ? 0 : j, y = s.vertical ? j : 0;
    EXPECT_NEAR(out.at(0, x, y), f(origin + (j + 0.5) * step), 0.55) << "luma " << j;
  }
  for (int m = 0; m < (n + 1) / 2; ++m) {
    const int x = s.vertical ? 0 : m, y = s.vertical ? m : 0;
    const double pos = s.vertical ? origin + (2 * m + 1.0) * step : origin + (2 * m + 0.5) * step;
    EXPECT_NEAR(out.at(1, x, y), f(pos), 0.55) << "cb " << m;
    EXPECT_NEAR(out.at(2, x, y), f(pos), 0.55) << "cr " << m;
  }
}

INSTANTIATE_TEST_SUITE_P(Scales, CropScaleSiting,
                         ::testing::Values(Siting{2.0, false}, Siting{2.0, true},
                                           Siting{0.5, false}, Siting{0.5, true}));

// At scales where the stretched tent is not exactly linear-preserving (0.75),
// compare with a direct double-precision tent filter at positions derived
// from the physical siting above; random content makes any offset visible.
double tent_reference(const Frame& f, int p, double px, double py, double rx, double ry) {
  double sum = 0.0, weight = 0.0;
  for (int y = static_cast<int>(std::floor(py - ry)); y <= static_cast<int>(py + ry) + 1; ++y)
    for (int x = static_cast<int>(std::floor(px - rx)); x <= static_cast<int>(px + rx) + 1; ++x) {
      const double w =
          std::max(0.0, 1 - std::fabs(x - px) / rx) * std::max(0.0, 1 - std::fabs(y - py) / ry);
      const int cx = std::clamp(x, 0, f.width_of(p) - 1), cy = std::clamp(y, 0, f.height_of(p) - 1);
      sum += w * f.at(p, cx, cy);
      weight += w;
    }
  return sum / weight;
}

// YCbCr codes from E'R, E'G, E'B with one matrix's (Kr, Kb), and a BT.601
// code converted to BT.709 through RGB, written out here independently of
// color_matrix.h.
struct Ycc {
  double y, cb, cr;
};
Ycc rgb_to_ycc(double r, double g, double b, double kr, double kb) {
  const double luma = kr * r + (1 - kr - kb) * g + kb * b;
  return {16 + 219 * luma, 128 + 224 * (b - luma) / (2 * (1 - kb)),
          128 + 224 * (r - luma) / (2 * (1 - kr))};
}
Ycc bt601_to_bt709(Ycc c) {
  const double kr = 0.299, kb = 0.114;
  const double y = (c.y - 16) / 219, pb = (c.cb - 128) / 224, pr = (c.cr - 128) / 224;
  const double r = y + 2 * (1 - kr) * pr, b = y + 2 * (1 - kb) * pb;
  const double g = (y - kr * r - kb * b) / (1 - kr - kb);
  const Ycc out = rgb_to_ycc(r, g, b, 0.2126, 0.0722);
  return {std::clamp(out.y, 16.0, 235.0), std::clamp(out.cb, 16.0, 240.0),
          std::clamp(out.cr, 16.0, 240.0)};
}

TEST(CropScaleCpu, ThreeQuarterScaleMatchesADirectTentFilterAtSitedPositions) {
  Frame src = random_frame(64, 48, 3);
  const CropRect win{5.3, 3.7, 48.0, 32.0};
  const double sx = win.w / 36, sy = win.h / 24;  // 0.75x in both axes
  for (bool convert : {false, true}) {
    const Frame out = run_cpu(src, win, 36, 24,
                              convert ? ColorConversion::kBt601ToBt709 : ColorConversion::kNone);
    for (int i = 0; i < 24; ++i)
      for (int j = 0; j < 36; ++j) {
        // Luma sample (j, i) sits at source (X, Y); the chroma sample there
        // has index ((X - 0.5) / 2, (Y - 1) / 2), k sitting at 2k + 0.5 across, 2k + 1 down.
        const double X = win.x0 + (j + 0.5) * sx, Y = win.y0 + (i + 0.5) * sy;
        Ycc want{tent_reference(src, 0, X - 0.5, Y - 0.5, sx, sy), 0, 0};
        if (convert) {
          const double cx = (X - 0.5) / 2, cy = (Y - 1) / 2;
          const double rx = std::max(1.0, sx / 2), ry = std::max(1.0, sy / 2);
          want.cb = tent_reference(src, 1, cx, cy, rx, ry);
          want.cr = tent_reference(src, 2, cx, cy, rx, ry);
          want = bt601_to_bt709(want);
        }
        ASSERT_NEAR(out.at(0, j, i), want.y, 0.6) << "luma " << j << "," << i << " " << convert;
      }
    for (int n = 0; n < 12; ++n)
      for (int m = 0; m < 18; ++m) {
        const double X = win.x0 + (2 * m + 0.5) * sx, Y = win.y0 + (2 * n + 1.0) * sy;
        const double cx = (X - 0.5) / 2, cy = (Y - 1) / 2;
        Ycc want{128, tent_reference(src, 1, cx, cy, sx, sy),
                 tent_reference(src, 2, cx, cy, sx, sy)};
        if (convert) want = bt601_to_bt709(want);
        ASSERT_NEAR(out.at(1, m, n), want.cb, 0.6) << "cb " << m << "," << n << " " << convert;
        ASSERT_NEAR(out.at(2, m, n), want.cr, 0.6) << "cr " << m << "," << n << " " << convert;
      }
  }
}

// 75% colour bars, converted from RGB with each matrix's own formulas.
constexpr double kBars[8][3] = {{.75, .75, .75}, {.75, .75, 0}, {0, .75, .75}, {0, .75, 0},
                                {.75, 0, .75},   {.75, 0, 0},   {0, 0, .75},   {0, 0, 0}};

class CropScaleBars : public ::testing::TestWithParam<double> {};

TEST_P(CropScaleBars, Bt601SourceComesOutAsBt709) {
  constexpr int kBar = 16;  // luma pixels per bar
  Frame src(8 * kBar, 16);
  for (int x = 0; x < src.w; ++x)
    for (int y = 0; y < src.h; ++y) {
      const double* rgb = kBars[x / kBar];
      const Ycc c = rgb_to_ycc(rgb[0], rgb[1], rgb[2], 0.299, 0.114);
      src.at(0, x, y) = static_cast<uint8_t>(std::lround(c.y));
      src.at(1, x / 2, y / 2) = static_cast<uint8_t>(std::lround(c.cb));
      src.at(2, x / 2, y / 2) = static_cast<uint8_t>(std::lround(c.cr));
    }
  const double scale = GetParam();
  const int out_w = static_cast<int>(src.w * scale), out_h = static_cast<int>(src.h * scale);
  const Frame out = run_cpu(src, {0.0, 0.0, double(src.w), double(src.h)}, out_w, out_h,
                            ColorConversion::kBt601ToBt709);
  // Check samples whose source position is 5 luma pixels inside a bar.
  const auto bar_at = [&](double pos) {
    const double in_bar = pos - kBar * std::floor(pos / kBar);
    return (in_bar >= 5 && in_bar <= kBar - 5) ? static_cast<int>(pos / kBar) : -1;
  };
  int checked = 0;
  for (int j = 0; j < out_w; ++j) {
    const int bar = bar_at((j + 0.5) / scale);
    if (bar < 0) continue;
    const Ycc want = rgb_to_ycc(kBars[bar][0], kBars[bar][1], kBars[bar][2], 0.2126, 0.0722);
    EXPECT_NEAR(out.at(0, j, out_h / 2), want.y, 1.0) << "luma, bar " << bar;
    ++checked;
  }
  for (int m = 0; m < (out_w + 1) / 2; ++m) {
    const int bar = bar_at((2 * m + 0.5) / scale);
    if (bar < 0) continue;
    const Ycc want = rgb_to_ycc(kBars[bar][0], kBars[bar][1], kBars[bar][2], 0.2126, 0.0722);
    EXPECT_NEAR(out.at(1, m, out_h / 4), want.cb, 1.0) << "cb, bar " << bar;
    EXPECT_NEAR(out.at(2, m, out_h / 4), want.cr, 1.0) << "cr, bar " << bar;
    ++checked;
  }
  EXPECT_GT(checked, 8 * 3);
}

INSTANTIATE_TEST_SUITE_P(Scales, CropScaleBars, ::testing::Values(1.0, 2.0, 0.75));

// libswscale as the independent reference: its SWS_BILINEAR is the same
// tent (stretched when downscaling); told that chroma is left-sited across
// (h_chr_pos 0) and centred down (v_chr_pos 128), it samples the same
// positions. Differences are fixed-point rounding, one level at most.
Frame run_swscale(Frame& src, int out_w, int out_h) {
  media::SwsContextPtr sws(sws_alloc_context());
  if (!sws) throw std::runtime_error("sws_alloc_context failed");
  const std::pair<const char*, int64_t> opts[] = {
      {"srcw", src.w},
      {"srch", src.h},
      {"src_format", AV_PIX_FMT_YUV420P},
      {"dstw", out_w},
      {"dsth", out_h},
      {"dst_format", AV_PIX_FMT_YUV420P},
      {"sws_flags", SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP},
      {"src_h_chr_pos", 0},
      {"dst_h_chr_pos", 0},
      {"src_v_chr_pos", 128},
      {"dst_v_chr_pos", 128}};
  for (const auto& [key, value] : opts) {
    if (av_opt_set_int(sws.get(), key, value, 0) < 0)
      throw std::runtime_error(std::string("av_opt_set_int failed: ") + key);
  }
  if (sws_init_context(sws.get(), nullptr, nullptr) < 0)
    throw std::runtime_error("sws_init_context failed");
  Frame out(out_w, out_h);
  const uint8_t* in_data[3] = {src.planes[0].data(), src.planes[1].data(), src.planes[2].data()};
  const int in_stride[3] = {src.stride(0), src.stride(1), src.stride(2)};
  uint8_t* out_data[3] = {out.planes[0].data(), out.planes[1].data(), out.planes[2].data()};
  const int out_stride[3] = {out.stride(0), out.stride(1), out.stride(2)};
  sws_scale(sws.get(), in_data, in_stride, 0, src.h, out_data, out_stride);
  return out;
}

Frame natural_frame(int w, int h) {
  Frame f(w, h);
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> noise(-12, 12);
  for (int p = 0; p < 3; ++p)
    for (int y = 0; y < f.height_of(p); ++y)
      for (int x = 0; x < f.width_of(p); ++x) {
        const double v = 128 + 60 * std::sin(0.21 * x + 0.13 * y + p) +
                         30 * std::cos(0.05 * x - 0.17 * y) + ((x / 9 + y / 7) % 2 ? 20 : -20);
        f.at(p, x, y) = static_cast<uint8_t>(std::clamp(v + noise(rng), 0.0, 255.0));
      }
  return f;
}

class CropScaleSwscale : public ::testing::TestWithParam<std::pair<int, int>> {};

TEST_P(CropScaleSwscale, FullFrameScaleMatchesSwscale) {
  Frame src = natural_frame(192, 108);
  const auto [out_w, out_h] = GetParam();
  const Frame ours = run_cpu(src, {0.0, 0.0, 192.0, 108.0}, out_w, out_h);
  const Frame theirs = run_swscale(src, out_w, out_h);
  for (int p = 0; p < 3; ++p) {
    double sum = 0.0;
    int worst = 0;
    for (int y = 0; y < ours.height_of(p); ++y)
      for (int x = 0; x < ours.width_of(p); ++x) {
        const int d = std::abs(ours.at(p, x, y) - theirs.at(p, x, y));
        sum += d;
        worst = std::max(worst, d);
      }
    const double mean = sum / (ours.width_of(p) * ours.height_of(p));
    EXPECT_LT(mean, 0.25) << "plane " << p << " mean abs diff";
    EXPECT_LE(worst, 1) << "plane " << p << " max abs diff";
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, CropScaleSwscale,
                         ::testing::Values(std::pair{128, 72}, std::pair{288, 162},
                                           std::pair{48, 28}, std::pair{240, 60}));

// The per-sample formula the CUDA twin evaluates, from the shared tables.
Frame per_sample_reference(Frame& src, CropRect window, int out_w, int out_h,
                           ColorConversion conversion) {
  namespace d = crop_scale_detail;
  Frame out(out_w, out_h);
  CropScaleOptions opts;
  opts.conversion = conversion;
  const d::CropScalePlan plan = d::plan_crop_scale(src.view(), window, out.out(), opts);
  const auto sample = [&](int p, const d::AxisTaps& tx, int x, const d::AxisTaps& ty, int y) {
    int32_t acc = 0;
    for (int k = 0; k < ty.taps; ++k) {
      const uint8_t* row = &src.at(p, tx.begin[x], ty.begin[y] + k);
      acc += ty.weight[y * ty.taps + k] * d::horizontal_q7(row, &tx.weight[x * tx.taps], tx.taps);
    }
    return acc;
  };
  for (int y = 0; y < out_h; ++y)
    for (int x = 0; x < out_w; ++x) {
      const int32_t luma = sample(0, plan.luma_x, x, plan.luma_y, y);
      out.at(0, x, y) =
          plan.convert
              ? convert_luma_q6(d::q21_to_q6(luma),
                                d::q21_to_q6(sample(1, plan.cl_x, x, plan.cl_y, y)),
                                d::q21_to_q6(sample(2, plan.cl_x, x, plan.cl_y, y)), plan.matrix)
              : d::q21_to_u8(luma);
    }
  for (int y = 0; y < out.height_of(1); ++y)
    for (int x = 0; x < out.width_of(1); ++x) {
      const int32_t cb = sample(1, plan.chroma_x, x, plan.chroma_y, y);
      const int32_t cr = sample(2, plan.chroma_x, x, plan.chroma_y, y);
      out.at(1, x, y) = plan.convert
                            ? convert_cb_q6(d::q21_to_q6(cb), d::q21_to_q6(cr), plan.matrix)
                            : d::q21_to_u8(cb);
      out.at(2, x, y) = plan.convert
                            ? convert_cr_q6(d::q21_to_q6(cb), d::q21_to_q6(cr), plan.matrix)
                            : d::q21_to_u8(cr);
    }
  return out;
}

struct Case {
  CropRect window;
  int out_w, out_h;
  ColorConversion conversion;
};

const Case kCases[] = {
    {{41.37, 0.0, 60.6, 108.0}, 108, 192, ColorConversion::kNone},           // portrait reframe
    {{41.37, 2.5, 60.6, 100.25}, 107, 191, ColorConversion::kBt601ToBt709},  // odd sizes
    {{0.0, 0.0, 192.0, 108.0}, 57, 31, ColorConversion::kNone},              // 3.4x down
    {{3.3, 1.1, 150.2, 99.9}, 90, 70, ColorConversion::kBt601ToBt709},       // mixed
    {{0.0, 0.0, 192.0, 108.0}, 192, 108, ColorConversion::kBt601ToBt709},    // identity + matrix
};

TEST(CropScaleCpu, SimdRowsMatchThePerSampleFormula) {
  Frame src = random_frame(192, 108, 5, /*pad=*/3);
  for (const Case& c : kCases) {
    const Frame cpu = run_cpu(src, c.window, c.out_w, c.out_h, c.conversion);
    const Frame ref = per_sample_reference(src, c.window, c.out_w, c.out_h, c.conversion);
    for (int p = 0; p < 3; ++p)
      ASSERT_EQ(cpu.planes[p], ref.planes[p])
          << "plane " << p << " for " << c.out_w << "x" << c.out_h;
  }
}

std::string error_of(Frame& src, CropRect window, Frame& out) {
  try {
    crop_scale_cpu(src.view(), window, out.out(), {});
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

TEST(CropScaleCpu, RejectsWindowsOutsideTheFrame) {
  Frame src(64, 36), out(32, 18);
  EXPECT_EQ(error_of(src, {40.5, 0.0, 24.0, 36.0}, out),
            "crop_scale: crop window (x0 40.5, y0 0, w 24, h 36) reaches outside the 64x36 source "
            "frame; clamp the window inside the frame");
  EXPECT_EQ(error_of(src, {0.0, -0.25, 64.0, 36.0}, out),
            "crop_scale: crop window (x0 0, y0 -0.25, w 64, h 36) reaches outside the 64x36 source "
            "frame; clamp the window inside the frame");
  EXPECT_EQ(error_of(src, {1.0, 1.0, 0.0, 10.0}, out),
            "crop_scale: crop window (x0 1, y0 1, w 0, h 10) is empty; w and h must be > 0");
  EXPECT_EQ(error_of(src, {NAN, 1.0, 10.0, 10.0}, out),
            "crop_scale: crop window (x0 nan, y0 1, w 10, h 10) is not finite; pass the planned "
            "window in source pixels");
  // Float noise from a planner that clamped the window is accepted.
  EXPECT_EQ(error_of(src, {40.0, 0.0, 24.0 + 1e-9, 36.0}, out), "no error");
}

TEST(CropScaleCpu, RejectsPlanesThatAreNotYuv420p) {
  Frame src(64, 36), out(32, 18);
  YuvPlanes bad = src.view();
  bad.u.width = 31;
  try {
    crop_scale_cpu(bad, {0.0, 0.0, 64.0, 36.0}, out.out(), {});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "crop_scale: src.u is 31x18 but a yuv420p 64x36 frame needs 32x18");
  }
}

TEST(CropScaleCuda, MatchesCpuElementByElement) {
  const DeviceInfo device = probe_cuda_device();
  if (device.device_count == 0) GTEST_SKIP() << "no CUDA device: " << device.reason;
#if defined(FRAMEFARM_HAVE_CUDA)
  Frame src = random_frame(192, 108, 9);
  uint8_t* d_src[3] = {};
  for (int p = 0; p < 3; ++p) {
    FF_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&d_src[p]), src.planes[p].size()));
    FF_CUDA_CHECK(
        cudaMemcpy(d_src[p], src.planes[p].data(), src.planes[p].size(), cudaMemcpyHostToDevice));
  }
  const YuvPlanes d_view{{d_src[0], src.w, src.h, src.stride(0)},
                         {d_src[1], src.width_of(1), src.height_of(1), src.stride(1)},
                         {d_src[2], src.width_of(2), src.height_of(2), src.stride(2)}};
  for (const Case& c : kCases) {
    const Frame cpu = run_cpu(src, c.window, c.out_w, c.out_h, c.conversion);
    Frame gpu(c.out_w, c.out_h);
    uint8_t* d_out[3] = {};
    for (int p = 0; p < 3; ++p)
      FF_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&d_out[p]), gpu.planes[p].size()));
    MutableYuvPlanes d_dst = gpu.out();
    d_dst.y.data = d_out[0];
    d_dst.u.data = d_out[1];
    d_dst.v.data = d_out[2];
    CropScaleOptions opts;
    opts.conversion = c.conversion;
    crop_scale_cuda(d_view, c.window, d_dst, opts);
    for (int p = 0; p < 3; ++p) {
      FF_CUDA_CHECK(
          cudaMemcpy(gpu.planes[p].data(), d_out[p], gpu.planes[p].size(), cudaMemcpyDeviceToHost));
      FF_CUDA_CHECK(cudaFree(d_out[p]));
    }
    for (int p = 0; p < 3; ++p)
      for (size_t i = 0; i < cpu.planes[p].size(); ++i)
        ASSERT_EQ(gpu.planes[p][i], cpu.planes[p][i])
            << "plane " << p << " index " << i << " for " << c.out_w << "x" << c.out_h;
  }
  for (int p = 0; p < 3; ++p) FF_CUDA_CHECK(cudaFree(d_src[p]));
#endif
}

}  // namespace
}  // namespace ff::kernels
