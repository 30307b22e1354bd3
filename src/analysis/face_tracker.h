#pragma once
// FaceTracker: turns per-frame face detections into stable face tracks inside
// one scan chunk (DESIGN.md §1 phase 2), so one-off false positives and
// one-off misses of the detector do not reach the plan.
//
// Online and pure: the scan worker runs the detector on every k-th source
// frame and calls update() with that frame's boxes (an empty list when the
// detector ran and found nothing); it reads tracks() for what to store and
// search_windows() for where to run the restricted detector next. Call
// reset() at a cut and at a chunk start.
//
// Rules, all counted in update() calls (frames where detection ran):
//   - association: a detection matches a track when their IoU is at least
//     min_iou, or when their centres are at most max_centre_dist box sizes
//     apart and their widths differ by at most max_size_ratio; matching is
//     greedy by centre distance, confirmed tracks first, ties by order;
//   - a new detection starts a candidate; the candidate becomes a confirmed
//     track (and gets its track_id) after min_hits matched detections within
//     its first confirm_span updates, otherwise it is dropped;
//   - a confirmed track is dropped after max_missed consecutive updates
//     without a match; until then it is reported at its held box;
//   - the box is an exponential average (weight detection_weight on the new
//     detection); activity is the mean over the last activity_window matched
//     detections; score is the last matched detection's.
// track_id values count up from first_track_id and are never reused by one
// tracker, also not across reset(), so a worker can give each chunk its own
// id range.
//
//   FaceTracker tracker(FaceTrackerParams{});
//   for (each detection frame f) {
//     tracker.update(f, detect(frame, tracker.search_windows()));
//     store(tracker.tracks());  // confirmed faces on frame f
//   }
#include <cstdint>
#include <deque>
#include <vector>

#include "analysis/types.h"

namespace ff::analysis {

struct FaceTrackerParams {
  double min_iou = 0.3;           // IoU at or above which a detection matches a track
  double max_centre_dist = 0.5;   // or: centre distance in box sizes (dx/w, dy/h), at most this
  double max_size_ratio = 1.5;    // ... and width ratio (larger / smaller) at most this
  int min_hits = 3;               // detections needed to confirm a candidate
  int confirm_span = 5;           // updates a candidate has to collect min_hits
  int max_missed = 5;             // consecutive missed updates that drop a confirmed track
  double detection_weight = 0.6;  // weight of the new detection in the box average; 1 = none
  int activity_window = 5;        // matched detections averaged into activity
  double search_margin = 0.5;     // search window: box grown by this many box sizes per side
  // Throws std::invalid_argument naming the field: "min_hits = 0 is out of range; allowed >= 1".
  void validate() const;
};

// Where to run the restricted detector: a normalised rectangle (0..1, clamped
// to the frame) around one track, and the track's box size, so the detector
// can look only for faces of about that size.
struct SearchWindow {
  int32_t track_id = -1;  // the confirmed track, or -1 for a candidate
  float x = 0.f, y = 0.f, w = 0.f, h = 0.f;
  float face_w = 0.f, face_h = 0.f;  // the track's (held) box size, normalised
};

class FaceTracker {
 public:
  // Validates params (std::invalid_argument naming the field).
  explicit FaceTracker(FaceTrackerParams params, int32_t first_track_id = 0);

  // Forgets all tracks and candidates (at a cut or a chunk start).
  void reset();

  // Detections of the detector run on `src_frame`. src_frame must grow from
  // one call to the next until reset(); boxes need finite x, y and w, h > 0.
  // Their track_id and src_frame fields are ignored. Throws
  // std::invalid_argument otherwise.
  void update(int64_t src_frame, const std::vector<FaceBox>& detections);

  // Confirmed tracks after the last update, ordered by track_id, with
  // src_frame = the last update's frame.
  std::vector<FaceBox> tracks() const;

  // One window per live track and candidate: confirmed ones by track_id,
  // then candidates. The margin grows with each consecutive miss.
  std::vector<SearchWindow> search_windows() const;

  // Changes the last update() made to the set of faces: candidates started
  // by detections that matched nothing, and tracks and candidates dropped.
  // The scan searches the whole frame less often while both stay 0.
  int started_last_update() const { return started_; }
  int dropped_last_update() const { return dropped_; }

  const FaceTrackerParams& params() const { return params_; }

 private:
  struct Track {
    int32_t track_id = -1;  // -1 while a candidate
    float x = 0.f, y = 0.f, w = 0.f, h = 0.f;
    float score = 0.f;
    std::deque<float> recent_activity;
    int hits = 0;    // matched detections
    int age = 0;     // updates since birth, the birth included
    int missed = 0;  // consecutive updates without a match
  };

  void associate(const std::vector<FaceBox>& detections, std::vector<int>& det_of_track) const;
  void absorb(Track& track, const FaceBox& detection) const;

  FaceTrackerParams params_;
  int32_t next_track_id_;
  int64_t last_src_frame_ = -1;
  bool has_update_ = false;
  int started_ = 0;
  int dropped_ = 0;
  std::vector<Track> tracks_;  // confirmed and candidates, in birth order
};

// Intersection over union of two normalised boxes; 0 when either is empty.
float box_iou(const FaceBox& a, const FaceBox& b);

}  // namespace ff::analysis
