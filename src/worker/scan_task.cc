#include "worker/scan_task.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <opencv2/core.hpp>
#include <optional>

#include "core/bytes.h"
#include "core/error.h"
#include "kernels/downscale.h"
#include "media/video_decoder.h"
#include "worker/frame_planes.h"

namespace ff::worker {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Gray analysis frames of the last few source frames, for lower-face activity.
class GrayHistory {
 public:
  static constexpr size_t kDepth = 6;  // five consecutive differences
  void push(cv::Mat gray) {
    frames_.push_back(std::move(gray));
    if (frames_.size() > kDepth) frames_.pop_front();
  }
  void clear() { frames_.clear(); }
  // Mean lower-face change of `face` over the consecutive pairs held.
  float activity(const analysis::FaceBox& face) const {
    if (frames_.size() < 2) return 0.f;
    const cv::Mat& any = frames_.back();
    const analysis::PixelRect rect = analysis::lower_face_rect(face, any.cols, any.rows);
    double sum = 0;
    for (size_t i = 1; i < frames_.size(); ++i) {
      sum += analysis::region_activity(view(frames_[i - 1]), view(frames_[i]), rect);
    }
    return static_cast<float>(sum / static_cast<double>(frames_.size() - 1));
  }

 private:
  static kernels::PlaneView view(const cv::Mat& m) {
    return {m.data, m.cols, m.rows, static_cast<int>(m.step)};
  }
  std::deque<cv::Mat> frames_;
};

cv::Mat rotate_upright(const cv::Mat& gray, int rotation_deg) {
  if (rotation_deg == 0) return gray;
  cv::Mat out;
  const int code = rotation_deg == 90    ? cv::ROTATE_90_COUNTERCLOCKWISE
                   : rotation_deg == -90 ? cv::ROTATE_90_CLOCKWISE
                                         : cv::ROTATE_180;
  cv::rotate(gray, out, code);
  return out;
}

}  // namespace

ChunkScan scan_chunk(const std::filesystem::path& input, const media::VideoInfo& video,
                     const ScanChunk& chunk, const ScanParams& params) {
  ChunkScan result;
  result.chunk_id = chunk.id;
  const int aw = std::min(params.analysis_width, video.width) & ~1;
  const int ah = std::max(
      2, static_cast<int>(std::lround(static_cast<double>(aw) * video.height / video.width)) & ~1);
  const bool sideways = video.rotation_deg == 90 || video.rotation_deg == -90;
  result.analysis_width = sideways ? ah : aw;
  result.analysis_height = sideways ? aw : ah;

  std::optional<analysis::FaceDetector> detector;
  if (params.detect_faces) detector.emplace(params.detector);
  analysis::FaceTracker tracker(params.tracker, chunk.id * 10000);
  GrayHistory history;
  const double tb = video.time_base.value();

  media::VideoDecoder decoder(input, video.stream_index,
                              {.threads = 1, .skip_loop_filter = true, .tolerate_errors = false});
  decoder.seek(chunk.start_pts);
  FramePlanes planes;
  analysis::Thumbnail previous;
  double last_full_s = -1e9;
  double last_detect_s = -1e9;
  while (true) {
    auto t0 = Clock::now();
    const AVFrame* frame = decoder.next();
    result.decode_s += seconds_since(t0);
    if (frame == nullptr) break;
    const int64_t pts = frame->best_effort_timestamp;
    if (pts == AV_NOPTS_VALUE) {
      throw RuntimeError(input.string() + ": a decoded frame has no timestamp; remux the input");
    }
    if (pts < chunk.start_pts) continue;  // leading picture: the previous chunk's
    if (pts >= chunk.end_pts) break;
    t0 = Clock::now();
    const YuvView yuv = planes.view_of(*frame, input);
    const analysis::Thumbnail thumb = analysis::make_thumbnail(yuv.y, yuv.u, yuv.v);
    ScannedFrame sf;
    sf.pts = pts;
    sf.mean_luma = thumb.mean_luma();
    kernels::downscale_area_cpu({thumb.y.data(), analysis::Thumbnail::kLumaW,
                                 analysis::Thumbnail::kLumaH, analysis::Thumbnail::kLumaW},
                                {sf.signature.data(), 8, 8, 8});
    sf.scene_score = result.frames.empty() ? std::numeric_limits<float>::quiet_NaN()
                                           : analysis::scene_score(previous, thumb);
    if (result.frames.empty()) result.first = thumb;
    previous = thumb;
    const auto local = static_cast<int64_t>(result.frames.size());
    result.frames.push_back(sf);

    if (detector) {
      cv::Mat small(ah, aw, CV_8UC1);
      kernels::downscale_area_cpu(yuv.y, {small.data, aw, ah, static_cast<int>(small.step)});
      cv::Mat gray = rotate_upright(small, video.rotation_deg);
      const double time_s = static_cast<double>(pts - chunk.start_pts) * tb;
      const bool cut_hint = local > 0 && sf.scene_score >= params.cut_hint_score;
      if (cut_hint) {
        tracker.reset();
        history.clear();
      }
      history.push(gray);
      const bool full =
          local == 0 || cut_hint || time_s - last_full_s >= params.full_detect_interval_s - 1e-9;
      const bool near = time_s - last_detect_s >= 1.0 / params.detect_fps - 1e-9;
      if (full || near) {
        std::vector<analysis::FaceBox> found =
            full ? detector->detect(gray) : detector->detect(gray, tracker.search_windows());
        for (auto& box : found) box.activity = history.activity(box);
        tracker.update(local, found);
        for (analysis::FaceBox box : tracker.tracks()) {
          box.src_frame = local;
          result.faces.push_back(box);
        }
        last_detect_s = time_s;
        if (full) last_full_s = time_s;
      }
    }
    result.analysis_s += seconds_since(t0);
  }
  if (result.frames.empty()) {
    throw RuntimeError(input.string() + ": scan chunk " + std::to_string(chunk.id) +
                       " decoded no frames from pts " + std::to_string(chunk.start_pts) +
                       "; the file may be damaged");
  }
  result.last = previous;
  return result;
}

