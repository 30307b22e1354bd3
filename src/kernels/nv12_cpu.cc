// CPU half of the NV12 chroma split (nv12.h): the reference the CUDA twin is
// tested against. A plain byte loop; the render's device path uses the CUDA
// twin, and CPU-decoded frames never need it (they come as yuv420p, or go
// through libswscale in worker/frame_planes.cc).
#include <cstddef>
#include <stdexcept>
#include <string>

#include "kernels/nv12.h"

namespace ff::kernels {
namespace {

std::string size_of(int w, int h) {
  return std::to_string(w) + "x" + std::to_string(h);
}

}  // namespace

void check_deinterleave_uv(PlaneView uv, MutablePlane u, MutablePlane v) {
  if (uv.data == nullptr || u.data == nullptr || v.data == nullptr) {
    throw std::invalid_argument("deinterleave_uv: a plane has no data");
  }
  if (uv.width <= 0 || uv.height <= 0) {
    throw std::invalid_argument("deinterleave_uv: the uv plane is " + size_of(uv.width, uv.height) +
                                "; it needs a positive size");
  }
  const auto check_plane = [&uv](const char* name, const MutablePlane& p) {
    if (p.width != uv.width || p.height != uv.height) {
      throw std::invalid_argument(std::string("deinterleave_uv: ") + name + " is " +
                                  size_of(p.width, p.height) + " but the uv plane holds " +
                                  size_of(uv.width, uv.height) + " chroma samples");
    }
    if (p.stride < p.width) {
      throw std::invalid_argument(std::string("deinterleave_uv: ") + name + " stride " +
                                  std::to_string(p.stride) + " is shorter than its " +
                                  std::to_string(p.width) + "-byte row");
    }
  };
  check_plane("u", u);
  check_plane("v", v);
  if (uv.stride < 2 * uv.width) {
    throw std::invalid_argument("deinterleave_uv: uv stride " + std::to_string(uv.stride) +
                                " is shorter than its " + std::to_string(2 * uv.width) +
                                "-byte row (" + std::to_string(uv.width) + " U, V pairs)");
  }
}

void deinterleave_uv_cpu(PlaneView uv, MutablePlane u, MutablePlane v) {
  check_deinterleave_uv(uv, u, v);
  for (int y = 0; y < uv.height; ++y) {
    const uint8_t* in = uv.data + static_cast<ptrdiff_t>(y) * uv.stride;
    uint8_t* out_u = u.data + static_cast<ptrdiff_t>(y) * u.stride;
    uint8_t* out_v = v.data + static_cast<ptrdiff_t>(y) * v.stride;
    for (int x = 0; x < uv.width; ++x) {
      out_u[x] = in[2 * x];
      out_v[x] = in[2 * x + 1];
    }
  }
}

}  // namespace ff::kernels
