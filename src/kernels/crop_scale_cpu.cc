// The CPU half of the crop + scale twin, and the host-side planning (argument
// checks, tap tables) both halves share. See crop_scale.h for the formulas.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/crop_scale.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ff::kernels {
namespace crop_scale_detail {
namespace {

constexpr double kWindowSlackPx = 1e-6;  // float noise a clamped window may carry

[[noreturn]] void fail(const std::string& what) {
  throw std::invalid_argument("crop_scale: " + what);
}

std::string size_text(int w, int h) {
  return std::to_string(w) + "x" + std::to_string(h);
}

// Checks one plane's pointer, size and stride; `name` is e.g. "src.u".
void check_plane(const char* name, const uint8_t* data, int width, int height, int stride,
                 int want_w, int want_h, const char* needed_for) {
  if (data == nullptr) fail(std::string(name) + " has no data pointer");
  if (width <= 0 || height <= 0)
    fail(std::string(name) + " is empty (" + size_text(width, height) + ")");
  if (width != want_w || height != want_h) {
    fail(std::string(name) + " is " + size_text(width, height) + " but " + needed_for + " needs " +
         size_text(want_w, want_h));
  }
  if (stride < width) {
    fail(std::string(name) + " stride " + std::to_string(stride) + " is smaller than its width " +
         std::to_string(width));
  }
}

template <typename Plane>
void check_yuv420p(const char* prefix, const Plane& y, const Plane& u, const Plane& v) {
  const std::string p(prefix);
  check_plane((p + ".y").c_str(), y.data, y.width, y.height, y.stride, y.width, y.height, "");
  const int cw = (y.width + 1) / 2, ch = (y.height + 1) / 2;
  const std::string frame = "a yuv420p " + size_text(y.width, y.height) + " frame";
  check_plane((p + ".u").c_str(), u.data, u.width, u.height, u.stride, cw, ch, frame.c_str());
  check_plane((p + ".v").c_str(), v.data, v.width, v.height, v.stride, cw, ch, frame.c_str());
}

void check_window(const CropRect& r, int src_w, int src_h) {
  std::ostringstream text;
  text.precision(10);
  text << "crop window (x0 " << r.x0 << ", y0 " << r.y0 << ", w " << r.w << ", h " << r.h << ")";
  if (!std::isfinite(r.x0) || !std::isfinite(r.y0) || !std::isfinite(r.w) || !std::isfinite(r.h)) {
    fail(text.str() + " is not finite; pass the planned window in source pixels");
  }
  if (r.w <= 0.0 || r.h <= 0.0) fail(text.str() + " is empty; w and h must be > 0");
  if (r.x0 < -kWindowSlackPx || r.y0 < -kWindowSlackPx || r.x0 + r.w > src_w + kWindowSlackPx ||
      r.y0 + r.h > src_h + kWindowSlackPx) {
    fail(text.str() + " reaches outside the " + size_text(src_w, src_h) +
         " source frame; clamp the window inside the frame");
  }
}

// Tent weights around p (radius r), folded onto [0, n) and trimmed of zero
// ends, into w[0 .. count): weights for samples first .. first + count - 1.
// w must hold ceil(2 r) + 1 values. Returns first.
int folded_tent(double p, double r, int n, double* w, int& count) {
  const int q_lo = static_cast<int>(std::floor(p - r)) + 1;  // first q with q > p - r
  const int q_hi = static_cast<int>(std::ceil(p + r)) - 1;   // last q with q < p + r
  int first = std::clamp(q_lo, 0, n - 1);
  count = std::clamp(q_hi, 0, n - 1) - first + 1;
  std::fill(w, w + count, 0.0);
  for (int q = q_lo; q <= q_hi; ++q) {
    const double t = 1.0 - std::fabs(q - p) / r;
    if (t > 0.0) w[std::clamp(q, 0, n - 1) - first] += t;
  }
  while (count > 1 && w[count - 1] <= 0.0) --count;
  int lead = 0;
  while (lead + 1 < count && w[lead] <= 0.0) ++lead;
  std::copy(w + lead, w + count, w);
  count -= lead;
  return first + lead;
}

}  // namespace

AxisTaps make_axis_taps(double first_pos, double step, int out_count, int src_count) {
  const double radius = std::max(1.0, step);
  const auto span = static_cast<size_t>(std::ceil(2.0 * radius)) + 1;
  const auto outs = static_cast<size_t>(out_count);
  std::vector<double> w(outs * span);
  std::vector<int> first(outs), count(outs);
  AxisTaps axis;
  for (size_t o = 0; o < outs; ++o) {
    first[o] = folded_tent(first_pos + static_cast<double>(o) * step, radius, src_count,
                           &w[o * span], count[o]);
    axis.taps = std::max(axis.taps, count[o]);
  }
  const auto taps = static_cast<size_t>(axis.taps);
  axis.begin.resize(outs);
  axis.weight.assign(outs * taps, 0);
  for (size_t o = 0; o < outs; ++o) {
    const double* wo = &w[o * span];
    const auto n = static_cast<size_t>(count[o]);
    double sum = 0.0;
    for (size_t k = 0; k < n; ++k) sum += wo[k];
    const int begin = std::clamp(first[o], 0, src_count - axis.taps);
    axis.begin[o] = begin;
    int16_t* q = &axis.weight[o * taps + static_cast<size_t>(first[o] - begin)];
    int32_t total = 0;
    size_t largest = 0;
    for (size_t k = 0; k < n; ++k) {
      q[k] = static_cast<int16_t>(std::lround(wo[k] / sum * (1 << kWeightBits)));
      total += q[k];
      if (wo[k] > wo[largest]) largest = k;
    }
    q[largest] = static_cast<int16_t>(q[largest] + (1 << kWeightBits) - total);  // sum 1.0
  }
  return axis;
}

CropScalePlan plan_crop_scale(const YuvPlanes& src, const CropRect& window,
                              const MutableYuvPlanes& dst, const CropScaleOptions& opts) {
  check_yuv420p("src", src.y, src.u, src.v);
  check_yuv420p("dst", dst.y, dst.u, dst.v);
  check_window(window, src.y.width, src.y.height);
  const double sx = window.w / dst.y.width;
  const double sy = window.h / dst.y.height;
  const double lx = window.x0 + 0.5 * sx - 0.5;  // X(0)
  const double ly = window.y0 + 0.5 * sy - 0.5;  // Y(0)
  CropScalePlan plan;
  plan.luma_x = make_axis_taps(lx, sx, dst.y.width, src.y.width);
  plan.luma_y = make_axis_taps(ly, sy, dst.y.height, src.y.height);
  plan.chroma_x = make_axis_taps(lx / 2, sx, dst.u.width, src.u.width);
  plan.chroma_y = make_axis_taps((window.y0 + sy - 1.0) / 2, sy, dst.u.height, src.u.height);
  plan.convert = opts.conversion != ColorConversion::kNone;
  if (plan.convert) {
    plan.matrix = ycbcr_conversion_q14(kBt601, kBt709);
    plan.cl_x = make_axis_taps(lx / 2, sx / 2, dst.y.width, src.u.width);
    plan.cl_y = make_axis_taps((ly - 0.5) / 2, sy / 2, dst.y.height, src.u.height);
  }
  return plan;
}

}  // namespace crop_scale_detail

