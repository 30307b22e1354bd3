#include "coordinator/render_phase.h"

#include <algorithm>
#include <sstream>

#include "coordinator/mpi_env.h"
#include "coordinator/scan_phase.h"
#include "core/bytes.h"
#include "core/log.h"

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

RenderPhaseResult run_render_phase(const std::filesystem::path& input,
                                   const worker::RenderContext& root_context,
                                   const std::filesystem::path& segments_dir,
                                   const core::JobOptions& job, const FarmConfig& farm) {
  const bool root = world_rank() == 0;
  const std::vector<std::byte> shared =
      broadcast_bytes(root ? encode_context(root_context) : std::vector<std::byte>{});
  const worker::RenderContext context = decode_context(shared);
  // One encoder thread per rank: x264's output depends on its thread count,
  // so this keeps the bytes identical on any number of ranks.
  const media::EncoderSettings settings = media::encoder_settings(
      job.output, static_cast<int>(context.fps_num), static_cast<int>(context.fps_den), 1);

  std::vector<Task> tasks;
  for (size_t i = 0; i < context.segments.size(); ++i) {
    tasks.push_back({static_cast<int32_t>(i), static_cast<double>(context.segments[i].out.size())});
  }
  RenderPhaseResult result;
  result.segments.resize(context.segments.size());
  FarmConfig config = farm;
  config.name = "render";
  config.describe_task = [&](int32_t id) {
    const auto& s = context.segments[static_cast<size_t>(id)];
    return "segment " + std::to_string(s.id) + " (output frames " + std::to_string(s.out.begin) +
           ".." + std::to_string(s.out.end - 1) + ") of " + input.string();
  };
  int64_t total_frames = 0;
  for (const auto& s : context.segments) total_frames += s.out.size();
  log::Progress progress("render", total_frames, "frames");
  run_farm(
      config, tasks,
      [&](int32_t id) {
        ByteWriter w;
        w.put(worker::render_segment(input, context, id, segments_dir, settings));
        return w.take();
      },
      [&](int32_t id, int rank, std::span<const std::byte> payload, double seconds) {
        ByteReader r(payload);
        SegmentMetrics& m = result.segments[static_cast<size_t>(id)];
        m.result = r.get<worker::RenderResult>();
        m.rank = rank;
        m.seconds = seconds;
        if (!m.result.reused) result.encoder = m.result.encoder;
        result.reused += m.result.reused ? 1 : 0;
        progress.advance(m.result.frames);
      });
  progress.finish();
  if (root && result.encoder.empty() && !result.segments.empty()) {
    result.encoder = result.segments.front().result.encoder;
  }
  return result;
}

}  // namespace ff::coordinator
