#include <stdexcept>
#include <vector>

#include "kernels/downscale.h"
#include "kernels/downscale_bounds.h"

namespace ff::kernels {

void downscale_area_cpu(PlaneView src, MutablePlane dst) {
  check_downscale_sizes(src.width, src.height, dst.width, dst.height);
  std::vector<int> x0(static_cast<size_t>(dst.width));
  std::vector<int> x1(static_cast<size_t>(dst.width));
  for (int x = 0; x < dst.width; ++x) {
    const BoxBounds b = box_bounds(x, src.width, dst.width);
    x0[static_cast<size_t>(x)] = b.begin;
    x1[static_cast<size_t>(x)] = b.end;
  }
  for (int y = 0; y < dst.height; ++y) {
    const BoxBounds by = box_bounds(y, src.height, dst.height);
    uint8_t* out = dst.data + static_cast<ptrdiff_t>(y) * dst.stride;
    for (int x = 0; x < dst.width; ++x) {
      const int bx0 = x0[static_cast<size_t>(x)];
      const int bx1 = x1[static_cast<size_t>(x)];
      uint32_t sum = 0;
      for (int sy = by.begin; sy < by.end; ++sy) {
        const uint8_t* row = src.data + static_cast<ptrdiff_t>(sy) * src.stride;
        for (int sx = bx0; sx < bx1; ++sx) sum += row[sx];
      }
      const auto count = static_cast<uint32_t>((by.end - by.begin) * (bx1 - bx0));
      out[x] = static_cast<uint8_t>((sum + count / 2) / count);
    }
  }
}

}  // namespace ff::kernels