namespace {
using namespace crop_scale_detail;

// The row loops below use SSE2 (part of every x86-64 CPU) where the compiler
// offers it: at -O2 GCC vectorises no loop that widens 16-bit data. Each
// SIMD loop computes exactly the integer sums of its scalar tail, which are
// the FF_HOST_DEVICE formulas in crop_scale.h, so every path is bit-identical.

// The horizontal pass of one axis: source row -> Q7 row of tx.size() values.
// Taps are read in pairs of adjacent bytes for _mm_madd_epi16, with the pair
// weights laid out per block of 8 outputs. With an odd count >= 3 the last
// pair starts one byte early (taps - 2, taps - 1) with weights (0, last), so
// no read goes past the taps; a single tap is read as one byte.
class HorizontalPass {
 public:
  explicit HorizontalPass(const AxisTaps& tx) : tx_(tx), pairs_((tx.taps + 1) / 2) {
    const int blocks = tx.size() / 8;
    pair_weight_.resize(static_cast<size_t>(blocks) * static_cast<size_t>(pairs_) * 8);
    for (int blk = 0; blk < blocks; ++blk) {
      for (int j = 0; j < pairs_; ++j) {
        const int at = pair_offset(j);
        for (int i = 0; i < 8; ++i) {
          const int16_t* w = &tx.weight[static_cast<size_t>((blk * 8 + i) * tx.taps)];
          const auto first = static_cast<uint16_t>(at == 2 * j ? w[at] : 0);  // 0: counted before
          const auto second = static_cast<uint16_t>(at + 1 < tx.taps ? w[at + 1] : 0);
          pair_weight_[static_cast<size_t>((blk * pairs_ + j) * 8 + i)] =
              static_cast<uint32_t>(first) | static_cast<uint32_t>(second) << 16;
        }
      }
    }
  }

