#include "analysis/limiter.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <sstream>
#include <string>

#include "analysis/param_check.h"
#include "core/error.h"

namespace ff::analysis {
namespace {

// The interpolated point of phase p lies p/4 of a sample after the history's
// centre sample, which is kCentre samples old: the detector's own delay.
constexpr int kCentre = TruePeakLimiter::kTapsPerPhase / 2;  // 6

void check_range(const char* key, double value, double lo, double hi) {
  analysis::check_range("limiter", key, value, lo, hi);
}

// Hann-windowed sinc, support |t| < kCentre input samples.
double windowed_sinc(double t) {
  if (std::abs(t) >= kCentre) return 0.0;
  const double window = 0.5 * (1.0 + std::cos(std::numbers::pi * t / kCentre));
  if (t == 0.0) return window;
  return window * std::sin(std::numbers::pi * t) / (std::numbers::pi * t);
}

}  // namespace

TruePeakLimiter::TruePeakLimiter(const Options& options) : options_(options) {
  check_range("channels", options.channels, 1, 16);
  check_range("sample_rate_hz", options.sample_rate_hz, 8000, 384000);
  check_range("ceiling_dbtp", options.ceiling_dbtp, -20.0, 0.0);
  check_range("lookahead_ms", options.lookahead_ms, 0.1, 50.0);
  check_range("release_ms", options.release_ms, 1.0, 5000.0);

  channels_ = static_cast<size_t>(options.channels);
  lookahead_frames_ = std::max<size_t>(
      1, static_cast<size_t>(std::llround(options.lookahead_ms * options.sample_rate_hz / 1000.0)));
  // The hold covers the look-ahead ramp plus the 11 further samples an
  // interpolated point depends on (kCentre - 1 before, kCentre after).
  hold_frames_ = lookahead_frames_ + kTapsPerPhase - 1;
  latency_frames_ = lookahead_frames_ + kTapsPerPhase - 2;
  ceiling_ = std::pow(10.0, options.ceiling_dbtp / 20.0);
  release_coeff_ = std::exp(-1000.0 / (options.release_ms * options.sample_rate_hz));

  // History slot t holds the sample `age` = kTapsPerPhase - 1 - t frames old;
  // the point of phase p lies p/4 of a frame after the sample kCentre frames
  // old, so its distance from slot t's sample is age - kCentre + p/4.
  for (int p = 0; p < kOversample; ++p) {
    double l1 = 0.0;
    for (int t = 0; t < kTapsPerPhase; ++t) {
      const double age = kTapsPerPhase - 1 - t;
      const double tap = p == 0
                             ? (age == kCentre ? 1.0 : 0.0)
                             : windowed_sinc(age - kCentre + static_cast<double>(p) / kOversample);
      phase_taps_[p][t] = tap;
      l1 += std::abs(tap);
    }
    taps_l1_ = std::max(taps_l1_, l1);
  }

  history_.assign(channels_ * 2 * kTapsPerPhase, 0.f);
  delay_.assign(latency_frames_ * channels_, 0.f);
  queue_.resize(hold_frames_ + 1);
  ring_.assign(lookahead_frames_, 1.0);
  ring_sum_ = static_cast<double>(lookahead_frames_);
}

double TruePeakLimiter::detect_peak(const float* frame) {
  // Each channel's history is a ring stored twice over, so the last
  // kTapsPerPhase samples are always contiguous: window[0] oldest.
  const size_t slot = history_pos_;
  history_pos_ = (history_pos_ + 1) % kTapsPerPhase;
  double peak = 0.0;
  for (size_t c = 0; c < channels_; ++c) {
    float* ring = history_.data() + c * 2 * kTapsPerPhase;
    ring[slot] = ring[slot + kTapsPerPhase] = frame[c];
    const float* window = ring + slot + 1;
    float window_max = 0.f;
    for (int t = 0; t < kTapsPerPhase; ++t) window_max = std::max(window_max, std::abs(window[t]));
    // No interpolated point can exceed window_max * taps_l1_: when that is
    // under the ceiling the exact peak does not matter (the gain stays 1).
    if (window_max * taps_l1_ <= ceiling_) {
      peak = std::max(peak, static_cast<double>(window_max));
      continue;
    }
    peak = std::max(peak, static_cast<double>(std::abs(window[kTapsPerPhase - 1 - kCentre])));
    for (int p = 1; p < kOversample; ++p) {
      double value = 0.0;
      for (int t = 0; t < kTapsPerPhase; ++t) value += phase_taps_[p][t] * window[t];
      peak = std::max(peak, std::abs(value));
    }
  }
  return peak;
}

double TruePeakLimiter::hold_min(double required) {
  const size_t capacity = queue_.size();
  while (queue_size_ > 0 && queue_[(queue_head_ + queue_size_ - 1) % capacity].second >= required) {
    --queue_size_;
  }
  queue_[(queue_head_ + queue_size_) % capacity] = {index_, required};
  ++queue_size_;
  const int64_t oldest = index_ - static_cast<int64_t>(hold_frames_) + 1;
  while (queue_[queue_head_].first < oldest) {
    queue_head_ = (queue_head_ + 1) % capacity;
    --queue_size_;
  }
  ++index_;
  return queue_[queue_head_].second;
}

double TruePeakLimiter::smooth(double held) {
  // Release: one pole in dB toward 0 dB, never above the held minimum.
  if (released_ < 1.0) {
    released_ = std::pow(released_, release_coeff_);
    if (released_ > 1.0 - 1e-9) released_ = 1.0;
  }
  released_ = std::min(released_, held);

  // Moving average over the look-ahead window; the sum is recomputed once
  // per turn of the ring so rounding cannot accumulate over a long stream.
  ring_sum_ += released_ - ring_[ring_pos_];
  ring_[ring_pos_] = released_;
  ring_pos_ = (ring_pos_ + 1) % ring_.size();
  if (ring_pos_ == 0) {
    ring_sum_ = 0.0;
    for (double g : ring_) ring_sum_ += g;
  }
  return std::min(1.0, ring_sum_ / static_cast<double>(ring_.size()));
}

void TruePeakLimiter::process(float* interleaved, size_t frames) {
  for (size_t f = 0; f < frames; ++f) {
    float* frame = interleaved + f * channels_;
    const double peak = detect_peak(frame);
    const double required = peak > ceiling_ ? ceiling_ / peak : 1.0;
    const double gain = smooth(hold_min(required));
    min_gain_ = std::min(min_gain_, gain);
    float* delayed = delay_.data() + delay_pos_ * channels_;
    for (size_t c = 0; c < channels_; ++c) {
      const float in = frame[c];
      frame[c] = gain == 1.0 ? delayed[c] : static_cast<float>(delayed[c] * gain);
      delayed[c] = in;
    }
    delay_pos_ = (delay_pos_ + 1) % latency_frames_;
  }
}

std::vector<float> TruePeakLimiter::flush() {
  std::vector<float> tail(latency_frames_ * channels_, 0.f);
  process(tail.data(), latency_frames_);
  return tail;
}

double TruePeakLimiter::max_reduction_db() const {
  return -20.0 * std::log10(min_gain_);
}

}  // namespace ff::analysis
