#include "coordinator/job.h"

#include <chrono>
#include <cstdio>
#include <future>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "coordinator/audio_phase.h"
#include "coordinator/collective.h"
#include "coordinator/job_params.h"
#include "coordinator/job_steps.h"
#include "coordinator/mpi_env.h"
#include "coordinator/plan_phase.h"
#include "coordinator/qa_phase.h"
#include "coordinator/rank_usage.h"
#include "coordinator/render_phase.h"
#include "coordinator/run_report.h"
#include "coordinator/scan_phase.h"
#include "coordinator/scan_store.h"
#include "core/atomic_file.h"
#include "core/log.h"
#include "core/options.h"
#include "core/store.h"
#include "media/hw_device.h"
#include "media/probe.h"
#include "media/segment_file.h"
#include "media/stitch.h"
#include "worker/render_device.h"

namespace ff::coordinator {
namespace {

using Clock = std::chrono::steady_clock;
using Phases = std::vector<PhaseTiming>;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Adds the phase, its start since the job's and its wall time to `sink`
// when it goes away. `frames`: what the phase went through, for its fps.
// (job_steps.h's PhaseTimer keeps only names and seconds, which is what an
// archive entry reports.)
class TimedPhase {
 public:
  TimedPhase(Phases& sink, std::string name, Clock::time_point job_start, int64_t frames = 0)
      : sink_(sink), name_(std::move(name)), job_start_(job_start), frames_(frames) {}
  ~TimedPhase() {
    sink_.push_back({name_, std::chrono::duration<double>(start_ - job_start_).count(),
                     seconds_since(start_), frames_});
  }

