#pragma once
// The render phase over the farm: rank 0 builds the RenderContext from the
// probe, the scan and the plan, every rank receives it once, and segments
// are rendered longest first (worker/render_task.h). Then rank 0 stitches.
// Several videos can share one farm run (run_render_videos, for `framefarm
// archive`).
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "analysis/plan.h"
#include "analysis/scan_data.h"
#include "coordinator/farm.h"
#include "core/options.h"
#include "media/probe.h"
#include "worker/render_task.h"

namespace ff::coordinator {

struct SegmentMetrics {
  worker::RenderResult result;
  int rank = -1;
  double seconds = 0.0;
};

struct RenderPhaseResult {
  std::vector<SegmentMetrics> segments;  // rank 0: by segment index
  std::string encoder;                   // what ran ("libx264", "h264_nvenc")
  int64_t reused = 0;                    // segments kept from an earlier run
};

// Rank 0 only: the context every rank needs to render.
worker::RenderContext make_render_context(const media::ProbeResult& probe,
                                          const analysis::ScanData& scan,
                                          const analysis::Plan& plan, const core::JobOptions& job);

// Collective. `context` is read on rank 0 only; fps is the plan's rate.
// One video of run_render_videos, with the farm's failures thrown as they are.
RenderPhaseResult run_render_phase(const std::filesystem::path& input,
                                   const worker::RenderContext& context,
                                   const std::filesystem::path& segments_dir,
                                   const core::JobOptions& job, const FarmConfig& farm);

// One video of a multi-video render (filled on rank 0).
struct RenderVideo {
  std::filesystem::path input;
  worker::RenderContext context;  // make_render_context(...)
  std::filesystem::path segments_dir;
};

struct RenderVideoOutcome {
  RenderPhaseResult result;  // rank 0, when failure is empty
  std::string failure;       // rank 0: one line, why this video's render failed
};

// Collective: the segments of every video in one farm run, one pull queue,
// longest segment first across videos (video_farm.h). `videos` is read on
// rank 0; every rank receives every video's context once and gets one
// outcome per video. Each video's segment files are those run_render_phase
// writes for it alone. With `isolate_failures`, a segment out of tries fails
// only its video; without, it throws FarmError as run_render_phase does.
std::vector<RenderVideoOutcome> run_render_videos(const std::vector<RenderVideo>& videos,
                                                  const core::JobOptions& job,
                                                  const FarmConfig& farm, bool isolate_failures);

}  // namespace ff::coordinator
