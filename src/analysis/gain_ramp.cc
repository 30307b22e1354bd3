#include "analysis/gain_ramp.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

#include "analysis/param_check.h"
#include "core/error.h"

namespace ff::analysis {
namespace {

double db_to_gain(double gain_db) {
  return std::pow(10.0, gain_db / 20.0);
}

}  // namespace

GainSchedule::GainSchedule(std::vector<int64_t> boundary_sample, std::vector<double> gain_db,
                           const Options& options)
    : options_(options), boundary_(std::move(boundary_sample)), gain_db_(std::move(gain_db)) {
  if (options_.channels < 1) {
    throw ConfigError("gain schedule: channels = " + std::to_string(options_.channels) +
                      " is out of range; allowed >= 1");
  }
  if (options_.sample_rate_hz < 1) {
    throw ConfigError("gain schedule: sample_rate_hz = " + std::to_string(options_.sample_rate_hz) +
                      " is out of range; allowed >= 1");
  }
  if (!(options_.ramp_ms >= 0.0 && options_.ramp_ms <= 1000.0)) {
    throw ConfigError("gain schedule: ramp_ms = " + format_number(options_.ramp_ms) +
                      " is out of range; allowed 0 .. 1000");
  }
  if (gain_db_.size() != boundary_.size() + 1) {
    throw RuntimeError("gain schedule: " + std::to_string(gain_db_.size()) + " gains for " +
                       std::to_string(boundary_.size()) +
                       " boundaries; pass one gain per shot (boundaries + 1)");
  }
  for (size_t k = 0; k < gain_db_.size(); ++k) {
    if (!std::isfinite(gain_db_[k])) {
      throw RuntimeError("gain schedule: gain_db[" + std::to_string(k) +
                         "] = " + format_number(gain_db_[k]) + "; every gain must be finite");
    }
    gain_.push_back(db_to_gain(gain_db_[k]));
  }
  for (size_t k = 0; k < boundary_.size(); ++k) {
    const int64_t previous = k == 0 ? 0 : boundary_[k - 1];
    if (boundary_[k] <= previous) {
      throw RuntimeError("gain schedule: boundary " + std::to_string(k) + " at sample " +
                         std::to_string(boundary_[k]) + " is not after " +
                         (k == 0 ? std::string("the stream start (sample 0)")
                                 : "boundary " + std::to_string(k - 1) + " at sample " +
                                       std::to_string(previous)) +
                         "; boundaries must increase");
    }
  }

  const auto wanted =
      static_cast<int64_t>(std::llround(options_.ramp_ms * options_.sample_rate_hz / 2000.0));
  for (size_t k = 0; k < boundary_.size(); ++k) {
    int64_t h = std::min(wanted, k == 0 ? boundary_[0] : (boundary_[k] - boundary_[k - 1]) / 2);
    if (k + 1 < boundary_.size()) h = std::min(h, (boundary_[k + 1] - boundary_[k]) / 2);
    half_width_.push_back(h);
    ramp_end_.push_back(boundary_[k] + h);
  }
}

double GainSchedule::gain_db_at(int64_t sample) const {
  const auto k = static_cast<size_t>(std::upper_bound(ramp_end_.begin(), ramp_end_.end(), sample) -
                                     ramp_end_.begin());
  if (k == boundary_.size() || sample < boundary_[k] - half_width_[k]) return gain_db_[k];
  const int64_t h = half_width_[k];
  const double t =
      (static_cast<double>(sample - (boundary_[k] - h)) + 0.5) / static_cast<double>(2 * h);
  return gain_db_[k] + (gain_db_[k + 1] - gain_db_[k]) * t;
}

double GainSchedule::gain_at(int64_t sample) const {
  const auto k = static_cast<size_t>(std::upper_bound(ramp_end_.begin(), ramp_end_.end(), sample) -
                                     ramp_end_.begin());
  if (k == boundary_.size() || sample < boundary_[k] - half_width_[k]) return gain_[k];
  return db_to_gain(gain_db_at(sample));
}

void GainSchedule::apply(float* interleaved, size_t frames, int64_t first_sample) const {
  if (first_sample < 0) {
    throw RuntimeError("gain schedule: apply at sample " + std::to_string(first_sample) +
                       "; stream samples start at 0");
  }
  const auto channels = static_cast<size_t>(options_.channels);
  const int64_t end = first_sample + static_cast<int64_t>(frames);
  int64_t s = first_sample;
  while (s < end) {
    const auto k = static_cast<size_t>(std::upper_bound(ramp_end_.begin(), ramp_end_.end(), s) -
                                       ramp_end_.begin());
    const bool last = k == boundary_.size();
    const int64_t ramp_begin = last ? end : boundary_[k] - half_width_[k];
    float* p = interleaved + static_cast<size_t>(s - first_sample) * channels;
    if (s < ramp_begin) {
      // Constant gain of shot k up to its ramp (or the block's end).
      const int64_t stop = std::min(ramp_begin, end);
      const double gain = gain_[k];
      if (gain != 1.0) {
        const size_t n = static_cast<size_t>(stop - s) * channels;
        for (size_t i = 0; i < n; ++i) p[i] = static_cast<float>(p[i] * gain);
      }
      s = stop;
    } else {
      // Inside the ramp of boundary k: one gain per sample.
      const int64_t stop = std::min(ramp_end_[k], end);
      for (; s < stop; ++s, p += channels) {
        const double gain = db_to_gain(gain_db_at(s));
        for (size_t c = 0; c < channels; ++c) p[c] = static_cast<float>(p[c] * gain);
      }
    }
  }
}

}  // namespace ff::analysis
