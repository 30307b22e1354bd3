// `framefarm run` end to end on the generated call: the delivery checked with
// ffprobe and ffmpeg (independent of framefarm), the same bytes from 1 and 3
// ranks, and a rerun that reuses every segment.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/store.h"
#include "media/segment_file.h"
#include "support/testenv.h"
#include "support/truth.h"

namespace ff {
namespace {

using test::run_command;
using test::shell_quote;

// The demo job on a generated recording, delivered at 360x640 to `out`.
std::string job_args(const std::filesystem::path& out, const std::string& recording = "call.mp4") {
  return shell_quote((test::source_dir() / "jobs/demo.toml").string()) + " --input " +
         shell_quote(test::recording(recording).string()) + " --output " +
         shell_quote(out.string()) + " --set output.width=360 --set output.height=640";
}

std::string mpirun(int ranks) {
  return "mpirun -n " + std::to_string(ranks) + " --oversubscribe" +
         (getuid() == 0 ? " --allow-run-as-root " : " ") +
         shell_quote(test::framefarm_bin().string());
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class RunOnCall : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir("run-e2e");
    first_ = new test::CommandResult(test::run_framefarm("run " + job_args(*dir_ / "one.mp4")));
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete first_;
  }
  // A failed first run fails every test (an ASSERT in SetUpTestSuite would
  // only mark them skipped). Exit 0: done and QA passed.
  void SetUp() override { ASSERT_EQ(first_->exit_code, 0) << first_->err << first_->out; }
  static nlohmann::json ffprobe(const std::filesystem::path& file) {
    const auto r = run_command("ffprobe -v error -print_format json -show_streams -show_format " +
                               shell_quote(file.string()));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out);
  }
  static test::TempDir* dir_;
  static test::CommandResult* first_;
};
test::TempDir* RunOnCall::dir_ = nullptr;
test::CommandResult* RunOnCall::first_ = nullptr;

TEST_F(RunOnCall, DeliveryIsHighAt40Yuv420pBt709TvRange) {
  const auto j = ffprobe(*dir_ / "one.mp4");
  const auto& v = j.at("streams").at(0);
  EXPECT_EQ(v.at("codec_name"), "h264");
  EXPECT_EQ(v.at("profile"), "High");
  EXPECT_EQ(v.at("level"), 40);
  EXPECT_EQ(v.at("pix_fmt"), "yuv420p");
  EXPECT_EQ(v.at("width"), 360);
  EXPECT_EQ(v.at("height"), 640);
  EXPECT_EQ(v.at("color_primaries"), "bt709");
  EXPECT_EQ(v.at("color_transfer"), "bt709");
  EXPECT_EQ(v.at("color_space"), "bt709");
  EXPECT_EQ(v.at("color_range"), "tv");
  EXPECT_EQ(v.at("r_frame_rate"), "30/1");
  EXPECT_EQ(j.at("streams").size(), 2u) << "video and audio";
}

TEST_F(RunOnCall, EndsWithTheQaSummaryAndAPassingReport) {
  const auto report_path = *dir_ / "one.mp4.work" / "report.json";
  EXPECT_NE(first_->out.find("QA passed"), std::string::npos) << first_->out;
  EXPECT_NE(first_->out.find("report: " + report_path.string()), std::string::npos) << first_->out;
  const auto report = nlohmann::json::parse(slurp(report_path));
  EXPECT_EQ(report.at("schema"), "framefarm.report/1");
  EXPECT_EQ(report.at("verdict"), "pass");
  EXPECT_TRUE(report.contains("phases"));
  EXPECT_TRUE(std::filesystem::exists(*dir_ / "one.mp4.work" / "report.html"));
}

