#pragma once
// Planar 8-bit 4:2:0 views of a decoded frame, converting only when the
// decoder's format is something else (NV12, 4:2:2, 10-bit ...). The views
// are valid until the next call or until the frame is unreferenced.
#include <filesystem>
#include <vector>

#include "kernels/plane.h"
#include "media/av.h"

namespace ff::worker {

struct YuvView {
  kernels::PlaneView y, u, v;
};

class FramePlanes {
 public:
  YuvView view_of(const AVFrame& frame, const std::filesystem::path& input);

 private:
  media::SwsContextPtr sws_;
  std::vector<uint8_t> buffer_;
};

}  // namespace ff::worker
