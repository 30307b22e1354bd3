// Scene cuts on synthetic score series: spikes at known frames, noise, ramps,
// close spikes, flashes, edges; the parameter checks; cut_f1.
#include "analysis/scene_cuts.h"

#include <gtest/gtest.h>

#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace ff::analysis {
namespace {

constexpr int kSigSize = 4;

// Frames at a constant `fps` with scores = noise in [0, noise_max] plus `base`.
std::vector<ScanFrame> noisy_frames(int n, double fps, float base, float noise_max,
                                    unsigned seed = 1) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> noise(0.f, noise_max);
  std::vector<ScanFrame> frames(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    frames[i].src_frame = i;
    frames[i].pts = i;
    frames[i].time_s = i / fps;
    frames[i].scene_score = base + noise(rng);
  }
  return frames;
}

// Signatures: every frame the same vector `level`, except frames in
// [from, to) which get `other`.
FrameSignatures signatures(size_t n, float level, size_t from = 0, size_t to = 0,
                           float other = 0.f) {
  FrameSignatures sig;
  sig.size = kSigSize;
  sig.values.assign(n * kSigSize, level);
  for (size_t i = from; i < to && i < n; ++i) {
    for (int k = 0; k < kSigSize; ++k) sig.values[i * kSigSize + k] = other;
  }
  return sig;
}

// Each shot a distinct signature: shot s (counted from the cuts) gets 40 * s.
FrameSignatures shot_signatures(size_t n, const std::vector<int64_t>& cuts) {
  FrameSignatures sig = signatures(n, 0.f);
  for (size_t i = 0; i < n; ++i) {
    float level = 0.f;
    for (int64_t c : cuts) level += static_cast<int64_t>(i) >= c ? 40.f : 0.f;
    for (int k = 0; k < kSigSize; ++k) sig.values[i * kSigSize + k] = level;
  }
  return sig;
}

TEST(DetectCuts, FindsExactlyTheSpikes) {
  // Noise <= 4 everywhere; spikes >= 45 (>= min_content 15 and >= 3x any
  // neighbourhood mean), all >= 15 frames (0.5 s at 30 fps) apart.
  auto frames = noisy_frames(300, 30.0, 0.f, 4.f);
  frames[50].scene_score = 60.f;
  frames[120].scene_score = 45.f;
  frames[200].scene_score = 80.f;
  const std::vector<int64_t> truth = {50, 120, 200};
  const auto found = detect_cuts(frames, shot_signatures(300, truth), CutParams{});
  EXPECT_EQ(found, truth);
  EXPECT_DOUBLE_EQ(cut_f1(truth, found, 0), 1.0);
}

TEST(DetectCuts, NoiseOnlyGivesNoCut) {
  const auto frames = noisy_frames(600, 30.0, 0.f, 12.f, 7);
  EXPECT_TRUE(detect_cuts(frames, signatures(600, 100.f), CutParams{}).empty());
}

TEST(DetectCuts, SteadilyElevatedScoresOfAZoomGiveNoCut) {
  // Every score is above min_content, but none is 3x its neighbours.
  const auto frames = noisy_frames(300, 30.0, 20.f, 4.f, 3);
  EXPECT_TRUE(detect_cuts(frames, signatures(300, 100.f), CutParams{}).empty());
}

TEST(DetectCuts, SlowRampGivesNoCut) {
  auto frames = noisy_frames(300, 30.0, 0.f, 2.f, 5);
  for (int i = 0; i < 300; ++i) frames[i].scene_score += 0.2f * static_cast<float>(i);  // 0..60
  EXPECT_TRUE(detect_cuts(frames, signatures(300, 100.f), CutParams{}).empty());
}

TEST(DetectCuts, CutDuringAZoomIsFound) {
  auto frames = noisy_frames(300, 30.0, 20.f, 4.f, 3);
  frames[150].scene_score = 90.f;  // 90 >= 3 * 24
  EXPECT_EQ(detect_cuts(frames, shot_signatures(300, {150}), CutParams{}),
            (std::vector<int64_t>{150}));
}

