#pragma once
// Face series for one shot (DESIGN.md §1 phase 3): the scan's face tracks
// linked into persons, and each person's box on every output frame of the
// shot. The input of choose_speaker (speaker.h) and plan_crop_path
// (crop_path.h); make_plan (plan.h) glues them together.
//
// Why linking: the scan runs one FaceTracker per chunk and resets it at cuts,
// so one real face reaches the plan as several tracks (a new track at each
// chunk start and after each tracker reset). Linking makes the plan
// independent of how the scan was chunked.
//
// Linking rule (link_tracks). The tracks of the shot are taken in order of
// their first detection (then track_id). A track T continues a person P when
//   - T starts after P started and ends after P's last detection;
//   - T overlaps P by at most link_max_overlap detections (T's detections at
//     or before P's last detection frame), and the time from P's last
//     detection to T's first is at most link_max_gap_s;
//   - T's first box is close to P's box at or before T's first frame (the
//     same time where they overlap, P's last box otherwise), by the tracker's
//     own association rule: IoU >= link_min_iou, or centres at most
//     link_max_centre_dist mean box sizes apart and widths differing by at
//     most link_max_size_ratio.
// Of several such persons T continues the one whose box is nearest (centre
// distance in box sizes), the lower person id on a tie; with none T starts a
// new person. Where T overlaps P, T's detections replace P's from T's first
// frame on (the tracker keeps reporting a lost face at its held box for a few
// detections, so the older track's last boxes are the stale ones). Person ids
// are 0, 1, ... in the order persons first appear.
//
// Boxes per output frame (faces_per_out_frame). Output frame n shows source
// frame s = grid.src_frame[n] at time t = frames[s].time_s. A person's box on
// it is
//   - its detection on s, if there is one;
//   - else linear in time between its detections just before and just after
//     t, when those are at most max_interp_gap_s apart (box and activity);
//   - else the nearest detection's box when it is at most max_hold_s from t
//     (held at the ends of the person and on both sides of a longer gap);
//   - else the person is not on that frame.
// Only detections inside the shot are used, so nothing is interpolated or
// held across a cut. The box carries track_id = the person id (what
// choose_speaker expects) and src_frame = s.
//
//   std::vector<Person> persons = link_tracks(shot_faces, scan.frames, params);
//   auto faces = faces_per_out_frame(persons, scan.frames, grid, shot, params);
//   std::vector<int32_t> speaker = choose_speaker(faces, grid.fps(), SpeakerParams{});
#include <cstdint>
#include <vector>

#include "analysis/timeline.h"
#include "analysis/types.h"

namespace ff::analysis {

struct FaceSeriesParams {
  double link_min_iou = 0.3;          // IoU at or above which a track continues a person
  double link_max_centre_dist = 0.5;  // or: centre distance in mean box sizes, at most this
  double link_max_size_ratio = 1.5;   // ... and width ratio (larger / smaller) at most this
  int link_max_overlap = 2;           // detections a continuing track may overlap the person
  double link_max_gap_s = 1.0;        // longest time between a person's end and the next track
  // Linear interpolation between detections at most this far apart. A new
  // chunk's track is reported only once confirmed (3 detections, ~0.4 s at
  // 5 detections/s), so the gap at a chunk boundary is up to ~0.6 s.
  double max_interp_gap_s = 1.0;
  double max_hold_s = 0.5;  // a box is held at most this long past a detection
  // Throws std::invalid_argument naming the field:
  // "link_max_overlap = -1 is out of range; allowed >= 0".
  void validate() const;
};

// One person of a shot: a chain of linked tracks.
struct Person {
  std::vector<int32_t> track_ids;   // the tracks linked, in order
  std::vector<FaceBox> detections;  // merged, src_frame strictly increasing
};

// Links the tracks among `faces` into persons; see the rule above. `faces`:
// the shot's detections in any order (boxes with track_id < 0 are ignored),
// src_frame indexing `frames` (frames[i].src_frame == i). Throws
// std::invalid_argument for invalid params, a src_frame outside `frames`, a
// box that is not finite or not positive in size, a non-finite activity, or
// one track twice on the same frame.
std::vector<Person> link_tracks(const std::vector<FaceBox>& faces,
                                const std::vector<ScanFrame>& frames,
                                const FaceSeriesParams& params);

// Per output frame of `shot` (index 0 = shot.begin), the persons on it, by
// person id; see the rule above. Throws std::invalid_argument for invalid
// params or a shot outside the grid.
std::vector<std::vector<FaceBox>> faces_per_out_frame(const std::vector<Person>& persons,
                                                      const std::vector<ScanFrame>& frames,
                                                      const OutputGrid& grid, OutRange shot,
                                                      const FaceSeriesParams& params);

}  // namespace ff::analysis
