#include "worker/scan_task.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <opencv2/core.hpp>
#include <optional>

#include "core/bytes.h"
#include "core/error.h"
#include "core/log.h"
#include "kernels/downscale.h"
#include "media/video_decoder.h"
#include "worker/frame_planes.h"
#include "worker/render_device.h"

namespace ff::worker {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Gray analysis frames of the last few source frames, for lower-face
// activity: a ring of kDepth frames allocated once per chunk.
class GrayHistory {
 public:
  static constexpr size_t kDepth = 6;  // five consecutive differences
  // The frame to write the next analysis frame into (rows x cols); push() makes it the newest.
  cv::Mat& slot(int rows, int cols) {
    cv::Mat& m = ring_[head_];
    m.create(rows, cols, CV_8UC1);  // allocates only the first time round
    return m;
  }
  void push() {
    head_ = (head_ + 1) % kDepth;
    count_ = std::min(count_ + 1, kDepth);
  }
  const cv::Mat& newest() const { return ring_[(head_ + kDepth - 1) % kDepth]; }
  void clear() { count_ = 0; }
  // Mean lower-face change of `face` over the consecutive pairs held.
  float activity(const analysis::FaceBox& face) const {
    if (count_ < 2) return 0.f;
    const cv::Mat& any = newest();
    const analysis::PixelRect rect = analysis::lower_face_rect(face, any.cols, any.rows);
    double sum = 0;
    for (size_t i = 1; i < count_; ++i) {
      sum += analysis::region_activity(view(at(i - 1)), view(at(i)), rect);
    }
    return static_cast<float>(sum / static_cast<double>(count_ - 1));
  }

 private:
  // i-th held frame, oldest first.
  const cv::Mat& at(size_t i) const { return ring_[(head_ + kDepth - count_ + i) % kDepth]; }
  static kernels::PlaneView view(const cv::Mat& m) {
    return {m.data, m.cols, m.rows, static_cast<int>(m.step)};
  }
  std::array<cv::Mat, kDepth> ring_;
  size_t head_ = 0;
  size_t count_ = 0;
};

// OpenCV's worker threads for the duration of one chunk (the cascade
// search runs in parallel over rows), restored afterwards: the setting is
// process-wide.
class CvThreads {
 public:
  explicit CvThreads(int threads) : saved_(cv::getNumThreads()) { cv::setNumThreads(threads); }
  CvThreads(const CvThreads&) = delete;
  CvThreads& operator=(const CvThreads&) = delete;
  ~CvThreads() { cv::setNumThreads(saved_); }

 private:
  int saved_;
};

int env_int(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return 0;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  return end != v && n > 0 && n < 1 << 20 ? static_cast<int>(n) : 0;
}

}  // namespace

int cores_for_this_rank() {
  cpu_set_t set;
  CPU_ZERO(&set);
  int usable = 0;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) usable = CPU_COUNT(&set);
  const long online = sysconf(_SC_NPROCESSORS_ONLN);
  if (usable <= 0) usable = online > 0 ? static_cast<int>(online) : 1;
  // Ranks on this node (Open MPI, MPICH/Intel MPI, Slurm's srun).
  int local_ranks = env_int("OMPI_COMM_WORLD_LOCAL_SIZE");
  if (local_ranks == 0) local_ranks = env_int("MPI_LOCALNRANKS");
  if (local_ranks == 0) local_ranks = env_int("SLURM_NTASKS_PER_NODE");
  if (local_ranks == 0) local_ranks = 1;
  const int share = online > 0 ? static_cast<int>(online) / local_ranks : usable;
  return std::max(1, std::min(usable, share));
}

