// make_plan on synthetic scan data: a 1920x1080 source, 1080x1920 output
// (crop 606x1080), 30 fps, scene-score spikes at known cuts, faces on every
// 6th source frame (5 detections per second, as the scan runs the detector).
//
// The standard scan has 600 frames and cuts at 200 and 400:
//   shot 0 [0, 200):   one face drifting right, cx = 500 + 4.5 px per frame;
//   shot 1 [200, 400): no face (a screen share);
//   shot 2 [400, 600): faces A (cx 600) and B (cx 1300); A speaks on 400..499,
//                      B on 500..599.
#include "analysis/plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace ff::analysis {
namespace {

constexpr int32_t kW = 1920, kH = 1080;
constexpr double kCropW = 606.0;  // crop_size_for(1920, 1080, 1080, 1920).w
const CropWindow kCentre{kW / 2.0, kH / 2.0, kCropW, kH};

FaceBox face_px(int64_t src, int32_t id, double cx_px, double cy_px, float activity = 5.f) {
  FaceBox f;
  f.src_frame = src;
  f.track_id = id;
  f.w = 0.08f, f.h = 0.14f;
  f.x = static_cast<float>(cx_px / kW) - f.w / 2;
  f.y = static_cast<float>(cy_px / kH) - f.h / 2;
  f.score = 1.f;
  f.activity = activity;
  return f;
}

// Frames at src_fps with a low, uneven scene score, a spike of 60 at each
// cut, and per shot a different flat luma signature.
ScanData scan_with_cuts(int64_t n, double src_fps, const std::vector<int64_t>& cuts) {
  ScanData scan;
  scan.display_width = kW;
  scan.display_height = kH;
  scan.duration_s = static_cast<double>(n) / src_fps;
  for (int64_t i = 0; i < n; ++i) {
    const bool cut = std::find(cuts.begin(), cuts.end(), i) != cuts.end();
    const float score = i == 0 ? 0.f : (cut ? 60.f : 1.5f + 0.5f * static_cast<float>(i % 3));
    scan.frames.push_back({i, i, static_cast<double>(i) / src_fps, score});
    const auto shot = std::count_if(cuts.begin(), cuts.end(), [&](int64_t c) { return c <= i; });
    LumaSignature sig;
    sig.fill(static_cast<uint8_t>(40 + 50 * shot));
    scan.signatures.push_back(sig);
  }
  return scan;
}

double drift_cx(int64_t src) {
  return 500.0 + 4.5 * static_cast<double>(src);
}

// The standard scan; `chunked` delivers the same detections as the tracks a
// scan in chunks [0, 80), [80, 160), [160, 480), [480, 600) reports.
ScanData standard_scan(bool chunked) {
  ScanData scan = scan_with_cuts(600, 30.0, {200, 400});
  for (int64_t s = 0; s < 200; s += 6) {
    const int32_t id = chunked ? (s < 80 ? 10 : (s < 160 ? 11 : 12)) : 0;
    scan.faces.push_back(face_px(s, id, drift_cx(s), 400.0));
  }
  for (int64_t s = 402; s < 600; s += 6) {
    const bool a_speaks = s < 500;
    const int32_t a = chunked ? (s < 480 ? 20 : 23) : 1;
    const int32_t b = chunked ? (s < 480 ? 21 : 22) : 2;  // ids need not follow the order
    scan.faces.push_back(face_px(s, a, 600.0, 400.0, a_speaks ? 20.f : 3.f));
    scan.faces.push_back(face_px(s, b, 1300.0, 400.0, a_speaks ? 3.f : 20.f));
  }
  return scan;
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

TEST(MakePlan, CutsAtScoreSpikesBoundTheShots) {
  const Plan plan = make_plan(standard_scan(false), PlanParams{});
  EXPECT_EQ(plan.cut_src_frames, (std::vector<int64_t>{200, 400}));
  EXPECT_EQ(plan.cut_out_frames, (std::vector<int64_t>{200, 400}));  // 30 -> 30 fps is 1:1
  EXPECT_EQ(plan.out_frames(), 600);
  ASSERT_EQ(plan.shots.size(), 3u);
  EXPECT_EQ(plan.shots[0].out, (OutRange{0, 200}));
  EXPECT_EQ(plan.shots[1].out, (OutRange{200, 400}));
  EXPECT_EQ(plan.shots[2].out, (OutRange{400, 600}));
  EXPECT_EQ(plan.crop.size(), 600u);
  EXPECT_EQ(plan.speaker.size(), 600u);
  EXPECT_EQ(plan.crop_size, (CropSize{606, 1080}));
}

TEST(MakePlan, DriftingFaceIsFollowedWithinTheSpeedLimit) {
  const PlanParams params;
  const Plan plan = make_plan(standard_scan(false), params);
  const PlanShot& shot = plan.shots[0];
  EXPECT_EQ(shot.mode, CropMode::kTrack);
  EXPECT_EQ(shot.persons, 1);
  EXPECT_EQ(shot.speaker, 0);
  EXPECT_DOUBLE_EQ(shot.speaker_share, 1.0);
  int centred = 0;
  for (int64_t n = 0; n < 200; ++n) {
    const CropWindow& w = plan.crop[static_cast<size_t>(n)];
    if (std::fabs(drift_cx(n) - w.cx) <= 0.10 * kCropW) ++centred;
    ASSERT_GE(w.cx - w.w / 2, -1e-9) << "out frame " << n;
    ASSERT_LE(w.cx + w.w / 2, kW + 1e-9) << "out frame " << n;
    if (n > 0) {
      const CropWindow& p = plan.crop[static_cast<size_t>(n - 1)];
      ASSERT_LE(std::hypot(w.cx - p.cx, w.cy - p.cy), params.crop.max_pan_px_per_frame + 1e-9)
          << "out frame " << n;
    }
  }
  EXPECT_GE(centred, 190) << "of 200 frames";
}

TEST(MakePlan, FacelessShotHoldsThePreviousWindowOrCentres) {
  const ScanData scan = standard_scan(false);
  const Plan held = make_plan(scan, PlanParams{});  // no_face = hold by default
  const CropWindow last = held.crop[199];
  ASSERT_GT(std::fabs(last.cx - kCentre.cx), 100.0) << "shot 0 must end off-centre";
  EXPECT_EQ(held.shots[1].persons, 0);
  EXPECT_EQ(held.shots[1].speaker, -1);
  EXPECT_EQ(held.shots[1].speaker_share, 0.0);
  EXPECT_EQ(held.shots[1].mode, CropMode::kSteady);
  for (int64_t n = 200; n < 400; ++n) {
    ASSERT_EQ(held.crop[static_cast<size_t>(n)], last) << "out frame " << n;
    ASSERT_EQ(held.speaker[static_cast<size_t>(n)], -1) << "out frame " << n;
  }

  PlanParams centre;
  centre.crop.no_face = NoFacePolicy::kCentre;
  const Plan centred = make_plan(scan, centre);
  for (int64_t n = 200; n < 400; ++n)
    ASSERT_EQ(centred.crop[static_cast<size_t>(n)], kCentre) << "out frame " << n;
}

TEST(MakePlan, TwoFacesFollowTheActiveSpeaker) {
  const Plan plan = make_plan(standard_scan(false), PlanParams{});
  const PlanShot& shot = plan.shots[2];
  EXPECT_EQ(shot.persons, 2);
  EXPECT_DOUBLE_EQ(shot.speaker_share, 1.0);
  // Persons are numbered by first appearance, then track id: A = 0, B = 1.
  int right = 0;
  for (int64_t n = 400; n < 600; ++n)
    if (plan.speaker[static_cast<size_t>(n)] == (n < 500 ? 0 : 1)) ++right;
  EXPECT_GE(right, 180) << "of 200 frames";
  // The window ends on B, the last speaker.
  EXPECT_NEAR(plan.crop[599].cx, 1300.0, 0.10 * kCropW);
}

// Where B takes over, the window cuts to B (a new take) instead of panning
// across 700 px; each take is one steady window. With speaker_switch "pan"
// the shot is one take and the window pans within the speed limit.
TEST(MakePlan, ASpeakerChangeInsideAShotIsACutToANewTake) {
  const Plan plan = make_plan(standard_scan(false), PlanParams{});
  const PlanShot& shot = plan.shots[2];
  ASSERT_EQ(shot.takes.size(), 2u);
  const PlanTake& a = shot.takes[0];
  const PlanTake& b = shot.takes[1];
  EXPECT_EQ(a.out.begin, 400);
  EXPECT_EQ(a.out.end, b.out.begin);
  EXPECT_EQ(b.out.end, 600);
  EXPECT_NEAR(static_cast<double>(b.out.begin), 500.0, 15.0) << "the cut comes when B starts";
  EXPECT_EQ(a.speaker, 0);
  EXPECT_EQ(b.speaker, 1);
  EXPECT_EQ(a.mode, CropMode::kSteady);
  EXPECT_EQ(b.mode, CropMode::kSteady);
  EXPECT_EQ(shot.mode, CropMode::kSteady);
  for (int64_t n = 401; n < 600; ++n) {
    const CropWindow& w = plan.crop[static_cast<size_t>(n)];
    const CropWindow& p = plan.crop[static_cast<size_t>(n - 1)];
    if (n == b.out.begin) {
      EXPECT_GT(w.cx - p.cx, 600.0) << "the cut moves the window from A to B";
    } else {
      ASSERT_EQ(w, p) << "a steady take moved at out frame " << n;
    }
  }
  EXPECT_NEAR(plan.crop[450].cx, 600.0, 0.10 * kCropW);
  EXPECT_NEAR(plan.crop[550].cx, 1300.0, 0.10 * kCropW);
  // Shots without a speaker change are one take over the whole shot.
  EXPECT_EQ(plan.shots[0].takes, (std::vector<PlanTake>{{{0, 200}, CropMode::kTrack, 0}}));
  EXPECT_EQ(plan.shots[1].takes, (std::vector<PlanTake>{{{200, 400}, CropMode::kSteady, -1}}));

  PlanParams pan;
  pan.takes.cut_on_switch = false;
  const Plan panned = make_plan(standard_scan(false), pan);
  ASSERT_EQ(panned.shots[2].takes.size(), 1u);
  EXPECT_EQ(panned.shots[2].takes[0].speaker, -1) << "two speakers in one take";
  EXPECT_EQ(panned.shots[2].mode, CropMode::kTrack);
  for (int64_t n = 401; n < 600; ++n) {
    const CropWindow& w = panned.crop[static_cast<size_t>(n)];
    const CropWindow& p = panned.crop[static_cast<size_t>(n - 1)];
    ASSERT_LE(std::hypot(w.cx - p.cx, w.cy - p.cy), pan.crop.max_pan_px_per_frame + 1e-9) << n;
  }
}

// reframe.crop_scale < 1 on a 16:9 delivery of the 16:9 source, where the
// largest window is the whole frame and nothing could be reframed.
TEST(ShotCropSize, WidestWindowThatCanCentreEverySpeakerFace) {
  PlanParams p;
  p.out_width = 1280, p.out_height = 720, p.crop_scale = 0.5;
  const CropSize full{kW, kH};
  std::vector<std::optional<FaceBox>> target(10);
  EXPECT_EQ(shot_crop_size(target, kW, kH, full, p), full) << "no speaker: the whole frame";
  target[3] = face_px(0, 0, 480.0, 400.0);  // a gallery tile's face at a quarter of the width
  EXPECT_EQ(shot_crop_size(target, kW, kH, full, p), (CropSize{960, 540}));
  target[4] = face_px(1, 0, 600.0, 400.0);  // the nearest frame edge decides
  EXPECT_EQ(shot_crop_size(target, kW, kH, full, p), (CropSize{960, 540}));
  target[3] = face_px(0, 0, 960.0, 400.0);  // a centred close-up keeps the whole frame
  target[4] = std::nullopt;
  EXPECT_EQ(shot_crop_size(target, kW, kH, full, p), full);
  target[5] = face_px(2, 0, 100.0, 400.0);  // near the edge: no closer than crop_scale
  EXPECT_EQ(shot_crop_size(target, kW, kH, full, p), (CropSize{960, 540}));
  p.crop_scale = 1.0;
  EXPECT_EQ(shot_crop_size(target, kW, kH, full, p), full) << "1: always the largest window";
}

TEST(MakePlan, CropScaleFramesEachShotCloserOnlyAsFarAsItNeeds) {
  PlanParams p;
  p.out_width = 1280, p.out_height = 720;
  const ScanData scan = standard_scan(false);
  const Plan whole = make_plan(scan, p);
  for (const PlanShot& shot : whole.shots) EXPECT_EQ(shot.crop, (CropSize{kW, kH}));
  p.crop_scale = 0.25;
  const Plan plan = make_plan(scan, p);
  EXPECT_EQ(plan.crop_size, (CropSize{kW, kH})) << "the widest window";
  ASSERT_EQ(plan.shots.size(), 3u);
  // Shot 2: A at cx 600 speaks first, B at 1300 last; 600 px from the left
  // edge allows a window of 1200.
  EXPECT_EQ(plan.shots[2].crop.w, 1200);
  EXPECT_EQ(plan.shots[1].crop, (CropSize{kW, kH})) << "no face";
  EXPECT_LT(plan.shots[0].crop.w, kW) << "the drifting face starts at cx 500";
  for (const PlanShot& shot : plan.shots) {
    for (int64_t n = shot.out.begin; n < shot.out.end; ++n) {
      const CropWindow& w = plan.crop[static_cast<size_t>(n)];
      ASSERT_EQ(w.w, shot.crop.w) << "frame " << n;
      ASSERT_EQ(w.h, shot.crop.h) << "frame " << n;
      ASSERT_GE(w.cx - w.w / 2, 0.0) << "frame " << n;
      ASSERT_LE(w.cx + w.w / 2, kW) << "frame " << n;
    }
  }
  // Now the speaker can be centred: A early in shot 2, B at its end.
  EXPECT_NEAR(plan.crop[440].cx, 600.0, 0.10 * plan.shots[2].crop.w);
  EXPECT_NEAR(plan.crop[599].cx, 1300.0, 0.10 * plan.shots[2].crop.w);
}

TEST(MakePlan, ChunkSplitTracksGiveTheSamePlan) {
  const ScanData chunked = standard_scan(true);
  std::set<int32_t> ids;
  for (const FaceBox& f : chunked.faces) ids.insert(f.track_id);
  ASSERT_EQ(ids.size(), 7u);
  const Plan whole = make_plan(standard_scan(false), PlanParams{});
  const Plan split = make_plan(chunked, PlanParams{});
  EXPECT_EQ(split.shots, whole.shots);
  EXPECT_EQ(split.speaker, whole.speaker);
  EXPECT_EQ(split.crop, whole.crop);
  EXPECT_EQ(split.segments, whole.segments);
}

TEST(MakePlan, TrackCrossingACutIsSplitThere) {
  ScanData scan = scan_with_cuts(600, 30.0, {200, 400});
  for (int64_t s = 150; s <= 250; s += 6)
    scan.faces.push_back(face_px(s, 5, s < 200 ? 700.0 : 1300.0, 400.0));
  const Plan plan = make_plan(scan, PlanParams{});
  EXPECT_EQ(plan.shots[0].persons, 1);
  EXPECT_EQ(plan.shots[1].persons, 1);
  // Each shot sees only its own positions: one still window each, no pan
  // from 700 to 1300 across the cut.
  EXPECT_EQ(plan.shots[0].mode, CropMode::kSteady);
  EXPECT_EQ(plan.shots[1].mode, CropMode::kSteady);
  for (int64_t n = 0; n < 400; ++n)
    ASSERT_NEAR(plan.crop[static_cast<size_t>(n)].cx, n < 200 ? 700.0 : 1300.0, 0.01)
        << "out frame " << n;
  EXPECT_EQ(plan.speaker[200], 0);  // held back from the first detection at 204
}

TEST(MakePlan, SegmentsTileTheFramesAndStartAtCuts) {
  PlanParams params;
  params.segments.ranks = 2;
  params.segments.max_segment_s = 3.0;
  params.segments.min_segment_s = 1.0;
  const Plan plan = make_plan(standard_scan(false), params);
  ASSERT_FALSE(plan.segments.empty());
  int64_t next = 0;
  std::set<int64_t> begins;
  for (const Segment& s : plan.segments) {
    EXPECT_EQ(s.out.begin, next);
    EXPECT_LE(s.out.size(), 90);  // 3 s at 30 fps
    ASSERT_GE(s.shot, 0);
    ASSERT_LT(s.shot, static_cast<int64_t>(plan.shots.size()));
    const OutRange shot = plan.shots[static_cast<size_t>(s.shot)].out;
    EXPECT_TRUE(s.out.begin >= shot.begin && s.out.end <= shot.end) << "segment " << s.id;
    begins.insert(s.out.begin);
    next = s.out.end;
  }
  EXPECT_EQ(next, plan.out_frames());
  for (int64_t cut : plan.cut_out_frames) EXPECT_TRUE(begins.count(cut)) << "cut " << cut;
}

TEST(MakePlan, VariableFrameRateSourceMapsOntoThe30FpsGrid) {
  // 25 fps with a few ms of timestamp jitter, 24 s, a cut at source frame 250
  // (10 s), one still face at cx 1200 on every 5th source frame.
  ScanData scan = scan_with_cuts(600, 25.0, {250});
  for (size_t i = 1; i < scan.frames.size(); ++i)
    scan.frames[i].time_s += 0.002 * static_cast<double>(static_cast<int>(i % 5) - 2);
  scan.duration_s = 24.0;
  for (int64_t s = 0; s < 600; s += 5) scan.faces.push_back(face_px(s, 3, 1200.0, 400.0));
  const Plan plan = make_plan(scan, PlanParams{});
  EXPECT_EQ(plan.out_frames(), 720);  // round(24 s x 30 fps)
  EXPECT_EQ(plan.cut_src_frames, std::vector<int64_t>{250});
  EXPECT_EQ(plan.cut_out_frames, std::vector<int64_t>{300});  // 10 s x 30 fps
  EXPECT_EQ(plan.grid.src_frame[300], 250);
  ASSERT_EQ(plan.crop.size(), 720u);
  ASSERT_EQ(plan.speaker.size(), 720u);
  for (size_t n = 0; n < 720; ++n) {
    ASSERT_NEAR(plan.crop[n].cx, 1200.0, 0.01) << "out frame " << n;
    ASSERT_EQ(plan.speaker[n], 0) << "out frame " << n;
  }
}

TEST(MakePlan, CentreModeCropsTheCentreEverywhere) {
  PlanParams params;
  params.face_mode = false;
  const Plan plan = make_plan(standard_scan(false), params);
  ASSERT_EQ(plan.crop.size(), 600u);
  for (size_t n = 0; n < plan.crop.size(); ++n) {
    ASSERT_EQ(plan.crop[n], kCentre) << "out frame " << n;
    ASSERT_EQ(plan.speaker[n], -1) << "out frame " << n;
  }
  for (const PlanShot& shot : plan.shots) {
    EXPECT_EQ(shot.persons, 0);
    EXPECT_EQ(shot.speaker, -1);
    EXPECT_EQ(shot.mode, CropMode::kSteady);
  }
  EXPECT_EQ(plan.cut_out_frames, (std::vector<int64_t>{200, 400}));
}

TEST(MakePlan, SignaturesMayBeLeftOutOnlyWithoutTheFlashFilter) {
  ScanData scan = standard_scan(false);
  scan.signatures.clear();
  PlanParams params;
  EXPECT_EQ(error_of([&] { make_plan(scan, params); }),
            "make_plan: the scan has 0 signatures for 600 frames; it needs one per frame (or "
            "cuts.flash_max_frames = 0 and none)");
  params.cuts.flash_max_frames = 0;
  EXPECT_EQ(make_plan(scan, params).cut_src_frames, (std::vector<int64_t>{200, 400}));
}

TEST(MakePlan, InconsistentScanDataIsNamed) {
  const ScanData good = standard_scan(false);

  ScanData misindexed = good;
  misindexed.frames[3].src_frame = 4;
  EXPECT_EQ(error_of([&] { make_plan(misindexed, PlanParams{}); }),
            "make_plan: scan.frames[3].src_frame = 4, expected 3; frames must be indexed 0..n-1 "
            "in presentation order (merge chunks in order)");

  ScanData short_sigs = good;
  short_sigs.signatures.pop_back();
  EXPECT_EQ(error_of([&] { make_plan(short_sigs, PlanParams{}); }),
            "make_plan: the scan has 599 signatures for 600 frames; it needs one per frame (or "
            "cuts.flash_max_frames = 0 and none)");

  ScanData late_face = good;
  late_face.faces.push_back(face_px(700, 9, 900.0, 400.0));
  const std::string index = std::to_string(late_face.faces.size() - 1);
  EXPECT_EQ(error_of([&] { make_plan(late_face, PlanParams{}); }),
            "make_plan: scan.faces[" + index +
                "] (track 9) has src_frame 700, outside the 600 scanned frames 0..599");

  ScanData no_frames;
  no_frames.display_width = kW, no_frames.display_height = kH, no_frames.duration_s = 1.0;
  EXPECT_EQ(error_of([&] { make_plan(no_frames, PlanParams{}); }),
            "make_plan: the scan has no frames; scan the input before planning");

  PlanParams bad;
  bad.out_width = 0;
  EXPECT_EQ(error_of([&] { make_plan(good, bad); }), "out_width = 0 is out of range; allowed > 0");
}

}  // namespace
}  // namespace ff::analysis
