#include "worker/render_task.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <opencv2/core.hpp>

#include "core/error.h"
#include "media/segment_file.h"
#include "media/video_decoder.h"
#include "worker/frame_planes.h"

namespace ff::worker {
namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// The decoded picture turned upright (display orientation), when the stream
// carries a rotation; otherwise the decoder's own planes.
class Upright {
 public:
  kernels::YuvPlanes apply(const YuvView& yuv, int rotation_deg) {
    if (rotation_deg == 0) return {yuv.y, yuv.u, yuv.v};
    return {rotate(yuv.y, rotation_deg, y_), rotate(yuv.u, rotation_deg, u_),
            rotate(yuv.v, rotation_deg, v_)};
  }

 private:
  static kernels::PlaneView rotate(kernels::PlaneView p, int rotation_deg, cv::Mat& out) {
    const cv::Mat in(p.height, p.width, CV_8UC1, const_cast<uint8_t*>(p.data),
                     static_cast<size_t>(p.stride));
    const int code = rotation_deg == 90    ? cv::ROTATE_90_COUNTERCLOCKWISE
                     : rotation_deg == -90 ? cv::ROTATE_90_CLOCKWISE
                                           : cv::ROTATE_180;
    cv::rotate(in, out, code);
    return {out.data, out.cols, out.rows, static_cast<int>(out.step)};
  }
  cv::Mat y_, u_, v_;
};

media::FramePtr make_output_frame(int width, int height) {
  media::FramePtr frame = media::make_frame();
  frame->format = AV_PIX_FMT_YUV420P;
  frame->width = width;
  frame->height = height;
  frame->color_primaries = AVCOL_PRI_BT709;
  frame->color_trc = AVCOL_TRC_BT709;
  frame->colorspace = AVCOL_SPC_BT709;
  frame->color_range = AVCOL_RANGE_MPEG;
  media::av_check(av_frame_get_buffer(frame.get(), 0), "av_frame_get_buffer", {});
  return frame;
}

}  // namespace

kernels::ColorConversion conversion_for(const media::VideoInfo& video) {
  const std::string& m = video.color_space;
  const bool bt601 = m == "bt470bg" || m == "smpte170m" ||
                     ((m == "unknown" || m.empty()) && video.display_height < 720);
  return bt601 ? kernels::ColorConversion::kBt601ToBt709 : kernels::ColorConversion::kNone;
}

std::string segment_key(const RenderContext& context, int32_t segment_index) {
  const analysis::Segment& s = context.segments[static_cast<size_t>(segment_index)];
  // A hash of the segment's windows and source frames: any change re-renders it.
  size_t h = std::hash<std::string>{}(context.plan_key);
  const auto mix = [&h](double v) {
    h ^= std::hash<double>{}(v) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  };
  for (int64_t n = s.out.begin; n < s.out.end; ++n) {
    const auto& w = context.crop[static_cast<size_t>(n)];
    mix(w.cx);
    mix(w.cy);
    mix(w.w);
    mix(w.h);
    mix(static_cast<double>(context.grid_src[static_cast<size_t>(n)]));
  }
  return context.plan_key + "|seg=" + std::to_string(s.id) + ":" + std::to_string(s.out.begin) +
         "-" + std::to_string(s.out.end) + "|windows=" + std::to_string(h);
}

