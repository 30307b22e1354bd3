#include "worker/frame_planes.h"

#include <string>

#include "core/error.h"

namespace ff::worker {

YuvView FramePlanes::view_of(const AVFrame& frame, const std::filesystem::path& input) {
  const int w = frame.width;
  const int h = frame.height;
  const int cw = (w + 1) / 2;
  const int ch = (h + 1) / 2;
  const auto format = static_cast<AVPixelFormat>(frame.format);
  if (format == AV_PIX_FMT_YUV420P || format == AV_PIX_FMT_YUVJ420P) {
    return {{frame.data[0], w, h, frame.linesize[0]},
            {frame.data[1], cw, ch, frame.linesize[1]},
            {frame.data[2], cw, ch, frame.linesize[2]}};
  }
  sws_.reset(sws_getCachedContext(sws_.release(), w, h, format, w, h, AV_PIX_FMT_YUV420P,
                                  SWS_BILINEAR, nullptr, nullptr, nullptr));
  if (!sws_) {
    throw RuntimeError(
        input.string() + ": cannot convert pixel format " +
        std::string(av_get_pix_fmt_name(format) ? av_get_pix_fmt_name(format) : "?") +
        " to yuv420p");
  }
  buffer_.resize(static_cast<size_t>(w * h + 2 * cw * ch));
  uint8_t* dst[4] = {buffer_.data(), buffer_.data() + w * h, buffer_.data() + w * h + cw * ch,
                     nullptr};
  int dst_stride[4] = {w, cw, cw, 0};
  sws_scale(sws_.get(), frame.data, frame.linesize, 0, h, dst, dst_stride);
  return {{dst[0], w, h, w}, {dst[1], cw, ch, cw}, {dst[2], cw, ch, cw}};
}

}  // namespace ff::worker
