// Crop paths on synthetic face positions: 1920x1080 source, 9:16 output
// (crop 606x1080), 30 fps, default params (8 px per frame, dead zone 5%).
#include "analysis/crop_path.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

namespace ff::analysis {
namespace {

constexpr int32_t kSrcW = 1920, kSrcH = 1080;
constexpr double kFps = 30.0;

std::optional<FaceBox> face_at(double cx_px, double cy_px) {
  FaceBox b;
  b.w = 0.08f, b.h = 0.14f;
  b.x = static_cast<float>(cx_px / kSrcW) - b.w / 2;
  b.y = static_cast<float>(cy_px / kSrcH) - b.h / 2;
  return b;
}

CropPathInput input_for(std::vector<std::optional<FaceBox>> target, int64_t begin = 0) {
  CropPathInput in;
  in.shot = {begin, begin + static_cast<int64_t>(target.size())};
  in.src_w = kSrcW, in.src_h = kSrcH;
  in.crop = crop_size_for(kSrcW, kSrcH, 1080, 1920);
  in.target = std::move(target);
  in.fps = kFps;
  return in;
}

double largest_step(const std::vector<CropWindow>& w) {
  double step = 0.0;
  for (size_t i = 1; i < w.size(); ++i)
    step = std::max(step, std::hypot(w[i].cx - w[i - 1].cx, w[i].cy - w[i - 1].cy));
  return step;
}

void expect_inside_frame(const std::vector<CropWindow>& windows) {
  for (size_t i = 0; i < windows.size(); ++i) {
    const CropWindow& w = windows[i];
    ASSERT_GE(w.cx - w.w / 2, -1e-9) << "frame " << i;
    ASSERT_LE(w.cx + w.w / 2, kSrcW + 1e-9) << "frame " << i;
    ASSERT_GE(w.cy - w.h / 2, -1e-9) << "frame " << i;
    ASSERT_LE(w.cy + w.h / 2, kSrcH + 1e-9) << "frame " << i;
  }
}

TEST(CropSizeFor, LargestOutputAspectInsideTheSourceInEvenPixels) {
  EXPECT_EQ(crop_size_for(1920, 1080, 1080, 1920), (CropSize{606, 1080}));  // 607.5 wide
  EXPECT_EQ(crop_size_for(1080, 1920, 1920, 1080), (CropSize{1080, 606}));
  EXPECT_EQ(crop_size_for(1920, 1080, 1920, 1080), (CropSize{1920, 1080}));
  EXPECT_EQ(crop_size_for(1920, 1080, 1440, 1080), (CropSize{1440, 1080}));
  EXPECT_EQ(crop_size_for(1920, 1080, 1080, 1920, 0.5), (CropSize{302, 540}));  // 303.75 x 540
  try {
    crop_size_for(1920, 1080, 1080, 1920, 0.0);
    FAIL() << "scale 0 accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "crop scale = 0 is out of range; allowed (0, 1]");
  }
}

TEST(CropPath, StaticFaceIsSteadyIdenticalAndCentred) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<double> jitter(-10.0, 10.0);  // detector noise, 20 px of 96
  std::vector<std::optional<FaceBox>> target;
  for (int i = 0; i < 90; ++i) target.push_back(face_at(960.0 + jitter(rng), 480.0));
  const CropPath path = plan_crop_path(input_for(target), CropPathParams{});
  EXPECT_EQ(path.mode, CropMode::kSteady);
  EXPECT_TRUE(path.has_face);
  ASSERT_EQ(path.windows.size(), 90u);
  for (const CropWindow& w : path.windows) ASSERT_EQ(w, path.windows[0]);
  EXPECT_NEAR(path.windows[0].cx, 960.0, 10.0);
  EXPECT_DOUBLE_EQ(path.windows[0].cy, 540.0);  // the crop is the full height
  EXPECT_DOUBLE_EQ(path.windows[0].w, 606.0);
  EXPECT_DOUBLE_EQ(path.windows[0].h, 1080.0);
}

TEST(CropPath, FaceSitsAtTargetYOfTheCropHeight) {
  CropPathInput in = input_for(std::vector<std::optional<FaceBox>>(30, face_at(960.0, 540.0)));
  in.crop = crop_size_for(kSrcW, kSrcH, 1920, 1080, 0.5);  // 960 x 540
  ASSERT_EQ(in.crop, (CropSize{960, 540}));
  const CropPath path = plan_crop_path(in, CropPathParams{});  // target_y 0.4
  const CropWindow& w = path.windows[0];
  EXPECT_NEAR((540.0 - (w.cy - w.h / 2)) / w.h, 0.4, 1e-6);
  EXPECT_NEAR(w.cx, 960.0, 0.01);
}

TEST(CropPath, SlowDriftIsTrackedWithinTheSpeedLimitAndCentred) {
  // 0.3 -> 0.7 of the width in 10 s (2.56 px per frame), detected every 6th
  // frame with +-15 px of noise.
  std::mt19937 rng(2);
  std::uniform_real_distribution<double> noise(-15.0, 15.0);
  const int n = 300;
  std::vector<double> face_cx(n);
  std::vector<std::optional<FaceBox>> target(n);
  for (int i = 0; i < n; ++i) {
    face_cx[i] = 0.3 * kSrcW + 0.4 * kSrcW * i / (n - 1);
    if (i % 6 == 0) target[i] = face_at(face_cx[i] + noise(rng), 500.0);
  }
  const CropPathParams params;
  const CropPath path = plan_crop_path(input_for(target), params);
  EXPECT_EQ(path.mode, CropMode::kTrack);
  EXPECT_LE(largest_step(path.windows), params.max_pan_px_per_frame + 1e-9);
  expect_inside_frame(path.windows);
  int centred = 0;
  for (int i = 0; i < n; ++i) centred += std::abs(face_cx[i] - path.windows[i].cx) / 606.0 <= 0.10;
  EXPECT_GE(centred, 0.95 * n) << centred << " of " << n << " frames centred";
}

TEST(CropPath, JumpBetweenFacesPansAtTheSpeedLimit) {
  // The target moves from 0.25 to 0.75 of the width at once (another speaker):
  // 960 px, 120 frames at 8 px per frame.
  std::vector<std::optional<FaceBox>> target;
  for (int i = 0; i < 90; ++i) target.push_back(face_at(480.0, 500.0));
  for (int i = 0; i < 210; ++i) target.push_back(face_at(1440.0, 500.0));
  const CropPath path = plan_crop_path(input_for(target), CropPathParams{});
  EXPECT_EQ(path.mode, CropMode::kTrack);
  const double step = largest_step(path.windows);
  EXPECT_LE(step, 8.0 + 1e-9);
  EXPECT_GE(step, 7.5);  // the limit is what slows the pan
  // Face boxes are floats: positions within 0.01 px.
  EXPECT_NEAR(path.windows.front().cx, 480.0, 0.01);
  EXPECT_NEAR(path.windows.back().cx, 1440.0, 0.01);
  // No pan before the jump minus the smoothing's reach: 8 frames of
  // denoising (smoothing_s / 2) and 2 x 4 of easing.
  for (int i = 0; i < 90 - 16; ++i) ASSERT_EQ(path.windows[i], path.windows[0]) << "frame " << i;
}

TEST(CropPath, FaceNearTheEdgeGivesAClampedWindowInsideTheFrame) {
  const CropPath still = plan_crop_path(
      input_for(std::vector<std::optional<FaceBox>>(60, face_at(40.0, 500.0))), CropPathParams{});
  EXPECT_EQ(still.mode, CropMode::kSteady);
  EXPECT_DOUBLE_EQ(still.windows[0].cx, 303.0);  // left edge at 0
  expect_inside_frame(still.windows);

  std::vector<std::optional<FaceBox>> target;
  for (int i = 0; i < 200; ++i) target.push_back(face_at(1900.0 - 2.0 * i, 500.0));
  const CropPath moving = plan_crop_path(input_for(target), CropPathParams{});
  EXPECT_EQ(moving.mode, CropMode::kTrack);
  expect_inside_frame(moving.windows);
  EXPECT_DOUBLE_EQ(moving.windows[0].cx, 1920.0 - 303.0);  // right edge at 1920
}

TEST(CropPath, MissingFramesAreInterpolatedWithoutAJump) {
  std::vector<std::optional<FaceBox>> target(300);
  for (int i = 0; i < 90; ++i) target[i] = face_at(576.0, 500.0);
  for (int i = 210; i < 300; ++i) target[i] = face_at(1344.0, 500.0);
  const CropPath path = plan_crop_path(input_for(target), CropPathParams{});
  EXPECT_EQ(path.mode, CropMode::kTrack);
  EXPECT_LE(largest_step(path.windows), 8.0 + 1e-9);
  for (size_t i = 1; i < path.windows.size(); ++i)
    ASSERT_GE(path.windows[i].cx, path.windows[i - 1].cx) << "frame " << i;
  // Halfway through the gap the face is assumed halfway: 960, within 10%.
  EXPECT_NEAR(path.windows[150].cx, 960.0, 0.10 * 606);
  EXPECT_NEAR(path.windows.back().cx, 1344.0, 0.01);
}

TEST(CropPath, NoFaceGivesTheCentreOrHoldsThePreviousWindow) {
  CropPathInput in = input_for(std::vector<std::optional<FaceBox>>(45));
  CropPathParams params;
  params.no_face = NoFacePolicy::kCentre;
  in.previous = CropWindow{400.0, 540.0, 606.0, 1080.0};
  CropPath path = plan_crop_path(in, params);
  EXPECT_EQ(path.mode, CropMode::kSteady);
  EXPECT_FALSE(path.has_face);
  EXPECT_EQ(path.windows, std::vector<CropWindow>(45, CropWindow{960.0, 540.0, 606.0, 1080.0}));

  params.no_face = NoFacePolicy::kHold;
  path = plan_crop_path(in, params);
  EXPECT_EQ(path.windows, std::vector<CropWindow>(45, CropWindow{400.0, 540.0, 606.0, 1080.0}));
  in.previous = CropWindow{100.0, 540.0, 606.0, 1080.0};  // a wider previous crop: clamped
  path = plan_crop_path(in, params);
  EXPECT_EQ(path.windows[0], (CropWindow{303.0, 540.0, 606.0, 1080.0}));
  in.previous.reset();  // the first shot: nothing to hold
  path = plan_crop_path(in, params);
  EXPECT_EQ(path.windows[0], (CropWindow{960.0, 540.0, 606.0, 1080.0}));
}

// 5 s at 0.4 of the width, a 1 s move, 5 s at 0.6, with +-20 px of jitter:
// less than the +-30.3 px dead zone (5% of 606).
std::vector<std::optional<FaceBox>> jittery_move(unsigned seed = 3) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> jitter(-20.0, 20.0);
  std::vector<std::optional<FaceBox>> target;
  for (int i = 0; i < 330; ++i) {
    const double t = i / kFps;
    const double cx = t < 5 ? 768.0 : t < 6 ? 768.0 + 384.0 * (t - 5) : 1152.0;
    target.push_back(face_at(cx + jitter(rng), 500.0));
  }
  return target;
}

