// report.json's `run` object (coordinator/run_report.h) from hand-made plain
// structs, and each rank's usage (coordinator/rank_usage.h) in-process.
#include "coordinator/run_report.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>

#include "core/error.h"

namespace ff::coordinator {
namespace {

using nlohmann::json;

analysis::Plan plan_of(int64_t frames, const std::vector<analysis::PlanShot>& shots) {
  analysis::Plan plan;
  plan.grid.fps_num = 30;
  plan.grid.fps_den = 1;
  for (int64_t n = 0; n < frames; ++n) plan.grid.src_frame.push_back(n);
  plan.shots = shots;
  for (int64_t n = 0; n < frames; ++n) {
    plan.crop.push_back({100.0 + static_cast<double>(n), 180.0, 202.0, 360.0});
  }
  return plan;
}

// 90 frames at 30 fps: a speaker shot [0, 30), a shot without a face
// [30, 90); segments of 20, 40 and 30 frames.
struct Fixture {
  analysis::Plan plan =
      plan_of(90, {{{0, 30}, analysis::CropMode::kTrack, 2, 1, 0.8, {606, 1080}, {}},
                   {{30, 90}, analysis::CropMode::kSteady, 0, -1, 0.0, {606, 1080}, {}}});
  RenderPhaseResult render;
  AudioResult audio;
  Fixture() {
    plan.segments = {{0, {0, 20}, 0, false}, {1, {20, 60}, 0, false}, {2, {60, 90}, 1, true}};
    auto metrics = [](int rank, double seconds, uint64_t bytes, bool reused) {
      SegmentMetrics m;
      m.rank = rank;
      m.seconds = seconds;
      m.result.bytes = bytes;
      m.result.reused = reused;
      m.result.decode_s = seconds / 4;
      m.result.scale_s = seconds / 4;
      m.result.encode_s = seconds / 2;
      std::strcpy(m.result.encoder, "libx264");
      std::strcpy(m.result.path, "cpu+x264");
      return m;
    };
    // Dispatch order is longest first: segment 1 (40), 2 (30), 0 (20).
    render.segments = {metrics(0, 0.5, 1000, false), metrics(0, 2.0, 4000, false),
                       metrics(1, 1.5, 3000, true)};
    render.encoder = "libx264";
    audio.target_lufs = -16.0;
    audio.ceiling_dbtp = -1.5;
    audio.programme_before_lufs = -24.0;
    audio.programme_after_lufs = -16.1;
    audio.programme_delivered_lufs = -16.2;
    AudioShotResult a;
    a.start_s = 0.0;
    a.end_s = 1.0;
    a.lufs_before = -20.0;
    a.gain_db = 4.0;
    a.lufs_after = -16.0;
    a.lufs_delivered = -16.1;
    a.rule = "to_target";
    AudioShotResult b = a;
    b.start_s = 1.0;
    b.end_s = 3.0;
    b.lufs_before = -std::numeric_limits<double>::infinity();
    b.gain_db = 0.0;
    b.lufs_after = -std::numeric_limits<double>::infinity();
    b.rule = "silent";
    audio.shots = {a, b};
  }
  RunFacts facts() const {
    RunFacts f;
    f.phases = {{"probe", 0.0, 0.1, 0}, {"render", 1.0, 4.0, 90}, {"scan", 0.1, 0.9, 90}};
    f.plan = &plan;
    f.src_width = 640;
    f.src_height = 360;
    f.render = &render;
    f.audio = &audio;
    f.ranks = {{0, "node-a", 210.5, 3.0, 5.0}, {1, "node-b", 150.25, 2.0, 5.0}};
    return f;
  }
};

TEST(RunReport, SegmentStartsAreBackToBackPerRankInDispatchOrder) {
  const Fixture fx;
  // Rank 0 ran segment 1 (2.0 s) then segment 0; rank 1 ran segment 2.
  EXPECT_EQ(segment_start_s(fx.plan.segments, fx.render.segments),
            (std::vector<double>{2.0, 0.0, 0.0}));
  const json run = run_report_json(fx.facts());
  ASSERT_EQ(run.at("segments").size(), 3u);
  const json& s0 = run.at("segments").at(0);
  EXPECT_EQ(s0.at("rank"), 0);
  EXPECT_DOUBLE_EQ(s0.at("start_s").get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(s0.at("seconds").get<double>(), 0.5);
  EXPECT_EQ(s0.at("out_frames"), json({0, 20}));
  EXPECT_DOUBLE_EQ(s0.at("end_time_s").get<double>(), 20.0 / 30.0);
  EXPECT_DOUBLE_EQ(s0.at("encode_s").get<double>(), 0.25);
  EXPECT_EQ(s0.at("bytes"), 1000);
  EXPECT_EQ(run.at("segments").at(2).at("shot"), 1);
  EXPECT_EQ(run.at("segments").at(2).at("reused"), true);
  EXPECT_EQ(run.at("segment_start"), "reconstructed");
}

TEST(RunReport, ShotsAudioPhasesRanksAndEncoder) {
  const Fixture fx;
  const json run = run_report_json(fx.facts());
  const json& shots = run.at("shots");
  ASSERT_EQ(shots.size(), 2u);
  EXPECT_EQ(shots.at(0).at("kind"), "speaker");
  EXPECT_EQ(shots.at(0).at("speaker"), 1);
  EXPECT_EQ(shots.at(0).at("crop_mode"), "track");
  EXPECT_EQ(shots.at(1).at("kind"), "no face");
  EXPECT_TRUE(shots.at(1).at("speaker").is_null());
  EXPECT_DOUBLE_EQ(shots.at(1).at("start_s").get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(shots.at(1).at("end_s").get<double>(), 3.0);

  const json& audio = run.at("audio");
  EXPECT_EQ(audio.at("target_lufs"), -16.0);
  EXPECT_EQ(audio.at("ceiling_dbtp"), -1.5);
  EXPECT_EQ(audio.at("programme_before_lufs"), -24.0);
  EXPECT_EQ(audio.at("shots").at(0).at("gain_db"), 4.0);
  EXPECT_EQ(audio.at("shots").at(0).at("lufs_delivered"), -16.1);
  EXPECT_EQ(audio.at("shots").at(1).at("lufs_before"), "-inf") << "JSON has no infinity";
  EXPECT_EQ(audio.at("shots").at(1).at("rule"), "silent");

  const json& phases = run.at("phases");
  EXPECT_EQ(phases.at(0).at("name"), "probe");
  EXPECT_FALSE(phases.at(0).contains("fps")) << "a phase without frames has no fps";
  EXPECT_DOUBLE_EQ(phases.at(1).at("fps").get<double>(), 90 / 4.0);
  EXPECT_DOUBLE_EQ(phases.at(1).at("start_s").get<double>(), 1.0);
  // Where each phase ran: the render's path from its segments, the scan's
  // from the facts, the CPU for the rest.
  EXPECT_EQ(phases.at(0).at("path"), "cpu");
  EXPECT_EQ(phases.at(1).at("path"), "cpu+x264");
  EXPECT_EQ(phases.at(2).at("path"), "cpu");
  RunFacts on_device = fx.facts();
  on_device.scan_path = "nvdec+cuda";
  EXPECT_EQ(run_report_json(on_device).at("phases").at(2).at("path"), "nvdec+cuda");

  ASSERT_EQ(run.at("ranks").size(), 2u);
  EXPECT_EQ(run.at("ranks").at(1).at("host"), "node-b");
  EXPECT_DOUBLE_EQ(run.at("ranks").at(1).at("peak_rss_mb").get<double>(), 150.25);
  EXPECT_EQ(run.at("encoder"), "libx264");
  EXPECT_EQ(run.at("device"), "cpu");
  EXPECT_DOUBLE_EQ(run.at("fps").get<double>(), 30.0);
}

TEST(RunReport, CropPointsAreTopLeftAndSizeInSourcePixels) {
  const Fixture fx;
  const json crop = run_report_json(fx.facts()).at("crop");
  EXPECT_EQ(crop.at("src_width"), 640);
  EXPECT_EQ(crop.at("columns"), json({"t_s", "x", "y", "w", "h"}));
  const json& first = crop.at("points").at(0);
  // Frame 0's window: centre (100, 180), 202 x 360 -> top left (-1, 0).
  EXPECT_EQ(first, json({0.0, -1.0, 0.0, 202.0, 360.0}));
  const json& last = crop.at("points").back();
  EXPECT_DOUBLE_EQ(last.at(0).get<double>(), std::round(89 / 30.0 * 100) / 100);
  EXPECT_DOUBLE_EQ(last.at(1).get<double>(), 189.0 - 101.0);
}

TEST(RunReport, CropSamplesEveryQuarterSecondWithShotEdges) {
  const Fixture fx;
  // 0.25 s at 30 fps = 7.5 frames, rounded to 8: 0, 8, ..., 88; plus the
  // shot edges 29 and 30 and the last frame 89 (0 is both).
  std::vector<int64_t> expected;
  for (int64_t n = 0; n <= 88; n += 8) expected.push_back(n);
  expected.insert(expected.begin() + 4, 29);  // after 24
  expected.insert(expected.begin() + 5, 30);
  expected.push_back(89);
  EXPECT_EQ(crop_sample_frames(fx.plan), expected);
}

TEST(RunReport, CropSamplesStayWithinTheBoundForAnyLength) {
  // 45 minutes at 30 fps, 500 shots: every shot edge fits in half the budget.
  std::vector<analysis::PlanShot> shots;
  for (int64_t i = 0; i < 500; ++i)
    shots.push_back({{i * 162, (i + 1) * 162}, analysis::CropMode::kSteady, 0, -1, 0.0, {}, {}});
  const analysis::Plan plan = plan_of(81000, shots);
  const std::vector<int64_t> samples = crop_sample_frames(plan);
  EXPECT_LE(samples.size(), 2000u);
  EXPECT_GE(samples.size(), 1000u) << "the grid fills the half the shot edges leave";
  EXPECT_TRUE(std::is_sorted(samples.begin(), samples.end()));
  EXPECT_EQ(std::adjacent_find(samples.begin(), samples.end()), samples.end()) << "duplicates";
  for (const auto& s : shots) {
    EXPECT_TRUE(std::binary_search(samples.begin(), samples.end(), s.out.begin)) << s.out.begin;
    EXPECT_TRUE(std::binary_search(samples.begin(), samples.end(), s.out.end - 1));
  }
  // 1500 shots: their edges would take more than half, so only the grid.
  std::vector<analysis::PlanShot> many;
  for (int64_t i = 0; i < 1500; ++i)
    many.push_back({{i * 54, (i + 1) * 54}, analysis::CropMode::kSteady, 0, -1, 0.0, {}, {}});
  const std::vector<int64_t> grid = crop_sample_frames(plan_of(81000, many));
  EXPECT_LE(grid.size(), 2000u);
  EXPECT_EQ(grid.back(), 80999);
  EXPECT_LE(crop_sample_frames(plan_of(81000, many), 0.25, 100).size(), 100u);
}

TEST(RunReport, MissingPartsAreLeftOutAndMismatchesNamed) {
  RunFacts facts;
  facts.phases = {{"probe", 0.0, 0.1, 0}};
  const json bare = run_report_json(facts);
  EXPECT_FALSE(bare.contains("shots"));
  EXPECT_FALSE(bare.contains("audio"));
  EXPECT_EQ(bare.at("phases").size(), 1u);

  Fixture fx;
  fx.render.segments.pop_back();
  try {
    run_report_json(fx.facts());
    ADD_FAILURE() << "no error for 2 segment metrics against 3 segments";
  } catch (const RuntimeError& e) {
    EXPECT_STREQ(e.what(),
                 "run report: the render reported 2 segments, the plan has 3; pass the render "
                 "result of this plan");
  }
  AudioResult skipped;
  skipped.skipped = true;
  skipped.skip_reason = "no audio stream in x.mp4";
  facts.audio = &skipped;
  EXPECT_EQ(run_report_json(facts).at("audio"),
            json({{"skipped", true}, {"skip_reason", "no audio stream in x.mp4"}}));
}

// Peak RSS as the kernel reports it in /proc/self/status (VmHWM, kB).
double vm_hwm_mb() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) * 1024 / 1e6;
  }
  return -1;
}

TEST(RankUsage, OneRankInProcessMeasuresThisProcess) {
  std::vector<char> touched(64 << 20, 1);  // 64 MiB resident
  volatile double burn = 0;
  for (int i = 0; i < 20'000'000; ++i) burn = burn + std::sqrt(static_cast<double>(i));
  const std::vector<RankUsage> ranks = gather_rank_usage(12.5);
  ASSERT_EQ(ranks.size(), 1u);
  EXPECT_EQ(ranks[0].rank, 0);
  EXPECT_FALSE(ranks[0].host.empty());
  EXPECT_GE(ranks[0].peak_rss_mb, 64 * 1.048576) << "the 64 MiB just touched";
  EXPECT_NEAR(ranks[0].peak_rss_mb, vm_hwm_mb(), 2.0);
  EXPECT_GT(ranks[0].cpu_s, 0.0);
  EXPECT_EQ(ranks[0].wall_s, 12.5);
  EXPECT_EQ(touched[touched.size() / 2], 1);
}

TEST(RankUsage, LineNamesTheLargestPeak) {
  EXPECT_EQ(rank_usage_line({{0, "a", 100.0, 1, 1}, {1, "b", 250.04, 1, 1}, {2, "c", 90, 1, 1}}),
            "ranks: peak RSS max 250.0 MB on rank 1 (b); per rank MB: 0: 100.0, 1: 250.0, 2: 90.0");
  EXPECT_EQ(rank_usage_line({}), "ranks: no usage gathered");
}

}  // namespace
}  // namespace ff::coordinator
