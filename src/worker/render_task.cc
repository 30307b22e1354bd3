#include "worker/render_task.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <opencv2/core.hpp>
#include <optional>

#include "core/error.h"
#include "core/log.h"
#include "media/segment_file.h"
#include "media/video_decoder.h"
#include "worker/frame_planes.h"
#include "worker/render_device.h"

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

// Decodes forward to the source frame each output frame shows: frames before
// the segment's first source frame are dropped, a source frame shown by
// several output frames is decoded once.
class SourceCursor {
 public:
  SourceCursor(media::VideoDecoder& decoder, const RenderContext& context,
               const std::filesystem::path& input, int64_t segment_id, int64_t first_pts)
      : decoder_(decoder),
        context_(context),
        input_(input),
        segment_id_(segment_id),
        first_pts_(first_pts) {}

  // The decoded frame of source frame `want` (not before the previous one's),
  // valid until the next call.
  const AVFrame* advance(int64_t want) {
    fresh_ = current_src_ < want;
    while (current_src_ < want) {
      frame_ = decoder_.next();
      if (frame_ == nullptr) {
        throw RuntimeError(input_.string() + ": segment " + std::to_string(segment_id_) +
                           " ran out of frames before source frame " + std::to_string(want) +
                           "; the input changed since the scan or is damaged");
      }
      const int64_t pts = frame_->best_effort_timestamp;
      const auto it = std::lower_bound(context_.src_pts.begin(), context_.src_pts.end(), pts);
      if (it == context_.src_pts.end() || *it != pts) {
        if (pts < first_pts_) continue;  // pre-roll before the segment
        throw RuntimeError(input_.string() + ": decoded a frame at pts " + std::to_string(pts) +
                           " the scan never saw; the input changed since the scan");
      }
      current_src_ = it - context_.src_pts.begin();
    }
    if (current_src_ != want) {
      throw RuntimeError(input_.string() + ": source frame " + std::to_string(want) +
                         " did not decode for segment " + std::to_string(segment_id_));
    }
    return frame_;
  }
  // Whether the last advance() decoded a new frame (else it repeats one).
  bool fresh() const { return fresh_; }

 private:
  media::VideoDecoder& decoder_;
  const RenderContext& context_;
  const std::filesystem::path& input_;
  int64_t segment_id_;
  int64_t first_pts_;
  int64_t current_src_ = -1;
  const AVFrame* frame_ = nullptr;
  bool fresh_ = false;
};

// The planned window as the kernels take it, clamped inside the source.
kernels::CropRect window_rect(const analysis::CropWindow& w, int src_width, int src_height) {
  kernels::CropRect rect{w.cx - w.w / 2, w.cy - w.h / 2, w.w, w.h};
  rect.x0 = std::clamp(rect.x0, 0.0, std::max(0.0, src_width - rect.w));
  rect.y0 = std::clamp(rect.y0, 0.0, std::max(0.0, src_height - rect.h));
  return rect;
}

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
                            const media::EncoderSettings& settings, core::Device farm_device) {
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
    std::strncpy(result.path, "reused", sizeof result.path - 1);
    return result;
  }

  const int64_t first_src = context.grid_src[static_cast<size_t>(seg.out.begin)];
  const int64_t first_pts = context.src_pts[static_cast<size_t>(first_src)];
  const auto key_it =
      std::upper_bound(context.keyframe_pts.begin(), context.keyframe_pts.end(), first_pts);
  const int64_t seek_pts = key_it == context.keyframe_pts.begin() ? first_pts : *std::prev(key_it);

  // Rotated input stays on the CPU path: Upright turns the planes with
  // cv::rotate in host memory, and there is no rotation kernel on the device.
  const bool want_device = context.video.rotation_deg == 0 && render_on_cuda(farm_device);
  media::VideoDecoder decoder(
      input, context.video.stream_index,
      {.threads = 1, .skip_loop_filter = false, .tolerate_errors = false, .cuda = want_device});
  decoder.seek(seek_pts);
  SourceCursor cursor(decoder, context, input, seg.id, first_pts);
  auto t0 = Clock::now();
  const AVFrame* frame = cursor.advance(first_src);
  result.decode_s += since(t0);

  // The path is chosen on the segment's first frame: the device path when it
  // came from NVDEC as 8-bit 4:2:0.
  const AVBufferRef* device_frames = nullptr;
