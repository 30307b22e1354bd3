#pragma once
// The steps of one video's job that `framefarm run` (job.cc) and `framefarm
// archive` (archive.cc) share: open the job (probe, work directory, store),
// the audio phase's input, stitch, QA with report.json, and the metrics
// written to analysis.h5. Each step does what job.cc does inline today, with
// the same log lines and files, so an archive entry ends up exactly as a
// `framefarm run` of the same input would.
//
// Example (rank 0 unless noted):
//   PhaseTimes phases;
//   std::optional<core::Store> store;
//   media::ProbeResult probe = open_job(input, workdir, job, store, phases);
//   ... scan, plan, render, audio ...
//   write_render_metrics(*store, render);
//   stitch_delivery(workdir / "segments", plan, audio, render, job, output, phases);
//   QaReport report = qa_and_report(qa_request, phases, start, extra);  // collective
//   write_phase_times(*store, phases);
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "analysis/plan.h"
#include "coordinator/audio_phase.h"
#include "coordinator/qa_phase.h"
#include "coordinator/render_phase.h"
#include "core/options.h"
#include "core/store.h"
#include "media/probe.h"

namespace ff::coordinator {

// Wall seconds per phase, in the order they ran: ("probe", 0.12), ...
using PhaseTimes = std::vector<std::pair<std::string, double>>;

// Adds (name, seconds alive) to `sink` when it goes away.
class PhaseTimer {
 public:
  PhaseTimer(PhaseTimes& sink, std::string name);
  ~PhaseTimer();
  PhaseTimer(const PhaseTimer&) = delete;
  PhaseTimer& operator=(const PhaseTimer&) = delete;

 private:
  PhaseTimes& sink_;
  std::string name_;
  std::chrono::steady_clock::time_point start_;
};

// Rank 0: probes `input` (rejecting what the job cannot deliver), checks the
// output level against the frame rate, creates `workdir` with job.toml,
// opens analysis.h5 into `store` and writes /probe. Times "probe".
// Throws ff::InputError for a rejected input, ff::ConfigError when the level
// does not fit, ff::RuntimeError when the work directory cannot be made.
media::ProbeResult open_job(const std::filesystem::path& input,
                            const std::filesystem::path& workdir, const core::JobOptions& job,
                            std::optional<core::Store>& store, PhaseTimes& phases);

// The audio phase's input for one video (its whole track, the plan's shots).
AudioPhaseInput audio_input_of(const std::filesystem::path& input,
                               const std::filesystem::path& workdir,
                               const media::ProbeResult& probe, const analysis::Plan& plan,
                               const core::JobOptions& job);

// /metrics/render and /metrics/phases in analysis.h5.
void write_render_metrics(core::Store& store, const RenderPhaseResult& render);
void write_phase_times(core::Store& store, const PhaseTimes& phases);

// Rank 0: the plan's segments and the audio track (if any) into `output`,
// atomically (media/stitch.h), with the log line `framefarm run` prints.
// Times "stitch".
void stitch_delivery(const std::filesystem::path& segments_dir, const analysis::Plan& plan,
                     const AudioResult& audio, const RenderPhaseResult& render,
                     const core::JobOptions& job, const std::filesystem::path& output,
                     PhaseTimes& phases);

// Collective: QA of request.file over every rank (times "qa"), then rank 0
// adds "phases", "job_wall_s" and the fields of `extra` to the report, writes
// report.json and prints the QA summary on stdout. Every rank gets `passed`.
QaReport qa_and_report(const QaRequest& request, PhaseTimes& phases,
                       std::chrono::steady_clock::time_point job_start,
                       const nlohmann::json& extra = nlohmann::json::object());

}  // namespace ff::coordinator
