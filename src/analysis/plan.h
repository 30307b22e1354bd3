#pragma once
// The plan phase (DESIGN.md §1 phase 3): a pure function of the scan data and
// the job's options that decides cuts, the output timeline, per-shot crop
// windows and the render segments. Runs on the coordinator; no MPI, FFmpeg
// or CUDA.
//
// Steps:
//   1. cuts: detect_cuts over the scan's scene scores and luma signatures
//      (scene_cuts.h), as source frames;
//   2. the output grid from the frames' times and the stream duration
//      (timeline.h), the cuts as output frames, and the shots: the output
//      ranges between cuts;
//   3. per shot (face_mode): the shot's detections (those on source frames
//      from its cut up to the next cut; a track that crosses a cut is split
//      there) linked into persons and placed on every output frame
//      (face_series.h); the speaker per frame (choose_speaker, speaker.h);
//      the shot split into takes where the speaker changes (split_takes,
//      takes.h); per take the crop path following its speaker's box, with
//      the window before it for no_face = hold (plan_crop_path,
//      crop_path.h): the window jumps only at a cut or where a take starts.
//      A shot without faces (a screen share) gets no person and one centred
//      or held window;
//      without face_mode (reframe.mode "centre"): the centred window on
//      every frame, no persons, no speaker;
//   4. render segments split at the cuts (plan_segments, segments.h).
// Deterministic. The result depends on how the scan was chunked only
// through the track ids: linking joins the tracks a chunked scan splits.
//
//   PlanParams p;
//   p.segments.ranks = 4;  // the caller fills the rank count
//   Plan plan = make_plan(scan, p);
//   for (const Segment& s : plan.segments) ...  // plan.crop[n]: window of out frame n
#include <cstdint>
#include <optional>
#include <vector>

#include "analysis/crop_path.h"
#include "analysis/face_series.h"
#include "analysis/scan_data.h"
#include "analysis/scene_cuts.h"
#include "analysis/segments.h"
#include "analysis/speaker.h"
#include "analysis/takes.h"
#include "analysis/timeline.h"
#include "analysis/types.h"

namespace ff::analysis {

struct PlanParams {
  CutParams cuts;
  TimelineParams timeline;  // output fps as num / den
  SegmentParams segments;   // ranks: set by the caller
  SpeakerParams speaker;
  CropPathParams crop;
  TakeParams takes;          // where the window cuts to a new speaker inside a shot
  FaceSeriesParams faces;    // track linking and box interpolation
  int32_t out_width = 1080;  // output size in pixels; with the source size it gives the crop
  int32_t out_height = 1920;
  // The closest framing allowed, (0, 1]: 1 keeps every window at the largest
  // of the output's aspect (crop_size_for). Below 1 each face-mode shot takes
  // the widest window in [crop_scale, 1] x that size whose speaker can be put
  // at crop.target_x on every frame (the frame edge stops a window wider than
  // the face's distance to it allows): a gallery call framed closer, a
  // close-up left whole (shot_crop_size).
  double crop_scale = 1.0;
  bool face_mode = true;  // false: reframe.mode "centre", the centred crop everywhere

  // Validates every part; throws std::invalid_argument naming the field.
  void validate() const;
};

// One take of a shot (takes.h): the frames that follow one speaker, with
// their own crop path.
struct PlanTake {
  OutRange out;                       // output frames
  CropMode mode = CropMode::kSteady;  // steady (one window) or track
  int32_t speaker = -1;               // person id within the shot; -1 none (or several, see Take)
  bool operator==(const PlanTake&) const = default;
};

// One shot of the output: the frames between two cuts.
struct PlanShot {
  OutRange out;                       // output frames
  CropMode mode = CropMode::kSteady;  // track if any take tracks, else steady
  int32_t persons = 0;                // persons linked in the shot (0 without faces)
  int32_t speaker = -1;               // the person chosen on most frames (lower id on a tie), or -1
  double speaker_share = 0.0;         // share of the shot's frames with a speaker, 0..1
  CropSize crop;                      // the size of the shot's windows
  std::vector<PlanTake> takes;        // tile out; one unless the speaker changes
  bool operator==(const PlanShot&) const = default;
};

struct Plan {
  std::vector<int64_t> cut_src_frames;  // detect_cuts: source frames that start a shot
  std::vector<int64_t> cut_out_frames;  // the same on the grid, in 1..out_frames()-1
  OutputGrid grid;                      // out frame -> source frame
  std::vector<PlanShot> shots;          // in order, tiling [0, out_frames())
  std::vector<int32_t> speaker;         // per output frame: person id within its shot, or -1
  std::vector<CropWindow> crop;         // per output frame, displayed source pixels
  std::vector<Segment> segments;        // render segments (plan_segments)
  CropSize crop_size;                   // the widest window (crop_scale 1); shots may be closer

  int64_t out_frames() const { return grid.frames(); }
};

// Runs the plan phase; see above. Throws std::invalid_argument naming what is
// inconsistent: invalid params, no frames, frames not indexed 0..n-1, a
// signature count other than the frame count (none is allowed only with
// cuts.flash_max_frames = 0), a display size <= 0, a face whose src_frame is
// outside the frames or whose box is not finite, and the errors of the steps.
Plan make_plan(const ScanData& scan, const PlanParams& params);

// The window size of one shot whose speaker is `target` on each frame (see
// PlanParams::crop_scale): `full` when crop_scale is 1 or no frame has a
// speaker, else crop_size_for at the largest scale in [crop_scale, 1] that
// lets every target centre sit at crop.target_x of the window's width.
CropSize shot_crop_size(const std::vector<std::optional<FaceBox>>& target, int32_t src_w,
                        int32_t src_h, CropSize full, const PlanParams& params);

}  // namespace ff::analysis
