// CPU half of the analysis downscale (downscale.h).
//
// Separable and exact: for each output row, the source rows of its box are
// summed per column into 16-bit column sums (SSE2 where the compiler offers
// it, 16 columns at a time kept in registers), then each output pixel adds
// the column sums of its box and divides by the box area. When the width
// shrinks by exactly 2, 4 or 8 the column sums are added in registers too. Integer sums do
// not depend on the order of the additions, so the result is the rounded box
// mean of the definition, bit for bit (and so the CUDA twin's).
//
// The division `(sum + n/2) / n` is a multiply by m = ceil(2^48 / n) and a
// shift by 48. With x = sum + n/2 < 256 n and e = m n - 2^48 in [0, n):
// x m / 2^48 = x / n + x e / (n 2^48), and x e < 256 n^2 <= 2^48 whenever
// n <= 2^20, so the fractional part never reaches the next integer and the
// quotient is exact; x m < 2^56 + 256 n fits in 64 bits. Larger boxes divide.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "kernels/downscale.h"
#include "kernels/downscale_bounds.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ff::kernels {
namespace {

constexpr int kMagicShift = 48;
constexpr uint32_t kMaxMagicArea = 1u << 20;

// Rounded quotient (sum + n/2) / n for one box area n.
struct RoundedDivider {
  uint32_t n = 1;
  uint64_t m = 0;  // 0: divide
  explicit RoundedDivider(uint32_t area) : n(area) {
    if (area <= kMaxMagicArea) m = ((uint64_t{1} << kMagicShift) + area - 1) / area;
  }
  uint8_t operator()(uint64_t sum) const {
    const uint64_t x = sum + n / 2;
    return static_cast<uint8_t>(m != 0 ? (x * m) >> kMagicShift : x / n);
  }
};

// Column sums over `rows` source rows starting at `first`, for columns
// [0, width): out[x] = sum of first[r * stride + x].
template <typename Acc>
void sum_rows(const uint8_t* first, int stride, int rows, int width, Acc* out) {
  int x = 0;
#if defined(__SSE2__)
  if constexpr (sizeof(Acc) == 2) {
    const __m128i zero = _mm_setzero_si128();
    for (; x + 16 <= width; x += 16) {
      __m128i lo = zero;
      __m128i hi = zero;
      const uint8_t* p = first + x;
      for (int r = 0; r < rows; ++r, p += stride) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        lo = _mm_add_epi16(lo, _mm_unpacklo_epi8(v, zero));
        hi = _mm_add_epi16(hi, _mm_unpackhi_epi8(v, zero));
      }
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + x), lo);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + x + 8), hi);
    }
  }
#endif
  for (; x < width; ++x) {
    Acc sum = 0;
    const uint8_t* p = first + x;
    for (int r = 0; r < rows; ++r, p += stride) sum = static_cast<Acc>(sum + *p);
    out[x] = sum;
  }
}

// Acc holds a column sum of up to `max_rows` rows: uint16_t while
// max_rows * 255 fits, else uint32_t (then a box sum may need 64 bits).
template <typename Acc>
void downscale_rows(PlaneView src, MutablePlane dst) {
  using Sum = std::conditional_t<sizeof(Acc) == 2, uint32_t, uint64_t>;
  const auto dw = static_cast<size_t>(dst.width);
  std::vector<int> x0(dw);
  std::vector<int> cols(dw);
  for (int x = 0; x < dst.width; ++x) {
    const BoxBounds b = box_bounds(x, src.width, dst.width);
    x0[static_cast<size_t>(x)] = b.begin;
    cols[static_cast<size_t>(x)] = b.end - b.begin;
  }
  // Box heights are floor(H/h) or that + 1; one divider per (height, column).
  const int min_rows = src.height / dst.height;
  std::vector<RoundedDivider> div[2];
  for (int k = 0; k < 2; ++k) {
    div[k].reserve(dw);
    for (size_t x = 0; x < dw; ++x) {
      div[k].emplace_back(static_cast<uint32_t>((min_rows + k) * cols[x]));
    }
  }
  std::vector<Acc> column_sum(static_cast<size_t>(src.width));
  for (int y = 0; y < dst.height; ++y) {
    const BoxBounds by = box_bounds(y, src.height, dst.height);
    const int rows = by.end - by.begin;
    sum_rows(src.data + static_cast<ptrdiff_t>(by.begin) * src.stride, src.stride, rows, src.width,
             column_sum.data());
    const std::vector<RoundedDivider>& d = div[rows - min_rows];
    uint8_t* out = dst.data + static_cast<ptrdiff_t>(y) * dst.stride;
    for (size_t x = 0; x < dw; ++x) {
      const Acc* c = column_sum.data() + x0[x];
      Sum sum = 0;
      for (int i = 0; i < cols[x]; ++i) sum += c[i];
      out[x] = d[x](sum);
    }
  }
}

