#pragma once
// GainSchedule: applies one gain per shot to a long interleaved float stream,
// block by block, with a short ramp across every shot boundary so no gain
// step ever lands on the signal (DESIGN.md §1, phase 5: gains -> ramps ->
// limiter).
//
// Inputs: `boundary_sample[k]` is the first sample of shot k + 1 (shot 0
// starts at sample 0), strictly increasing; `gain_db[k]` is shot k's gain
// (so gain_db.size() == boundary_sample.size() + 1). A "sample" here is one
// frame: all channels at one instant, counted from the stream's start.
//
// Ramps: linear in dB (an exponential fade in amplitude), centred on the
// boundary, `ramp_ms` long: for boundary b with half-width h samples,
// samples b - h .. b + h - 1 get
//   gain_db[k] + (gain_db[k + 1] - gain_db[k]) * (s - (b - h) + 0.5) / (2 h),
// i.e. the sample centres divide the ramp evenly and the boundary sits at
// its dB midpoint. h = round(ramp_ms * rate / 2000), shortened where needed
// so ramps never overlap (at most half the distance to a neighbouring
// boundary, and at most b for the first). ramp_ms = 0 gives hard steps.
// Everywhere else a sample gets exactly 10^(gain_db / 20) of its shot.
//
// apply() is a pure function of the absolute sample index, so feeding a
// stream in any block sizes gives the same result as one call.
//
// Example:
//   GainSchedule schedule({48000 * 4}, {+10.0, +4.0}, {.channels = 2, .ramp_ms = 10.0});
//   for (each block of `frames` frames starting at stream sample `first`)
//     schedule.apply(block.data(), frames, first);
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ff::analysis {

class GainSchedule {
 public:
  struct Options {
    int channels = 2;
    int sample_rate_hz = 48000;
    double ramp_ms = 10.0;  // 0 .. 1000
  };

  // Throws ConfigError for bad options, RuntimeError for inconsistent
  // boundaries or gains (naming the index and values).
  GainSchedule(std::vector<int64_t> boundary_sample, std::vector<double> gain_db,
               const Options& options);

  // Multiplies `frames` interleaved frames, the first of which is stream
  // sample `first_sample` (>= 0), by the scheduled gain, in place.
  void apply(float* interleaved, size_t frames, int64_t first_sample) const;

  // The scheduled gain at stream sample `sample`, in dB and as a factor.
  double gain_db_at(int64_t sample) const;
  double gain_at(int64_t sample) const;

  size_t shots() const { return gain_db_.size(); }
  // Half-width in samples of the ramp at boundary k (0 for a hard step).
  int64_t ramp_half_width(size_t k) const { return half_width_[k]; }

 private:
  Options options_;
  std::vector<int64_t> boundary_;
  std::vector<double> gain_db_;
  std::vector<double> gain_;         // 10^(gain_db / 20)
  std::vector<int64_t> half_width_;  // per boundary
  std::vector<int64_t> ramp_end_;    // boundary + half width, increasing
};

}  // namespace ff::analysis
