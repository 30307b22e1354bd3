#pragma once
// Plain data shared by the analysis algorithms, the scan and render workers
// and the HDF5 store. No MPI, FFmpeg or CUDA types here.
//
// Two frame domains, never mixed:
//   source frames  `src_frame`  index of a decoded frame of the input, in
//                               presentation order, starting at 0;
//   output frames  `out_frame`  index on the output's constant-frame-rate
//                               grid: output frame n shows at n / fps.
// Face boxes are normalised to the displayed source frame (0..1, origin top
// left); crop windows are in displayed source pixels.
#include <cstdint>
#include <vector>

namespace ff::analysis {

// Half-open range [begin, end) of output frames.
struct OutRange {
  int64_t begin = 0;
  int64_t end = 0;
  int64_t size() const { return end - begin; }
  bool operator==(const OutRange&) const = default;
};

// One decoded source frame, as the scan saw it.
struct ScanFrame {
  int64_t src_frame = 0;    // presentation-order index
  int64_t pts = 0;          // in the video stream's time base
  double time_s = 0.0;      // pts in seconds from the stream start
  float scene_score = 0.f;  // change from the previous frame, 0..255 (mean abs luma/colour diff)
};

// One face seen on one source frame.
struct FaceBox {
  int64_t src_frame = 0;
  int32_t track_id = -1;                     // confirmed track, or -1 before confirmation
  float x = 0.f, y = 0.f, w = 0.f, h = 0.f;  // normalised top-left and size
  float score = 0.f;     // detector confidence (cascade level weight or neighbours)
  float activity = 0.f;  // lower-face change, mean abs diff 0..255, for active speaker
  float cx() const { return x + w / 2; }
  float cy() const { return y + h / 2; }
};

// A crop window in displayed source pixels: centre and size.
struct CropWindow {
  double cx = 0.0, cy = 0.0, w = 0.0, h = 0.0;
  bool operator==(const CropWindow&) const = default;
};

}  // namespace ff::analysis
