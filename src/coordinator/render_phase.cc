#include "coordinator/render_phase.h"

#include <algorithm>
#include <sstream>

#include "coordinator/mpi_env.h"
#include "coordinator/scan_phase.h"
#include "coordinator/video_farm.h"
#include "core/bytes.h"
#include "core/log.h"
#include "media/segment_file.h"

namespace ff::coordinator {
namespace {

std::vector<std::byte> encode_context(const worker::RenderContext& c) {
  ByteWriter w;
  w.put(scan_context_of(c.video));
  w.put(c.video.display_width);
  w.put(c.video.display_height);
  w.put(c.fps_num);
  w.put(c.fps_den);
  w.put(c.conversion);
  w.put_vector(c.src_pts);
  w.put_vector(c.keyframe_pts);
  w.put_vector(c.grid_src);
  w.put_vector(c.crop);
  w.put_vector(c.segments);
  w.put_vector(std::vector<char>(c.plan_key.begin(), c.plan_key.end()));
  return w.take();
}

worker::RenderContext decode_context(std::span<const std::byte> bytes) {
  ByteReader r(bytes);
  worker::RenderContext c;
  c.video = video_info_of(r.get<ScanContext>());
  c.video.display_width = r.get<int>();
  c.video.display_height = r.get<int>();
  c.fps_num = r.get<int64_t>();
  c.fps_den = r.get<int64_t>();
  c.conversion = r.get<kernels::ColorConversion>();
  c.src_pts = r.get_vector<int64_t>();
  c.keyframe_pts = r.get_vector<int64_t>();
  c.grid_src = r.get_vector<int64_t>();
  c.crop = r.get_vector<analysis::CropWindow>();
  c.segments = r.get_vector<analysis::Segment>();
  const auto key = r.get_vector<char>();
  c.plan_key.assign(key.begin(), key.end());
  return c;
}

}  // namespace

worker::RenderContext make_render_context(const media::ProbeResult& probe,
                                          const analysis::ScanData& scan,
                                          const analysis::Plan& plan, const core::JobOptions& job) {
  worker::RenderContext c;
  c.video = probe.video;
  for (const auto& f : scan.frames) c.src_pts.push_back(f.pts);
  for (const auto& k : probe.video.keyframes) c.keyframe_pts.push_back(k.pts);
  std::sort(c.keyframe_pts.begin(), c.keyframe_pts.end());
  c.grid_src = plan.grid.src_frame;
  c.crop = plan.crop;
  c.segments = plan.segments;
  c.fps_num = plan.grid.fps_num;
  c.fps_den = plan.grid.fps_den;
  c.conversion = worker::conversion_for(probe.video);
  std::ostringstream key;
  const core::OutputOptions& o = job.output;
  key << "v1|" << probe.fingerprint.key() << "|" << o.width << "x" << o.height << "@" << c.fps_num
      << "/" << c.fps_den << "|" << core::to_string(o.encoder) << "|" << o.preset << "|crf" << o.crf
      << "|" << o.bitrate_kbps << "k|" << core::to_string(o.profile) << "|" << o.level << "|gop"
      << o.gop_s << "|conv" << static_cast<int>(c.conversion);
  c.plan_key = key.str();
  return c;
}

namespace {

// What every rank knows of one video to render any of its segments.
struct SharedRender {
  std::filesystem::path input;
  std::filesystem::path segments_dir;
  worker::RenderContext context;
  media::EncoderSettings settings;
};

std::vector<SharedRender> share_renders(const std::vector<RenderVideo>& videos,
                                        const core::JobOptions& job) {
  ByteWriter w;
  if (world_rank() == 0) {
    w.put<uint64_t>(videos.size());
    for (const RenderVideo& v : videos) {
      put_string(w, v.input.string());
      put_string(w, v.segments_dir.string());
      w.put_vector(encode_context(v.context));
    }
  }
  const std::vector<std::byte> bytes = broadcast_bytes(w.take());
  ByteReader r(bytes);
  std::vector<SharedRender> shared(r.get<uint64_t>());
  for (SharedRender& v : shared) {
    v.input = get_string(r);
    v.segments_dir = get_string(r);
    v.context = decode_context(r.get_vector<std::byte>());
    // One encoder thread per rank: x264's output depends on its thread count,
    // so this keeps the bytes identical on any number of ranks.
    v.settings = media::encoder_settings(job.output, static_cast<int>(v.context.fps_num),
                                         static_cast<int>(v.context.fps_den), 1);
  }
  return shared;
}

}  // namespace

std::vector<RenderVideoOutcome> run_render_videos(const std::vector<RenderVideo>& videos,
                                                  const core::JobOptions& job,
                                                  const FarmConfig& farm, bool isolate_failures) {
  const bool root = world_rank() == 0;
  for (const RenderVideo& v : videos) {  // rank 0 only: others get no videos
    const int removed = media::remove_partial_files(v.segments_dir);
    if (removed > 0) {
      FF_INFO("render: removed " << removed << " partial file(s) of an interrupted run from "
                                 << v.segments_dir.string());
    }
  }
  const std::vector<SharedRender> shared = share_renders(videos, job);
  std::vector<size_t> sizes;
  for (const SharedRender& v : shared) sizes.push_back(v.context.segments.size());
  const VideoTaskIndex index(sizes);

  std::vector<Task> tasks;
  std::vector<RenderVideoOutcome> outcomes(shared.size());
  int64_t total_frames = 0;
  for (size_t v = 0; v < shared.size(); ++v) {
    const auto& segments = shared[v].context.segments;
    for (size_t i = 0; i < segments.size(); ++i) {
      tasks.push_back({index.id(v, i), static_cast<double>(segments[i].out.size())});
      total_frames += segments[i].out.size();
    }
    outcomes[v].result.segments.resize(segments.size());
  }
  if (!root) tasks.clear();
  FarmConfig config = farm;
  config.name = "render";
  config.describe_task = [&](int32_t id) {
    const auto [v, i] = index.locate(id);
    const auto& s = shared[v].context.segments[i];
    return "segment " + std::to_string(s.id) + " (output frames " + std::to_string(s.out.begin) +
           ".." + std::to_string(s.out.end - 1) + ") of " + shared[v].input.string();
  };
  const Execute execute = [&](int32_t id) {
    const auto [v, i] = index.locate(id);
    const SharedRender& s = shared[v];
    ByteWriter w;
    w.put(worker::render_segment(s.input, s.context, static_cast<int32_t>(i), s.segments_dir,
                                 s.settings, job.farm.device));
    return w.take();
  };
  log::Progress progress("render", total_frames, "frames");
  const OnResult on_result = [&](int32_t id, int rank, std::span<const std::byte> payload,
                                 double seconds) {
    const auto [v, i] = index.locate(id);
    RenderPhaseResult& result = outcomes[v].result;
    ByteReader r(payload);
    SegmentMetrics& m = result.segments[i];
    m.result = r.get<worker::RenderResult>();
    m.rank = rank;
    m.seconds = seconds;
    if (!m.result.reused) result.encoder = m.result.encoder;
    result.reused += m.result.reused ? 1 : 0;
    progress.advance(m.result.frames);
  };
  if (isolate_failures) {
    const std::vector<std::string> failures =
        run_farm_per_video(config, std::move(tasks), index, execute, on_result);
    for (size_t v = 0; v < failures.size(); ++v) outcomes[v].failure = failures[v];
  } else {
    run_farm(config, std::move(tasks), execute, on_result);
  }
  progress.finish();
  for (RenderVideoOutcome& out : outcomes) {
    RenderPhaseResult& result = out.result;
    if (root && result.encoder.empty() && !result.segments.empty()) {
      result.encoder = result.segments.front().result.encoder;
    }
  }
  return outcomes;
}

RenderPhaseResult run_render_phase(const std::filesystem::path& input,
                                   const worker::RenderContext& context,
                                   const std::filesystem::path& segments_dir,
                                   const core::JobOptions& job, const FarmConfig& farm) {
  std::vector<RenderVideo> videos;
  if (world_rank() == 0) videos.push_back({input, context, segments_dir});
  std::vector<RenderVideoOutcome> outcomes = run_render_videos(videos, job, farm, false);
  return std::move(outcomes.front().result);
}

}  // namespace ff::coordinator
