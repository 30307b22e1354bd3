#pragma once
// TruePeakLimiter: a streaming look-ahead limiter that keeps the true
// (inter-sample) peak of its output at or below a ceiling in dBTP, the last
// step before the AAC encode (DESIGN.md §1 phase 5, §6: true peak <= -1 dBTP).
//
// How it works, per frame:
//  1. Detection: every channel goes through a 4x polyphase FIR interpolator:
//     48 taps, sinc with a Hann window over +-6 input samples, 12 taps per
//     phase, phase 0 being the sample itself. It is the prototype libebur128
//     1.2 measures true peak with, unnormalised, so the limiter enforces
//     exactly what the QA meter reads: like that meter it reads a steady
//     sine at fs/4 about 0.03 dB low and one near 0.4 fs up to about 0.9 dB
//     low. The peak of a frame is the largest
//     |value| over its sample and the 3 interpolated points after it, over
//     all channels (stereo-linked: one gain for all channels, so the image
//     does not shift). Frames whose neighbourhood is too quiet to reach the
//     ceiling skip the interpolation (an exact bound, not an estimate).
//  2. Required gain r = min(1, ceiling / peak).
//  3. A sliding minimum of r over the look-ahead window plus the
//     interpolator's support: gain reduction starts instantly, early enough
//     that every sample an interpolated peak depends on gets the full
//     reduction (the gain is flat across a lone peak's support).
//  4. Release: the held gain recovers toward 1 as a one-pole in dB with time
//     constant release_ms, and never above the held minimum.
//  5. A moving average over the look-ahead window smooths the gain into a
//     linear ramp down (no step), reaching full depth when the peak arrives.
//  6. Output = input delayed by latency_frames() (look-ahead + 10 frames:
//     106 at 48 kHz with the default 2 ms), times the gain.
// A signal whose detected true peak never exceeds the ceiling comes out
// bit-identical, delayed by latency_frames().
//
// Streaming: process() works in place on blocks of any size; the output
// block is the input delayed, so the first latency_frames() output frames of
// a stream are silence, and flush() returns the last latency_frames() frames
// (call it once, at the end of the stream).
//
// Example:
//   TruePeakLimiter limiter({.channels = 2, .ceiling_dbtp = -1.0});
//   for (auto& block : blocks) limiter.process(block.data(), block.size() / 2);
//   std::vector<float> tail = limiter.flush();
//   // drop the first limiter.latency_frames() frames of the joined output
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ff::analysis {

class TruePeakLimiter {
 public:
  struct Options {
    int channels = 2;            // 1 .. 16
    int sample_rate_hz = 48000;  // 8000 .. 384000
    double ceiling_dbtp = -1.0;  // -20 .. 0
    double lookahead_ms = 2.0;   // attack ramp length, 0.1 .. 50
    double release_ms = 80.0;    // release time constant, 1 .. 5000
  };

  // Throws ConfigError naming the field when an option is out of range.
  explicit TruePeakLimiter(const Options& options);
  TruePeakLimiter() : TruePeakLimiter(Options{}) {}

  // Limits `frames` interleaved frames in place (output = delayed input).
  void process(float* interleaved, size_t frames);
  // The last latency_frames() frames of the stream, interleaved.
  std::vector<float> flush();

  // Delay from input to output in frames: look-ahead + interpolator support.
  size_t latency_frames() const { return latency_frames_; }
  // Deepest gain reduction applied so far, in dB (0 = never limited).
  double max_reduction_db() const;
  const Options& options() const { return options_; }

  static constexpr int kOversample = 4;
  static constexpr int kTapsPerPhase = 12;  // 48-tap prototype

 private:
  double detect_peak(const float* frame);  // steps the interpolator history
  double hold_min(double required);        // sliding minimum (step 3)
  double smooth(double held);              // release + moving average (4, 5)

  Options options_;
  size_t channels_;
  size_t lookahead_frames_;
  size_t hold_frames_;
  size_t latency_frames_;
  double ceiling_;
  double release_coeff_;  // per-frame dB multiplier toward 0 dB
  std::array<std::array<double, kTapsPerPhase>, kOversample> phase_taps_{};

  double taps_l1_ = 0.0;        // largest sum of |tap| over the phases
  std::vector<float> history_;  // per channel a ring of kTapsPerPhase, stored twice
  size_t history_pos_ = 0;
  std::vector<float> delay_;  // latency_frames x channels ring
  size_t delay_pos_ = 0;

  // Sliding minimum: monotonic queue of (index, required gain) in a ring.
  std::vector<std::pair<int64_t, double>> queue_;
  size_t queue_head_ = 0, queue_size_ = 0;
  int64_t index_ = 0;  // frames detected so far

  double released_ = 1.0;     // step 4 state
  std::vector<double> ring_;  // step 5: last lookahead_frames held gains
  size_t ring_pos_ = 0;
  double ring_sum_ = 0.0;
  double min_gain_ = 1.0;
};

}  // namespace ff::analysis
