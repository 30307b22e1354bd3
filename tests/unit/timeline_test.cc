// The output grid: CFR 1:1, frame-rate changes and VFR checked against
// indices worked out by hand, the count rule, cut mapping and the checks.
#include "analysis/timeline.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace ff::analysis {
namespace {

std::vector<double> cfr_times(int n, double fps) {
  std::vector<double> t(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) t[i] = i / fps;
  return t;
}

TimelineParams fps(int64_t num, int64_t den = 1) {
  TimelineParams p;
  p.fps_num = num;
  p.fps_den = den;
  return p;
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

TEST(OutputGrid, Cfr30To30MapsOneToOne) {
  const OutputGrid grid = build_output_grid(cfr_times(300, 30.0), 10.0, fps(30));
  ASSERT_EQ(grid.frames(), 300);
  for (int64_t n = 0; n < 300; ++n) ASSERT_EQ(grid.src_frame[n], n) << n;
}

TEST(OutputGrid, Ntsc2997WithMillisecondPtsMapsOneToOne) {
  // 29.97 fps stored in a 1/1000 time base: pts = round(i * 1001 / 30) ms.
  std::vector<double> t(300);
  for (int i = 0; i < 300; ++i) t[i] = std::round(i * 1001.0 / 30.0) / 1000.0;
  const double duration_s = 300 * 1001.0 / 30000.0;  // 10.01 s
  const OutputGrid grid = build_output_grid(t, duration_s, fps(30000, 1001));
  ASSERT_EQ(grid.frames(), 300);
  for (int64_t n = 0; n < 300; ++n) ASSERT_EQ(grid.src_frame[n], n) << n;
  // Without the tolerance, frame 2 (pts 67 ms, exact time 66.73 ms) comes
  // late for output frame 2 and frame 1 is shown twice.
  TimelineParams strict = fps(30000, 1001);
  strict.epsilon_out_frames = 0.0;
  EXPECT_EQ(build_output_grid(t, duration_s, strict).src_frame[2], 1);
}

TEST(OutputGrid, Cfr25To30RepeatsOneFrameInFive) {
  // out n at n/30 s shows src i with i/25 <= (n + 1/4)/30, i.e.
  // i = floor((20n + 5) / 24): per six output frames 0 1 1 2 3 4 (+5 each).
  const OutputGrid grid = build_output_grid(cfr_times(25, 25.0), 1.0, fps(30));
  const std::vector<int64_t> expected = {0,  1,  1,  2,  3,  4,  5,  6,  6,  7,
                                         8,  9,  10, 11, 11, 12, 13, 14, 15, 16,
                                         16, 17, 18, 19, 20, 21, 21, 22, 23, 24};
  EXPECT_EQ(grid.src_frame, expected);
}

TEST(OutputGrid, Cfr60To30DropsEveryOtherFrame) {
  const OutputGrid grid = build_output_grid(cfr_times(60, 60.0), 1.0, fps(30));
  ASSERT_EQ(grid.frames(), 30);
  for (int64_t n = 0; n < 30; ++n) ASSERT_EQ(grid.src_frame[n], 2 * n) << n;
}

TEST(OutputGrid, VfrTakesTheLatestFrameAtOrBeforeEachSlot) {
  // Limits (n + 1/4) / 30 s: 8.3, 41.7, 75, 108.3, 141.7, 175, 208.3, 241.7 ms.
  const std::vector<double> t = {0.0, 0.030, 0.070, 0.100, 0.180, 0.200};
  // 0.25 s * 30 = 7.5 frames: halves round up to 8.
  const OutputGrid grid = build_output_grid(t, 0.25, fps(30));
  EXPECT_EQ(grid.src_frame, (std::vector<int64_t>{0, 1, 2, 3, 3, 3, 5, 5}));
  // Frame 4 is never shown: the first output frame showing 4 or later is 6.
  EXPECT_EQ(out_frame_of_src(grid, 0), 0);
  EXPECT_EQ(out_frame_of_src(grid, 3), 3);
  EXPECT_EQ(out_frame_of_src(grid, 4), 6);
  EXPECT_EQ(out_frame_of_src(grid, 6), 8);  // past the end: frames()
}

TEST(OutputGrid, HoldsTheFirstFrameBeforeItsTime) {
  const OutputGrid grid = build_output_grid({0.1, 0.2, 0.3}, 0.3, fps(10));
  EXPECT_EQ(grid.src_frame, (std::vector<int64_t>{0, 0, 1}));
}

TEST(OutputGrid, FrameCountRoundsHalfUp) {
  const auto t = cfr_times(400, 30.0);
  EXPECT_EQ(build_output_grid(t, 10.016, fps(30)).frames(), 300);  // 300.48
  EXPECT_EQ(build_output_grid(t, 10.017, fps(30)).frames(), 301);  // 300.51
  EXPECT_EQ(build_output_grid(t, 0.05, fps(30)).frames(), 2);      // 1.5
}

TEST(OutputGrid, TimeOfAnOutputFrame) {
  const OutputGrid grid = build_output_grid(cfr_times(3, 30.0), 0.1, fps(30000, 1001));
  EXPECT_DOUBLE_EQ(grid.time_s(30000), 1001.0);
  EXPECT_DOUBLE_EQ(grid.fps(), 30000.0 / 1001.0);
}

TEST(CutsToOutFrames, MapsToTheFirstFrameOfTheNewShot) {
  // 60 -> 30: out n shows src 2n. A cut at odd src 31 starts at out 16
  // (src 32); 9 and 10 both land on out 5; 0 and 200 fall outside.
  const OutputGrid grid = build_output_grid(cfr_times(60, 60.0), 1.0, fps(30));
  EXPECT_EQ(cuts_to_out_frames(grid, {31, 0, 10, 9, 11, 200}), (std::vector<int64_t>{5, 6, 16}));
}

TEST(TimelineParams, ValidateNamesTheField) {
  EXPECT_EQ(message_of([] { fps(30).validate(); }), "no std::invalid_argument");
  EXPECT_EQ(message_of([] { fps(0).validate(); }),
            "timeline params: fps_num = 0 is out of range; must be > 0");
  EXPECT_EQ(message_of([] { fps(30, -1).validate(); }),
            "timeline params: fps_den = -1 is out of range; must be > 0");
  TimelineParams p;
  p.epsilon_out_frames = 0.6;
  EXPECT_EQ(message_of([&] { p.validate(); }),
            "timeline params: epsilon_out_frames = 0.6 is out of range; must be in 0..0.5");
}

TEST(OutputGrid, RejectsBadInputsWithMessages) {
  EXPECT_EQ(message_of([] { build_output_grid({}, 1.0, fps(30)); }),
            "build_output_grid: no source frames");
  EXPECT_EQ(message_of([] {
              build_output_grid({0.0, 0.2, 0.1}, 1.0, fps(30));
            }),
            "build_output_grid: time of src_frame 2 is earlier than the frame before; times "
            "must not decrease");
  EXPECT_EQ(message_of([] { build_output_grid({0.0}, -1.0, fps(30)); }),
            "build_output_grid: duration_s = -1 must be > 0 and finite");
  EXPECT_EQ(message_of([] { build_output_grid({0.0}, 0.01, fps(30)); }),
            "build_output_grid: duration_s = 0.01 gives no output frame at 30/1 fps");
}

}  // namespace
}  // namespace ff::analysis