RenderResult render_segment(const std::filesystem::path& input, const RenderContext& context,
                            int32_t segment_index, const std::filesystem::path& segments_dir,
                            const media::EncoderSettings& settings) {
  const analysis::Segment& seg = context.segments[static_cast<size_t>(segment_index)];
  RenderResult result;
  result.segment = segment_index;
  result.frames = seg.out.size();
  const std::string key = segment_key(context, segment_index);
  if (media::segment_is_done(segments_dir, static_cast<int>(seg.id), seg.out.size(), key)) {
    const auto record = media::read_segment_record(segments_dir, static_cast<int>(seg.id));
    result.reused = true;
    result.bytes = record ? record->bytes : 0;
    std::strncpy(result.encoder, record ? record->encoder.c_str() : "", sizeof result.encoder - 1);
    return result;
  }

  const int64_t first_src = context.grid_src[static_cast<size_t>(seg.out.begin)];
  const int64_t first_pts = context.src_pts[static_cast<size_t>(first_src)];
  const auto key_it =
      std::upper_bound(context.keyframe_pts.begin(), context.keyframe_pts.end(), first_pts);
  const int64_t seek_pts = key_it == context.keyframe_pts.begin() ? first_pts : *std::prev(key_it);

  media::VideoDecoder decoder(input, context.video.stream_index,
                              {.threads = 1, .skip_loop_filter = false, .tolerate_errors = false});
  decoder.seek(seek_pts);
  media::VideoEncoder encoder(settings);
  media::SegmentFile file({.dir = segments_dir,
                           .id = static_cast<int>(seg.id),
                           .frames = seg.out.size(),
                           .plan_key = key},
                          encoder);
  media::FramePtr out = make_output_frame(settings.width, settings.height);
  FramePlanes planes;
  Upright upright;
  kernels::YuvPlanes source{};
  int64_t current_src = -1;
  const AVFrame* frame = nullptr;
  const kernels::CropScaleOptions options{context.conversion};

  for (int64_t n = seg.out.begin; n < seg.out.end; ++n) {
    const int64_t want = context.grid_src[static_cast<size_t>(n)];
    auto t0 = Clock::now();
    while (current_src < want) {
      frame = decoder.next();
      if (frame == nullptr) {
        throw RuntimeError(input.string() + ": segment " + std::to_string(seg.id) +
                           " ran out of frames before source frame " + std::to_string(want) +
                           "; the input changed since the scan or is damaged");
      }
      const int64_t pts = frame->best_effort_timestamp;
      const auto it = std::lower_bound(context.src_pts.begin(), context.src_pts.end(), pts);
      if (it == context.src_pts.end() || *it != pts) {
        if (pts < first_pts) continue;  // pre-roll before the segment
        throw RuntimeError(input.string() + ": decoded a frame at pts " + std::to_string(pts) +
                           " the scan never saw; the input changed since the scan");
      }
      current_src = it - context.src_pts.begin();
    }
    if (current_src != want) {
      throw RuntimeError(input.string() + ": source frame " + std::to_string(want) +
                         " did not decode for segment " + std::to_string(seg.id));
    }
    const YuvView yuv = planes.view_of(*frame, input);
    source = upright.apply(yuv, context.video.rotation_deg);
    result.decode_s += since(t0);

    t0 = Clock::now();
    media::av_check(av_frame_make_writable(out.get()), "av_frame_make_writable", input);
    const analysis::CropWindow& w = context.crop[static_cast<size_t>(n)];
    kernels::CropRect rect{w.cx - w.w / 2, w.cy - w.h / 2, w.w, w.h};
    rect.x0 = std::clamp(rect.x0, 0.0, std::max(0.0, source.y.width - rect.w));
    rect.y0 = std::clamp(rect.y0, 0.0, std::max(0.0, source.y.height - rect.h));
    const kernels::MutableYuvPlanes dst{
        {out->data[0], out->width, out->height, out->linesize[0]},
        {out->data[1], (out->width + 1) / 2, (out->height + 1) / 2, out->linesize[1]},
        {out->data[2], (out->width + 1) / 2, (out->height + 1) / 2, out->linesize[2]}};
    kernels::crop_scale_cpu(source, rect, dst, options);
    result.scale_s += since(t0);

    t0 = Clock::now();
    out->pts = n - seg.out.begin;
    encoder.encode(out.get());
    file.write_ready(encoder);
    result.encode_s += since(t0);
  }
  const auto t0 = Clock::now();
  encoder.flush();
  file.write_ready(encoder);
  const media::SegmentRecord record = file.finish();
  result.encode_s += since(t0);
  result.bytes = record.bytes;
  std::strncpy(result.encoder, encoder.name().c_str(), sizeof result.encoder - 1);
  return result;
}

}  // namespace ff::worker