TEST(DetectCuts, TwoSpikesCloserThanMinSceneKeepTheStronger) {
  auto frames = noisy_frames(300, 30.0, 0.f, 4.f);
  frames[100].scene_score = 50.f;
  frames[105].scene_score = 80.f;  // 5 frames = 0.17 s < 0.5 s
  EXPECT_EQ(detect_cuts(frames, shot_signatures(300, {100, 105}), CutParams{}),
            (std::vector<int64_t>{105}));
  frames[100].scene_score = 80.f;
  frames[105].scene_score = 50.f;
  EXPECT_EQ(detect_cuts(frames, shot_signatures(300, {100, 105}), CutParams{}),
            (std::vector<int64_t>{100}));
}

TEST(DetectCuts, MinSceneBoundaryIsInclusive) {
  auto frames = noisy_frames(300, 30.0, 0.f, 4.f);
  frames[100].scene_score = 50.f;
  frames[115].scene_score = 50.f;  // exactly 15 frames = 0.5 s later
  EXPECT_EQ(detect_cuts(frames, shot_signatures(300, {100, 115}), CutParams{}),
            (std::vector<int64_t>{100, 115}));
  frames[115].scene_score = 2.f;
  frames[114].scene_score = 50.f;  // 14 frames: too close, tie keeps the earlier
  EXPECT_EQ(detect_cuts(frames, shot_signatures(300, {100, 114}), CutParams{}),
            (std::vector<int64_t>{100}));
}

TEST(DetectCuts, MinSceneIsMeasuredOnTimesForVfr) {
  // 10 fps: spikes 6 frames apart are 0.6 s apart, so both stay.
  auto frames = noisy_frames(100, 10.0, 0.f, 4.f);
  frames[30].scene_score = 50.f;
  frames[36].scene_score = 50.f;
  EXPECT_EQ(detect_cuts(frames, shot_signatures(100, {30, 36}), CutParams{}),
            (std::vector<int64_t>{30, 36}));
  // Squeeze the times after frame 30 so frame 36 is only 0.3 s later.
  for (int i = 31; i < 100; ++i) frames[i].time_s = 3.0 + (i - 30) * 0.05;
  EXPECT_EQ(detect_cuts(frames, shot_signatures(100, {30, 36}), CutParams{}),
            (std::vector<int64_t>{30}));
}

TEST(DetectCuts, FlashWhoseAfterLooksLikeBeforeIsNoCut) {
  // Into white at 100, white held at 101, back out at 102.
  auto frames = noisy_frames(300, 30.0, 0.f, 4.f);
  frames[100].scene_score = 90.f;
  frames[101].scene_score = 0.5f;
  frames[102].scene_score = 90.f;
  EXPECT_TRUE(detect_cuts(frames, signatures(300, 80.f, 100, 102, 250.f), CutParams{}).empty());
  // After the flash the picture is a little brighter (diff 6 <= 10): still a flash.
  auto sig = signatures(300, 80.f, 100, 102, 250.f);
  for (size_t i = 102 * kSigSize; i < sig.values.size(); ++i) sig.values[i] = 86.f;
  EXPECT_TRUE(detect_cuts(frames, sig, CutParams{}).empty());
}

TEST(DetectCuts, TwoQuickChangesToANewPictureAreOneCut) {
  // Same scores as the flash, but after frame 102 the picture is new (diff
  // 60): both spikes are cuts, 2 frames apart; the tie keeps the earlier.
  auto frames = noisy_frames(300, 30.0, 0.f, 4.f);
  frames[100].scene_score = 90.f;
  frames[101].scene_score = 0.5f;
  frames[102].scene_score = 90.f;
  auto sig = signatures(300, 80.f, 100, 102, 250.f);
  for (size_t i = 102 * kSigSize; i < sig.values.size(); ++i) sig.values[i] = 20.f;
  EXPECT_EQ(detect_cuts(frames, sig, CutParams{}), (std::vector<int64_t>{100}));
}

TEST(DetectCuts, FlashLongerThanFlashMaxFramesIsACut) {
  auto frames = noisy_frames(300, 30.0, 0.f, 4.f);
  frames[100].scene_score = 90.f;
  frames[104].scene_score = 90.f;  // 4 frames of white > flash_max_frames 3
  EXPECT_EQ(detect_cuts(frames, signatures(300, 80.f, 100, 104, 250.f), CutParams{}),
            (std::vector<int64_t>{100}));
}

