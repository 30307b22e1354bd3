// Takes: a shot split where the speaker changes, short runs merged away,
// frames without a speaker kept in the take before them, one take per shot
// without cut_on_switch.
#include "analysis/takes.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace ff::analysis {
namespace {

// `frames` frames of `who`, appended to `s`.
void run(std::vector<int32_t>& s, int32_t who, int frames) {
  for (int i = 0; i < frames; ++i) s.push_back(who);
}

TEST(SplitTakes, CutsWhereTheSpeakerChanges) {
  std::vector<int32_t> s;
  run(s, 0, 50);
  run(s, 1, 40);
  run(s, 0, 30);
  const std::vector<Take> takes = split_takes(s, 10.0, TakeParams{});
  EXPECT_EQ(takes, (std::vector<Take>{{0, 50, 0}, {50, 90, 1}, {90, 120, 0}}));
}

TEST(SplitTakes, FramesWithoutASpeakerStayInTheTakeBeforeThem) {
  std::vector<int32_t> s;
  run(s, -1, 5);  // leading: the first take
  run(s, 0, 20);
  run(s, -1, 30);  // a pause: still speaker 0's take
  run(s, 1, 20);
  run(s, -1, 4);
  const std::vector<Take> takes = split_takes(s, 10.0, TakeParams{});
  EXPECT_EQ(takes, (std::vector<Take>{{0, 55, 0}, {55, 79, 1}}));
}

TEST(SplitTakes, ShortRunsJoinTheTakeBeforeThemAndNeighboursMerge) {
  std::vector<int32_t> s;
  run(s, 0, 30);
  run(s, 1, 5);  // 0.5 s at 10 fps: under min_take_s = 1
  run(s, 0, 30);
  run(s, 1, 10);  // exactly 1 s: a take
  const std::vector<Take> takes = split_takes(s, 10.0, TakeParams{});
  EXPECT_EQ(takes, (std::vector<Take>{{0, 65, 0}, {65, 75, 1}}));
}

TEST(SplitTakes, AShortFirstTakeJoinsTheNext) {
  std::vector<int32_t> s;
  run(s, 2, 3);
  run(s, 0, 30);
  run(s, 1, 30);
  const std::vector<Take> takes = split_takes(s, 10.0, TakeParams{});
  EXPECT_EQ(takes, (std::vector<Take>{{0, 33, 0}, {33, 63, 1}}));
}

TEST(SplitTakes, NoSpeakerOrNoCutOnSwitchGivesOneTake) {
  EXPECT_EQ(split_takes(std::vector<int32_t>(12, -1), 30.0, TakeParams{}),
            (std::vector<Take>{{0, 12, -1}}));
  std::vector<int32_t> s;
  run(s, -1, 2);
  run(s, 1, 40);
  run(s, 0, 40);
  TakeParams pan;
  pan.cut_on_switch = false;
  EXPECT_EQ(split_takes(s, 10.0, pan), (std::vector<Take>{{0, 82, -1}}));  // two speakers
  EXPECT_EQ(split_takes({-1, 1, 1}, 10.0, pan), (std::vector<Take>{{0, 3, 1}}));
  EXPECT_TRUE(split_takes({}, 10.0, TakeParams{}).empty());
}

TEST(SplitTakes, ZeroMinimumKeepsEveryRun) {
  TakeParams p;
  p.min_take_s = 0.0;
  EXPECT_EQ(split_takes({0, 1, 1, 0}, 30.0, p),
            (std::vector<Take>{{0, 1, 0}, {1, 3, 1}, {3, 4, 0}}));
}

TEST(SplitTakes, RejectsBadParamsAndFps) {
  TakeParams p;
  p.min_take_s = -1.0;
  try {
    split_takes({0}, 30.0, p);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "min_take_s = -1 is out of range; allowed 0 .. 60");
  }
  try {
    split_takes({0}, 0.0, TakeParams{});
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "split_takes: fps = 0 must be > 0");
  }
}

}  // namespace
}  // namespace ff::analysis
