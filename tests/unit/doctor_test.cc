// `framefarm doctor` as a user runs it on this (GPU-less) machine: exit code,
// one OK/WARN/FAIL line per check, the verdict, and a bad job file's own line.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "media/hw_device.h"
#include "support/testenv.h"

namespace ff {
namespace {

using test::run_framefarm;

std::string q(const std::filesystem::path& p) {
  return test::shell_quote(p.string());
}

// The output line for check `name` ("" when there is none), e.g.
// "  OK    encoder libx264      present, opens".
std::string line_of(const std::string& out, const std::string& name) {
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.size() > 8 && line.compare(8, name.size() + 1, name + " ") == 0) return line;
  }
  return "";
}

bool no_gpu() {
  return media::query_cuda_driver().devices.empty();
}

TEST(Doctor, Help) {
  const auto r = run_framefarm("doctor --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("usage: framefarm doctor"), std::string::npos) << r.out;
}

TEST(Doctor, ThisMachineIsReadyForCpuRuns) {
  const auto r = run_framefarm("doctor");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.rfind("rank 0 on ", 0), 0u) << r.out;
  EXPECT_EQ(line_of(r.out, "encoder libx264"), "  OK    encoder libx264      present, opens")
      << r.out;
  EXPECT_EQ(line_of(r.out, "decoder h264"), "  OK    decoder h264         present") << r.out;
  EXPECT_EQ(line_of(r.out, "cascade haar").rfind("  OK    cascade haar", 0), 0u) << r.out;
  EXPECT_NE(line_of(r.out, "mpi").find(", 1 rank, thread level FUNNELED"), std::string::npos)
      << r.out;
  for (const char* name : {"framefarm", "ffmpeg", "encoder h264_nvenc", "decoder nvdec",
                           "cuda hwdevice", "hdf5", "libebur128", "farm.device"}) {
    EXPECT_NE(line_of(r.out, name), "") << name << " missing from:\n" << r.out;
  }
  EXPECT_EQ(r.out.find("FAIL"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nverdict: ready for CPU runs; GPU path available on "), std::string::npos)
      << r.out;
  if (no_gpu()) {
    EXPECT_EQ(line_of(r.out, "cuda devices").rfind("  OK    cuda devices         none: ", 0), 0u)
        << r.out;
    EXPECT_EQ(
        line_of(r.out, "farm.device").rfind("  OK    farm.device          \"auto\" -> cpu: ", 0),
        0u)
        << r.out;
    EXPECT_NE(r.out.find("GPU path available on 0 of 1 rank\n"), std::string::npos) << r.out;
  }
}

TEST(Doctor, AJobThatScansWithLbpChecksQasHaarCascadeToo) {
  test::TempDir dir("doctor-lbp");
  const auto job = dir / "lbp.toml";
  std::ofstream(job) << "[reframe]\ndetector = \"lbp\"\n";
  const auto r = run_framefarm("doctor --job " + q(job));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(line_of(r.out, "cascade lbp").rfind("  OK    cascade lbp", 0), 0u) << r.out;
  EXPECT_NE(line_of(r.out, "cascade lbp").find("lbpcascade_frontalface_improved.xml loads"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(line_of(r.out, "qa cascade haar").rfind("  OK    qa cascade haar", 0), 0u) << r.out;
  EXPECT_EQ(line_of(r.out, "cascade haar"), "") << r.out;  // no separate optional line
}

TEST(Doctor, BrokenJobFileGivesItsOwnLineAndExit2) {
  test::TempDir dir("doctor-job");
  const auto job = dir / "bad.toml";
  std::ofstream(job) << "[output]\ncrf = 20\n[farm]\ndevice = \"gpu\"\n";
  const auto r = run_framefarm("doctor --job " + q(job));
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_EQ(line_of(r.out, "job"), "  FAIL  job                  " + job.string() +
                                       ":4: farm.device = \"gpu\" is not allowed; allowed "
                                       "\"auto\", \"cpu\", \"cuda\"")
      << r.out;
  EXPECT_NE(r.out.find("\nverdict: NOT ready: FAIL on 1 of 1 rank"), std::string::npos) << r.out;
}

TEST(Doctor, ValidJobIsCheckedWithItsOverrides) {
  const auto demo = test::source_dir() / "jobs/demo.toml";
  const auto ok = run_framefarm("doctor --job " + q(demo));
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_EQ(line_of(ok.out, "job")
                .rfind("  OK    job                  " + demo.string() + " is valid (", 0),
            0u)
      << ok.out;
  const auto bad = run_framefarm("doctor --job " + q(demo) + " --set output.crf=80");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(line_of(bad.out, "job"),
            "  FAIL  job                  --set output.crf=80: output.crf = 80 is out of range; "
            "allowed 0..51")
      << bad.out;
}

TEST(Doctor, CudaAskedWhereNoneWorksFails) {
  if (media::cuda_unusable_reason().empty()) GTEST_SKIP() << "a CUDA device works here";
  const auto r = run_framefarm("doctor --job " + q(test::source_dir() / "jobs/demo.toml") +
                               " --set farm.device=cuda");
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  EXPECT_EQ(line_of(r.out, "farm.device"),
            "  FAIL  farm.device          \"cuda\" but no CUDA device works here: " +
                media::cuda_unusable_reason())
      << r.out;
}

}  // namespace
}  // namespace ff