  void run(const uint8_t* row, uint16_t* out) const {
    const int n = tx_.size();
    const int taps = tx_.taps;
    const int32_t* begin = tx_.begin.data();
    int x = 0;
#if defined(__SSE2__)
    const __m128i zero = _mm_setzero_si128();
    const __m128i round = _mm_set1_epi32(1 << (kWeightBits - kMidBits - 1));
    const uint32_t* pw = pair_weight_.data();
    for (; x + 8 <= n; x += 8) {
      __m128i lo = zero, hi = zero;
      for (int j = 0; j < pairs_; ++j, pw += 8) {
        // Lane i: the pair's bytes among output x + i's taps.
        const __m128i v = taps == 1 ? gather<false>(row, begin + x)
                                    : gather<true>(row + pair_offset(j), begin + x);
        const __m128i w_lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(pw));
        const __m128i w_hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(pw + 4));
        lo = _mm_add_epi32(lo, _mm_madd_epi16(_mm_unpacklo_epi8(v, zero), w_lo));
        hi = _mm_add_epi32(hi, _mm_madd_epi16(_mm_unpackhi_epi8(v, zero), w_hi));
      }
      lo = _mm_srai_epi32(_mm_add_epi32(lo, round), kWeightBits - kMidBits);
      hi = _mm_srai_epi32(_mm_add_epi32(hi, round), kWeightBits - kMidBits);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + x), _mm_packs_epi32(lo, hi));
    }
#endif
    const int16_t* weight = tx_.weight.data();
    for (; x < n; ++x) {
      out[x] = static_cast<uint16_t>(horizontal_q7(row + begin[x], weight + x * taps, taps));
    }
  }

 private:
  int pair_offset(int j) const {
    return (tx_.taps % 2 == 1 && tx_.taps > 1 && j == pairs_ - 1) ? tx_.taps - 2 : 2 * j;
  }

#if defined(__SSE2__)
  template <bool kPair>
  static int16_t word_at(const uint8_t* p) {
    if (!kPair) return p[0];
    uint16_t w;
    std::memcpy(&w, p, 2);  // little-endian x86: p[0] | p[1] << 8
    return static_cast<int16_t>(w);
  }

  template <bool kPair>
  static __m128i gather(const uint8_t* row, const int32_t* b) {
    return _mm_set_epi16(word_at<kPair>(row + b[7]), word_at<kPair>(row + b[6]),
                         word_at<kPair>(row + b[5]), word_at<kPair>(row + b[4]),
                         word_at<kPair>(row + b[3]), word_at<kPair>(row + b[2]),
                         word_at<kPair>(row + b[1]), word_at<kPair>(row + b[0]));
  }
#endif

  const AxisTaps& tx_;
  int pairs_;
  std::vector<uint32_t> pair_weight_;  // [block][pair][lane]: first | second << 16
};

