#pragma once
// Per-frame features the scan computes on decoded frames, on plain planes:
//
//  - a Thumbnail: a fixed 64x36 luma and 32x18 chroma area-average of the
//    frame (of any planes no smaller than that: the scan passes its
//    analysis-size luma, already an area average of the decoded luma, and
//    the decoded chroma). The scene score between two frames is computed
//    on thumbnails only, so a chunk boundary can be scored by the
//    coordinator from the two thumbnails on either side with exactly the
//    same arithmetic as inside a chunk (the plan is the same on 1 or N
//    ranks);
//  - the scene score: mean absolute difference of two thumbnails, luma and
//    chroma weighted 2:1:1, in 0..255 (the sums from the scene-score kernel,
//    kernels/scene_score.h);
//  - lower-face activity: mean absolute luma change inside a face's mouth
//    band (lower_face_rect) between two consecutive analysis frames, in
//    0..255.
//
//   Thumbnail a = make_thumbnail(y, u, v);        // planes of one frame
//   float s = scene_score(prev, a);                // 0 for identical frames
#include <array>
#include <cstdint>

#include "analysis/types.h"
#include "kernels/plane.h"

namespace ff::analysis {

struct Thumbnail {
  static constexpr int kLumaW = 64, kLumaH = 36;
  static constexpr int kChromaW = 32, kChromaH = 18;
  std::array<uint8_t, kLumaW * kLumaH> y{};
  std::array<uint8_t, kChromaW * kChromaH> u{};
  std::array<uint8_t, kChromaW * kChromaH> v{};
  bool operator==(const Thumbnail&) const = default;
  // Mean luma, 0..255: the frame signature the flash filter compares.
  float mean_luma() const;
};

// Planes of one frame: luma, and chroma at any subsampling no smaller than
// the thumbnail's chroma size.
Thumbnail make_thumbnail(kernels::PlaneView y, kernels::PlaneView u, kernels::PlaneView v);

float scene_score(const Thumbnail& a, const Thumbnail& b);

// The mouth of a normalised face box: the middle 40% of its width, from 65%
// to 90% of its height, where the lips and jaw move with speech. Not the
// whole bottom of the box: a Haar box reaches past the chin, and there head
// motion and the collar changed as much as a mouth did (on the 60 s bench
// call a silent face read 4 against a speaker's 5-6 over the bottom 40%,
// 4 against 9-13 over this band; docs/reframing.md).
struct PixelRect {
  int x = 0, y = 0, w = 0, h = 0;
};
PixelRect lower_face_rect(const FaceBox& face, int frame_w, int frame_h);

// Mean absolute difference of `prev` and `cur` (same size) inside `rect`,
// clipped to the frame; 0 when the clipped rect is empty.
float region_activity(kernels::PlaneView prev, kernels::PlaneView cur, PixelRect rect);

}  // namespace ff::analysis
