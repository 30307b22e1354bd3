#include <cstdio>

#include "app/args.h"
#include "app/commands.h"
#include "coordinator/job.h"
#include "coordinator/mpi_env.h"
#include "core/log.h"

namespace ff::app {
namespace {

std::vector<OptionSpec> job_options(bool with_output) {
  std::vector<OptionSpec> options{
      {"--input", "FILE", "the input video", true},
      {"--workdir", "DIR", "work directory (default: <output>.work)"},
      {"--set", "TABLE.KEY=VALUE", "override a job file key", false, true},
      {"--log-level", "LEVEL", "debug, info (default), warn or error"},
  };
  if (with_output) {
    options.insert(options.begin() + 1,
                   {"--output", "FILE", "the delivery file (default: <input stem>.framefarm.mp4)"});
  }
  return options;
}

int run_or_plan(const ArgSpec& spec, const std::vector<std::string>& argv, bool plan_only) {
  const Args args = parse_args(spec, argv);
  if (args.help) {
    std::fputs(usage_text(spec).c_str(), stdout);
    return 0;
  }
  const log::Level level = log::parse_level(args.value("--log-level").value_or("info"));
  coordinator::MpiEnv mpi(nullptr, nullptr);
  log::init(mpi.rank(), level);
  coordinator::JobRequest request;
  request.job_file = args.positional[0];
  request.overrides = args.all("--set");
  request.input = *args.value("--input");
  request.output = args.value("--output").value_or("");
  request.workdir = args.value("--workdir").value_or("");
  request.plan_only = plan_only;
  return static_cast<int>(coordinator::run_job(request));
}

}  // namespace

int cmd_run(const std::vector<std::string>& argv) {
  const ArgSpec spec{"run",
                     {"JOB"},
                     "Run a job end to end: probe, scan, plan, render, stitch, audio and QA.\n"
                     "Run it under mpirun or srun for many ranks; one rank runs everything\n"
                     "in-process. Rerunning a job reuses the finished work in its work directory.",
                     job_options(true)};
  return run_or_plan(spec, argv, false);
}

int cmd_plan(const std::vector<std::string>& argv) {
  const ArgSpec spec{"plan",
                     {"JOB"},
                     "Probe, scan and plan only: scene cuts, shots, the crop window per output\n"
                     "frame, the active speaker and the render segments. Writes analysis.h5 and\n"
                     "a readable plan.json into the work directory.",
                     job_options(false)};
  return run_or_plan(spec, argv, true);
}

}  // namespace ff::app
