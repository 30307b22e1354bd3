#pragma once
// Box bounds shared by the CPU and CUDA downscale twins, so both average
// exactly the same source pixels.
#include <stdexcept>
#include <string>

#include "kernels/host_device.h"

namespace ff::kernels {

struct BoxBounds {
  int begin;
  int end;
};

// Source range [begin, end) averaged into output index `i`.
FF_HOST_DEVICE inline BoxBounds box_bounds(int i, int src_size, int dst_size) {
  const long long begin = static_cast<long long>(i) * src_size / dst_size;
  long long end = static_cast<long long>(i + 1) * src_size / dst_size;
  if (end <= begin) end = begin + 1;
  return {static_cast<int>(begin), static_cast<int>(end)};
}

inline void check_downscale_sizes(int src_w, int src_h, int dst_w, int dst_h) {
  if (src_w <= 0 || src_h <= 0 || dst_w <= 0 || dst_h <= 0 || dst_w > src_w || dst_h > src_h) {
    throw std::invalid_argument("downscale_area: cannot downscale " + std::to_string(src_w) + "x" +
                                std::to_string(src_h) + " to " + std::to_string(dst_w) + "x" +
                                std::to_string(dst_h));
  }
}

}  // namespace ff::kernels
