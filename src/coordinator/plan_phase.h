#pragma once
// The plan phase on rank 0: job options -> PlanParams, make_plan over the
// scan, /plan in analysis.h5 and a readable plan.json in the work directory.
#include <filesystem>

#include "analysis/plan.h"
#include "core/options.h"
#include "core/store.h"
#include "media/probe.h"

namespace ff::coordinator {

// The source rate the output follows when output.fps is 0: the average rate
// of a CFR stream; for a VFR stream the common rate (23.976 .. 60) nearest
// its median frame interval.
media::Rational source_rate(const media::VideoInfo& video);

analysis::PlanParams plan_params_of(const core::JobOptions& job, const media::VideoInfo& video);

analysis::Plan run_plan_phase(core::Store& store, const core::JobOptions& job,
                              const media::ProbeResult& probe, const analysis::ScanData& scan,
                              const std::filesystem::path& workdir);

// plan.json's text: cuts, shots (mode, persons, speaker), segments.
std::string plan_json(const analysis::Plan& plan, const media::ProbeResult& probe);

}  // namespace ff::coordinator