TEST(DetectCuts, FlashFilterOffNeedsNoSignatures) {
  auto frames = noisy_frames(300, 30.0, 0.f, 4.f);
  frames[100].scene_score = 90.f;
  frames[102].scene_score = 90.f;
  CutParams params;
  params.flash_max_frames = 0;
  EXPECT_EQ(detect_cuts(frames, FrameSignatures{}, params), (std::vector<int64_t>{100}));
}

TEST(DetectCuts, FirstFrameIsNeverACutAndMinSceneCountsFromTheStart) {
  auto frames = noisy_frames(300, 30.0, 0.f, 4.f);
  frames[0].scene_score = 255.f;  // no previous frame: ignored
  frames[5].scene_score = 90.f;   // 0.17 s after the start: too close
  EXPECT_TRUE(detect_cuts(frames, shot_signatures(300, {5}), CutParams{}).empty());
  frames[20].scene_score = 90.f;  // 0.67 s: a cut, and it beats nothing earlier
  EXPECT_EQ(detect_cuts(frames, shot_signatures(300, {5, 20}), CutParams{}),
            (std::vector<int64_t>{20}));
}

TEST(DetectCuts, VeryShortInputs) {
  EXPECT_TRUE(detect_cuts({}, signatures(0, 0.f), CutParams{}).empty());
  const auto one = noisy_frames(1, 30.0, 90.f, 0.f);
  EXPECT_TRUE(detect_cuts(one, signatures(1, 0.f), CutParams{}).empty());
  auto two = noisy_frames(2, 30.0, 0.f, 0.f);
  two[1].scene_score = 100.f;
  EXPECT_TRUE(detect_cuts(two, shot_signatures(2, {1}), CutParams{}).empty());  // < min_scene
  CutParams params;
  params.min_scene_s = 0.0;  // no neighbours: the mean is 0 and min_content decides
  EXPECT_EQ(detect_cuts(two, shot_signatures(2, {1}), params), (std::vector<int64_t>{1}));
}

TEST(DetectCuts, ReportsSourceFrameNumbersOfTheFrames) {
  auto frames = noisy_frames(100, 30.0, 0.f, 4.f);
  for (auto& f : frames) f.src_frame += 1000;
  frames[50].scene_score = 60.f;
  EXPECT_EQ(detect_cuts(frames, shot_signatures(100, {50}), CutParams{}),
            (std::vector<int64_t>{1050}));
}

template <typename F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no std::invalid_argument";
}

TEST(CutParams, ValidateNamesTheField) {
  CutParams p;
  EXPECT_EQ(message_of([&] { p.validate(); }), "no std::invalid_argument");
  p.window_frames = 0;
  EXPECT_EQ(message_of([&] { p.validate(); }),
            "cut params: window_frames = 0 is out of range; must be >= 1");
  p = CutParams{};
  p.adaptive_ratio = 0.5;
  EXPECT_EQ(message_of([&] { p.validate(); }),
            "cut params: adaptive_ratio = 0.5 is out of range; must be >= 1 (finite)");
  p = CutParams{};
  p.min_content = 300;
  EXPECT_EQ(message_of([&] { p.validate(); }),
            "cut params: min_content = 300 is out of range; must be in 0..255");
  p = CutParams{};
  p.min_scene_s = -1;
  EXPECT_EQ(message_of([&] { p.validate(); }),
            "cut params: min_scene_s = -1 is out of range; must be >= 0 (finite)");
  p = CutParams{};
  p.flash_max_frames = -2;
  EXPECT_EQ(message_of([&] { p.validate(); }),
            "cut params: flash_max_frames = -2 is out of range; must be >= 0");
  p = CutParams{};
  p.flash_return_max_diff = -1;
  EXPECT_EQ(message_of([&] { p.validate(); }),
            "cut params: flash_return_max_diff = -1 is out of range; must be in 0..255");
}

