#pragma once
// Scene cuts: which source frames start a new shot (DESIGN.md §1, plan).
//
// Input, per scanned source frame in presentation order:
//   - ScanFrame::scene_score: mean absolute luma/colour difference to the
//     previous source frame, 0..255. Frame 0's score is ignored (it has no
//     previous frame). A scan that works in chunks must still score the
//     first frame of a chunk against the last frame of the chunk before.
//   - ScanFrame::time_s: presentation time, non-decreasing (VFR is fine);
//     min_scene_s is measured on these times.
//   - a signature (FrameSignatures), for the flash filter only: what the
//     scan must supply for every frame is `luma_signature()` below, i.e. the
//     frame's luma plane (full size, the analysis downscale or a luma
//     thumbnail such as 64x36) area-averaged to 8x8 = 64 floats in 0..255,
//     row major. Any fixed size and any downscale of the same plane work (the
//     distance is a mean absolute difference); 8x8 luma is what the default
//     flash_return_max_diff is chosen for. With flash_max_frames = 0 the
//     signatures are not needed and may be empty.
//
// Rules, after PySceneDetect's AdaptiveDetector:
//   1. candidate: frame i >= 1 with score >= min_content and
//      score >= adaptive_ratio * mean(scores of frames i-window..i+window,
//      without i and without frame 0; only those that exist). With no
//      neighbour at all the mean is 0.
//   2. flash: a frame i with score >= min_content, followed within
//      flash_max_frames by a frame j (j - i <= flash_max_frames) with
//      score >= min_content whose signature differs from that of frame i-1
//      (the last frame before the flash) by at most flash_return_max_diff
//      (mean absolute difference). Frames i..j are the flash and its way out:
//      none of them is a cut.
//   3. minimum scene: walking the remaining candidates in time order, one
//      closer than min_scene_s to the previous kept cut (or to frame 0) is a
//      competitor: the stronger (higher score) wins, the earlier on a tie.
//      The end of the video is not a cut: a short last shot is kept.
// Gradual change (zoom, pan, drift, fades) raises the neighbours' mean along
// with the frame's own score, so it fails rule 1 and gives no cut.
//
// Output: the `src_frame` of every frame that starts a new shot, increasing.
// Frame 0 is never reported: the first shot starts there implicitly.
//
//   std::vector<ScanFrame> frames = ...;          // from /scan
//   FrameSignatures sig{64, std::move(values)};   // frames.size() * 64 floats
//   std::vector<int64_t> cuts = detect_cuts(frames, sig, CutParams{});
//   double f1 = cut_f1(truth_cuts, cuts, 2);
#include <cstdint>
#include <vector>

#include "analysis/types.h"
#include "kernels/plane.h"

namespace ff::analysis {

struct CutParams {
  double adaptive_ratio = 3.0;          // score / neighbours' mean (PySceneDetect default 3.0)
  double min_content = 15.0;            // lowest score that can be a cut, 0..255 (PySceneDetect 15)
  int window_frames = 2;                // neighbours each side for the mean (PySceneDetect 2)
  double min_scene_s = 0.5;             // shortest shot (PySceneDetect: 15 frames at 30 fps)
  int flash_max_frames = 3;             // longest flash in source frames; 0 turns the filter off
  double flash_return_max_diff = 10.0;  // signature distance "looks like before", 0..255

  // Throws std::invalid_argument naming the first field that is out of range.
  void validate() const;
};

// Per-frame signatures, row i belonging to frames[i]: values.size() must be
// frames.size() * size.
struct FrameSignatures {
  int size = 0;               // floats per frame (64 for luma_signature)
  std::vector<float> values;  // row-major, frame after frame
};

// Side of the square luma thumbnail that luma_signature() produces.
inline constexpr int kSignatureSide = 8;
inline constexpr int kSignatureSize = kSignatureSide * kSignatureSide;

// The signature the scan supplies per frame: the luma plane (any size of at
// least 8x8, e.g. the analysis downscale) area-averaged to 8x8 with
// kernels::downscale_area_cpu, as 64 floats 0..255, row-major.
std::vector<float> luma_signature(kernels::PlaneView luma);

// Mean absolute difference of two signatures of equal length, 0..255.
double signature_distance(const float* a, const float* b, int size);

// The source frames that start a new shot; see the rules above. Throws
// std::invalid_argument for invalid params, frames whose src_frame is not
// strictly increasing, times that decrease, scores that are negative or not
// finite, or signatures of the wrong size when the flash filter is on.
std::vector<int64_t> detect_cuts(const std::vector<ScanFrame>& frames,
                                 const FrameSignatures& signatures, const CutParams& params);

// F1 score of `found` against `truth` (frame indices, any order): a found
// cut matches at most one truth cut at most tolerance_frames away, matched
// one to one so the number of matches is maximal. F1 = 2 * matches /
// (|truth| + |found|); 1.0 when both are empty. Throws std::invalid_argument
// when tolerance_frames < 0.
double cut_f1(const std::vector<int64_t>& truth, const std::vector<int64_t>& found,
              int tolerance_frames);

}  // namespace ff::analysis