TEST(CropPath, DeadZoneKeepsTheWindowStillOnAJitteryFace) {
  for (unsigned seed : {3u, 4u, 5u, 6u, 7u}) {
    const CropPath path = plan_crop_path(input_for(jittery_move(seed)), CropPathParams{});
    EXPECT_EQ(path.mode, CropMode::kTrack);
    // Still from 1 s in until the move (5 s), and from 2 s after the move
    // ended (settle 1 s plus the smoothing's reach) to the end.
    for (int i = 30; i < 135; ++i)
      ASSERT_EQ(path.windows[i], path.windows[30]) << "seed " << seed << " frame " << i;
    for (int i = 240; i < 330; ++i)
      ASSERT_EQ(path.windows[i], path.windows[240]) << "seed " << seed << " frame " << i;
    // Re-centred on the face in each hold, not left on the dead zone's edge.
    EXPECT_NEAR(path.windows[30].cx, 768.0, 10.0) << "seed " << seed;
    EXPECT_NEAR(path.windows[240].cx, 1152.0, 10.0) << "seed " << seed;
    EXPECT_LE(largest_step(path.windows), 8.0 + 1e-9) << "seed " << seed;
  }

  // Without the dead zone the same jitter moves the window.
  CropPathParams no_zone;
  no_zone.dead_zone = 0.0;
  const CropPath shaky = plan_crop_path(input_for(jittery_move()), no_zone);
  int moved = 0;
  for (int i = 31; i < 135; ++i) moved += shaky.windows[i] != shaky.windows[i - 1];
  EXPECT_GT(moved, 50);
}

