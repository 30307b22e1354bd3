#include "app/cli.h"

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "app/commands.h"
#include "core/build_config.h"
#include "core/error.h"
#include "core/log.h"

namespace ff::app {
namespace {

constexpr const char* kTopHelp = R"(usage: framefarm COMMAND [options]

framefarm reframes and re-encodes long recordings on an MPI render farm:
scene-cut split, face-centred crop, x264/NVENC encode, lossless stitch,
shot-level loudness matching, and a QA report.

commands:
  run JOB --input FILE     run a job end to end (under mpirun/srun for many ranks)
  plan JOB --input FILE    probe, scan and plan only; writes plan.json
  archive MANIFEST --job JOB
                           run every video a manifest lists, in one allocation, with a
                           status file; reruns skip what is done (docs/archive.md)
  qa FILE [--job JOB]      check a delivered file against the spec; writes report.json
                           and report.html
  probe FILE               print what framefarm knows about a media file, as JSON
  doctor [--job JOB]       check this node (or every node, under srun): MPI, Slurm,
                           FFmpeg encoders, CUDA, cascades (docs/gpu.md)

options:
  --version                print the version and exit
  --help                   this help; 'framefarm COMMAND --help' for a command

exit codes: 0 done and QA passed, 1 QA failed, 2 usage or config error,
            3 input rejected, 4 runtime failure
)";

int report_error(const char* what, ExitCode code) {
  // One line; log::write adds the rank prefix. Usage, config and input errors
  // are the same on every rank (each reads the same job file), so only rank 0
  // says it; a runtime error is said by the rank that hit it.
  if (log::rank() == 0 || code == ExitCode::kRuntime) log::write(log::Level::kError, what);
  return static_cast<int>(code);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> words(argv + 1, argv + argc);
  if (words.empty() || words[0] == "--help" || words[0] == "-h" || words[0] == "help") {
    std::fputs(kTopHelp, words.empty() ? stderr : stdout);
    return words.empty() ? static_cast<int>(ExitCode::kUsage) : 0;
  }
  if (words[0] == "--version" || words[0] == "version") {
    std::printf("framefarm %s\n", kVersion);
    return 0;
  }
  const std::string command = words[0];
  words.erase(words.begin());
  try {
    const Command* cmd = find_command(command);
    if (cmd == nullptr) {
      throw UsageError("framefarm: unknown command '" + command + "'; see 'framefarm --help'");
    }
    return cmd->run(words);
  } catch (const PeerError& e) {
    return static_cast<int>(e.code());  // reported by the rank that hit it
  } catch (const Error& e) {
    return report_error(e.what(), e.code());
  } catch (const std::exception& e) {
    return report_error(e.what(), ExitCode::kRuntime);
  }
}

}  // namespace ff::app
