#pragma once
// Everything the scan phase found, merged over all chunks in source order:
// the input of the plan (a pure function of this and the job's options).
// Stored in analysis.h5 under /scan.
#include <array>
#include <cstdint>
#include <vector>

#include "analysis/types.h"

namespace ff::analysis {

// 8x8 area average of a frame's luma (scene_cuts.h luma_signature), 0..255.
using LumaSignature = std::array<uint8_t, 64>;

struct ScanData {
  // frames[i].src_frame == i; time_s from the stream start (first frame 0 or
  // later); scene_score of frame 0 is 0.
  std::vector<ScanFrame> frames;
  std::vector<LumaSignature> signatures;  // one per frame, for the flash filter
  // Confirmed face tracks on detection frames (about detect_fps per second),
  // src_frame global, track ids unique over the whole scan (a track never
  // spans a chunk boundary: linking across chunks is the plan's job).
  std::vector<FaceBox> faces;
  int display_width = 0;  // displayed source size (rotation applied), px
  int display_height = 0;
  double duration_s = 0.0;  // video stream duration
};

}  // namespace ff::analysis