std::vector<std::byte> serialize(const ChunkScan& scan) {
  ByteWriter w;
  w.put(scan.chunk_id);
  w.put(scan.analysis_width);
  w.put(scan.analysis_height);
  w.put(scan.decode_s);
  w.put(scan.analysis_s);
  w.put(scan.first);
  w.put(scan.last);
  w.put_vector(scan.frames);
  w.put_vector(scan.faces);
  return w.take();
}

ChunkScan deserialize_chunk_scan(std::span<const std::byte> bytes) {
  ByteReader r(bytes);
  ChunkScan scan;
  scan.chunk_id = r.get<int32_t>();
  scan.analysis_width = r.get<int>();
  scan.analysis_height = r.get<int>();
  scan.decode_s = r.get<double>();
  scan.analysis_s = r.get<double>();
  scan.first = r.get<analysis::Thumbnail>();
  scan.last = r.get<analysis::Thumbnail>();
  scan.frames = r.get_vector<ScannedFrame>();
  scan.faces = r.get_vector<analysis::FaceBox>();
  if (!r.done()) throw RuntimeError("scan result: trailing bytes in chunk payload");
  return scan;
}

std::vector<ScanChunk> plan_scan_chunks(const media::VideoInfo& video, double min_chunk_s) {
  std::vector<int64_t> keys;
  for (const auto& k : video.keyframes) keys.push_back(k.pts);
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  if (keys.empty()) keys.push_back(video.start_pts);
  keys[0] = std::min(keys[0], video.start_pts);
  const double tb = video.time_base.value();
  std::vector<ScanChunk> chunks;
  ScanChunk current{0, keys[0], std::numeric_limits<int64_t>::max()};
  for (size_t i = 1; i < keys.size(); ++i) {
    if (static_cast<double>(keys[i] - current.start_pts) * tb >= min_chunk_s) {
      current.end_pts = keys[i];
      chunks.push_back(current);
      current = ScanChunk{static_cast<int32_t>(chunks.size()), keys[i],
                          std::numeric_limits<int64_t>::max()};
    }
  }
  chunks.push_back(current);
  return chunks;
}

}  // namespace ff::worker
