#pragma once
// framefarm's error policy (STYLE.md, item 6).
//
// Inside a task, code throws one of the errors below. The message is one line
// a user can act on: which file or key, what is wrong, what to do. The
// command line maps the error's kind to the documented exit code:
//
//   0 done and QA passed      1 QA failed          2 usage or config error
//   3 input rejected          4 runtime failure
//
// Example:
//   throw ff::InputError(path, "no video stream", "pass a file with video");
//   // what(): "clip.wav: input rejected: no video stream; pass a file with video"
#include <stdexcept>
#include <string>

namespace ff {

enum class ExitCode : int {
  kOk = 0,
  kQaFailed = 1,
  kUsage = 2,
  kInputRejected = 3,
  kRuntime = 4,
};

// Base class: every framefarm error knows its exit code.
class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

// Bad command line.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error(ExitCode::kUsage, message) {}
};

// Bad job file or --set override. Names the file, the line, `table.key`, and
// what is allowed: "job.toml:12: output.crf = 80 is out of range; allowed 0..51".
class ConfigError : public Error {
 public:
  explicit ConfigError(const std::string& message) : Error(ExitCode::kUsage, message) {}
};

// An input framefarm cannot deliver (not media, no video, truncated, HDR).
class InputError : public Error {
 public:
  InputError(const std::string& path, const std::string& what, const std::string& hint)
      : Error(ExitCode::kInputRejected,
              path + ": input rejected: " + what + (hint.empty() ? "" : "; " + hint)) {}
};

// Anything else that stopped the job: I/O, codec, MPI, a task out of retries.
class RuntimeError : public Error {
 public:
  explicit RuntimeError(const std::string& message) : Error(ExitCode::kRuntime, message) {}
};

// A failure another rank hit and already reported: this rank leaves with the
// same exit code and prints nothing, so a job's log has the error once.
class PeerError : public Error {
 public:
  PeerError(ExitCode code, const std::string& message) : Error(code, message) {}
};

}  // namespace ff