TEST_F(RunOnCall, ReportHasTheRunsShotsSegmentsAudioCropAndRanks) {
  const auto report =
      nlohmann::json::parse(slurp(*dir_ / "one.mp4.work" / "report.json")).at("run");
  core::Store store(*dir_ / "one.mp4.work" / core::Store::kFileName);
  EXPECT_EQ(report.at("segments").size(),
            static_cast<size_t>(store.read_i64("/plan/segments").rows));
  EXPECT_EQ(report.at("shots").size(), static_cast<size_t>(store.read_i64("/plan/shots").rows));
  int64_t frames = 0;
  for (const auto& s : report.at("segments")) {
    EXPECT_EQ(s.at("rank"), 0) << "one rank";
    EXPECT_GE(s.at("start_s").get<double>(), 0.0);
    frames += s.at("frames").get<int64_t>();
  }
  EXPECT_EQ(frames, store.read_attr_i64("/plan", "out_frames"));
  std::vector<std::string> names;
  for (const auto& p : report.at("phases")) names.push_back(p.at("name"));
  for (const char* name : {"probe", "plan", "render", "audio (overlapped)", "stitch", "qa"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
  const auto& audio = report.at("audio");
  EXPECT_EQ(audio.at("shots").size(), report.at("shots").size());
  EXPECT_EQ(audio.at("target_lufs"), -16.0);
  const auto& crop = report.at("crop");
  EXPECT_EQ(crop.at("src_width"), 640) << "call.mp4 is 640x360";
  EXPECT_GT(crop.at("points").size(), 10u);
  EXPECT_LE(crop.at("points").size(), 2000u);
  ASSERT_EQ(report.at("ranks").size(), 1u);
  EXPECT_GT(report.at("ranks").at(0).at("peak_rss_mb").get<double>(), 10.0);
  EXPECT_EQ(report.at("encoder"), "libx264");
  EXPECT_NE(first_->err.find("ranks: peak RSS max "), std::string::npos) << first_->err;
}

// Integrated loudness of [start_s, end_s) of `file`'s audio, and its true
// peak, by ffmpeg's ebur128 filter: an independent meter.
std::pair<double, double> ffmpeg_loudness(const std::filesystem::path& file, double start_s,
                                          double end_s) {
  const auto r = run_command("ffmpeg -nostats -i " + shell_quote(file.string()) +
                             " -filter_complex '[0:a]atrim=" + std::to_string(start_s) + ":" +
                             std::to_string(end_s) + ",ebur128=peak=true' -f null - 2>&1");
  const auto summary = r.out.rfind("Summary:");
  EXPECT_NE(summary, std::string::npos) << r.out;
  const auto i = r.out.find("I:", summary);
  const auto peak = r.out.find("Peak:", summary);
  return {std::stod(r.out.substr(i + 2)), std::stod(r.out.substr(peak + 5))};
}

TEST_F(RunOnCall, ShotsAreLoudnessMatchedOnTargetAndUnderTheCeiling) {
  // The two voices are 6 dB apart in the input (generator truth); measured
  // with ffmpeg on the delivery, every shot lands near -16 LUFS.
  const auto out = *dir_ / "one.mp4";
  core::Store store(*dir_ / "one.mp4.work" / core::Store::kFileName);
  const auto shots = store.read_i64("/plan/shots");
  const double fps = static_cast<double>(store.read_attr_i64("/plan", "fps_num")) /
                     static_cast<double>(store.read_attr_i64("/plan", "fps_den"));
  double lo = 0, hi = -100;
  for (int64_t s = 0; s < shots.rows; ++s) {
    const auto [lufs, peak] = ffmpeg_loudness(out, static_cast<double>(shots.at(s, 0)) / fps,
                                              static_cast<double>(shots.at(s, 1)) / fps);
    lo = s == 0 ? lufs : std::min(lo, lufs);
    hi = std::max(hi, lufs);
  }
  EXPECT_LE(hi - lo, 1.0) << "shot-to-shot spread, LU";
  const auto [programme, true_peak] = ffmpeg_loudness(out, 0, 1e6);
  EXPECT_NEAR(programme, -16.0, 0.5);
  EXPECT_LE(true_peak, -1.0) << "dBTP";
}

TEST_F(RunOnCall, VfrInputKeepsAudioAndVideoInStep) {
  const auto out = *dir_ / "vfr.mp4";
  const auto r = test::run_framefarm("run " + job_args(out, "call_vfr.mp4"));
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;  // delivered and QA passed
  const auto j = ffprobe(out);
  const double video_s = std::stod(j.at("streams").at(0).at("duration").get<std::string>());
  const double audio_s = std::stod(j.at("streams").at(1).at("duration").get<std::string>());
  EXPECT_NEAR(audio_s, video_s, 1.0 / 30);
  EXPECT_EQ(j.at("streams").at(0).at("r_frame_rate"), "30/1");
}

// jobs/landscape.toml on the landscape gallery call: 16:9 from 16:9 leaves
// nothing to reframe at crop_scale 1, so the job frames each shot closer
// (reframe.crop_scale = 0.5). QA's faces.centred (exit 0) and the delivered
// size are the proof; the plan shows gallery shots closer, close-ups whole.
TEST_F(RunOnCall, LandscapeJobCentresTheSpeakerOfAGalleryCall) {
  const auto out = *dir_ / "landscape.mp4";
  const auto r = test::run_framefarm(
      "run " + shell_quote((test::source_dir() / "jobs/landscape.toml").string()) + " --input " +
      shell_quote(test::recording("call.mp4").string()) + " --output " + shell_quote(out.string()) +
      " --set output.width=640 --set output.height=360 --set 'output.preset=\"veryfast\"'");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;  // delivered and QA passed
  EXPECT_NE(r.out.find("faces.centred"), std::string::npos) << r.out;
  const auto v = ffprobe(out).at("streams").at(0);
  EXPECT_EQ(v.at("width"), 640);
  EXPECT_EQ(v.at("height"), 360);
  EXPECT_EQ(v.at("profile"), "High");
  EXPECT_EQ(v.at("level"), 40);
  EXPECT_EQ(v.at("pix_fmt"), "yuv420p");
  EXPECT_EQ(v.at("color_primaries"), "bt709");
  EXPECT_EQ(v.at("color_transfer"), "bt709");
  EXPECT_EQ(v.at("color_space"), "bt709");
  EXPECT_EQ(v.at("color_range"), "tv");
  const auto decode =
      run_command("ffmpeg -v error -xerror -i " + shell_quote(out.string()) + " -f null -");
  EXPECT_EQ(decode.err, "") << "ffmpeg -xerror reported decode errors";
  const auto plan = nlohmann::json::parse(slurp(*dir_ / "landscape.mp4.work" / "plan.json"));
  const test::Truth truth = test::load_truth(test::testdata_dir() / "call.json");
  ASSERT_EQ(plan.at("shots").size(), truth.shots.size());
  for (size_t i = 0; i < truth.shots.size(); ++i) {
    const int w = plan.at("shots").at(i).at("crop_size").at("w");
    if (truth.shots[i].layout == "gallery") {
      EXPECT_LE(w, 640 * 0.55) << "shot " << i << ": faces at 1/4 and 3/4 need a closer window";
    } else {
      EXPECT_GE(w, 640 * 0.9) << "shot " << i << " (" << truth.shots[i].layout << ")";
    }
  }
}

// A phone recording stored 360x640 with a 90-degree display matrix: the
// render turns it upright (640x360 displayed) before cropping. QA finds the
// faces centred on the delivery with OpenCV; sideways faces would not be
// detected at all, so a passing faces.centred with sampled faces shows the
// rotation was honoured. The delivery carries no rotation of its own.
TEST_F(RunOnCall, RotatedInputIsRenderedUpright) {
  const auto out = *dir_ / "rot90.mp4";
  const auto r = test::run_framefarm("run " + job_args(out, "call_rot90.mp4"));
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;  // delivered and QA passed
  const auto report = nlohmann::json::parse(slurp(*dir_ / "rot90.mp4.work" / "report.json"));
  EXPECT_EQ(report.at("run").at("crop").at("src_width"), 640) << "the displayed width";
  bool centred = false;
  for (const auto& c : report.at("checks")) {
    if (c.at("name") != "faces.centred") continue;
    centred = true;
    EXPECT_EQ(c.at("verdict"), "pass") << c;
    EXPECT_GE(c.at("value").get<double>(), 0.9) << c;
  }
  EXPECT_TRUE(centred) << "no faces.centred check";
  const auto v = ffprobe(out).at("streams").at(0);
  EXPECT_EQ(v.at("width"), 360);
  EXPECT_EQ(v.at("height"), 640);
  if (v.contains("side_data_list")) {
    for (const auto& d : v.at("side_data_list")) EXPECT_FALSE(d.contains("rotation")) << d;
  }
}

TEST_F(RunOnCall, DecodesWithoutErrorsFrameExactAndInSync) {
  const auto out = *dir_ / "one.mp4";
  const auto decode =
      run_command("ffmpeg -v error -xerror -i " + shell_quote(out.string()) + " -f null -");
  EXPECT_EQ(decode.exit_code, 0);
  EXPECT_EQ(decode.err, "") << "ffmpeg -xerror reported decode errors";
  const auto count = run_command(
      "ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames "
      "-of csv=p=0 " +
      shell_quote(out.string()));
  const test::Truth truth = test::load_truth(test::testdata_dir() / "call.json");
  core::Store store(*dir_ / "one.mp4.work" / core::Store::kFileName);
  const int64_t planned = store.read_attr_i64("/plan", "out_frames");
  EXPECT_EQ(std::stoll(count.out), planned);
  EXPECT_EQ(planned, truth.frames) << "CFR 30 -> 30 keeps every frame";
  const auto j = ffprobe(out);
  const double video_s = std::stod(j.at("streams").at(0).at("duration").get<std::string>());
  const double audio_s = std::stod(j.at("streams").at(1).at("duration").get<std::string>());
  EXPECT_NEAR(video_s, truth.duration_s, 1.0 / 30);
  EXPECT_NEAR(audio_s, video_s, 1.0 / 30) << "A/V durations differ by more than a frame";
}

// The same job over 3 ranks gives the same bytes as over 1 (segments are
// encoded alike whichever rank takes them; core/heap.h says what that took).
TEST_F(RunOnCall, ThreeRanksDeliverTheSameBytes) {
  const auto r = run_command(mpirun(3) + " run " + job_args(*dir_ / "three.mp4"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  core::Store three(*dir_ / "three.mp4.work" / core::Store::kFileName);
  core::Store one(*dir_ / "one.mp4.work" / core::Store::kFileName);
  const auto ranks = three.read_f64("/metrics/render/segments").column("rank");
  EXPECT_GT(*std::max_element(ranks.begin(), ranks.end()), 0.0) << "workers rendered nothing";
  const auto run = nlohmann::json::parse(slurp(*dir_ / "three.mp4.work" / "report.json")).at("run");
  ASSERT_EQ(run.at("ranks").size(), 3u) << "every rank's usage gathered";
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(run.at("ranks").at(k).at("rank"), k);
    EXPECT_GT(run.at("ranks").at(k).at("peak_rss_mb").get<double>(), 10.0);
  }
  EXPECT_EQ(three.read_f64("/plan/crop").data, one.read_f64("/plan/crop").data);
  EXPECT_EQ(three.read_i64("/plan/segments").data, one.read_i64("/plan/segments").data);
  const auto count = run_command(
      "ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames "
      "-of csv=p=0 " +
      shell_quote((*dir_ / "three.mp4").string()));
  EXPECT_EQ(std::stoll(count.out), one.read_attr_i64("/plan", "out_frames"));
  EXPECT_TRUE(slurp(*dir_ / "three.mp4") == slurp(*dir_ / "one.mp4"))
      << "3 ranks gave other bytes than 1 rank";
}

TEST_F(RunOnCall, RerunReusesVerifiedSegmentsAndGivesTheSameBytes) {
  const std::string before = slurp(*dir_ / "one.mp4");
  const auto r = test::run_framefarm("run " + job_args(*dir_ / "one.mp4"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("scan: reusing"), std::string::npos) << r.err;
  const auto metrics = core::Store(*dir_ / "one.mp4.work" / core::Store::kFileName)
                           .read_f64("/metrics/render/segments");
  for (double reused : metrics.column("reused")) EXPECT_EQ(reused, 1.0);
  EXPECT_TRUE(slurp(*dir_ / "one.mp4") == before) << "the resumed output differs";
}

TEST_F(RunOnCall, SegmentJoinsInsideAShotDoNotChangeTheCropPath) {
  // Cut the same job into 2-second segments: many joins fall inside shots,
  // and the crop path must be the same window for window, because it is
  // planned per shot, globally, before any segment exists.
  const auto r =
      test::run_framefarm("plan " + shell_quote((test::source_dir() / "jobs/demo.toml").string()) +
                          " --input " + shell_quote(test::recording("call.mp4").string()) +
                          " --workdir " + shell_quote((*dir_ / "short-segments").string()) +
                          " --set output.width=360 --set output.height=640"
                          " --set split.max_segment_s=2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  core::Store fine(*dir_ / "short-segments" / core::Store::kFileName);
  core::Store coarse(*dir_ / "one.mp4.work" / core::Store::kFileName);
  const auto segments = fine.read_i64("/plan/segments");
  int joins_inside_shots = 0;
  for (int64_t s = 1; s < segments.rows; ++s) joins_inside_shots += segments.at(s, 4) == 0 ? 1 : 0;
  EXPECT_GT(joins_inside_shots, coarse.read_i64("/plan/segments").rows);
  EXPECT_EQ(fine.read_f64("/plan/crop").data, coarse.read_f64("/plan/crop").data);
}

}  // namespace
}  // namespace ff