ChunkScan scan_chunk(const std::filesystem::path& input, const media::VideoInfo& video,
                     const ScanChunk& chunk, const ScanParams& params) {
  ChunkScan result;
  result.chunk_id = chunk.id;
  const int aw = std::min(params.analysis_width, video.width) & ~1;
  const int ah = std::max(
      2, static_cast<int>(std::lround(static_cast<double>(aw) * video.height / video.width)) & ~1);
  const bool sideways = video.rotation_deg == 90 || video.rotation_deg == -90;
  const bool rotated = video.rotation_deg != 0;
  result.analysis_width = sideways ? ah : aw;
  result.analysis_height = sideways ? aw : ah;
  const int threads = params.threads > 0 ? params.threads : cores_for_this_rank();
  const CvThreads cv_threads(threads);

  std::optional<analysis::FaceDetector> detector;
  if (params.detect_faces) detector.emplace(params.detector);
  analysis::FaceTracker tracker(params.tracker, chunk.id * 10000);
  GrayHistory history;
  cv::Mat stored(ah, aw, CV_8UC1);  // the analysis frame before rotation
  const double tb = video.time_base.value();

  // Frame threads return the same pictures as one thread (FFmpeg's H.264 and
  // HEVC decoders are bit-exact across thread counts), only sooner. NVDEC
  // (farm.device resolved to CUDA) always runs the loop filter, which the CPU
  // decoder skips here: a GPU scan sees slightly sharper pictures than a CPU
  // scan of the same input.
  const bool want_device = render_on_cuda(params.farm_device);
  media::VideoDecoder decoder(input, video.stream_index,
                              {.threads = threads,
                               .skip_loop_filter = true,
                               .tolerate_errors = false,
                               .cuda = want_device});
  decoder.seek(chunk.start_pts);
  FramePlanes planes;
  media::FramePtr downloaded;  // a device frame copied down for the CPU analysis
#if defined(FRAMEFARM_HAVE_CUDA)
  std::optional<DeviceAnalysis> device;
  if (want_device) device.emplace();
#endif
  bool said_path = !want_device;
  analysis::Thumbnail previous;
  double last_full_s = -1e9;
  double last_detect_s = -1e9;
  const double base_full_s = params.full_detect_interval_s;
  const double max_full_s = std::max(base_full_s, params.max_full_detect_interval_s);
  double full_interval_s = base_full_s;
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
    const std::string why_cpu = !want_device ? std::string()
                                : !decoder.hw_fallback_reason().empty()
                                    ? decoder.hw_fallback_reason()
                                    : device_frame_problem(*frame);
    if (!said_path && !why_cpu.empty()) {
      FF_INFO("scan: chunk " << chunk.id << " decodes and downscales on the CPU: " << why_cpu);
    }
    said_path = true;
    // The analysis luma in stored orientation, written straight into the
    // history when it needs no rotation. The thumbnail's luma is averaged
    // from it (one pass over the decoded luma instead of two) when it is
    // large enough, as it is from analysis_width 128 at aspect ratios up to
    // 32:9.
    cv::Mat& small = detector && !rotated ? history.slot(ah, aw) : stored;
    const kernels::MutablePlane small_plane{small.data, aw, ah, static_cast<int>(small.step)};
    const bool small_thumb = aw >= analysis::Thumbnail::kLumaW && ah >= analysis::Thumbnail::kLumaH;
    analysis::Thumbnail thumb;
#if defined(FRAMEFARM_HAVE_CUDA)
    if (device && why_cpu.empty()) {
      thumb = device->run(*frame, input, small_plane, small_thumb);
    } else
#endif
    {
      const AVFrame* host =
          frame->hw_frames_ctx != nullptr ? download_frame(*frame, downloaded, input) : frame;
      const YuvView yuv = planes.view_of(*host, input);
      kernels::downscale_area_cpu(yuv.y, small_plane);
      thumb = analysis::make_thumbnail(small_thumb ? small_plane.view() : yuv.y, yuv.u, yuv.v);
    }
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
      const double time_s = static_cast<double>(pts - chunk.start_pts) * tb;
      const bool cut_hint = local > 0 && sf.scene_score >= params.cut_hint_score;
      if (cut_hint) {
        tracker.reset();
        history.clear();
      }
      if (rotated) {
        cv::rotate(stored, history.slot(result.analysis_height, result.analysis_width),
                   video.rotation_deg == 90    ? cv::ROTATE_90_COUNTERCLOCKWISE
                   : video.rotation_deg == -90 ? cv::ROTATE_90_CLOCKWISE
                                               : cv::ROTATE_180);
      }
      history.push();  // clear() above keeps the slot just written
      const cv::Mat& gray = history.newest();
      const bool full = local == 0 || cut_hint || time_s - last_full_s >= full_interval_s - 1e-9;
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
        // Whole-frame searches exist to find faces nobody tracks yet: while
        // they find none and no face is lost, each waits twice as long (up to
        // max_full_detect_interval_s); any change, and every cut, resets it.
        if (local == 0 || cut_hint || tracker.started_last_update() > 0 ||
            tracker.dropped_last_update() > 0) {
          full_interval_s = base_full_s;
        } else if (full) {
          full_interval_s = std::min(2 * full_interval_s, max_full_s);
        }
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