TEST(CropPath, DeterministicAndIndependentOfTheShotsPosition) {
  const CropPath a = plan_crop_path(input_for(jittery_move()), CropPathParams{});
  const CropPath b = plan_crop_path(input_for(jittery_move()), CropPathParams{});
  const CropPath c = plan_crop_path(input_for(jittery_move(), 90000), CropPathParams{});
  EXPECT_EQ(a.windows, b.windows);
  EXPECT_EQ(a.windows, c.windows);
}

TEST(CropPath, RejectsBadParamsAndInputNamingTheField) {
  CropPathParams p;
  p.dead_zone = 0.7;
  try {
    p.validate();
    FAIL() << "dead_zone 0.7 accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "dead_zone = 0.7 is out of range; allowed 0..0.5");
  }
  try {
    parse_no_face_policy("left");
    FAIL() << "no_face = left accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "no_face = \"left\" is not known; allowed \"hold\" or \"centre\"");
  }
  EXPECT_EQ(parse_no_face_policy("centre"), NoFacePolicy::kCentre);
  EXPECT_EQ(parse_no_face_policy("hold"), NoFacePolicy::kHold);

  CropPathInput in = input_for(std::vector<std::optional<FaceBox>>(10));
  in.shot.end = 12;
  try {
    plan_crop_path(in, CropPathParams{});
    FAIL() << "target size mismatch accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "plan_crop_path: 10 target entries for a shot of 12 frames; pass one per output "
                 "frame");
  }
  in = input_for(std::vector<std::optional<FaceBox>>(10));
  in.crop = {2000, 1080};
  try {
    plan_crop_path(in, CropPathParams{});
    FAIL() << "crop wider than the source accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "plan_crop_path: crop 2000x1080 must be > 0 and fit inside the source 1920x1080");
  }
}

}  // namespace
}  // namespace ff::analysis
