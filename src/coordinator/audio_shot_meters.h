#pragma once
// ShotMeters: the audio phase's loudness meters over one 48 kHz stereo
// stream cut into shots (docs/audio.md, "Meters"). Used three times per
// encode: on the band-limited input (before), on the signal that is encoded
// (after) and on audio.m4a decoded (delivered).
//
// One media::LoudnessMeter per shot, one alive at a time (libebur128 keeps
// 3 s of audio per meter, 2.3 MB), plus one programme meter over the whole
// stream. Optionally momentary loudness every 100 ms from 400 ms into each
// shot (for analysis::noise_floor_lufs), and per-shot true peak
// (ebur128_prev_true_peak of the programme meter, which then runs in
// true-peak mode).
//
// Input: blocks of interleaved frames in stream order, any sizes; frames past
// the last shot's end are ignored. Output: `shots` (one entry per completed
// shot), `block_end_s`/`block_lufs`, programme loudness and true peak.
//
// Example:
//   ShotMeters meters({48000, 96000}, /*true_peak=*/false, /*blocks=*/true);
//   meters.add(block.data(), frames);   // repeatedly
//   meters.shots[1].lufs;               // once 96000 frames went in
#include <cstddef>
#include <cstdint>
#include <vector>

#include "media/loudness_meter.h"

namespace ff::coordinator {

class ShotMeters {
 public:
  static constexpr int kRate = 48000;
  static constexpr int kChannels = 2;
  static constexpr int64_t kBlockFrames = kRate / 10;            // 100 ms: the momentary step
  static constexpr int64_t kMomentaryFrames = 4 * kBlockFrames;  // 400 ms: one momentary window

  struct Shot {
    double lufs = 0.0;
    double duration_s = 0.0;
    double true_peak_dbtp = 0.0;            // -inf without true_peak
    size_t first_block = 0, end_block = 0;  // into block_lufs
  };

  // `end_frame[i]`: the 48 kHz frame where shot i ends (ascending, not empty).
  ShotMeters(std::vector<int64_t> end_frame, bool true_peak, bool blocks);

  void add(const float* data, size_t frames);

  int64_t frames() const { return pos_; }
  double programme_lufs() const { return programme_.integrated_lufs(); }
  double true_peak_dbtp() const { return programme_.true_peak_dbtp(); }

  std::vector<Shot> shots;  // complete shots so far
  std::vector<double> block_end_s, block_lufs;

 private:
  // Largest true peak over the channels of the programme meter's last add_frames.
  double last_true_peak() const;

  std::vector<int64_t> end_frame_;
  bool true_peak_, blocks_;
  media::LoudnessMeter programme_, meter_;
  int64_t pos_ = 0, fed_ = 0;  // stream frame; frames in the current shot
  double peak_ = 0.0;          // linear true peak of the current shot so far
};

}  // namespace ff::coordinator
