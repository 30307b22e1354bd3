// Track linking and per-output-frame face boxes on synthetic detections:
// 30 fps source and output (1:1 grid), detections every 6th frame (5 per
// second, as the scan runs the detector), default params (overlap 2, link
// gap 1 s, interpolation gap 1 s, hold 0.5 s = 15 frames).
#include "analysis/face_series.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace ff::analysis {
namespace {

constexpr double kFps = 30.0;

std::vector<ScanFrame> frames_of(int64_t n) {
  std::vector<ScanFrame> frames(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    frames[static_cast<size_t>(i)].src_frame = i;
    frames[static_cast<size_t>(i)].pts = i;
    frames[static_cast<size_t>(i)].time_s = static_cast<double>(i) / kFps;
  }
  return frames;
}

OutputGrid one_to_one(int64_t n) {
  OutputGrid grid;
  for (int64_t i = 0; i < n; ++i) grid.src_frame.push_back(i);
  return grid;
}

FaceBox face(int64_t src, int32_t id, float cx, float cy = 0.4f, float activity = 1.f,
             float size = 0.1f) {
  FaceBox f;
  f.src_frame = src;
  f.track_id = id;
  f.w = size, f.h = size;
  f.x = cx - size / 2, f.y = cy - size / 2;
  f.activity = activity;
  f.score = 1.f;
  return f;
}

// Detections of one track every 6th frame in [first, last], centre cx.
void add_track(std::vector<FaceBox>& out, int32_t id, int64_t first, int64_t last, float cx) {
  for (int64_t s = first; s <= last; s += 6) out.push_back(face(s, id, cx));
}

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

TEST(LinkTracks, ChunkSplitTracksOfOneFaceBecomeOnePerson) {
  std::vector<FaceBox> whole, split;
  for (int64_t s = 0; s <= 174; s += 6) {
    const float cx = 0.2f + 0.002f * static_cast<float>(s);  // drifting
    whole.push_back(face(s, 0, cx));
    split.push_back(face(s, s < 60 ? 7 : (s < 120 ? 8 : 9), cx));  // chunks at 60, 120
  }
  const auto frames = frames_of(180);
  const auto one = link_tracks(whole, frames, FaceSeriesParams{});
  const auto three = link_tracks(split, frames, FaceSeriesParams{});
  ASSERT_EQ(one.size(), 1u);
  ASSERT_EQ(three.size(), 1u);
  EXPECT_EQ(three[0].track_ids, (std::vector<int32_t>{7, 8, 9}));
  ASSERT_EQ(three[0].detections.size(), one[0].detections.size());
  for (size_t i = 0; i < one[0].detections.size(); ++i) {
    EXPECT_EQ(three[0].detections[i].src_frame, one[0].detections[i].src_frame);
    EXPECT_EQ(three[0].detections[i].x, one[0].detections[i].x);
  }
}

TEST(LinkTracks, DistantOrLateTrackStartsANewPerson) {
  std::vector<FaceBox> faces;
  add_track(faces, 0, 0, 60, 0.3f);
  add_track(faces, 1, 66, 120, 0.7f);   // right after, but far away
  add_track(faces, 2, 126, 180, 0.3f);  // where track 0 was, but 2.2 s after it ended
  const auto persons = link_tracks(faces, frames_of(300), FaceSeriesParams{});
  ASSERT_EQ(persons.size(), 3u);
  EXPECT_EQ(persons[0].track_ids, std::vector<int32_t>{0});
  EXPECT_EQ(persons[1].track_ids, std::vector<int32_t>{1});
  EXPECT_EQ(persons[2].track_ids, std::vector<int32_t>{2});

  FaceSeriesParams patient;
  patient.link_max_gap_s = 2.5;
  const auto linked = link_tracks(faces, frames_of(300), patient);
  ASSERT_EQ(linked.size(), 2u);
  EXPECT_EQ(linked[0].track_ids, (std::vector<int32_t>{0, 2}));
}

TEST(LinkTracks, SmallOverlapLinksAndTheLaterTrackTakesOver) {
  std::vector<FaceBox> faces;
  add_track(faces, 0, 0, 60, 0.30f);
  add_track(faces, 1, 54, 120, 0.31f);  // overlaps on 54 and 60: two detections
  const auto persons = link_tracks(faces, frames_of(180), FaceSeriesParams{});
  ASSERT_EQ(persons.size(), 1u);
  std::vector<int64_t> frames;
  for (const FaceBox& f : persons[0].detections) {
    frames.push_back(f.src_frame);
    EXPECT_EQ(f.track_id, f.src_frame < 54 ? 0 : 1) << "src_frame " << f.src_frame;
  }
  std::vector<int64_t> expected;
  for (int64_t s = 0; s <= 120; s += 6) expected.push_back(s);
  EXPECT_EQ(frames, expected);

  std::vector<FaceBox> long_overlap;
  add_track(long_overlap, 0, 0, 60, 0.30f);
  add_track(long_overlap, 1, 48, 120, 0.31f);  // 48, 54, 60: three
  EXPECT_EQ(link_tracks(long_overlap, frames_of(180), FaceSeriesParams{}).size(), 2u);
}

TEST(LinkTracks, EachTrackContinuesTheNearestPerson) {
  std::vector<FaceBox> faces;
  add_track(faces, 0, 0, 60, 0.30f);
  add_track(faces, 1, 0, 60, 0.33f);
  // Both new tracks are within link reach of both persons (0.1 boxes, centres
  // 0.005 and 0.025 away); each must take the nearer one, whatever the id order.
  add_track(faces, 5, 66, 120, 0.325f);  // nearer person 1
  add_track(faces, 6, 66, 120, 0.305f);  // nearer person 0
  const auto persons = link_tracks(faces, frames_of(180), FaceSeriesParams{});
  ASSERT_EQ(persons.size(), 2u);
  EXPECT_EQ(persons[0].track_ids, (std::vector<int32_t>{0, 6}));
  EXPECT_EQ(persons[1].track_ids, (std::vector<int32_t>{1, 5}));
}

TEST(LinkTracks, RejectsBrokenDetectionsNamingThem) {
  const auto frames = frames_of(60);
  std::vector<FaceBox> twice{face(6, 3, 0.5f), face(6, 3, 0.6f)};
  EXPECT_EQ(error_of([&] { link_tracks(twice, frames, FaceSeriesParams{}); }),
            "link_tracks: face of track 3 on src_frame 6 appears twice; pass each track once "
            "per frame");
  std::vector<FaceBox> outside{face(60, 2, 0.5f)};
  EXPECT_EQ(error_of([&] { link_tracks(outside, frames, FaceSeriesParams{}); }),
            "link_tracks: face of track 2 on src_frame 60 is outside the 60 frames");
  FaceSeriesParams bad;
  bad.link_max_overlap = -1;
  EXPECT_EQ(error_of([&] { link_tracks({}, frames, bad); }),
            "link_max_overlap = -1 is out of range; allowed >= 0");
}

TEST(FacesPerOutFrame, InterpolatesBetweenDetectionsInTime) {
  std::vector<FaceBox> faces{face(0, 0, 0.2f, 0.4f, 2.f), face(6, 0, 0.5f, 0.4f, 8.f)};
  const auto persons = link_tracks(faces, frames_of(7), FaceSeriesParams{});
  const auto boxes =
      faces_per_out_frame(persons, frames_of(7), one_to_one(7), {0, 7}, FaceSeriesParams{});
  ASSERT_EQ(boxes.size(), 7u);
  for (int64_t n = 0; n < 7; ++n) {
    ASSERT_EQ(boxes[static_cast<size_t>(n)].size(), 1u) << "out frame " << n;
    const FaceBox& b = boxes[static_cast<size_t>(n)][0];
    EXPECT_EQ(b.track_id, 0);
    EXPECT_EQ(b.src_frame, n);
    EXPECT_NEAR(b.cx(), 0.2 + 0.05 * static_cast<double>(n), 1e-6) << "out frame " << n;
    EXPECT_NEAR(b.activity, 2.0 + static_cast<double>(n), 1e-5) << "out frame " << n;
  }
}

TEST(FacesPerOutFrame, HoldsAtTheEndsAndAcrossLongGapsForAtMostHalfASecond) {
  std::vector<FaceBox> faces;
  add_track(faces, 0, 30, 60, 0.5f);
  add_track(faces, 0, 120, 150, 0.5f);  // 2 s gap after 60: longer than max_interp_gap_s
  const auto frames = frames_of(200);
  const auto persons = link_tracks(faces, frames, FaceSeriesParams{});
  const auto boxes =
      faces_per_out_frame(persons, frames, one_to_one(200), {0, 200}, FaceSeriesParams{});
  auto seen = [&](int64_t n) { return !boxes[static_cast<size_t>(n)].empty(); };
  EXPECT_FALSE(seen(14));
  EXPECT_TRUE(seen(15));  // 0.5 s before the first detection
  EXPECT_TRUE(seen(75));  // 0.5 s after 60
  EXPECT_FALSE(seen(76));
  EXPECT_FALSE(seen(104));
  EXPECT_TRUE(seen(105));  // 0.5 s before 120
  EXPECT_TRUE(seen(165));
  EXPECT_FALSE(seen(166));
}

TEST(FacesPerOutFrame, FollowsTheGridsSourceFrame) {
  // A 60 fps source on a 30 fps grid: output n shows source 2n.
  std::vector<ScanFrame> frames(20);
  for (int64_t i = 0; i < 20; ++i)
    frames[static_cast<size_t>(i)] = {i, i, static_cast<double>(i) / 60.0, 0.f};
  OutputGrid grid;
  for (int64_t n = 0; n < 10; ++n) grid.src_frame.push_back(2 * n);
  std::vector<FaceBox> faces{face(0, 4, 0.2f), face(12, 4, 0.8f)};
  const auto persons = link_tracks(faces, frames, FaceSeriesParams{});
  ASSERT_EQ(persons.size(), 1u);
  const auto boxes = faces_per_out_frame(persons, frames, grid, {2, 10}, FaceSeriesParams{});
  ASSERT_EQ(boxes.size(), 8u);
  // Out frame 3 shows source 6, halfway between the detections.
  EXPECT_NEAR(boxes[1][0].cx(), 0.5, 1e-6);
  EXPECT_EQ(boxes[1][0].src_frame, 6);
  EXPECT_EQ(error_of([&] {
              faces_per_out_frame(persons, frames, grid, {2, 11}, FaceSeriesParams{});
            }),
            "faces_per_out_frame: shot [2, 11) is outside the grid's 10 output frames");
}

}  // namespace
}  // namespace ff::analysis
