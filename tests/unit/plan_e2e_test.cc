// `framefarm plan` on the generated two-speaker call, checked against the
// generator's ground truth (tests/recordings): cuts, face tracks, active
// speaker, crop path, and the same plan from 1 and 3 ranks.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "analysis/scene_cuts.h"
#include "core/options.h"
#include "core/store.h"
#include "support/testenv.h"
#include "support/truth.h"

namespace ff {
namespace {

using test::run_command;
using test::shell_quote;

class PlanOnCall : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir("plan-e2e");
    const auto input = test::recording("call.mp4");
    job_ = (test::source_dir() / "jobs/vertical.toml").string();
    // Scan chunks of 5 s (4 chunks) so that 3 ranks really share the scan.
    const auto result = test::run_framefarm(
        "plan " + shell_quote(job_) + " --input " + shell_quote(input.string()) + " --workdir " +
        shell_quote((*dir_ / "one").string()) + " --set split.scan_chunk_s=5");
    setup_ = new test::CommandResult(result);
    truth_ = new test::Truth(test::load_truth(test::testdata_dir() / "call.json"));
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete truth_;
    delete setup_;
  }
  // A failed `framefarm plan` fails every test (an ASSERT in SetUpTestSuite
  // would only mark them skipped).
  void SetUp() override { ASSERT_EQ(setup_->exit_code, 0) << setup_->err; }
  static core::Store store(const std::string& run = "one") {
    return core::Store(*dir_ / run / core::Store::kFileName);
  }

  static test::TempDir* dir_;
  static test::Truth* truth_;
  static test::CommandResult* setup_;
  static std::string job_;
};
test::CommandResult* PlanOnCall::setup_ = nullptr;
test::TempDir* PlanOnCall::dir_ = nullptr;
test::Truth* PlanOnCall::truth_ = nullptr;
std::string PlanOnCall::job_;

TEST_F(PlanOnCall, CutsMatchTheTruthWithF1OfAtLeast098) {
  const auto cuts = store().read_i64("/plan/cuts");
  const double f1 = analysis::cut_f1(truth_->cut_frames, cuts.data, 1);
  EXPECT_GE(f1, 0.98) << "found " << testing::PrintToString(cuts.data) << " truth "
                      << testing::PrintToString(truth_->cut_frames);
}

TEST_F(PlanOnCall, FaceTracksSitOnTheTrueFacesAndNeverOnScreenShare) {
  const auto faces = store().read_f32("/scan/faces");
  ASSERT_GT(faces.rows, 0);
  int64_t within = 0, on_screen_share = 0;
  for (int64_t i = 0; i < faces.rows; ++i) {
    const auto frame = static_cast<int64_t>(faces.at(i, 0));
    const double cx = faces.at(i, 2) + faces.at(i, 4) / 2;
    const test::TruthShot& shot = truth_->shot_of(frame);
    if (shot.faces.empty()) {
      ++on_screen_share;
      continue;
    }
    double best = 1.0;
    for (const auto& face : shot.faces) {
      best = std::min(
          best, std::abs(face.boxes[static_cast<size_t>(frame - shot.start_frame)].cx() - cx));
    }
    within += best <= 0.05 ? 1 : 0;
  }
  EXPECT_EQ(on_screen_share, 0) << "false tracks on screen-share shots";
  EXPECT_GE(static_cast<double>(within) / static_cast<double>(faces.rows), 0.95)
      << within << " of " << faces.rows << " detections within 5% of the frame width";
}

TEST_F(PlanOnCall, CropFollowsTheActiveSpeakerAndCentresTheFace) {
  const auto crop = store().read_f64("/plan/crop");
  ASSERT_EQ(crop.rows, truth_->frames);
  int64_t speaking = 0, right_person = 0, with_face = 0, centred = 0;
  for (int64_t f = 0; f < crop.rows; ++f) {
    const test::TruthShot& shot = truth_->shot_of(f);
    if (shot.faces.empty()) continue;
    const double window_cx = crop.at(f, 0) / truth_->width;
    const double crop_w = crop.at(f, 2) / truth_->width;
    // The face the window is on: the nearest true face centre.
    const test::TruthFace* nearest = nullptr;
    for (const auto& face : shot.faces) {
      const auto& box = face.boxes[static_cast<size_t>(f - shot.start_frame)];
      if (!nearest || std::abs(box.cx() - window_cx) <
                          std::abs(nearest->boxes[static_cast<size_t>(f - shot.start_frame)].cx() -
                                   window_cx)) {
        nearest = &face;
      }
    }
    const auto& box = nearest->boxes[static_cast<size_t>(f - shot.start_frame)];
    ++with_face;
    centred += std::abs(box.cx() - window_cx) <= 0.10 * crop_w ? 1 : 0;
    const auto who = truth_->speaker_at(static_cast<double>(f) / truth_->fps);
    if (who) {
      ++speaking;
      right_person += nearest->who == *who || shot.faces.size() == 1 ? 1 : 0;
    }
  }
  EXPECT_GE(static_cast<double>(right_person) / static_cast<double>(speaking), 0.90)
      << right_person << " of " << speaking << " speaking frames show the speaker";
  EXPECT_GE(static_cast<double>(centred) / static_cast<double>(with_face), 0.90)
      << centred << " of " << with_face << " frames with a face have it centred";
}

