#pragma once
// report.json's `run` object (docs/report-schema.md): what `framefarm run`
// did, for the reader and for report.html's charts: phase timings, the
// plan's shots, the render segments with their ranks and times, the audio
// phase's loudness per shot, the crop path (sampled) and each rank's usage.
//
// A pure function of plain structs, so it is tested without running a job.
// Every pointer may be null: its section is then left out (a plan-only
// run has no render and no audio).
//
//   RunFacts facts;
//   facts.phases = phases;                   // PhaseTiming per phase
//   facts.plan = &plan;  facts.src_width = 640;  facts.src_height = 360;
//   facts.render = &render;  facts.audio = &audio;
//   facts.ranks = gather_rank_usage(wall_s);
//   report.extra["run"] = run_report_json(facts);
//
// Segment start times: the farm reports each task's execution seconds and
// rank, not when it started. A rank runs its tasks one after another in the
// farm's dispatch order (longest first, ties by id: analysis::schedule_order),
// so each segment's start is reconstructed as the sum of the seconds of the
// segments that rank ran before it. The gaps between tasks (messages, a few
// ms) and failed tries are not in it: the starts are slightly early, never
// late, and `run.segment_start` says "reconstructed".
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/plan.h"
#include "coordinator/audio_phase.h"
#include "coordinator/rank_usage.h"
#include "coordinator/render_phase.h"

namespace ff::coordinator {

struct PhaseTiming {
  std::string name;      // "probe", "scan", "plan", "render", "audio (overlapped)", ...
  double start_s = 0.0;  // since the job started, rank 0's clock
  double wall_s = 0.0;
  int64_t frames = 0;  // frames the phase went through; 0: no fps for it
};

struct RunFacts {
  std::vector<PhaseTiming> phases;
  const analysis::Plan* plan = nullptr;
  int32_t src_width = 0;  // displayed source size, pixels (the crop's frame)
  int32_t src_height = 0;
  const RenderPhaseResult* render = nullptr;  // segments indexed like plan->segments
  const AudioResult* audio = nullptr;
  std::vector<RankUsage> ranks;
  std::string device = "cpu";  // where frames were processed
  // Where the scan decoded and downscaled: "cpu", or "nvdec+cuda" once the
  // device scan is switched on (worker/scan_task.h, ScanParams::farm_device).
  std::string scan_path = "cpu";
};

// Crop path samples: about every `step_s` of output time, at most
// `max_points` in all, the first and the last frame of each take (of each
// shot where it has none) included (so a jump at a cut or a speaker cut
// shows as a jump) while those fit in half the budget, and the last output frame. Sorted, no
// duplicates.
std::vector<int64_t> crop_sample_frames(const analysis::Plan& plan, double step_s = 0.25,
                                        size_t max_points = 2000);

// Each segment's start in seconds since the render started, reconstructed
// as described above; `metrics[i]` belongs to `segments[i]`. A segment
// without a rank (never rendered) gets 0. Throws ff::RuntimeError when the
// sizes differ.
std::vector<double> segment_start_s(const std::vector<analysis::Segment>& segments,
                                    const std::vector<SegmentMetrics>& metrics);

// The `run` object. Throws ff::RuntimeError when render->segments and
// plan->segments differ in size.
nlohmann::json run_report_json(const RunFacts& facts);

}  // namespace ff::coordinator
