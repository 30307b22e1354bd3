#pragma once
// `framefarm archive MANIFEST --job JOB`: every video of a manifest through
// one allocation (docs/archive.md).
//
// On every rank, in batches of entries (at most kBatchMaxEntries entries or
// kBatchMaxFrames source frames, so memory stays bounded on a long manifest):
//   1. rank 0 reads the manifest and the status file, skips entries that are
//      done (output present) or failed farm.max_tries times, and probes the
//      rest (open_job); a bad input fails its entry, not the archive;
//   2. one scan farm run over the entries without a reusable stored scan,
//      then the plan of each entry on rank 0;
//   3. one render farm run over all segments of all entries, longest first
//      across videos, while rank 0 runs the entries' audio phases one after
//      another in a thread;
//   4. per entry: stitch on rank 0, QA over every rank, report.json, and
//      the entry's record in the status file (so a crash loses no finished
//      entry).
// A chunk or segment that runs out of tries fails its entry only. Each
// entry's analysis.h5, plan.json, segments, report.json and output are those
// `framefarm run` writes for the same input and job.
//
// Example:
//   ArchiveRequest request{.manifest = "talks.txt", .job_file = "jobs/demo.toml"};
//   ExitCode code = run_archive(request);   // collective; kOk, kQaFailed or kRuntime
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace ff::coordinator {

inline constexpr size_t kBatchMaxEntries = 32;
inline constexpr int64_t kBatchMaxFrames = 4 * 3600 * 30;  // four hours at 30 fps

struct ArchiveRequest {
  std::filesystem::path manifest;
  std::filesystem::path job_file;
  std::vector<std::string> overrides;  // --set table.key=value
  std::filesystem::path outdir;        // empty: <manifest dir>/<manifest stem>.out
  std::optional<int> only;             // --only N: entry N alone
};

// Collective: every rank calls it. Returns, from the status of the selected
// entries after the run: kRuntime when any is failed, else kQaFailed when any
// failed QA, else kOk. Throws ff::UsageError for a bad manifest or --only,
// ff::ConfigError for a bad job file, ff::RuntimeError when the status file
// cannot be kept (every rank throws; PeerError on all but the one that hit it).
ExitCode run_archive(const ArchiveRequest& request);

}  // namespace ff::coordinator
