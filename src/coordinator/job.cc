#include "coordinator/job.h"

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "coordinator/audio_phase.h"
#include "coordinator/collective.h"
#include "coordinator/job_params.h"
#include "coordinator/mpi_env.h"
#include "coordinator/plan_phase.h"
#include "coordinator/qa_phase.h"
#include "coordinator/render_phase.h"
#include "coordinator/scan_phase.h"
#include "coordinator/scan_store.h"
#include "core/atomic_file.h"
#include "core/log.h"
#include "core/options.h"
#include "core/store.h"
#include "media/probe.h"
#include "media/segment_file.h"
#include "media/stitch.h"

namespace ff::coordinator {
namespace {

class PhaseTimer {
 public:
  explicit PhaseTimer(std::vector<std::pair<std::string, double>>& sink, std::string name)
      : sink_(sink), name_(std::move(name)), start_(std::chrono::steady_clock::now()) {}
  ~PhaseTimer() {
    sink_.emplace_back(
        name_, std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  }

 private:
  std::vector<std::pair<std::string, double>>& sink_;
  std::string name_;
  std::chrono::steady_clock::time_point start_;
};

void write_phase_times(core::Store& store,
                       const std::vector<std::pair<std::string, double>>& phases) {
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

// Render over the farm while rank 0 runs the audio phase in a thread of its
// own (it needs only the plan's shots), then stitch on rank 0.
void render_and_stitch(const JobRequest& request, const core::JobOptions& job,
                       std::vector<std::pair<std::string, double>>& phases,
                       const std::optional<media::ProbeResult>& probe,
                       const std::optional<analysis::ScanData>& scan,
                       const std::optional<analysis::Plan>& plan,
                       std::optional<core::Store>& store) {
  const std::filesystem::path segments_dir = request.workdir / "segments";
  worker::RenderContext context;
  std::optional<AudioResult> audio;
  std::exception_ptr audio_error;
  std::thread audio_thread;
  root_step([&] {
    context = make_render_context(*probe, *scan, *plan, job);
    std::filesystem::create_directories(segments_dir);
    AudioPhaseInput in;
    in.input = request.input;
    in.audio_stream = probe->audio ? probe->audio->stream_index : -1;
    in.video_start_s = static_cast<double>(probe->video.start_pts) * probe->video.time_base.value();
    in.shots = audio_shots_of(*plan);
    in.duration_s = plan->grid.time_s(plan->out_frames());
    in.audio = job.audio;
    in.audio_bitrate_kbps = job.output.audio_bitrate_kbps;
    in.workdir = request.workdir;
    audio_thread = std::thread([in, &audio, &audio_error] {
      try {
        audio = run_audio_phase(in);
      } catch (...) {
        audio_error = std::current_exception();
      }
    });
  });
  // The audio thread must be joined on every way out of this function.
  struct Joiner {
    std::thread& t;
    ~Joiner() {
      if (t.joinable()) t.join();
    }
  } joiner{audio_thread};

  RenderPhaseResult render;
  {
    PhaseTimer timer(phases, "render");
    render = run_render_phase(request.input, context, segments_dir, job, farm_config_of(job));
  }
  root_step([&] {
    audio_thread.join();
    if (audio_error) std::rethrow_exception(audio_error);
    phases.emplace_back("audio (overlapped)", audio->total_s);
    write_audio_result(*store, *audio);
    write_render_metrics(*store, render);
    PhaseTimer timer(phases, "stitch");
    std::vector<std::filesystem::path> segment_files;
    for (const auto& s : plan->segments) {
      segment_files.push_back(media::segment_path(segments_dir, static_cast<int>(s.id)));
    }
    std::optional<std::filesystem::path> audio_file;
    if (!audio->skipped) audio_file = audio->m4a_path;
    media::StitchOptions options;
    options.fps = {static_cast<int>(plan->grid.fps_num), static_cast<int>(plan->grid.fps_den)};
    options.expected_frames = plan->out_frames();
    media::stitch(segment_files, audio_file, request.output, options);
    FF_INFO("stitch: " << request.output.string() << ": " << plan->out_frames() << " frames, "
                       << std::filesystem::file_size(request.output) << " bytes, encoder "
                       << render.encoder << " (" << render.reused << " of " << plan->segments.size()
                       << " segments reused)"
                       << (audio->skipped ? ", no audio"
                                          : ", audio matched to " +
                                                std::to_string(job.audio.target_lufs) + " LUFS"));
  });
}

// QA of the delivery over every rank, then report.json and the summary.
ExitCode run_qa(const JobRequest& request, const core::JobOptions& job,
                std::vector<std::pair<std::string, double>>& phases,
                std::chrono::steady_clock::time_point job_start) {
  QaRequest qa;
  qa.file = request.output;
  qa.job = job;
  qa.workdir = request.workdir;
  qa.input = request.input;
  QaReport report;
  {
    PhaseTimer timer(phases, "qa");
    report = run_qa_phase(qa);
  }
  root_step([&] {
    nlohmann::json timings = nlohmann::json::array();
    for (const auto& [name, seconds] : phases) {
      timings.push_back({{"phase", name}, {"wall_s", seconds}});
    }
    report.extra["phases"] = timings;
    report.extra["job_wall_s"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - job_start).count();
    const std::filesystem::path path = qa_report_path(qa);
    write_qa_report(report, path);
    std::fputs(qa_summary(report, path).c_str(), stdout);
    std::fflush(stdout);
  });
  return report.passed ? ExitCode::kOk : ExitCode::kQaFailed;
}

}  // namespace

JobRequest with_default_paths(JobRequest request) {
  if (request.output.empty()) {
    request.output = request.input.stem().string() + ".framefarm.mp4";
  }
  if (request.workdir.empty()) request.workdir = request.output.string() + ".work";
  return request;
}

ExitCode run_job(const JobRequest& raw_request) {
  const JobRequest request = with_default_paths(raw_request);
  const bool root = world_rank() == 0;
  // Every rank reads the job file itself: the same file gives the same options.
  const core::JobOptions job = core::load_job(request.job_file, request.overrides);
  std::vector<std::pair<std::string, double>> phases;
  const auto job_start = std::chrono::steady_clock::now();

  std::optional<media::ProbeResult> probe;
  std::optional<core::Store> store;
  root_step([&] {
    PhaseTimer timer(phases, "probe");
    probe = media::probe(request.input, {.reject_hdr = job.input.reject_hdr});
    const double fps = core::resolve_output_fps(job.output, source_rate(probe->video).value());
    core::check_level_fits(job.output, fps, request.input.string());
    std::error_code ec;
    std::filesystem::create_directories(request.workdir, ec);
    if (ec) {
      throw RuntimeError(request.workdir.string() + ": cannot create the work directory: " +
                         ec.message() + "; pass --workdir on a writable disk");
    }
    core::write_file_atomically(request.workdir / "job.toml", core::to_toml(job));
    store.emplace(request.workdir / core::Store::kFileName);
    write_probe(*store, *probe);
    FF_INFO("probe: " << request.input.string() << ": " << probe->video.width << "x"
                      << probe->video.height << " " << probe->video.codec << ", "
                      << probe->video.frame_count << " frames, " << probe->duration_s << " s"
                      << (probe->video.timing.vfr ? ", VFR" : ", CFR")
                      << (probe->audio ? ", audio " + probe->audio->channel_layout : ", no audio")
                      << "; output " << job.output.width << "x" << job.output.height << " at "
                      << fps << " fps");
  });

  // Scan, or reuse the stored scan when the input and the scan options match.
  const worker::ScanParams scan_params = scan_params_of(job);
  std::optional<analysis::ScanData> scan;
  std::string key;
  root_step([&] {
    key = scan_key(probe->fingerprint.key(), scan_params);
    scan = read_scan(*store, key);
    if (scan) FF_INFO("scan: reusing " << store->file().string() << " (input and options match)");
  });
  if (!broadcast_flag(scan.has_value())) {
    PhaseTimer timer(phases, "scan");
    std::vector<worker::ScanChunk> chunks;
    if (root) chunks = worker::plan_scan_chunks(probe->video, job.split.scan_chunk_s);
    ScanPhaseResult result = run_scan_phase(request.input, root ? probe->video : media::VideoInfo{},
                                            chunks, scan_params, farm_config_of(job));
    root_step([&] {
      if (result.data.frames.size() != static_cast<size_t>(probe->video.frame_count)) {
        FF_WARN("scan: decoded " << result.data.frames.size() << " frames, the container lists "
                                 << probe->video.frame_count);
      }
      write_scan(*store, result, key);
      scan = std::move(result.data);
    });
  }

  std::optional<analysis::Plan> plan;
  root_step([&] {
    PhaseTimer timer(phases, "plan");
    plan = run_plan_phase(*store, job, *probe, *scan, request.workdir);
  });
  ExitCode code = ExitCode::kOk;
  if (!request.plan_only) {
    render_and_stitch(request, job, phases, probe, scan, plan, store);
    code = run_qa(request, job, phases, job_start);
  }
  root_step([&] {
    write_phase_times(*store, phases);
    const double total =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - job_start).count();
    FF_INFO("job: " << (request.plan_only ? "plan" : "run") << " finished in " << total
                    << " s; work directory " << request.workdir.string());
  });
  return code;
}

}  // namespace ff::coordinator
