// The command line as a user meets it: exit codes and the one-line messages
// for bad usage, bad job files and rejected inputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "support/testenv.h"

namespace ff {
namespace {

using test::run_command;
using test::run_framefarm;
using test::shell_quote;

std::string q(const std::filesystem::path& p) {
  return shell_quote(p.string());
}

int count_lines(const std::string& s) {
  return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

TEST(Cli, VersionAndHelp) {
  const auto v = run_framefarm("--version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.out.rfind("framefarm ", 0), 0u) << v.out;
  for (const char* cmd : {"run", "plan", "probe", "qa", "archive", "doctor"}) {
    const auto h = run_framefarm(std::string(cmd) + " --help");
    EXPECT_EQ(h.exit_code, 0) << cmd;
    EXPECT_NE(h.out.find(std::string("usage: framefarm ") + cmd), std::string::npos) << h.out;
  }
  const auto top = run_framefarm("--help");
  EXPECT_EQ(top.exit_code, 0);
  EXPECT_NE(top.out.find("exit codes"), std::string::npos);
  for (const char* cmd : {"  run ", "  plan ", "  archive ", "  qa ", "  probe ", "  doctor "}) {
    EXPECT_NE(top.out.find(cmd), std::string::npos) << "top help lists" << cmd;
  }
}

TEST(Cli, UsageErrorsExitWith2AndSayWhatToDo) {
  const auto unknown = run_framefarm("render");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("framefarm: unknown command 'render'; see 'framefarm --help'"),
            std::string::npos)
      << unknown.err;
  const auto missing = run_framefarm("run " + q(test::source_dir() / "jobs/demo.toml"));
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("framefarm run: --input FILE is required; see 'framefarm run --help'"),
            std::string::npos)
      << missing.err;
  const auto bad_option = run_framefarm("probe x.mp4 --frobnicate");
  EXPECT_EQ(bad_option.exit_code, 2);
  EXPECT_NE(bad_option.err.find("framefarm probe: unknown option --frobnicate"), std::string::npos);
}

TEST(Cli, ConfigErrorsExitWith2NamingFileLineAndKey) {
  test::TempDir dir("cli-config");
  const auto job = dir / "bad.toml";
  std::ofstream(job) << "[output]\nwidth = 1080\ncrf = 80\n";
  const auto r = run_framefarm("plan " + q(job) + " --input " + q(test::recording("call.mp4")));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(job.string() + ":3: output.crf = 80 is out of range; allowed 0..51"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(count_lines(r.err), 1) << "one line, not a stack: " << r.err;
  const auto set = run_framefarm("plan " + q(test::source_dir() / "jobs/demo.toml") + " --input " +
                                 q(test::recording("call.mp4")) + " --set output.presett=slow");
  EXPECT_EQ(set.exit_code, 2);
  EXPECT_NE(set.err.find("output.presett"), std::string::npos) << set.err;
  EXPECT_NE(set.err.find("did you mean output.preset?"), std::string::npos) << set.err;
}

class CliRejects : public testing::Test {
 protected:
  // `framefarm run` on a bad input: exit 3, one line naming the file, no output left behind.
  void expect_rejected(const std::filesystem::path& input, const std::string& reason) {
    const auto out = dir_ / "out.mp4";
    const auto r = run_framefarm("run " + q(test::source_dir() / "jobs/demo.toml") + " --input " +
                                 q(input) + " --output " + q(out));
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find(input.string() + ": input rejected: " + reason), std::string::npos)
        << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_FALSE(std::filesystem::exists(out));
    const auto p = run_framefarm("probe " + q(input));
    EXPECT_EQ(p.exit_code, 3);
    EXPECT_EQ(p.out, "");
  }
  test::TempDir dir_{"cli-reject"};
};

TEST_F(CliRejects, TextFile) {
  const auto text = dir_ / "notes.txt";
  std::ofstream(text) << "minutes of the meeting\n";
  expect_rejected(text, "not a media file FFmpeg can read");
}

TEST_F(CliRejects, TruncatedMp4) {
  const auto whole = test::recording("call.mp4");
  const auto cut = dir_ / "cut.mp4";
  const auto size = std::filesystem::file_size(whole);
  ASSERT_EQ(run_command("head -c " + std::to_string(size / 2) + " " + q(whole) + " > " + q(cut))
                .exit_code,
            0);
  expect_rejected(cut, "truncated");
}

TEST_F(CliRejects, NoVideoStream) {
  const auto audio = dir_ / "voice.m4a";
  ASSERT_EQ(run_command("ffmpeg -v error -y -i " + q(test::recording("call.mp4")) +
                        " -vn -c:a copy -t 2 " + q(audio))
                .exit_code,
            0);
  expect_rejected(audio, "no video stream");
}

TEST_F(CliRejects, MissingFile) {
  expect_rejected(dir_ / "nope.mp4", "");
}

}  // namespace
}  // namespace ff
