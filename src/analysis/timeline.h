#pragma once
// The output timeline: a constant-frame-rate grid (output frame n shows at
// n / fps) and, for every output frame, the source frame it shows
// (DESIGN.md §1, plan). VFR input maps onto the grid here, once; every later
// step speaks in output frames.
//
// Rules:
//   - frame count = round(duration_s * fps), halves rounding up. duration_s is
//     the video stream's duration: the last frame's time plus its duration,
//     minus the first frame's time. CFR input of N frames at the output fps
//     has duration N / fps and maps 1:1.
//   - output frame n shows the latest source frame whose time is
//     <= n / fps + epsilon, with epsilon = epsilon_out_frames / fps (1/4 of
//     an output frame by default) to absorb timestamp rounding (e.g. 29.97 fps
//     pts in a 1/1000 time base). Before the first source frame's time it
//     shows the first source frame; after the last, the last one.
//     For comparison, FFmpeg's fps filter with round=near behaves like
//     epsilon_out_frames = 0.5, with round=down like 0.
//
//   25 fps -> 30 fps (epsilon 1/4): out n shows src floor((20n + 5) / 24):
//     out 0 1 2 3 4 5 | 6 7 8 9 10 11 | ...
//     src 0 1 1 2 3 4 | 5 6 6 7  8  9 | ...
//   60 fps -> 30 fps: out n shows src 2n; odd source frames are dropped.
//
//   TimelineParams p;  p.fps_num = 30000;  p.fps_den = 1001;
//   OutputGrid grid = build_output_grid(src_times_s, duration_s, p);
//   int64_t first_out = out_frame_of_src(grid, cut_src_frame);
#include <cstdint>
#include <vector>

namespace ff::analysis {

struct TimelineParams {
  int64_t fps_num = 30;  // output frame rate as num / den, e.g. 30000 / 1001
  int64_t fps_den = 1;
  double epsilon_out_frames = 0.25;  // timestamp tolerance in output frames, 0..0.5

  // Throws std::invalid_argument naming the first field that is out of range.
  void validate() const;
};

struct OutputGrid {
  int64_t fps_num = 30;
  int64_t fps_den = 1;
  // src_frame[n]: the source frame (index into the source times, i.e. the
  // presentation-order src_frame) output frame n shows. Non-decreasing.
  std::vector<int64_t> src_frame;

  int64_t frames() const { return static_cast<int64_t>(src_frame.size()); }
  double fps() const { return static_cast<double>(fps_num) / static_cast<double>(fps_den); }
  // Presentation time of output frame n: n * fps_den / fps_num.
  double time_s(int64_t out_frame) const;
};

// Builds the grid from the source frames' presentation times in seconds
// (index = src_frame; sorted, not decreasing; VFR allowed) and the duration.
// Throws std::invalid_argument for invalid params, no source frames, times
// that are not finite or decrease, a duration that is not positive and
// finite, or a duration that gives no output frame.
OutputGrid build_output_grid(const std::vector<double>& src_time_s, double duration_s,
                             const TimelineParams& params);

// The first output frame that shows src_frame or a later source frame; for a
// cut at src_frame that is where the new shot starts on the grid (a cut on a
// dropped source frame starts with the next frame shown). grid.frames() when
// no output frame does.
int64_t out_frame_of_src(const OutputGrid& grid, int64_t src_frame);

// Maps source cut frames (any order) to output frames with out_frame_of_src
// and keeps the ones strictly inside (0, grid.frames()), increasing and
// without duplicates: ready for plan_segments.
std::vector<int64_t> cuts_to_out_frames(const OutputGrid& grid,
                                        const std::vector<int64_t>& cut_src_frames);

}  // namespace ff::analysis