 private:
  Phases& sink_;
  std::string name_;
  Clock::time_point job_start_;
  Clock::time_point start_ = Clock::now();
  int64_t frames_;
};

void write_phase_times(core::Store& store, const Phases& phases) {
  store.commit("/metrics/phases", [&](core::GroupWriter& g) {
    std::vector<double> seconds;
    std::string names;
    for (const PhaseTiming& p : phases) {
      seconds.push_back(p.wall_s);
      names += (names.empty() ? "" : ",") + p.name;
    }
    g.write("wall_s", seconds, "s");
    g.set_attr_string("wall_s", "phases", names);
  });
}

// Rank 0's audio decode, started after the probe (audio_phase.h).
struct AudioDecodeJob {
  std::future<AudioDecodeResult> result;
  double start_s = 0.0;  // since the job's start
};

// What the render and audio phases give the run report (rank 0).
struct RenderOutcome {
  RenderPhaseResult render;
  std::optional<AudioResult> audio;
};

// Render over the farm while rank 0 runs the audio phase in a thread of its
// own (it needs only the plan's shots and the audio decoded since the probe),
// then stitch on rank 0.
RenderOutcome render_and_stitch(const JobRequest& request, const core::JobOptions& job,
                                Phases& phases, Clock::time_point job_start,
                                const std::optional<media::ProbeResult>& probe,
                                const std::optional<analysis::ScanData>& scan,
                                const std::optional<analysis::Plan>& plan,
                                std::optional<core::Store>& store, AudioDecodeJob& audio_decode) {
  const bool root = world_rank() == 0;
  const std::filesystem::path segments_dir = request.workdir / "segments";
  worker::RenderContext context;
  RenderOutcome outcome;
  std::optional<AudioResult>& audio = outcome.audio;
  std::exception_ptr audio_error;
  std::thread audio_thread;
  double audio_start_s = 0.0;
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
    audio_start_s = seconds_since(job_start);
    audio_thread = std::thread([in, &audio, &audio_error, &audio_decode] {
      try {
        audio = run_audio_phase(in, audio_decode.result.get());
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

  RenderPhaseResult& render = outcome.render;
  {
    TimedPhase timer(phases, "render", job_start, root ? plan->out_frames() : 0);
    render = run_render_phase(request.input, context, segments_dir, job, farm_config_of(job));
  }
  root_step([&] {
    audio_thread.join();
    if (audio_error) std::rethrow_exception(audio_error);
    phases.push_back({"audio decode (overlapped)", audio_decode.start_s, audio->decode_s, 0});
    phases.push_back({"audio (overlapped)", audio_start_s, audio->measure_s + audio->encode_s, 0});
    write_audio_result(*store, *audio);
    write_render_metrics(*store, render);
    TimedPhase timer(phases, "stitch", job_start);
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
  return outcome;
}

// QA of the delivery over every rank, each rank's usage, then report.json
// (with the `run` object from `facts`; its phases and ranks are filled here),
// report.html and the summary.
ExitCode run_qa(const JobRequest& request, const core::JobOptions& job, Phases& phases,
                Clock::time_point job_start, RunFacts facts) {
  QaRequest qa;
  qa.file = request.output;
  qa.job = job;
  qa.workdir = request.workdir;
  qa.input = request.input;
  QaReport report;
  {
    TimedPhase timer(phases, "qa", job_start, facts.plan ? facts.plan->out_frames() : 0);
    report = run_qa_phase(qa);
  }
  facts.ranks = gather_rank_usage(seconds_since(job_start));  // collective
  root_step([&] {
    FF_INFO(rank_usage_line(facts.ranks));
    nlohmann::json timings = nlohmann::json::array();
    for (const PhaseTiming& p : phases) {
      timings.push_back({{"phase", p.name}, {"wall_s", p.wall_s}});
    }
    report.extra["phases"] = timings;
    report.extra["job_wall_s"] = seconds_since(job_start);
    facts.phases = phases;
    report.extra["run"] = run_report_json(facts);
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
  Phases phases;
  const auto job_start = Clock::now();

  std::optional<media::ProbeResult> probe;
  std::optional<core::Store> store;
  // Rank 0 decodes the input's audio from the end of the probe on, beside the
  // scan (audio_phase.h); the audio phase proper waits for it after the plan.
  // On an error the future's destructor waits for the decode (about 1 s per
  // 10 minutes of audio) before the error leaves run_job.
  AudioDecodeJob audio_decode;
  std::string device = "cpu";  // farm.device as resolved on rank 0: "cpu" or "cuda"
  root_step([&] {
    TimedPhase timer(phases, "probe", job_start);
    probe = media::probe(request.input, {.reject_hdr = job.input.reject_hdr});
    const double fps = core::resolve_output_fps(job.output, source_rate(probe->video).value());
    core::check_level_fits(job.output, fps, request.input.string());
    // "cuda" without a working device fails here (one line, after the input is known to be good).
    // The render takes the device path where it works (report.json render_path says per
    // segment); the scan decodes on the CPU in this version (docs/gpu.md).
    const media::DeviceChoice choice = media::resolve_device(
        std::string(core::to_string(job.farm.device)), job.source_file.string());
    if (choice.device == core::Device::kCuda) {
      device = "cuda";
      FF_INFO("farm.device: CUDA works here (" << choice.gpu_name
                                               << "): the render decodes and scales on it, the "
                                                  "scan stays on the CPU; see docs/gpu.md");
    }
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
    audio_decode.start_s = seconds_since(job_start);
    audio_decode.result =
        std::async(std::launch::async, decode_audio,
                   AudioDecodeInput{.input = request.input,
                                    .audio_stream = probe->audio ? probe->audio->stream_index : -1,
                                    .video_start_s = static_cast<double>(probe->video.start_pts) *
                                                     probe->video.time_base.value(),
                                    .workdir = request.workdir});
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
    TimedPhase timer(phases, "scan", job_start, root ? probe->video.frame_count : 0);
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
    TimedPhase timer(phases, "plan", job_start);
    plan = run_plan_phase(*store, job, *probe, *scan, request.workdir);
  });
  ExitCode code = ExitCode::kOk;
  if (!request.plan_only) {
    const RenderOutcome rendered =
        render_and_stitch(request, job, phases, job_start, probe, scan, plan, store, audio_decode);
    RunFacts facts;  // rank 0 fills it; the pointers stay null elsewhere
    if (root) {
      facts.plan = &*plan;
      facts.src_width = probe->video.display_width;
      facts.src_height = probe->video.display_height;
      facts.render = &rendered.render;
      if (rendered.audio) facts.audio = &*rendered.audio;
      facts.device = device;
      facts.scan_path = worker::render_on_cuda(scan_params.farm_device) ? "nvdec+cuda" : "cpu";
    }
    code = run_qa(request, job, phases, job_start, facts);
  }
  root_step([&] {
    write_phase_times(*store, phases);
    const double total = seconds_since(job_start);
    FF_INFO("job: " << (request.plan_only ? "plan" : "run") << " finished in " << total
                    << " s; work directory " << request.workdir.string());
  });
  return code;
}

}  // namespace ff::coordinator
