#pragma once
// The render phase over the farm: rank 0 builds the RenderContext from the
// probe, the scan and the plan, every rank receives it once, and segments
// are rendered longest first (worker/render_task.h). Then rank 0 stitches.
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
RenderPhaseResult run_render_phase(const std::filesystem::path& input,
                                   const worker::RenderContext& context,
                                   const std::filesystem::path& segments_dir,
                                   const core::JobOptions& job, const FarmConfig& farm);

}  // namespace ff::coordinator
