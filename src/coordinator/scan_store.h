#pragma once
// /probe and /scan in analysis.h5: writing them, and reading a scan back
// when a rerun can reuse it (same input fingerprint, same scan options).
#include <optional>
#include <string>

#include "analysis/scan_data.h"
#include "coordinator/scan_phase.h"
#include "core/store.h"
#include "media/probe.h"

namespace ff::coordinator {

void write_probe(core::Store& store, const media::ProbeResult& probe);

// `scan_key` identifies everything the scan's output depends on (input
// fingerprint and scan options); a later read_scan with another key misses.
void write_scan(core::Store& store, const ScanPhaseResult& scan, const std::string& scan_key);

// The stored scan when its key matches; nullopt when absent or stale.
std::optional<analysis::ScanData> read_scan(const core::Store& store, const std::string& scan_key);

}  // namespace ff::coordinator