#if defined(__SSE2__)
// Horizontal factor k = 2, 4 or 8 exactly (src.width == k * dst.width), the
// analysis downscale's usual case (1920 -> 480): the box sums of 16 source
// columns are reduced in registers by pairwise _mm_madd_epi16 steps, which
// read signed 16-bit lanes, so a sum of k/2 columns of `max_rows` rows must
// stay <= 32767 (the caller checks).
template <int K>
void downscale_pow2(PlaneView src, MutablePlane dst) {
  const int min_rows = src.height / dst.height;
  const RoundedDivider div[2] = {RoundedDivider(static_cast<uint32_t>(min_rows * K)),
                                 RoundedDivider(static_cast<uint32_t>((min_rows + 1) * K))};
  std::vector<uint32_t> box_sum(static_cast<size_t>(dst.width));
  const __m128i zero = _mm_setzero_si128();
  const __m128i ones = _mm_set1_epi16(1);
  for (int y = 0; y < dst.height; ++y) {
    const BoxBounds by = box_bounds(y, src.height, dst.height);
    const int rows = by.end - by.begin;
    const uint8_t* first = src.data + static_cast<ptrdiff_t>(by.begin) * src.stride;
    int x = 0;
    for (; x + 16 <= src.width; x += 16) {
      __m128i lo = zero;
      __m128i hi = zero;
      const uint8_t* p = first + x;
      for (int r = 0; r < rows; ++r, p += src.stride) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        lo = _mm_add_epi16(lo, _mm_unpacklo_epi8(v, zero));
        hi = _mm_add_epi16(hi, _mm_unpackhi_epi8(v, zero));
      }
      __m128i sums = _mm_madd_epi16(lo, ones);  // 4 sums of 2 columns
      __m128i sums_hi = _mm_madd_epi16(hi, ones);
      uint32_t* out = box_sum.data() + x / K;
      if constexpr (K == 2) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out), sums);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 4), sums_hi);
        continue;
      }
      sums = _mm_madd_epi16(_mm_packs_epi32(sums, sums_hi), ones);  // 4 sums of 4
      if constexpr (K == 4) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out), sums);
        continue;
      }
      sums = _mm_madd_epi16(_mm_packs_epi32(sums, zero), ones);  // 2 sums of 8
      _mm_storel_epi64(reinterpret_cast<__m128i*>(out), sums);
    }
    for (; x < src.width; x += K) {  // the last < 16 columns, whole boxes
      uint32_t sum = 0;
      const uint8_t* p = first + x;
      for (int r = 0; r < rows; ++r, p += src.stride) {
        for (int i = 0; i < K; ++i) sum += p[i];
      }
      box_sum[static_cast<size_t>(x / K)] = sum;
    }
    const RoundedDivider& d = div[rows - min_rows];
    uint8_t* out = dst.data + static_cast<ptrdiff_t>(y) * dst.stride;
    for (int i = 0; i < dst.width; ++i) out[i] = d(box_sum[static_cast<size_t>(i)]);
  }
}
#endif

}  // namespace

void downscale_area_cpu(PlaneView src, MutablePlane dst) {
  check_downscale_sizes(src.width, src.height, dst.width, dst.height);
  const int max_rows = (src.height + dst.height - 1) / dst.height;
#if defined(__SSE2__)
  const int k = src.width % dst.width == 0 ? src.width / dst.width : 0;
  if ((k == 2 || k == 4 || k == 8) && max_rows * 255 * (k / 2) <= 32767) {
    if (k == 2) return downscale_pow2<2>(src, dst);
    if (k == 4) return downscale_pow2<4>(src, dst);
    return downscale_pow2<8>(src, dst);
  }
#endif
  if (max_rows <= 65535 / 255) {
    downscale_rows<uint16_t>(src, dst);
  } else {
    downscale_rows<uint32_t>(src, dst);
  }
}

}  // namespace ff::kernels
