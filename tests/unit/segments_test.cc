// Segment plans: exact tiling, cuts respected, long shots split evenly under
// the maximum, counts for the ranks within the minimum, the schedule order.
#include "analysis/segments.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

namespace ff::analysis {
namespace {

SegmentParams params(int ranks, int per_rank, double max_s, double min_s) {
  SegmentParams p;
  p.ranks = ranks;
  p.segments_per_rank = per_rank;
  p.max_segment_s = max_s;
  p.min_segment_s = min_s;
  return p;
}

std::vector<OutRange> ranges(const std::vector<Segment>& segs) {
  std::vector<OutRange> r;
  for (const Segment& s : segs) r.push_back(s.out);
  return r;
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

TEST(PlanSegments, SplitsAtCutsThenTheLongestShotsForTheRanks) {
  // 30 s at 30 fps; shots [0,300) [300,330) [330,600) [600,900). Max 10 s =
  // 300 frames fits every shot, so 4 segments; the target 2 x 3 = 6 adds a
  // piece to the longest shots, 0 and 3 (300 frames each), first to 0.
  const auto segs = plan_segments(900, {300, 330, 600}, 30.0, params(2, 3, 10.0, 2.0));
  const std::vector<Segment> expected = {
      {0, {0, 150}, 0, false},  {1, {150, 300}, 0, false}, {2, {300, 330}, 1, true},
      {3, {330, 600}, 2, true}, {4, {600, 750}, 3, true},  {5, {750, 900}, 3, false},
  };
  EXPECT_EQ(segs, expected);
  // Longest first (270), then the 150s by id, then the 1 s shot.
  EXPECT_EQ(schedule_order(segs), (std::vector<size_t>{3, 0, 1, 4, 5, 2}));
}

TEST(PlanSegments, LongShotIsSplitEvenlyUnderTheMaximum) {
  // 130 s in one shot, max 60 s: ceil(3900 / 1800) = 3 pieces of 1300.
  const auto segs = plan_segments(3900, {}, 30.0, params(1, 1, 60.0, 2.0));
  EXPECT_EQ(ranges(segs), (std::vector<OutRange>{{0, 1300}, {1300, 2600}, {2600, 3900}}));
  // 10 frames in 3 pieces: boundaries floor(10 i / 3) = 0, 3, 6, 10.
  const auto small = plan_segments(10, {}, 1.0, params(1, 3, 10.0, 1.0));
  EXPECT_EQ(ranges(small), (std::vector<OutRange>{{0, 3}, {3, 6}, {6, 10}}));
}

TEST(PlanSegments, CountFollowsTheRanks) {
  // 60 s without cuts: 1 rank x 4 -> 4 segments of 450; 3 ranks x 4 -> 12 of 150.
  EXPECT_EQ(plan_segments(1800, {}, 30.0, params(1, 4, 60.0, 2.0)).size(), 4u);
  const auto segs = plan_segments(1800, {}, 30.0, params(3, 4, 60.0, 2.0));
  ASSERT_EQ(segs.size(), 12u);
  for (const Segment& s : segs) EXPECT_EQ(s.out.size(), 150) << s.id;
}

TEST(PlanSegments, ShortVideoStopsAtTheMinimum) {
  // 5 s, 8 ranks x 4 wanted, but pieces of 2 s = 60 frames allow only 2.
  const auto segs = plan_segments(150, {}, 30.0, params(8, 4, 60.0, 2.0));
  EXPECT_EQ(ranges(segs), (std::vector<OutRange>{{0, 75}, {75, 150}}));
}

TEST(PlanSegments, ShotShorterThanTheMinimumStaysWhole) {
  // A 10-frame shot between cuts stays one segment; nothing crosses a cut.
  const auto segs = plan_segments(200, {95, 105}, 30.0, params(1, 1, 60.0, 2.0));
  EXPECT_EQ(ranges(segs), (std::vector<OutRange>{{0, 95}, {95, 105}, {105, 200}}));
  EXPECT_EQ(segs[1].shot, 1);
  EXPECT_TRUE(segs[1].starts_at_cut);
}

TEST(PlanSegments, PropertiesHoldOverManyPlans) {
  // Tiling, cuts, max, min and count for a spread of inputs.
  const std::vector<std::vector<int64_t>> cut_sets = {
      {}, {1}, {899}, {10, 20, 30}, {100, 101, 500, 880}, {450}};
  for (const auto& cuts : cut_sets) {
    for (int ranks : {1, 2, 5, 40}) {
      for (double max_s : {4.0, 10.0, 60.0}) {
        const double fps = 30.0, min_s = 1.0;
        const int64_t frames = 900;
        const auto segs = plan_segments(frames, cuts, fps, params(ranks, 3, max_s, min_s));
        SCOPED_TRACE("ranks " + std::to_string(ranks) + " max " + std::to_string(max_s) + " cuts " +
                     std::to_string(cuts.size()));
        ASSERT_FALSE(segs.empty());
        EXPECT_EQ(segs.front().out.begin, 0);
        EXPECT_EQ(segs.back().out.end, frames);
        int64_t shots_seen = 0;
        for (size_t i = 0; i < segs.size(); ++i) {
          const Segment& s = segs[i];
          EXPECT_EQ(s.id, static_cast<int64_t>(i));
          EXPECT_GT(s.out.size(), 0);
          if (i > 0) {
            EXPECT_EQ(s.out.begin, segs[i - 1].out.end);
          }
          EXPECT_LE(s.out.size(), static_cast<int64_t>(max_s * fps));
          const bool at_cut = std::binary_search(cuts.begin(), cuts.end(), s.out.begin);
          EXPECT_EQ(s.starts_at_cut, at_cut);
          if (at_cut) ++shots_seen;
          EXPECT_EQ(s.shot, shots_seen);
          // Under the minimum only when it is a whole shot.
          if (s.out.size() < static_cast<int64_t>(min_s * fps)) {
            const bool ends_shot =
                s.out.end == frames || std::binary_search(cuts.begin(), cuts.end(), s.out.end);
            EXPECT_TRUE((s.out.begin == 0 || at_cut) && ends_shot) << s.id;
          }
        }
        EXPECT_EQ(shots_seen, static_cast<int64_t>(cuts.size()));
        // 900 frames hold 30 pieces of 1 s, so the target is always reachable.
        EXPECT_GE(segs.size(), std::min<size_t>(static_cast<size_t>(ranks) * 3, 30));
      }
    }
  }
}

TEST(ScheduleOrder, LongestFirstTiesById) {
  std::vector<Segment> segs = {
      {0, {0, 10}, 0, false}, {1, {10, 40}, 0, false}, {2, {40, 50}, 1, true},
      {3, {50, 80}, 2, true}, {4, {80, 85}, 2, false},
  };
  EXPECT_EQ(schedule_order(segs), (std::vector<size_t>{1, 3, 0, 2, 4}));
  EXPECT_TRUE(schedule_order({}).empty());
}

TEST(SegmentParams, ValidateNamesTheField) {
  EXPECT_EQ(message_of([] { SegmentParams{}.validate(); }), "no std::invalid_argument");
  EXPECT_EQ(message_of([] { params(0, 4, 60, 2).validate(); }),
            "segment params: ranks = 0 is out of range; must be >= 1");
  EXPECT_EQ(message_of([] { params(1, 0, 60, 2).validate(); }),
            "segment params: segments_per_rank = 0 is out of range; must be >= 1");
  EXPECT_EQ(message_of([] { params(1, 4, 0, 0).validate(); }),
            "segment params: max_segment_s = 0 is out of range; must be > 0 (finite)");
  EXPECT_EQ(message_of([] { params(1, 4, 60, -1).validate(); }),
            "segment params: min_segment_s = -1 is out of range; must be >= 0 (finite)");
  EXPECT_EQ(message_of([] { params(1, 4, 60, 40).validate(); }),
            "segment params: min_segment_s = 40 is out of range; must be <= max_segment_s / 2 "
            "= 30");
}

TEST(PlanSegments, RejectsBadInputsWithMessages) {
  const SegmentParams p = params(1, 4, 60, 2);
  EXPECT_EQ(message_of([&] { plan_segments(0, {}, 30.0, p); }),
            "plan_segments: frames = 0 is out of range; must be in 1..2147483647");
  EXPECT_EQ(message_of([&] { plan_segments(100, {}, 0.0, p); }),
            "plan_segments: fps = 0 must be > 0 and finite");
  EXPECT_EQ(message_of([&] {
              plan_segments(100, {50, 40}, 30.0, p);
            }),
            "plan_segments: cut at out_frame 40 after 50; cuts must increase strictly and lie "
            "in 1..99");
  EXPECT_EQ(message_of([&] { plan_segments(100, {0}, 30.0, p); }),
            "plan_segments: cut at out_frame 0 after 0; cuts must increase strictly and lie in "
            "1..99");
  // 0.1 s at 30 fps is 3 frames, 0.05 s rounds up to 2: no valid split.
  EXPECT_EQ(message_of([&] { plan_segments(100, {}, 30.0, params(1, 4, 0.1, 0.05)); }),
            "plan_segments: at 30 fps max_segment_s is 3 frames and min_segment_s 2 frames; max "
            "must be at least twice min, raise max_segment_s");
}

}  // namespace
}  // namespace ff::analysis
