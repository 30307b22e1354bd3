// Which render path ran (worker/render_device.h), end to end through
// `framefarm run`: report.json's render_path and each segment's path say
// "cpu+x264" where no CUDA device works; on a GPU node the device path runs,
// and with x264 it gives the same segment bytes as the CPU path.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "media/hw_device.h"
#include "support/testenv.h"

namespace ff {
namespace {

using test::shell_quote;

nlohmann::json read_json(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

// Runs the demo job (x264) at 360x640 with `sets` and returns report.json's `run`.
nlohmann::json run_demo(const test::TempDir& dir, const std::string& name,
                        const std::string& sets) {
  const auto out = dir / (name + ".mp4");
  const auto r = test::run_framefarm(
      "run " + shell_quote((test::source_dir() / "jobs/demo.toml").string()) + " --input " +
      shell_quote(test::recording("call.mp4").string()) + " --output " + shell_quote(out.string()) +
      " --set output.width=360 --set output.height=640 " + sets);
  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
  return read_json(dir / (name + ".mp4.work") / "report.json").at("run");
}

// Segment id -> sha256 of the segment file, from the sidecars.
std::map<int, std::string> segment_hashes(const std::filesystem::path& segments) {
  std::map<int, std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(segments)) {
    if (entry.path().extension() != ".json") continue;
    const auto j = read_json(entry.path());
    out[j.at("segment").get<int>()] = j.at("sha256").get<std::string>();
  }
  return out;
}

void expect_path(const nlohmann::json& run, const std::string& path) {
  EXPECT_EQ(run.at("render_path"), path);
  ASSERT_FALSE(run.at("segments").empty());
  for (const auto& s : run.at("segments")) EXPECT_EQ(s.at("path"), path) << s.dump();
}

TEST(RenderPath, ReportSaysWhichPathRan) {
  const test::TempDir dir("render-path");
  const bool gpu = media::cuda_unusable_reason().empty();
  expect_path(run_demo(dir, "auto", "--set farm.device=auto"),
              gpu ? "nvdec+cuda+x264" : "cpu+x264");
  expect_path(run_demo(dir, "cpu", "--set farm.device=cpu"), "cpu+x264");
}

TEST(RenderPath, DevicePathGivesTheCpuPathsBytesWithX264) {
  const std::string why = media::cuda_unusable_reason();
  if (!why.empty()) GTEST_SKIP() << "no CUDA device works here: " << why;
  const test::TempDir dir("render-path-gpu");
  expect_path(run_demo(dir, "cpu", "--set farm.device=cpu"), "cpu+x264");
  expect_path(run_demo(dir, "cuda", "--set farm.device=cuda"), "nvdec+cuda+x264");
  const auto cpu = segment_hashes(dir / "cpu.mp4.work" / "segments");
  const auto cuda = segment_hashes(dir / "cuda.mp4.work" / "segments");
  ASSERT_FALSE(cpu.empty());
  EXPECT_EQ(cuda, cpu);
}

TEST(RenderPath, NvencTakesDeviceFramesWhereTheGpuHasIt) {
  std::string name;
  const std::string why = media::cuda_unusable_reason(&name);
  if (!why.empty()) GTEST_SKIP() << "no CUDA device works here: " << why;
  if (!media::gpu_has_nvenc(name)) GTEST_SKIP() << name << " has no NVENC";
  const test::TempDir dir("render-path-nvenc");
  expect_path(run_demo(dir, "nvenc", "--set farm.device=cuda --set output.encoder=nvenc"),
              "nvdec+cuda+nvenc");
}

}  // namespace
}  // namespace ff