// The vertical pass: acc[x] = sum_k w[k] * rows[k][x] (Q21, unrounded).
void vertical_row(const uint16_t* const* rows, const int16_t* w, int taps, int n, int32_t* acc) {
  int x = 0;
#if defined(__SSE2__)
  for (; x + 8 <= n; x += 8) {
    __m128i lo = _mm_setzero_si128(), hi = _mm_setzero_si128();
    for (int k = 0; k < taps; k += 2) {
      const bool pair = k + 1 < taps;
      const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[k] + x));
      const __m128i b = pair ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[k + 1] + x))
                             : _mm_setzero_si128();
      const auto odd = static_cast<uint16_t>(pair ? w[k + 1] : 0);
      const __m128i wk = _mm_set1_epi32(static_cast<int>(
          static_cast<uint32_t>(static_cast<uint16_t>(w[k])) | static_cast<uint32_t>(odd) << 16));
      lo = _mm_add_epi32(lo, _mm_madd_epi16(_mm_unpacklo_epi16(a, b), wk));
      hi = _mm_add_epi32(hi, _mm_madd_epi16(_mm_unpackhi_epi16(a, b), wk));
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(acc + x), lo);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(acc + x + 4), hi);
  }
#endif
  for (; x < n; ++x) {
    int32_t sum = 0;
    for (int k = 0; k < taps; ++k) sum += static_cast<int32_t>(w[k]) * rows[k][x];
    acc[x] = sum;
  }
}

void finish_row(const int32_t* acc, uint8_t* out, int n) {
  int x = 0;
#if defined(__SSE2__)
  const __m128i round = _mm_set1_epi32(1 << (kAccBits - 1));
  for (; x + 8 <= n; x += 8) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(acc + x));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(acc + x + 4));
    const __m128i a8 = _mm_srai_epi32(_mm_add_epi32(a, round), kAccBits);
    const __m128i b8 = _mm_srai_epi32(_mm_add_epi32(b, round), kAccBits);
    const __m128i words = _mm_packs_epi32(a8, b8);  // 0..255: no saturation
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out + x), _mm_packus_epi16(words, words));
  }
#endif
  for (; x < n; ++x) out[x] = q21_to_u8(acc[x]);
}

#if defined(__SSE2__)
// 8 accumulators (Q21) to Q6, centred on `centre` (a Q6 code), as 8 int16.
inline __m128i centred_q6(const int32_t* acc, int32_t centre) {
  const __m128i round =
      _mm_set1_epi32((1 << (kAccBits - kQ6Bits - 1)) - (centre << (kAccBits - kQ6Bits)));
  const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(acc));
  const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(acc + 4));
  return _mm_packs_epi32(_mm_srai_epi32(_mm_add_epi32(lo, round), kAccBits - kQ6Bits),
                         _mm_srai_epi32(_mm_add_epi32(hi, round), kAccBits - kQ6Bits));
}

inline __m128i coefficient_pair(int32_t a, int32_t b) {
  return _mm_set1_epi32(static_cast<int>(static_cast<uint32_t>(static_cast<uint16_t>(a)) |
                                         static_cast<uint32_t>(static_cast<uint16_t>(b)) << 16));
}

// round_clamp_q20 on 2 x 4 sums, to 8 bytes at `out`.
inline void store_round_clamp(__m128i lo, __m128i hi, int offset, int min, int max, uint8_t* out) {
  const __m128i round = _mm_set1_epi32(1 << 19);
  const __m128i words = _mm_packs_epi32(_mm_srai_epi32(_mm_add_epi32(lo, round), 20),
                                        _mm_srai_epi32(_mm_add_epi32(hi, round), 20));
  const __m128i v = _mm_min_epi16(
      _mm_max_epi16(_mm_add_epi16(words, _mm_set1_epi16(static_cast<int16_t>(offset))),
                    _mm_set1_epi16(static_cast<int16_t>(min))),
      _mm_set1_epi16(static_cast<int16_t>(max)));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(out), _mm_packus_epi16(v, v));
}
#endif

