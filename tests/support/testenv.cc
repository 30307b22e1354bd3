#include "support/testenv.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace ff::test {
namespace {

// The environment overrides the paths CMake baked in (tests/CMakeLists.txt).
std::filesystem::path env_path(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return (value == nullptr || *value == '\0') ? fallback : value;
}

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::filesystem::path testdata_dir() {
  return env_path("FRAMEFARM_TESTDATA", FF_DEFAULT_TESTDATA);
}
std::filesystem::path source_dir() {
  return env_path("FRAMEFARM_SOURCE_DIR", FF_DEFAULT_SOURCE_DIR);
}
std::filesystem::path framefarm_bin() {
  return env_path("FRAMEFARM_BIN", FF_DEFAULT_BIN);
}
std::filesystem::path cascade_dir() {
  return env_path("FRAMEFARM_CASCADE_DIR", FF_DEFAULT_CASCADE_DIR);
}

std::filesystem::path recording(const std::string& name) {
  const auto path = testdata_dir() / name;
  if (!std::filesystem::exists(path)) {
    ADD_FAILURE() << "test recording " << path << " is missing; ctest's testdata.generate makes it";
  }
  return path;
}

TempDir::TempDir(const std::string& tag) {
  static std::atomic<int> counter{0};
  const auto base = testdata_dir().parent_path() / "scratch";
  path_ = base / (tag + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

CommandResult run_command(const std::string& command) {
  char out_template[] = "/tmp/ff-test-out-XXXXXX";
  char err_template[] = "/tmp/ff-test-err-XXXXXX";
  const int out_fd = mkstemp(out_template);
  const int err_fd = mkstemp(err_template);
  if (out_fd < 0 || err_fd < 0) throw std::runtime_error("mkstemp failed");
  close(out_fd);
  close(err_fd);
  const std::string full =
      "(" + command + ") >" + out_template + " 2>" + err_template + " </dev/null";
  const int status = std::system(full.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = slurp(out_template);
  result.err = slurp(err_template);
  std::filesystem::remove(out_template);
  std::filesystem::remove(err_template);
  return result;
}

CommandResult run_framefarm(const std::string& args) {
  return run_command(shell_quote(framefarm_bin().string()) + " " + args);
}

}  // namespace ff::test