TEST(DetectCuts, RejectsBadInputsWithMessages) {
  auto frames = noisy_frames(10, 30.0, 0.f, 4.f);
  FrameSignatures short_sig{4, std::vector<float>(10, 0.f)};
  EXPECT_EQ(message_of([&] { detect_cuts(frames, short_sig, CutParams{}); }),
            "detect_cuts: signatures hold 10 values; 10 frames of size 4 need 40");
  EXPECT_EQ(message_of([&] { detect_cuts(frames, FrameSignatures{}, CutParams{}); }),
            "detect_cuts: signature size is 0; the flash filter needs one signature per frame "
            "(or flash_max_frames = 0)");
  auto bad = frames;
  bad[4].src_frame = 3;
  EXPECT_EQ(message_of([&] { detect_cuts(bad, signatures(10, 0.f), CutParams{}); }),
            "detect_cuts: src_frame 3 follows src_frame 3; frames must be in increasing order");
  bad = frames;
  bad[6].time_s = 0.0;
  EXPECT_EQ(message_of([&] { detect_cuts(bad, signatures(10, 0.f), CutParams{}); }),
            "detect_cuts: time_s of src_frame 6 is earlier than the frame before; times must "
            "not decrease");
  bad = frames;
  bad[2].scene_score = -1.f;
  EXPECT_EQ(message_of([&] { detect_cuts(bad, signatures(10, 0.f), CutParams{}); }),
            "detect_cuts: scene_score of src_frame 2 is -1; scores must be finite and >= 0");
}

TEST(LumaSignature, IsThe8x8AreaMeanOfTheLumaPlane) {
  // 16x16: left half 0, right half 200 -> columns 0..3 are 0, 4..7 are 200.
  std::vector<uint8_t> plane(16 * 16, 0);
  for (int y = 0; y < 16; ++y)
    for (int x = 8; x < 16; ++x) plane[y * 16 + x] = 200;
  const auto sig = luma_signature({plane.data(), 16, 16, 16});
  ASSERT_EQ(sig.size(), static_cast<size_t>(kSignatureSize));
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 8; ++x) EXPECT_EQ(sig[y * 8 + x], x < 4 ? 0.f : 200.f) << x << "," << y;
  EXPECT_EQ(message_of([&] {
              luma_signature({plane.data(), 4, 16, 16});
            }),
            "luma_signature: plane is 4x16; it must be at least 8x8");
}

TEST(LumaSignature, WorksOnA64x36Thumbnail) {
  // Rows of the 8x8 cover luma rows [floor(4.5 r), floor(4.5 (r + 1))): rows
  // 0..3 end at 18, where the top half (0) meets the bottom half (100).
  std::vector<uint8_t> plane(64 * 36, 0);
  for (int y = 18; y < 36; ++y)
    for (int x = 0; x < 64; ++x) plane[y * 64 + x] = 100;
  const auto sig = luma_signature({plane.data(), 64, 36, 64});
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 8; ++x) EXPECT_EQ(sig[y * 8 + x], y < 4 ? 0.f : 100.f) << x << "," << y;
}

TEST(SignatureDistance, IsTheMeanAbsoluteDifference) {
  const float a[] = {0.f, 10.f}, b[] = {4.f, 4.f};
  EXPECT_DOUBLE_EQ(signature_distance(a, b, 2), 5.0);  // (4 + 6) / 2
}

TEST(CutF1, CountsOneToOneMatchesWithinTolerance) {
  EXPECT_DOUBLE_EQ(cut_f1({}, {}, 0), 1.0);
  EXPECT_DOUBLE_EQ(cut_f1({10}, {}, 5), 0.0);
  EXPECT_DOUBLE_EQ(cut_f1({}, {10}, 5), 0.0);
  // 10<->11 within 1; 50 vs 52 needs 2; 90 vs 200 never.
  EXPECT_DOUBLE_EQ(cut_f1({10, 50, 90}, {11, 52, 200}, 1), 2.0 * 1 / 6);
  EXPECT_DOUBLE_EQ(cut_f1({10, 50, 90}, {11, 52, 200}, 2), 2.0 * 2 / 6);
  // One found cut cannot match two truth cuts.
  EXPECT_DOUBLE_EQ(cut_f1({10, 11}, {10}, 1), 2.0 * 1 / 3);
  // Order does not matter; the matching is maximal (10-11, 12-13 not 12-11).
  EXPECT_DOUBLE_EQ(cut_f1({12, 10}, {13, 11}, 1), 1.0);
  EXPECT_EQ(message_of([] { cut_f1({1}, {1}, -1); }),
            "cut_f1: tolerance_frames = -1 is out of range; must be >= 0");
}

}  // namespace
}  // namespace ff::analysis
