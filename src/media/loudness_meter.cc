#include "media/loudness_meter.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"

namespace ff::media {
namespace {

const char* ebur128_code_name(int code) {
  switch (code) {
    case EBUR128_SUCCESS: return "EBUR128_SUCCESS";
    case EBUR128_ERROR_NOMEM: return "EBUR128_ERROR_NOMEM";
    case EBUR128_ERROR_INVALID_MODE: return "EBUR128_ERROR_INVALID_MODE";
    case EBUR128_ERROR_INVALID_CHANNEL_INDEX: return "EBUR128_ERROR_INVALID_CHANNEL_INDEX";
    case EBUR128_ERROR_NO_CHANGE: return "EBUR128_ERROR_NO_CHANGE";
    default: return "unknown libebur128 error";
  }
}

// Throws when `code` is not EBUR128_SUCCESS: "<call> failed: <NAME> (<code>); <hint>".
void check(int code, const char* call, const std::string& hint) {
  if (code == EBUR128_SUCCESS) return;
  std::string message =
      std::string(call) + " failed: " + ebur128_code_name(code) + " (" + std::to_string(code) + ")";
  if (code == EBUR128_ERROR_INVALID_MODE && !hint.empty()) message += "; " + hint;
  throw RuntimeError(message);
}

int mode_for(const LoudnessMeter::Options& options) {
  int mode = EBUR128_MODE_I | EBUR128_MODE_S;
  if (options.loudness_range) mode |= EBUR128_MODE_LRA;
  if (options.true_peak) mode |= EBUR128_MODE_TRUE_PEAK;
  return mode;
}

double to_db(double linear) {
  return linear > 0.0 ? 20.0 * std::log10(linear) : -HUGE_VAL;
}

}  // namespace

LoudnessMeter::LoudnessMeter(const Options& options) : options_(options) {
  // libebur128 returns NULL without a reason; name the likely ones.
  if (options.channels < 1 || options.sample_rate_hz < 1) {
    throw RuntimeError("LoudnessMeter: channels = " + std::to_string(options.channels) +
                       " and sample_rate_hz = " + std::to_string(options.sample_rate_hz) +
                       " must both be positive");
  }
  state_.reset(ebur128_init(static_cast<unsigned>(options.channels),
                            static_cast<unsigned long>(options.sample_rate_hz), mode_for(options)));
  if (!state_) {
    throw RuntimeError("ebur128_init failed for channels = " + std::to_string(options.channels) +
                       ", sample_rate_hz = " + std::to_string(options.sample_rate_hz) +
                       "; libebur128 rejects the layout or is out of memory");
  }
}

void LoudnessMeter::add_frames(const float* interleaved, size_t frames) {
  if (frames == 0) return;
  check(ebur128_add_frames_float(state_.get(), interleaved, frames), "ebur128_add_frames_float",
        "");
  frames_added_ += frames;
}

double LoudnessMeter::integrated_lufs() const {
  double lufs = 0.0;
  check(ebur128_loudness_global(state_.get(), &lufs), "ebur128_loudness_global", "");
  return lufs;
}

double LoudnessMeter::loudness_range_lu() const {
  double lu = 0.0;
  check(ebur128_loudness_range(state_.get(), &lu), "ebur128_loudness_range",
        "create the meter with Options::loudness_range = true");
  return lu;
}

double LoudnessMeter::momentary_lufs() const {
  double lufs = 0.0;
  check(ebur128_loudness_momentary(state_.get(), &lufs), "ebur128_loudness_momentary", "");
  return lufs;
}

double LoudnessMeter::shortterm_lufs() const {
  double lufs = 0.0;
  check(ebur128_loudness_shortterm(state_.get(), &lufs), "ebur128_loudness_shortterm", "");
  return lufs;
}

double LoudnessMeter::sample_peak() const {
  double peak = 0.0;
  for (int ch = 0; ch < options_.channels; ++ch) {
    double channel_peak = 0.0;
    check(ebur128_sample_peak(state_.get(), static_cast<unsigned>(ch), &channel_peak),
          "ebur128_sample_peak", "create the meter with Options::true_peak = true");
    peak = std::max(peak, channel_peak);
  }
  return peak;
}

double LoudnessMeter::true_peak() const {
  double peak = 0.0;
  for (int ch = 0; ch < options_.channels; ++ch) {
    double channel_peak = 0.0;
    check(ebur128_true_peak(state_.get(), static_cast<unsigned>(ch), &channel_peak),
          "ebur128_true_peak", "create the meter with Options::true_peak = true");
    peak = std::max(peak, channel_peak);
  }
  return peak;
}

double LoudnessMeter::true_peak_dbtp() const {
  return to_db(true_peak());
}

double LoudnessMeter::sample_peak_dbfs() const {
  return to_db(sample_peak());
}

double LoudnessMeter::programme_lufs(std::span<LoudnessMeter* const> meters) {
  if (meters.empty()) {
    throw RuntimeError("LoudnessMeter::programme_lufs: no meters given; pass one per shot");
  }
  std::vector<ebur128_state*> states;
  states.reserve(meters.size());
  for (size_t i = 0; i < meters.size(); ++i) {
    if (meters[i] == nullptr) {
      throw RuntimeError("LoudnessMeter::programme_lufs: meter " + std::to_string(i) + " is null");
    }
    states.push_back(meters[i]->state_.get());
  }
  double lufs = 0.0;
  check(ebur128_loudness_global_multiple(states.data(), states.size(), &lufs),
        "ebur128_loudness_global_multiple", "");
  return lufs;
}

}  // namespace ff::media
