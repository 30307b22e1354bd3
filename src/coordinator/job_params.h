#pragma once
// The job file's options mapped onto each component's own params struct
// (the algorithms do not know the job file; STYLE.md item 2).
#include <string>

#include "coordinator/farm.h"
#include "core/options.h"
#include "worker/scan_task.h"

namespace ff::coordinator {

worker::ScanParams scan_params_of(const core::JobOptions& job);
FarmConfig farm_config_of(const core::JobOptions& job);

// Everything the scan's output depends on, for reusing a stored scan:
// the input fingerprint and the scan parameters, after a version that
// changes whenever the scan computes something differently from the same
// parameters (v3: activity from the mouth band, 2026-12-04).
std::string scan_key(const std::string& fingerprint, const worker::ScanParams& params);

}  // namespace ff::coordinator
