#pragma once
// Takes: the runs of one shot that follow one speaker (DESIGN.md §1 phase 3).
//
// A two-person call framed for a vertical screen shows one face at a time.
// When the active speaker changes inside a camera shot the window cuts to
// the new speaker, as a multi-camera edit of a podcast does, instead of
// panning across the frame: a pan slow enough to stay within a few pixels
// per frame would keep both faces off-centre for seconds. Each take then has
// its own steady or tracked path (crop_path.h), which moves at most
// max_pan_px_per_frame per frame; the window jumps only at a cut or at the
// first frame of a take. docs/reframing.md gives the reasons and figures.
//
// Input: the chosen speaker per output frame of one shot (choose_speaker,
// speaker.h; -1 where no face is visible) and the output fps. Output: takes
// that tile the shot, in order, frame indices relative to the shot:
//   1. a take starts at frame 0 and wherever the speaker becomes another
//      person; frames without a speaker stay in the take before them (the
//      first take takes the leading ones);
//   2. a take shorter than min_take_s joins the take before it (the first
//      one joins the next), and neighbours of the same person merge, so a
//      detector dropout never makes a flash cut;
//   3. with cut_on_switch = false the whole shot is one take (the window
//      pans from speaker to speaker at the path's speed limit).
//
//   std::vector<Take> takes = split_takes(speaker, 30.0, TakeParams{});
//   for (const Take& t : takes) ...  // frames [t.begin, t.end) follow t.speaker
#include <cstdint>
#include <vector>

namespace ff::analysis {

struct TakeParams {
  bool cut_on_switch = true;  // false: one take per shot
  double min_take_s = 1.0;    // shortest take; shorter runs join a neighbour
  // Throws std::invalid_argument naming the field:
  // "min_take_s = -1 is out of range; allowed 0 .. 60".
  void validate() const;
};

struct Take {
  int64_t begin = 0;  // first frame, relative to the shot
  int64_t end = 0;    // one past the last
  // The person the window follows; -1 for none, or with cut_on_switch =
  // false when the shot has more than one speaker (the window follows the
  // speaker of each frame).
  int32_t speaker = -1;
  bool operator==(const Take&) const = default;
};

// Splits one shot into takes; see above. Throws std::invalid_argument on bad
// params or fps not > 0. An empty shot gives no takes.
std::vector<Take> split_takes(const std::vector<int32_t>& speaker, double fps,
                              const TakeParams& params);

}  // namespace ff::analysis
