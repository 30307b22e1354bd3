#pragma once
// Helpers shared by the tests: where things are, and running the framefarm
// binary the way a user does, capturing its exit code and output.
#include <filesystem>
#include <string>

namespace ff::test {

// Paths baked in by tests/CMakeLists.txt; an environment variable of the same
// name (FRAMEFARM_TESTDATA, ...) overrides each.
std::filesystem::path testdata_dir();  // generated recordings + ground truth
std::filesystem::path source_dir();
std::filesystem::path framefarm_bin();
std::filesystem::path cascade_dir();

// A recording from the generator, e.g. recording("call_gallery.mp4").
// Fails the calling test (GTEST_SKIP is wrong here) when it is missing.
std::filesystem::path recording(const std::string& name);

// A fresh, empty directory under the build tree's scratch area, removed
// when the object goes away.
class TempDir {
 public:
  explicit TempDir(const std::string& tag);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `command` through /bin/sh, capturing stdout and stderr separately.
CommandResult run_command(const std::string& command);

// Runs `framefarm <args>`: args is one shell-quoted string.
CommandResult run_framefarm(const std::string& args);

// Single-quotes `s` for /bin/sh.
std::string shell_quote(const std::string& s);

}  // namespace ff::test
