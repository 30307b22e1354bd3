#pragma once
// One framefarm job end to end, on every rank (DESIGN.md §1):
//   probe (rank 0) -> scan (all ranks) -> plan (rank 0) -> ...
// Rank 0 owns the work directory and analysis.h5; other ranks only read the
// input and, later, write segments under their final names.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace ff::coordinator {

struct JobRequest {
  std::filesystem::path job_file;
  std::vector<std::string> overrides;  // --set table.key=value
  std::filesystem::path input;
  std::filesystem::path output;   // empty: <input stem>.framefarm.mp4 in the working directory
  std::filesystem::path workdir;  // empty: <output>.work
  bool plan_only = false;         // `framefarm plan`: stop after the plan, write plan.json
};

// Runs the job; returns the exit code (core/error.h). Throws ff::Error on
// failure; ranks other than the one that failed throw PeerError.
ExitCode run_job(const JobRequest& request);

// Resolves the default output and work directory paths.
JobRequest with_default_paths(JobRequest request);

}  // namespace ff::coordinator
