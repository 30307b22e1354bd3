#pragma once
// The qa phase (DESIGN.md §1 phase 7): verify a delivered file on every
// rank, merge on rank 0, judge (analysis/qa_checks.h), report.
//
// Steps:
//   1. rank 0 probes the file and, when a work directory is given, reads
//      what the job expects from its analysis.h5: /plan out_frames and
//      fps_num/fps_den, /plan/shots (shot bounds for per-shot loudness),
//      /plan/speaker (faces the plan expected), /probe has_audio and path,
//      /metrics/render encoder, /audio lufs_before (each shot's loudness
//      before the audio phase, shown beside the loudness measured here);
//   2. the file is cut into time ranges at its keyframes (about four per
//      rank) and the ranges run over the farm (worker/qa_task.h): every
//      frame decoded with error detection, faces found on sampled frames;
//   3. meanwhile rank 0 measures the audio in a thread of its own: 48 kHz
//      stereo float, programme loudness, true peak, loudness per shot;
//   4. rank 0 merges, runs the checks and fills a QaReport; every rank
//      learns the verdict (QaReport::passed), so all exit alike.
// The values do not depend on the number of ranks: ranges start at
// keyframes, errors are counted by the range that owns the packet, and the
// frames sampled for faces are fixed output frames.
//
// Used by `framefarm qa FILE --job JOB [--workdir DIR]` (app/cmd_qa.cc) and
// at the end of `framefarm run`, which adds run-level fields:
//   QaRequest request{.file = output, .job = job, .workdir = workdir};
//   QaReport report = run_qa_phase(request);             // collective
//   root_step([&] {
//     report.extra["phases"] = phases_json;               // any top-level key
//     write_qa_report(report, qa_report_path(request));   // report.json + .html, atomic
//     std::fputs(qa_summary(report, qa_report_path(request)).c_str(), stdout);
//   });
//   return report.passed ? ExitCode::kOk : ExitCode::kQaFailed;
//
// Errors: a file that cannot be probed is ff::InputError naming it; a
// work directory without analysis.h5 is ff::UsageError; decode errors are
// never thrown, they are what decode.errors counts.
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analysis/qa_checks.h"
#include "core/options.h"

namespace ff::coordinator {

struct QaRequest {
  std::filesystem::path file;            // the delivered file (the same path on every rank)
  core::JobOptions job;                  // its job: spec, loudness target, QA limits
  std::filesystem::path workdir;         // the job's work directory; empty: none
  std::optional<int64_t> expect_frames;  // overrides the plan's frame count
  std::filesystem::path input;  // the job's input, for the report; empty: /probe's path if known
};

// One range as it ran: where, how long, what it found.
struct QaRangeMetrics {
  int32_t id = 0;
  int rank = -1;
  double start_s = 0.0;  // output time of the range's first keyframe
  double end_s = 0.0;    // the next range's start, or the video duration
  int64_t frames = 0;
  int64_t errors = 0;
  int64_t sampled = 0;   // frames sampled for faces
  double seconds = 0.0;  // the task's execution time on `rank`
  double decode_s = 0.0;
  double detect_s = 0.0;
};

struct QaReport {
  std::filesystem::path input;  // may be empty
  std::filesystem::path output;
  std::filesystem::path workdir;  // may be empty
  bool passed = false;            // every rank
  // Rank 0 only from here.
  std::vector<analysis::QaCheck> checks;
  analysis::QaMeasurements measurements;  // what the checks judged
  core::AudioOptions audio;               // the job's [audio]: target, shots counted for the spread
  std::string encoder;                    // "x264 core 164", "h264_nvenc", "" when unknown
  // Per shot, the input's loudness before the audio phase (analysis.h5
  // /audio lufs_before); empty without a work directory, /audio, or when its
  // shot count differs from the shots measured.
  std::vector<double> shot_lufs_before;
  int ranks = 1;
  std::vector<QaRangeMetrics> ranges;
  double wall_s = 0.0;   // the whole phase on rank 0
  double audio_s = 0.0;  // the audio measurement (overlapped with the ranges)
  // More top-level fields of report.json (run-level: phase timings, segments).
  // Must be an object; its keys must not be ones qa_report_json writes.
  nlohmann::json extra = nlohmann::json::object();
};

// Collective: every rank calls it with the same request. Rank 0 gets the
// whole report, other ranks only `passed`.
QaReport run_qa_phase(const QaRequest& request);

// The JSON and summary below are in qa_report.cc.

// <workdir>/report.json, or <file>.report.json next to the file without one.
std::filesystem::path qa_report_path(const QaRequest& request);

// report.html beside a report.json: <dir>/report.html, or FILE.report.html
// for FILE.report.json (any other name: the extension replaced by .html).
std::filesystem::path report_html_path(const std::filesystem::path& json_path);

// A number for report.json: finite values as numbers, else the strings
// "-inf", "inf" or "nan" (docs/report-schema.md).
nlohmann::json report_number(double value);

// report.json's text (docs/report-schema.md), schema "framefarm.report/1".
// Throws ff::RuntimeError when `extra` is not an object or reuses a key.
std::string qa_report_json(const QaReport& report);

// Writes qa_report_json(report) to `path` and report_html (report_html.h) of
// it to report_html_path(path), each atomically (core/atomic_file.h).
void write_qa_report(const QaReport& report, const std::filesystem::path& path);

// The terminal summary: one line per check with PASS/FAIL/N/A/INFO, the
// detail of each failed check, one line of loudness per shot (before ->
// after, when the work directory knew the before), the verdict with the
// failed names, and the reports' paths (report.json and report.html).
std::string qa_summary(const QaReport& report, const std::filesystem::path& report_path);

}  // namespace ff::coordinator
