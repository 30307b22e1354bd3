#include "coordinator/job_steps.h"

#include <cstdio>

#include "coordinator/collective.h"
#include "coordinator/plan_phase.h"
#include "coordinator/scan_store.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "media/segment_file.h"
#include "media/stitch.h"

namespace ff::coordinator {

PhaseTimer::PhaseTimer(PhaseTimes& sink, std::string name)
    : sink_(sink), name_(std::move(name)), start_(std::chrono::steady_clock::now()) {}

PhaseTimer::~PhaseTimer() {
  sink_.emplace_back(
      name_, std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
}

media::ProbeResult open_job(const std::filesystem::path& input,
                            const std::filesystem::path& workdir, const core::JobOptions& job,
                            std::optional<core::Store>& store, PhaseTimes& phases) {
  PhaseTimer timer(phases, "probe");
  media::ProbeResult probe = media::probe(input, {.reject_hdr = job.input.reject_hdr});
  const double fps = core::resolve_output_fps(job.output, source_rate(probe.video).value());
  core::check_level_fits(job.output, fps, input.string());
  std::error_code ec;
  std::filesystem::create_directories(workdir, ec);
  if (ec) {
    throw RuntimeError(workdir.string() + ": cannot create the work directory: " + ec.message() +
                       "; pass --workdir on a writable disk");
  }
  core::write_file_atomically(workdir / "job.toml", core::to_toml(job));
  store.emplace(workdir / core::Store::kFileName);
  write_probe(*store, probe);
  FF_INFO("probe: " << input.string() << ": " << probe.video.width << "x" << probe.video.height
                    << " " << probe.video.codec << ", " << probe.video.frame_count << " frames, "
                    << probe.duration_s << " s" << (probe.video.timing.vfr ? ", VFR" : ", CFR")
                    << (probe.audio ? ", audio " + probe.audio->channel_layout : ", no audio")
                    << "; output " << job.output.width << "x" << job.output.height << " at " << fps
                    << " fps");
  return probe;
}

AudioPhaseInput audio_input_of(const std::filesystem::path& input,
                               const std::filesystem::path& workdir,
                               const media::ProbeResult& probe, const analysis::Plan& plan,
                               const core::JobOptions& job) {
  AudioPhaseInput in;
  in.input = input;
  in.audio_stream = probe.audio ? probe.audio->stream_index : -1;
  in.video_start_s = static_cast<double>(probe.video.start_pts) * probe.video.time_base.value();
  in.shots = audio_shots_of(plan);
  in.duration_s = plan.grid.time_s(plan.out_frames());
  in.audio = job.audio;
  in.audio_bitrate_kbps = job.output.audio_bitrate_kbps;
  in.workdir = workdir;
  return in;
}

void write_render_metrics(core::Store& store, const RenderPhaseResult& render) {
  store.commit("/metrics/render", [&](core::GroupWriter& g) {
    std::vector<double> rows;
    for (size_t i = 0; i < render.segments.size(); ++i) {
      const SegmentMetrics& m = render.segments[i];
      rows.insert(rows.end(), {static_cast<double>(i), static_cast<double>(m.rank),
                               static_cast<double>(m.result.frames), m.seconds, m.result.decode_s,
                               m.result.scale_s, m.result.encode_s,
                               static_cast<double>(m.result.bytes), m.result.reused ? 1.0 : 0.0});
    }
    g.write_table("segments", rows,
                  {"segment", "rank", "frames", "seconds", "decode_s", "scale_s", "encode_s",
                   "bytes", "reused"},
                  "s (bytes, frames and ids as counts)");
    g.set_attr_string("encoder", render.encoder);
  });
}

void write_phase_times(core::Store& store, const PhaseTimes& phases) {
  store.commit("/metrics/phases", [&](core::GroupWriter& g) {
    std::vector<double> seconds;
    std::string names;
    for (const auto& [name, s] : phases) {
      seconds.push_back(s);
      names += (names.empty() ? "" : ",") + name;
    }
    g.write("wall_s", seconds, "s");
    g.set_attr_string("wall_s", "phases", names);
  });
}

void stitch_delivery(const std::filesystem::path& segments_dir, const analysis::Plan& plan,
                     const AudioResult& audio, const RenderPhaseResult& render,
                     const core::JobOptions& job, const std::filesystem::path& output,
                     PhaseTimes& phases) {
  PhaseTimer timer(phases, "stitch");
  std::vector<std::filesystem::path> segment_files;
  for (const auto& s : plan.segments) {
    segment_files.push_back(media::segment_path(segments_dir, static_cast<int>(s.id)));
  }
  std::optional<std::filesystem::path> audio_file;
  if (!audio.skipped) audio_file = audio.m4a_path;
  media::StitchOptions options;
  options.fps = {static_cast<int>(plan.grid.fps_num), static_cast<int>(plan.grid.fps_den)};
  options.expected_frames = plan.out_frames();
  media::stitch(segment_files, audio_file, output, options);
  FF_INFO("stitch: " << output.string() << ": " << plan.out_frames() << " frames, "
                     << std::filesystem::file_size(output) << " bytes, encoder " << render.encoder
                     << " (" << render.reused << " of " << plan.segments.size()
                     << " segments reused)"
                     << (audio.skipped ? ", no audio"
                                       : ", audio matched to " +
                                             std::to_string(job.audio.target_lufs) + " LUFS"));
}

QaReport qa_and_report(const QaRequest& request, PhaseTimes& phases,
                       std::chrono::steady_clock::time_point job_start,
                       const nlohmann::json& extra) {
  QaReport report;
  {
    PhaseTimer timer(phases, "qa");
    report = run_qa_phase(request);
  }
  root_step([&] {
    nlohmann::json timings = nlohmann::json::array();
    for (const auto& [name, seconds] : phases) {
      timings.push_back({{"phase", name}, {"wall_s", seconds}});
    }
    report.extra["phases"] = timings;
    report.extra["job_wall_s"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - job_start).count();
    for (const auto& [key, value] : extra.items()) report.extra[key] = value;
    const std::filesystem::path path = qa_report_path(request);
    write_qa_report(report, path);
    std::fputs(qa_summary(report, path).c_str(), stdout);
    std::fflush(stdout);
  });
  return report;
}

}  // namespace ff::coordinator