// The SIMD paths multiply centred Q6 values by Q14 coefficients as int16.
bool coefficients_fit_int16(const YuvMatrixQ14& m) {
  for (int32_t c : {m.y_cb, m.y_cr, m.cb_cb, m.cb_cr, m.cr_cb, m.cr_cr})
    if (c < -32768 || c > 32767) return false;
  return true;
}

void convert_luma_row(const int32_t* y_acc, const int32_t* cb_acc, const int32_t* cr_acc,
                      uint8_t* out, int n, const YuvMatrixQ14& m) {
  int x = 0;
#if defined(__SSE2__)
  const __m128i y_coef = coefficient_pair(m.y_cb, m.y_cr);
  for (const bool simd = coefficients_fit_int16(m); simd && x + 8 <= n; x += 8) {
    const __m128i y = centred_q6(y_acc + x, 16 << kQ6Bits);  // Q6 luma fits int16
    const __m128i cb = centred_q6(cb_acc + x, 128 << kQ6Bits);
    const __m128i cr = centred_q6(cr_acc + x, 128 << kQ6Bits);
    const __m128i y_lo = _mm_slli_epi32(_mm_srai_epi32(_mm_unpacklo_epi16(y, y), 16), kMatrixBits);
    const __m128i y_hi = _mm_slli_epi32(_mm_srai_epi32(_mm_unpackhi_epi16(y, y), 16), kMatrixBits);
    const __m128i lo = _mm_madd_epi16(_mm_unpacklo_epi16(cb, cr), y_coef);
    const __m128i hi = _mm_madd_epi16(_mm_unpackhi_epi16(cb, cr), y_coef);
    store_round_clamp(_mm_add_epi32(y_lo, lo), _mm_add_epi32(y_hi, hi), 16, 16, 235, out + x);
  }
#endif
  for (; x < n; ++x) {
    out[x] = convert_luma_q6(q21_to_q6(y_acc[x]), q21_to_q6(cb_acc[x]), q21_to_q6(cr_acc[x]), m);
  }
}

void convert_chroma_row(const int32_t* cb_acc, const int32_t* cr_acc, uint8_t* out_u,
                        uint8_t* out_v, int n, const YuvMatrixQ14& m) {
  int x = 0;
#if defined(__SSE2__)
  const __m128i cb_coef = coefficient_pair(m.cb_cb, m.cb_cr);
  const __m128i cr_coef = coefficient_pair(m.cr_cb, m.cr_cr);
  for (const bool simd = coefficients_fit_int16(m); simd && x + 8 <= n; x += 8) {
    const __m128i cb = centred_q6(cb_acc + x, 128 << kQ6Bits);
    const __m128i cr = centred_q6(cr_acc + x, 128 << kQ6Bits);
    const __m128i pair_lo = _mm_unpacklo_epi16(cb, cr), pair_hi = _mm_unpackhi_epi16(cb, cr);
    store_round_clamp(_mm_madd_epi16(pair_lo, cb_coef), _mm_madd_epi16(pair_hi, cb_coef), 128, 16,
                      240, out_u + x);
    store_round_clamp(_mm_madd_epi16(pair_lo, cr_coef), _mm_madd_epi16(pair_hi, cr_coef), 128, 16,
                      240, out_v + x);
  }
#endif
  for (; x < n; ++x) {
    const int32_t cb_q6 = q21_to_q6(cb_acc[x]);
    const int32_t cr_q6 = q21_to_q6(cr_acc[x]);
    out_u[x] = convert_cb_q6(cb_q6, cr_q6, m);
    out_v[x] = convert_cr_q6(cb_q6, cr_q6, m);
  }
}

// Output rows of one plane resampled by (tx, ty), in any order; source rows
// after the horizontal pass are cached in a ring of ty.taps rows, so each is
// filtered once when rows are asked for in increasing order.
class PlaneResampler {
 public:
  PlaneResampler(PlaneView src, const AxisTaps& tx, const AxisTaps& ty)
      : src_(src),
        horizontal_(tx),
        ty_(ty),
        width_(static_cast<size_t>(tx.size())),
        ring_(static_cast<size_t>(ty.taps) * width_),
        ring_row_(static_cast<size_t>(ty.taps), -1),
        rows_(static_cast<size_t>(ty.taps)),
        acc_(width_) {}

