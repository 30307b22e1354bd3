#pragma once
// Active speaker choice for one shot (DESIGN.md §1 phase 3): which confirmed
// face track the crop follows on each output frame.
//
// Input: per output frame of the shot (index 0 = the shot's first frame) the
// confirmed tracks visible on it, each with its activity (lower-face change
// from the scan, mean over recent detections); boxes with track_id < 0 are
// ignored. Output: per frame the chosen track_id, or -1 where no face is
// visible.
//
// Planning is offline, so the whole shot is known:
//   1. each face's activity is smoothed by a centred moving average over
//      activity_smoothing_s;
//   2. activity is compared across faces, not against a fixed level, and
//      corrected for lighting (a dimly lit face moves fewer grey levels for
//      the same mouth motion): each face's rest level is the 20% quantile of
//      its smoothed activity over the shot, and a face whose rest level is
//      below the highest one is raised by the square root of the ratio, at
//      most by max_lighting_gain. Only half the ratio (in log terms), since
//      activity alone cannot tell a brightly lit silent face from a face that
//      speaks throughout the shot; a scan that divides activity by the face's
//      contrast makes this step a no-op;
//   3. hysteresis: the choice moves from the current speaker to another face
//      only when that face has been clearly more active (normalised activity
//      >= switch_ratio x the current one's + 0.05) on every frame for
//      speaker_hold_s; the switch then takes effect from the first of those
//      frames (backdated, so the crop changes when the new speaker starts).
//      A change of choice therefore never lasts less than speaker_hold_s,
//      except where the current face disappears;
//   4. one visible face -> that face; when the current speaker is not visible
//      the face most active over the next speaker_hold_s is taken at once;
//      no face -> -1.
//
//   std::vector<std::vector<FaceBox>> faces(shot.size());  // filled from the scan
//   std::vector<int32_t> speaker = choose_speaker(faces, 30.0, SpeakerParams{});
#include <cstdint>
#include <vector>

#include "analysis/types.h"

namespace ff::analysis {

struct SpeakerParams {
  double speaker_hold_s = 2.0;        // a challenger must lead this long to take over
  double switch_ratio = 1.3;          // "clearly more active": >= ratio x the current speaker
  double activity_smoothing_s = 0.5;  // centred moving average of each face's activity
  double max_lighting_gain = 2.0;     // most a dim face's activity is raised (step 2)
  // Throws std::invalid_argument naming the field:
  // "speaker_hold_s = -1 is out of range; allowed >= 0".
  void validate() const;
};

// faces_per_frame[i]: the faces visible on output frame shot.begin + i.
// fps: the output frame rate (> 0). Validates params; throws
// std::invalid_argument on bad params, fps or a non-finite activity.
std::vector<int32_t> choose_speaker(const std::vector<std::vector<FaceBox>>& faces_per_frame,
                                    double fps, const SpeakerParams& params);

}  // namespace ff::analysis