// Inside a take the window moves at most a few pixels per frame (the job's
// pan limit, and never more than kFewPixels), a steady take not at all; it
// jumps only where a shot or a take starts, and a take that starts inside a
// shot follows another speaker than the one before it.
TEST_F(PlanOnCall, WindowMovesAFewPixelsPerFrameInsideATakeAndSteadyTakesStandStill) {
  constexpr double kFewPixels = 4.0;
  const auto crop = store().read_f64("/plan/crop");
  const auto shots = store().read_i64("/plan/shots");
  const auto takes = store().read_i64("/plan/takes");
  const core::ReframeOptions reframe = core::load_job(job_).reframe;
  const double max_step = reframe.max_pan_width_per_s * truth_->width / truth_->fps;
  ASSERT_LE(max_step, kFewPixels) << "the job's pan limit is not a few pixels per frame";
  ASSERT_GE(takes.rows, shots.rows);
  int64_t speaker_cuts = 0;
  for (int64_t k = 0; k < takes.rows; ++k) {
    const int64_t shot = takes.at(k, 0), begin = takes.at(k, 1), end = takes.at(k, 2);
    const bool track = takes.at(k, 3) != 0;
    ASSERT_EQ(begin, k == 0 ? 0 : takes.at(k - 1, 2)) << "takes must tile the output";
    if (begin != shots.at(shot, 0)) {
      ++speaker_cuts;
      EXPECT_NE(takes.at(k, 4), takes.at(k - 1, 4)) << "take " << k << " cuts to the same speaker";
      EXPECT_GE(static_cast<double>(end - begin), reframe.min_take_s * truth_->fps)
          << "take " << k << " is shorter than min_take_s";
    }
    for (int64_t f = begin + 1; f < end; ++f) {
      const double step =
          std::hypot(crop.at(f, 0) - crop.at(f - 1, 0), crop.at(f, 1) - crop.at(f - 1, 1));
      if (track) {
        ASSERT_LE(step, max_step + 1e-6) << "take " << k << " frame " << f;
      } else {
        ASSERT_EQ(step, 0.0) << "steady take " << k << " moved at frame " << f;
      }
    }
  }
  // The generator's two gallery shots each have a speaker change.
  EXPECT_GE(speaker_cuts, 2);
}

TEST_F(PlanOnCall, ThreeRanksGiveTheSamePlanAsOne) {
  const std::string root = getuid() == 0 ? " --allow-run-as-root" : "";
  const auto result =
      run_command("mpirun -n 3 --oversubscribe" + root + " " +
                  shell_quote(test::framefarm_bin().string()) + " plan " + shell_quote(job_) +
                  " --input " + shell_quote(test::recording("call.mp4").string()) + " --workdir " +
                  shell_quote((*dir_ / "three").string()) + " --set split.scan_chunk_s=5");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto chunks = store("three").read_f64("/scan/chunks");
  ASSERT_GE(chunks.rows, 3);
  const std::vector<double> chunk_ranks = chunks.column("rank");
  const std::set<double> ranks_used(chunk_ranks.begin(), chunk_ranks.end());
  EXPECT_GE(ranks_used.size(), 2u) << "the scan chunks should be spread over the ranks";
  for (const char* path : {"/plan/cuts", "/plan/src_frame"}) {
    EXPECT_EQ(store("three").read_i64(path).data, store().read_i64(path).data) << path;
  }
  EXPECT_EQ(store("three").read_f64("/plan/crop").data, store().read_f64("/plan/crop").data);
  EXPECT_EQ(store("three").read_i64("/plan/shots").data, store().read_i64("/plan/shots").data);
  EXPECT_EQ(store("three").read_i64("/plan/takes").data, store().read_i64("/plan/takes").data);
  EXPECT_EQ(store("three").read_i64("/plan/segments").data,
            store().read_i64("/plan/segments").data);
  EXPECT_EQ(store("three").read_i32("/plan/speaker").data, store().read_i32("/plan/speaker").data);
}

}  // namespace
}  // namespace ff
