// `framefarm qa FILE --job JOB [--workdir DIR]`: the qa phase on its own,
// on any delivered file (coordinator/qa_phase.h). Exit code 0 when every
// check passes, 1 when one fails (core/error.h).
#include <cstdio>
#include <string>
#include <vector>

#include "app/args.h"
#include "coordinator/collective.h"
#include "coordinator/mpi_env.h"
#include "coordinator/qa_phase.h"
#include "core/error.h"
#include "core/log.h"
#include "core/options.h"

namespace ff::app {

int cmd_qa(const std::vector<std::string>& argv) {
  const ArgSpec spec{
      "qa",
      {"FILE"},
      "Check a delivered file against its job's delivery spec: decode every frame with\n"
      "error detection, codec/profile/level/pix_fmt/size/colour tags, frame count and\n"
      "duration, A/V difference, loudness (integrated, true peak, per-shot spread) and\n"
      "centred faces. With --workdir the job's analysis.h5 supplies the expected frame\n"
      "count, shots and speakers. Writes report.json (into the work directory, else\n"
      "next to FILE as FILE.report.json). Exit code 0: QA passed, 1: a check failed.\n"
      "Run it under mpirun or srun to spread the decode over ranks.",
      {{"--job", "JOB", "the job file (default: <workdir>/job.toml)"},
       {"--workdir", "DIR", "the job's work directory (analysis.h5, report.json)"},
       {"--set", "TABLE.KEY=VALUE", "override a job file key", false, true},
       {"--expect-frames", "N", "the frame count the file must have (overrides the plan's)"},
       {"--log-level", "LEVEL", "debug, info (default), warn or error"}}};
  const Args args = parse_args(spec, argv);
  if (args.help) {
    std::fputs(usage_text(spec).c_str(), stdout);
    return 0;
  }
  const log::Level level = log::parse_level(args.value("--log-level").value_or("info"));
  // Usage errors first: they need no MPI.
  coordinator::QaRequest request;
  request.file = args.positional[0];
  request.workdir = args.value("--workdir").value_or("");
  std::filesystem::path job_file = args.value("--job").value_or("");
  if (job_file.empty()) {
    if (request.workdir.empty()) {
      throw UsageError(
          "framefarm qa: --job JOB is required without --workdir; see "
          "'framefarm qa --help'");
    }
    job_file = request.workdir / "job.toml";
  }
  if (const auto frames = args.value("--expect-frames")) {
    size_t used = 0;
    long long n = -1;
    try {
      n = std::stoll(*frames, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != frames->size() || n < 1) {
      throw UsageError("framefarm qa: --expect-frames '" + *frames +
                       "' is not a frame count; pass a whole number of frames, e.g. 720");
    }
    request.expect_frames = n;
  }
  coordinator::MpiEnv mpi(nullptr, nullptr);
  log::init(mpi.rank(), level);
  // Every rank reads the job file itself: the same file gives the same options.
  request.job = core::load_job(job_file, args.all("--set"));

  coordinator::QaReport report = coordinator::run_qa_phase(request);
  coordinator::root_step([&] {
    const std::filesystem::path path = coordinator::qa_report_path(request);
    coordinator::write_qa_report(report, path);
    std::fputs(coordinator::qa_summary(report, path).c_str(), stdout);
    std::fflush(stdout);
  });
  return static_cast<int>(report.passed ? ExitCode::kOk : ExitCode::kQaFailed);
}

}  // namespace ff::app
