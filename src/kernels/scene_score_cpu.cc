// CPU half of the scene-score kernel (scene_score.h): SSE2's psadbw sums
// 16 absolute differences per instruction into two 64-bit lanes, the scalar
// loop takes each row's last < 16 columns.
#include <cstddef>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "kernels/scene_score.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ff::kernels {

void check_sad_sizes(PlaneView a, PlaneView b) {
  if (a.width != b.width || a.height != b.height || a.width <= 0 || a.height <= 0) {
    throw std::invalid_argument("plane_sad: planes differ in size or are empty (" +
                                std::to_string(a.width) + "x" + std::to_string(a.height) + " and " +
                                std::to_string(b.width) + "x" + std::to_string(b.height) + ")");
  }
}

uint64_t plane_sad_cpu(PlaneView a, PlaneView b) {
  check_sad_sizes(a, b);
  uint64_t sum = 0;
  for (int y = 0; y < a.height; ++y) {
    const uint8_t* pa = a.data + static_cast<ptrdiff_t>(y) * a.stride;
    const uint8_t* pb = b.data + static_cast<ptrdiff_t>(y) * b.stride;
    int x = 0;
#if defined(__SSE2__)
    __m128i acc = _mm_setzero_si128();
    for (; x + 16 <= a.width; x += 16) {
      const __m128i va = _mm_loadu_si128(reinterpret_cast<const __m128i*>(pa + x));
      const __m128i vb = _mm_loadu_si128(reinterpret_cast<const __m128i*>(pb + x));
      acc = _mm_add_epi64(acc, _mm_sad_epu8(va, vb));
    }
    sum += static_cast<uint64_t>(_mm_cvtsi128_si64(acc)) +
           static_cast<uint64_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(acc, acc)));
#endif
    for (; x < a.width; ++x) sum += static_cast<uint64_t>(std::abs(pa[x] - pb[x]));
  }
  return sum;
}

}  // namespace ff::kernels
