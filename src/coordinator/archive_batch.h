#pragma once
// One batch of `framefarm archive` entries (internal to archive.cc): the
// entries' state on rank 0 and the steps that take a batch from probe to
// delivered outputs (archive.h lists them). Every step records a failed
// entry in the status file at once and leaves it out of the later steps.
//
//   ArchiveContext context{job, manifest, tries};
//   std::vector<EntryWork> works;                          // rank 0
//   size_t end = open_batch(context, todo, next, works);  // rank 0: probes
//   run_batch(context, batch_entries, works);              // collective
#include <chrono>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/plan.h"
#include "analysis/scan_data.h"
#include "coordinator/archive_manifest.h"
#include "coordinator/archive_status.h"
#include "coordinator/audio_phase.h"
#include "coordinator/job_steps.h"
#include "coordinator/render_phase.h"
#include "core/options.h"
#include "core/store.h"
#include "media/probe.h"

namespace ff::coordinator {

struct ArchiveContext {
  const core::JobOptions& job;
  const Manifest& manifest;         // rank 0
  const std::map<int, int>& tries;  // rank 0: entry -> finished tries before this run
};

// Rank 0: one entry on its way through the batch.
struct EntryWork {
  ManifestEntry entry;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  PhaseTimes phases;
  std::optional<media::ProbeResult> probe;
  std::optional<core::Store> store;
  std::string scan_key;
  std::optional<analysis::ScanData> scan;
  std::optional<analysis::Plan> plan;
  std::optional<AudioResult> audio;
  std::exception_ptr audio_error;
  RenderPhaseResult render;
  bool finished = false;  // its record is in the status file (done or failed)
  bool failed = false;
};

// Rank 0: probes todo[next..] into `works` until the batch is full; returns
// the index after the batch's last entry.
size_t open_batch(const ArchiveContext& context, const std::vector<ManifestEntry>& todo,
                  size_t next, std::vector<EntryWork>& works);

// Collective: scan, plan, render with audio, then stitch, QA and record each
// entry. `entries` (every rank) are the batch's entries; `works` (rank 0)
// their state from open_batch.
void run_batch(const ArchiveContext& context, const std::vector<ManifestEntry>& entries,
               std::vector<EntryWork>& works);

// Rank 0: writes the entry's final record (state, QA, wall time, tries,
// reason) to the status file and logs it.
void record_entry(const ArchiveContext& context, EntryWork& work, EntryState state, EntryQa qa,
                  const std::string& reason);

}  // namespace ff::coordinator