  // The Q21 accumulators of output row `out_y`, valid until the next call.
  const int32_t* row_q21(int out_y) {
    const int first = ty_.begin[static_cast<size_t>(out_y)];
    for (int k = 0; k < ty_.taps; ++k) rows_[static_cast<size_t>(k)] = source_row_q7(first + k);
    vertical_row(rows_.data(), &ty_.weight[static_cast<size_t>(out_y * ty_.taps)], ty_.taps,
                 static_cast<int>(width_), acc_.data());
    return acc_.data();
  }

 private:
  const uint16_t* source_row_q7(int src_y) {
    const auto slot = static_cast<size_t>(src_y % ty_.taps);
    uint16_t* out = &ring_[slot * width_];
    if (ring_row_[slot] != src_y) {
      ring_row_[slot] = src_y;
      horizontal_.run(src_.data + static_cast<ptrdiff_t>(src_y) * src_.stride, out);
    }
    return out;
  }

  PlaneView src_;
  HorizontalPass horizontal_;
  const AxisTaps& ty_;
  size_t width_;
  std::vector<uint16_t> ring_;  // ty.taps Q7 rows, slot = source row % ty.taps
  std::vector<int> ring_row_;   // the source row each slot holds
  std::vector<const uint16_t*> rows_;
  std::vector<int32_t> acc_;
};

uint8_t* row_of(const MutablePlane& p, int y) {
  return p.data + static_cast<ptrdiff_t>(y) * p.stride;
}

void scale_plane(PlaneView src, const AxisTaps& tx, const AxisTaps& ty, const MutablePlane& dst) {
  PlaneResampler plane(src, tx, ty);
  for (int y = 0; y < dst.height; ++y) {
    finish_row(plane.row_q21(y), row_of(dst, y), dst.width);
  }
}

void scale_convert(const YuvPlanes& src, const CropScalePlan& plan, const MutableYuvPlanes& dst) {
  const YuvMatrixQ14 m = plan.matrix;
  PlaneResampler luma(src.y, plan.luma_x, plan.luma_y);
  PlaneResampler cb_at_luma(src.u, plan.cl_x, plan.cl_y);
  PlaneResampler cr_at_luma(src.v, plan.cl_x, plan.cl_y);
  for (int y = 0; y < dst.y.height; ++y) {
    const int32_t* ya = luma.row_q21(y);
    const int32_t* cba = cb_at_luma.row_q21(y);
    const int32_t* cra = cr_at_luma.row_q21(y);
    convert_luma_row(ya, cba, cra, row_of(dst.y, y), dst.y.width, m);
  }
  PlaneResampler cb(src.u, plan.chroma_x, plan.chroma_y);
  PlaneResampler cr(src.v, plan.chroma_x, plan.chroma_y);
  for (int y = 0; y < dst.u.height; ++y) {
    const int32_t* cba = cb.row_q21(y);
    const int32_t* cra = cr.row_q21(y);
    convert_chroma_row(cba, cra, row_of(dst.u, y), row_of(dst.v, y), dst.u.width, m);
  }
}

}  // namespace

void crop_scale_cpu(const YuvPlanes& src, const CropRect& window, const MutableYuvPlanes& dst,
                    const CropScaleOptions& opts) {
  const CropScalePlan plan = plan_crop_scale(src, window, dst, opts);
  if (plan.convert) {
    scale_convert(src, plan, dst);
    return;
  }
  scale_plane(src.y, plan.luma_x, plan.luma_y, dst.y);
  scale_plane(src.u, plan.chroma_x, plan.chroma_y, dst.u);
  scale_plane(src.v, plan.chroma_x, plan.chroma_y, dst.v);
}

}  // namespace ff::kernels
