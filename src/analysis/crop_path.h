#pragma once
// Crop path for one shot (DESIGN.md §1 phase 3, AutoFlip's steady / track
// decision): the crop window on every output frame of the shot.
//
// Input: the shot's output frames, the displayed source size, the crop size
// (crop_size_for), per frame the target face (the chosen speaker's box,
// normalised; missing on some or all frames), the previous shot's last window
// and the output fps. Output: one CropWindow per output frame and the mode.
//
// Where the face should sit: its centre at target_x of the crop width and
// target_y of the crop height; the wanted window centre is clamped so the
// window stays inside the frame.
//   - no face on any frame: one window for the shot, the frame centre, or
//     with no_face = hold the previous shot's window centre when given;
//   - steady: the wanted centres move at most steady_max_motion x source
//     width (largest of the x and y ranges): one window, at the middle of
//     that range, on every frame;
//   - track: frames without a face take the wanted centre interpolated
//     between their neighbours (held before the first and after the last);
//     a centred moving average over smoothing_s takes out detector jitter;
//     then a dead zone (the window does not move while the wanted centre stays
//     within dead_zone x crop size of it; beyond, it follows just enough to
//     keep it at the edge; once still for 1 s it re-centres on the middle of
//     the face's range over that second, from the first still frame on);
//     then a speed limit of max_pan_px_per_frame per frame (forward in time,
//     like a camera operator: the path is followed exactly where it is
//     slower); then an easing (two centred moving averages of smoothing_s / 2
//     each, zero phase since planning is offline; averaging keeps the speed
//     limit and rounds its corners); then the clamp to the frame (keeps it
//     too). Consecutive windows never differ by more than
//     max_pan_px_per_frame.
// Pure and deterministic; the path depends on the whole shot, so a segment
// cut from the shot takes its slice of the windows (the join is invisible).
//
//   CropSize crop = crop_size_for(1920, 1080, 1080, 1920);  // 606 x 1080
//   CropPathInput in{shot, 1920, 1080, crop, faces, std::nullopt, 30.0};
//   CropPath path = plan_crop_path(in, CropPathParams{});
//   path.windows[i]  // output frame shot.begin + i
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analysis/types.h"

namespace ff::analysis {

enum class NoFacePolicy { kHold, kCentre };

// "hold" or "centre"; throws std::invalid_argument naming no_face otherwise.
NoFacePolicy parse_no_face_policy(const std::string& name);
const char* to_string(NoFacePolicy policy);

enum class CropMode { kSteady, kTrack };
const char* to_string(CropMode mode);  // "steady", "track"

struct CropPathParams {
  double steady_max_motion = 0.05;    // fraction of source width
  double dead_zone = 0.05;            // fraction of the crop width (x) and height (y)
  double max_pan_px_per_frame = 8.0;  // source pixels per output frame
  double smoothing_s = 0.5;           // width of the smoothing window
  NoFacePolicy no_face = NoFacePolicy::kHold;
  double target_x = 0.5;  // face centre, fraction of the crop width from its left
  double target_y = 0.4;  // face centre, fraction of the crop height from its top
  // Throws std::invalid_argument naming the field:
  // "dead_zone = 0.7 is out of range; allowed 0..0.5".
  void validate() const;
};

struct CropSize {
  int32_t w = 0;
  int32_t h = 0;
  bool operator==(const CropSize&) const = default;
};

// The largest window of the output's aspect inside the source, times scale
// (0 < scale <= 1), rounded down to even pixels (at least 2). Throws
// std::invalid_argument on sizes <= 0 or a scale out of range.
// Example: 1920x1080 source, 1080x1920 output -> 606 x 1080.
CropSize crop_size_for(int32_t src_w, int32_t src_h, int32_t out_w, int32_t out_h,
                       double scale = 1.0);

struct CropPathInput {
  OutRange shot;      // the shot's output frames
  int32_t src_w = 0;  // displayed source size in pixels
  int32_t src_h = 0;
  CropSize crop;  // at most the source size
  // The target face per output frame of the shot, shot.size() entries;
  // normalised boxes, only the centre is used.
  std::vector<std::optional<FaceBox>> target;
  std::optional<CropWindow> previous;  // the previous shot's last window, for no_face = hold
  double fps = 0.0;                    // output frame rate
};

struct CropPath {
  CropMode mode = CropMode::kSteady;
  bool has_face = false;            // false: no face on any frame of the shot
  std::vector<CropWindow> windows;  // shot.size() windows
};

// Validates params and input (std::invalid_argument naming what is wrong).
CropPath plan_crop_path(const CropPathInput& input, const CropPathParams& params);

}  // namespace ff::analysis