#if defined(FRAMEFARM_HAVE_CUDA)
  std::optional<DeviceScaler> gpu;
  if (want_device) {
    std::string why = decoder.hw_fallback_reason();
    if (why.empty()) why = device_frame_problem(*frame);
    if (why.empty()) {
      gpu.emplace(settings.width, settings.height);
      device_frames = gpu->frames();
    } else {
      FF_INFO("render: segment " << seg.id << " decodes and scales on the CPU: " << why);
    }
  }
#endif
  media::VideoEncoder encoder(settings, device_frames);
  const std::string encoder_word = encoder.name() == "h264_nvenc" ? "nvenc" : "x264";
  const std::string path = (device_frames != nullptr ? "nvdec+cuda+" : "cpu+") + encoder_word;
  media::SegmentFile file({.dir = segments_dir,
                           .id = static_cast<int>(seg.id),
                           .frames = seg.out.size(),
                           .plan_key = key},
                          encoder);
  media::FramePtr out = make_output_frame(settings.width, settings.height);
  media::FramePtr downloaded;  // a device frame copied down for the CPU path
  FramePlanes planes;
  Upright upright;
  kernels::YuvPlanes source{};
  const kernels::CropScaleOptions options{context.conversion};

  for (int64_t n = seg.out.begin; n < seg.out.end; ++n) {
    t0 = Clock::now();
    if (n != seg.out.begin) frame = cursor.advance(context.grid_src[static_cast<size_t>(n)]);
    const analysis::CropWindow& w = context.crop[static_cast<size_t>(n)];
    AVFrame* to_encode = nullptr;
#if defined(FRAMEFARM_HAVE_CUDA)
    if (gpu) {
      result.decode_s += since(t0);
      t0 = Clock::now();
      if (cursor.fresh()) gpu->load(*frame, input);
      to_encode = gpu->scale(window_rect(w, gpu->source_width(), gpu->source_height()), options,
                             encoder.takes_device_frames(), out.get());
      result.scale_s += since(t0);
    }
#endif
    if (to_encode == nullptr) {
      if (cursor.fresh()) {
        const AVFrame* host = frame;
        if (frame->hw_frames_ctx != nullptr) host = download_frame(*frame, downloaded, input);
        source = upright.apply(planes.view_of(*host, input), context.video.rotation_deg);
      }
      result.decode_s += since(t0);
      t0 = Clock::now();
      media::av_check(av_frame_make_writable(out.get()), "av_frame_make_writable", input);
      const kernels::MutableYuvPlanes dst{
          {out->data[0], out->width, out->height, out->linesize[0]},
          {out->data[1], (out->width + 1) / 2, (out->height + 1) / 2, out->linesize[1]},
          {out->data[2], (out->width + 1) / 2, (out->height + 1) / 2, out->linesize[2]}};
      kernels::crop_scale_cpu(source, window_rect(w, source.y.width, source.y.height), dst,
                              options);
      to_encode = out.get();
      result.scale_s += since(t0);
    }

    t0 = Clock::now();
    to_encode->pts = n - seg.out.begin;
    encoder.encode(to_encode);
    file.write_ready(encoder);
    result.encode_s += since(t0);
  }
  t0 = Clock::now();
  encoder.flush();
  file.write_ready(encoder);
  const media::SegmentRecord record = file.finish();
  result.encode_s += since(t0);
  result.bytes = record.bytes;
  std::strncpy(result.encoder, encoder.name().c_str(), sizeof result.encoder - 1);
  std::strncpy(result.path, path.c_str(), sizeof result.path - 1);
  return result;
}

}  // namespace ff::worker
