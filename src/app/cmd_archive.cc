#include <charconv>
#include <cstdio>

#include "app/args.h"
#include "app/commands.h"
#include "coordinator/archive.h"
#include "coordinator/mpi_env.h"
#include "core/error.h"
#include "core/log.h"

namespace ff::app {
namespace {

// --only N: a positive entry number (a Slurm array task id).
int parse_entry_number(const std::string& text) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1) {
    throw UsageError("framefarm archive: --only '" + text +
                     "' is not an entry number; entries count from 1 (pass "
                     "$SLURM_ARRAY_TASK_ID of an array submitted with --array=1-N)");
  }
  return value;
}

}  // namespace

int cmd_archive(const std::vector<std::string>& argv) {
  const ArgSpec spec{
      "archive",
      {"MANIFEST"},
      "Run a job over every video of a manifest inside one allocation: one scan and one\n"
      "render pull queue over the segments of all videos (longest first), then stitch,\n"
      "audio and QA per video. MANIFEST lists one input path per line (blank lines and\n"
      "# comments are ignored; relative paths are relative to the manifest). Entry\n"
      "<dir>/<stem>.<ext> is delivered as <outdir>/<stem>.mp4 with its work directory\n"
      "<outdir>/<stem>.work; <outdir>/<manifest stem>.status.json records each entry\n"
      "(done, failed or pending, QA verdict, wall time, tries, reason). A rerun skips\n"
      "done entries and retries failed ones up to farm.max_tries. A bad input fails its\n"
      "entry only. Exit code: 0 all passed QA, 1 some failed QA, 4 some failed to\n"
      "process, 2 usage or config error. See docs/archive.md.",
      {
          {"--job", "JOB", "the job file (TOML) applied to every entry", true},
          {"--outdir", "DIR", "output directory (default: <manifest dir>/<manifest stem>.out)"},
          {"--only", "N", "process entry N only (1-based; for Slurm job arrays)"},
          {"--set", "TABLE.KEY=VALUE", "override a job file key", false, true},
          {"--log-level", "LEVEL", "debug, info (default), warn or error"},
      }};
  const Args args = parse_args(spec, argv);
  if (args.help) {
    std::fputs(usage_text(spec).c_str(), stdout);
    return 0;
  }
  const log::Level level = log::parse_level(args.value("--log-level").value_or("info"));
  coordinator::ArchiveRequest request;
  request.manifest = args.positional[0];
  request.job_file = *args.value("--job");
  request.overrides = args.all("--set");
  request.outdir = args.value("--outdir").value_or("");
  if (const auto only = args.value("--only")) request.only = parse_entry_number(*only);
  coordinator::MpiEnv mpi(nullptr, nullptr);
  log::init(mpi.rank(), level);
  return static_cast<int>(coordinator::run_archive(request));
}

}  // namespace ff::app
