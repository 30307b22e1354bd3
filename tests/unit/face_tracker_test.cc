// FaceTracker on hand-made detection sequences: confirmation, false
// positives, id stability, misses, two faces, activity and search windows.
#include "analysis/face_tracker.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

namespace ff::analysis {
namespace {

FaceBox box(float x, float y, float w, float h, float activity = 0.f, float score = 1.f) {
  FaceBox b;
  b.x = x, b.y = y, b.w = w, b.h = h;
  b.activity = activity;
  b.score = score;
  return b;
}

FaceTrackerParams small_params() {
  FaceTrackerParams p;
  p.min_hits = 3;
  p.confirm_span = 5;
  p.max_missed = 3;
  return p;
}

TEST(FaceTracker, ConfirmsAfterMinHits) {
  FaceTracker tracker(small_params());
  const FaceBox face = box(0.4f, 0.3f, 0.1f, 0.2f);
  tracker.update(0, {face});
  EXPECT_TRUE(tracker.tracks().empty());
  tracker.update(5, {face});
  EXPECT_TRUE(tracker.tracks().empty());
  // The candidate is searched for even before it is confirmed.
  ASSERT_EQ(tracker.search_windows().size(), 1u);
  EXPECT_EQ(tracker.search_windows()[0].track_id, -1);
  tracker.update(10, {face});
  const auto tracks = tracker.tracks();
  ASSERT_EQ(tracks.size(), 1u);
  EXPECT_EQ(tracks[0].track_id, 0);
  EXPECT_EQ(tracks[0].src_frame, 10);
  EXPECT_FLOAT_EQ(tracks[0].x, 0.4f);
  EXPECT_FLOAT_EQ(tracks[0].w, 0.1f);
}

TEST(FaceTracker, MinHitsMayComeWithGapsInsideTheSpan) {
  FaceTracker tracker(small_params());
  const FaceBox face = box(0.4f, 0.3f, 0.1f, 0.2f);
  tracker.update(0, {face});
  tracker.update(1, {});
  tracker.update(2, {face});
  tracker.update(3, {});
  EXPECT_TRUE(tracker.tracks().empty());
  tracker.update(4, {face});  // third hit on the candidate's fifth update
  EXPECT_EQ(tracker.tracks().size(), 1u);
}

TEST(FaceTracker, KillsSingleFrameFalsePositive) {
  FaceTracker tracker(small_params());
  const FaceBox face = box(0.2f, 0.3f, 0.1f, 0.2f);
  const FaceBox ghost = box(0.7f, 0.6f, 0.05f, 0.08f);
  for (int64_t f = 0; f < 12; ++f) {
    std::vector<FaceBox> dets{face};
    if (f == 4) dets.push_back(ghost);
    tracker.update(f, dets);
    for (const FaceBox& t : tracker.tracks()) {
      EXPECT_NEAR(t.x, 0.2f, 1e-6) << "frame " << f;
      EXPECT_EQ(t.track_id, 0) << "frame " << f;
    }
    // The ghost is a candidate for confirm_span = 5 updates (frames 4..7 after
    // update), dropped on its fifth.
    const size_t windows = (f >= 4 && f < 8) ? 2u : 1u;
    EXPECT_EQ(tracker.search_windows().size(), windows) << "frame " << f;
  }
  EXPECT_EQ(tracker.tracks().size(), 1u);
}

TEST(FaceTracker, KillsAFalsePositiveSeenTwice) {
  FaceTracker tracker(small_params());  // min_hits 3
  const FaceBox ghost = box(0.7f, 0.6f, 0.05f, 0.08f);
  tracker.update(0, {ghost});
  tracker.update(1, {ghost});
  for (int64_t f = 2; f < 8; ++f) tracker.update(f, {});
  EXPECT_TRUE(tracker.tracks().empty());
  EXPECT_TRUE(tracker.search_windows().empty());
}

TEST(FaceTracker, KeepsIdAcrossSmallMotion) {
  FaceTracker tracker(small_params());
  // 0.01 per update, a tenth of the face width, for 40 updates (0.4 in all).
  for (int i = 0; i < 40; ++i) {
    const float x = 0.1f + 0.01f * static_cast<float>(i);
    tracker.update(i * 6, {box(x, 0.4f, 0.1f, 0.18f)});
    if (i >= 2) {
      const auto tracks = tracker.tracks();
      ASSERT_EQ(tracks.size(), 1u) << "update " << i;
      EXPECT_EQ(tracks[0].track_id, 0) << "update " << i;
      // Exponential average with weight 0.6 lags a ramp of 0.01 by 0.01*0.4/0.6.
      EXPECT_NEAR(tracks[0].x, x, 0.0075) << "update " << i;
    }
  }
}

TEST(FaceTracker, DropsAfterMaxMissedConsecutiveMisses) {
  FaceTracker tracker(small_params());  // max_missed 3, search_margin 0.5
  const FaceBox face = box(0.4f, 0.4f, 0.1f, 0.1f);
  for (int64_t f = 0; f < 3; ++f) tracker.update(f, {face});
  ASSERT_EQ(tracker.tracks().size(), 1u);
  ASSERT_EQ(tracker.search_windows().size(), 1u);
  // Margin 0.5 box each side: 0.1 * (1 + 2 * 0.5) = 0.2 wide, from 0.35.
  EXPECT_NEAR(tracker.search_windows()[0].w, 0.2f, 1e-6);
  EXPECT_NEAR(tracker.search_windows()[0].x, 0.35f, 1e-6);

  tracker.update(3, {});
  ASSERT_EQ(tracker.tracks().size(), 1u);  // held at its box
  EXPECT_EQ(tracker.tracks()[0].src_frame, 3);
  EXPECT_NEAR(tracker.tracks()[0].x, 0.4f, 1e-6);
  // One miss: the margin doubles to a box each side, 0.3 wide.
  EXPECT_NEAR(tracker.search_windows()[0].w, 0.3f, 1e-6);
  tracker.update(4, {});
  EXPECT_EQ(tracker.tracks().size(), 1u);
  tracker.update(5, {});
  EXPECT_TRUE(tracker.tracks().empty());
  EXPECT_TRUE(tracker.search_windows().empty());
}

TEST(FaceTracker, AHitResetsTheMissCount) {
  FaceTracker tracker(small_params());
  const FaceBox face = box(0.4f, 0.4f, 0.1f, 0.1f);
  for (int64_t f = 0; f < 3; ++f) tracker.update(f, {face});
  int64_t f = 3;
  for (int round = 0; round < 4; ++round) {
    tracker.update(f++, {});
    tracker.update(f++, {});
    tracker.update(f++, {face});
  }
  ASSERT_EQ(tracker.tracks().size(), 1u);
  EXPECT_EQ(tracker.tracks()[0].track_id, 0);
}

TEST(FaceTracker, TwoFacesKeepDistinctIds) {
  FaceTracker tracker(small_params());
  for (int i = 0; i < 20; ++i) {
    const float drift = 0.002f * static_cast<float>(i);
    const FaceBox left = box(0.2f + drift, 0.3f, 0.1f, 0.18f);
    const FaceBox right = box(0.6f - drift, 0.32f, 0.12f, 0.2f);
    // The detector's order changes from frame to frame.
    tracker.update(i,
                   i % 2 ? std::vector<FaceBox>{left, right} : std::vector<FaceBox>{right, left});
    if (i < 2) continue;
    const auto tracks = tracker.tracks();
    ASSERT_EQ(tracks.size(), 2u) << "update " << i;
    // Both were born on the first update: ids in birth (detection) order there.
    EXPECT_EQ(tracks[0].track_id, 0);
    EXPECT_EQ(tracks[1].track_id, 1);
    EXPECT_NEAR(tracks[0].x, 0.6f - drift, 0.01) << "update " << i;
    EXPECT_NEAR(tracks[1].x, 0.2f + drift, 0.01) << "update " << i;
  }
}

TEST(FaceTracker, SecondBoxOnTheSameFaceIsNotANewTrack) {
  FaceTracker tracker(small_params());
  for (int64_t f = 0; f < 10; ++f)
    tracker.update(f, {box(0.4f, 0.4f, 0.1f, 0.1f), box(0.41f, 0.405f, 0.1f, 0.1f)});
  EXPECT_EQ(tracker.tracks().size(), 1u);
  EXPECT_EQ(tracker.search_windows().size(), 1u);
}

TEST(FaceTracker, ActivityIsTheMeanOfRecentDetections) {
  FaceTrackerParams p = small_params();
  p.activity_window = 3;
  FaceTracker tracker(p);
  const float activity[] = {1.f, 2.f, 3.f, 10.f};
  for (int64_t f = 0; f < 4; ++f)
    tracker.update(f, {box(0.4f, 0.4f, 0.1f, 0.1f, activity[f], 0.5f + static_cast<float>(f))});
  const auto tracks = tracker.tracks();
  ASSERT_EQ(tracks.size(), 1u);
  EXPECT_FLOAT_EQ(tracks[0].activity, 5.f);  // (2 + 3 + 10) / 3
  EXPECT_FLOAT_EQ(tracks[0].score, 3.5f);    // the last detection's
}

TEST(FaceTracker, IdsAreNotReusedAcrossResetAndStartAtFirstTrackId) {
  FaceTracker tracker(small_params(), 100);
  const FaceBox face = box(0.4f, 0.4f, 0.1f, 0.1f);
  for (int64_t f = 10; f < 13; ++f) tracker.update(f, {face});
  EXPECT_EQ(tracker.tracks().at(0).track_id, 100);
  tracker.reset();
  EXPECT_TRUE(tracker.tracks().empty());
  for (int64_t f = 0; f < 3; ++f) tracker.update(f, {face});  // earlier frames after reset
  EXPECT_EQ(tracker.tracks().at(0).track_id, 101);
}

TEST(FaceTracker, SearchWindowsAreClampedToTheFrame) {
  FaceTracker tracker(small_params());
  for (int64_t f = 0; f < 3; ++f) tracker.update(f, {box(0.95f, 0.0f, 0.05f, 0.1f)});
  const auto windows = tracker.search_windows();
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_NEAR(windows[0].x, 0.925f, 1e-6);
  EXPECT_NEAR(windows[0].x + windows[0].w, 1.f, 1e-6);
  EXPECT_FLOAT_EQ(windows[0].y, 0.f);
  EXPECT_NEAR(windows[0].h, 0.15f, 1e-6);
  // The face size the detector looks for is the track's, not the clamped window's.
  EXPECT_FLOAT_EQ(windows[0].face_w, 0.05f);
  EXPECT_FLOAT_EQ(windows[0].face_h, 0.1f);
}

TEST(FaceTracker, RejectsBadParamsNamingTheField) {
  FaceTrackerParams p;
  p.min_hits = 0;
  try {
    p.validate();
    FAIL() << "min_hits = 0 accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "min_hits = 0 is out of range; allowed >= 1");
  }
  p = FaceTrackerParams{};
  p.confirm_span = 2;  // fewer updates than min_hits = 3
  try {
    FaceTracker tracker(p);
    FAIL() << "confirm_span < min_hits accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "confirm_span = 2 is out of range; allowed >= min_hits");
  }
  p = FaceTrackerParams{};
  p.detection_weight = 0.0;
  try {
    p.validate();
    FAIL() << "detection_weight = 0 accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "detection_weight = 0 is out of range; allowed (0, 1]");
  }
}

TEST(FaceTracker, RejectsFramesGoingBackAndEmptyBoxes) {
  FaceTracker tracker(small_params());
  tracker.update(12, {});
  try {
    tracker.update(12, {});
    FAIL() << "repeated src_frame accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "face tracker: update on src_frame 12 after src_frame 12; frames must grow, "
                 "call reset() to start over");
  }
  try {
    tracker.update(13, {box(0.1f, 0.2f, 0.f, 0.1f)});
    FAIL() << "zero-width box accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "face tracker: detection on src_frame 13 has box (0.1, 0.2, 0, 0.1) and activity "
                 "0; boxes need finite values and w, h > 0");
  }
}

}  // namespace
}  // namespace ff::analysis
