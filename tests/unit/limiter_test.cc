// TruePeakLimiter on hard signals, with libebur128's true-peak meter
// (media::LoudnessMeter, 4x oversampling) as the independent judge.
#include "analysis/limiter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "core/error.h"
#include "media/loudness_meter.h"

namespace ff::analysis {
namespace {

constexpr int kRate = 48000;
constexpr double kCeilingDbtp = -1.0;

size_t frames_of(double duration_s) {
  return static_cast<size_t>(duration_s * kRate);
}

// Appends a stereo sine (same in both channels) of `duration_s`.
void add_sine(std::vector<float>& out, double freq_hz, double amplitude, double duration_s,
              double phase_rad = 0.0) {
  for (size_t n = 0; n < frames_of(duration_s); ++n) {
    const auto v = static_cast<float>(
        amplitude *
        std::sin(2.0 * std::numbers::pi * freq_hz * static_cast<double>(n) / kRate + phase_rad));
    out.push_back(v);
    out.push_back(v);
  }
}

void add_silence(std::vector<float>& out, double duration_s) {
  out.insert(out.end(), 2 * frames_of(duration_s), 0.f);
}

// Full-scale square wave (+-1), period in samples.
void add_square(std::vector<float>& out, int period, double duration_s) {
  for (size_t n = 0; n < frames_of(duration_s); ++n) {
    const float v =
        (n % static_cast<size_t>(period)) < static_cast<size_t>(period / 2) ? 1.f : -1.f;
    out.push_back(v);
    out.push_back(-v);
  }
}

// Full-scale uniform white noise, independent channels.
void add_noise(std::vector<float>& out, double amplitude, double duration_s, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  for (size_t i = 0; i < 2 * frames_of(duration_s); ++i) {
    out.push_back(static_cast<float>(amplitude) * dist(rng));
  }
}

// Runs `input` through `limiter` in blocks of `block` frames, flushes, and
// returns the output aligned with the input (the latency removed).
std::vector<float> limit(TruePeakLimiter& limiter, std::vector<float> input, size_t block) {
  const size_t frames = input.size() / 2;
  for (size_t f = 0; f < frames; f += block) {
    limiter.process(input.data() + 2 * f, std::min(block, frames - f));
  }
  const std::vector<float> tail = limiter.flush();
  input.insert(input.end(), tail.begin(), tail.end());
  input.erase(input.begin(),
              input.begin() + static_cast<std::ptrdiff_t>(2 * limiter.latency_frames()));
  return input;
}

struct Measured {
  double true_peak_dbtp;
  double integrated_lufs;
};

Measured measure(const std::vector<float>& signal) {
  media::LoudnessMeter meter;
  meter.add_frames(signal.data(), signal.size() / 2);
  return {meter.true_peak_dbtp(), meter.integrated_lufs()};
}

// The property the limiter exists for, on one signal: the input breaks the
// ceiling, the output stays within 0.1 dB of it, and loudness drops by no more
// than the input's excess over the ceiling (plus 0.5 dB): limiting, not muting.
void expect_limited(const std::vector<float>& input, const char* name) {
  SCOPED_TRACE(name);
  const Measured in = measure(input);
  ASSERT_GT(in.true_peak_dbtp, kCeilingDbtp + 0.5) << "test signal must break the ceiling";
  TruePeakLimiter limiter({.ceiling_dbtp = kCeilingDbtp});
  const std::vector<float> output = limit(limiter, input, 1024);
  ASSERT_EQ(output.size(), input.size());
  const Measured out = measure(output);
  EXPECT_LE(out.true_peak_dbtp, kCeilingDbtp + 0.1);
  const double excess_db = in.true_peak_dbtp - kCeilingDbtp;
  EXPECT_GE(out.integrated_lufs, in.integrated_lufs - excess_db - 0.5);
  EXPECT_GT(limiter.max_reduction_db(), excess_db - 0.5);
}

TEST(TruePeakLimiter, FullScaleSquareWaves) {
  std::vector<float> input;
  add_square(input, 48, 1.0);  // 1 kHz
  add_square(input, 8, 1.0);   // 6 kHz
  expect_limited(input, "square waves");
}

TEST(TruePeakLimiter, QuarterRateSineThatPeaksBetweenSamples) {
  // Samples are +-0.707 (-3 dBFS, under the ceiling), the true peak is 0 dBTP.
  std::vector<float> input;
  add_sine(input, kRate / 4.0, 1.0, 1.0, std::numbers::pi / 4.0);
  double sample_peak = 0.0;
  for (float v : input) sample_peak = std::max(sample_peak, static_cast<double>(std::abs(v)));
  ASSERT_LT(20.0 * std::log10(sample_peak), kCeilingDbtp);
  expect_limited(input, "fs/4 sine at 45 degrees");
}

TEST(TruePeakLimiter, BurstsAfterSilence) {
  std::vector<float> input;
  add_silence(input, 0.5);
  add_sine(input, 3000.0, 1.0, 0.1);
  add_silence(input, 0.3);
  add_noise(input, 1.0, 0.2, 1);
  add_silence(input, 0.01);
  add_square(input, 48, 0.05);
  add_silence(input, 0.4);
  expect_limited(input, "bursts");
}

TEST(TruePeakLimiter, IsolatedClicksWithAShortLookahead) {
  // Lone full-scale clicks after silence, with a 0.1 ms look-ahead, so the gain
  // ramp is steep. The limiter detects with the same interpolator libebur128
  // measures with, and holds the gain flat over every sample an interpolated
  // peak depends on, so nothing but rounding separates the output from the
  // ceiling; a gain still ramping under a click would read a few 0.001 dB over.
  for (const std::vector<float>& click : std::vector<std::vector<float>>{
           {1, -1}, {1, -1, 1, -1}, {1, 1, -1, -1, 1, 1}, {1, 1, 1, -1, -1, -1}}) {
    SCOPED_TRACE(click.size());
    std::vector<float> input;
    add_silence(input, 0.05);
    for (float v : click) input.insert(input.end(), {v, v});
    add_silence(input, 0.05);
    ASSERT_GT(measure(input).true_peak_dbtp, 0.0);
    TruePeakLimiter limiter({.lookahead_ms = 0.1});
    EXPECT_LE(measure(limit(limiter, input, 256)).true_peak_dbtp, kCeilingDbtp + 0.001);
  }
}

TEST(TruePeakLimiter, SignalUnderTheCeilingPassesUnchanged) {
  std::vector<float> input;
  add_sine(input, 440.0, 0.3, 0.5);
  add_noise(input, 0.25, 0.5, 2);
  add_sine(input, kRate / 4.0, 0.6, 0.5, std::numbers::pi / 4.0);  // true peak -4.4 dBTP
  ASSERT_LT(measure(input).true_peak_dbtp, kCeilingDbtp - 1.0);
  TruePeakLimiter limiter({.ceiling_dbtp = kCeilingDbtp});
  const std::vector<float> output = limit(limiter, input, 333);
  ASSERT_EQ(output.size(), input.size());
  for (size_t i = 0; i < input.size(); ++i) ASSERT_NEAR(output[i], input[i], 1e-6) << "at " << i;
  EXPECT_EQ(limiter.max_reduction_db(), 0.0);
}

TEST(TruePeakLimiter, ImpulseComesOutAfterExactlyTheReportedLatency) {
  TruePeakLimiter limiter({.lookahead_ms = 2.0});
  // At least the look-ahead (96 frames at 48 kHz) plus the interpolator's reach.
  EXPECT_GE(limiter.latency_frames(), 96u);
  std::vector<float> signal(2 * 4800, 0.f);
  const size_t at = 1000;
  signal[2 * at] = 0.5f;        // left
  signal[2 * at + 1] = -0.25f;  // right
  for (size_t f = 0; f < 4800; f += 100) limiter.process(signal.data() + 2 * f, 100);
  for (size_t f = 0; f < 4800; ++f) {
    const bool there = f == at + limiter.latency_frames();
    EXPECT_EQ(signal[2 * f], there ? 0.5f : 0.f) << "frame " << f;
    EXPECT_EQ(signal[2 * f + 1], there ? -0.25f : 0.f) << "frame " << f;
  }
}

TEST(TruePeakLimiter, BlockSizeDoesNotChangeTheOutput) {
  std::vector<float> input;
  add_silence(input, 0.1);
  add_noise(input, 1.0, 0.3, 3);
  add_square(input, 30, 0.2);
  TruePeakLimiter whole, pieces;
  const std::vector<float> a = limit(whole, input, input.size());
  const std::vector<float> b = limit(pieces, input, 37);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], b[i]) << "at " << i;
}

TEST(TruePeakLimiter, ReleasesBackToUnityGain) {
  // 0.2 s of full-scale square, then a quiet sine: the gain recovers with an
  // 80 ms time constant (in dB) and is exactly 1 again well before the end.
  std::vector<float> input;
  add_square(input, 48, 0.2);
  const size_t quiet_start = input.size() / 2;
  add_sine(input, 1000.0, 0.1, 3.0);
  TruePeakLimiter limiter({.release_ms = 80.0});
  const std::vector<float> output = limit(limiter, input, 512);
  const auto reduction_db = [&](size_t frame) {  // over the 1 ms from `frame`
    double in = 0.0, out = 0.0;
    for (size_t f = frame; f < frame + 48; ++f) {
      in += std::abs(input[2 * f]);
      out += std::abs(output[2 * f]);
    }
    return -20.0 * std::log10(out / in);
  };
  const double start_db = reduction_db(quiet_start + 200);  // after the attack ramp ends
  ASSERT_GT(start_db, 1.0);
  // One time constant later: e^-1 of the reduction, give or take the smoothing.
  const double later_db = reduction_db(quiet_start + 200 + frames_of(0.080));
  EXPECT_GT(later_db, 0.25 * start_db);
  EXPECT_LT(later_db, 0.5 * start_db);
  for (size_t i = 2 * (quiet_start + frames_of(2.0)); i < input.size(); ++i) {
    ASSERT_EQ(output[i], input[i]) << "at " << i;
  }
}

TEST(TruePeakLimiter, RejectsOptionsOutOfRangeByName) {
  try {
    TruePeakLimiter limiter({.ceiling_dbtp = 3.0});
    FAIL() << "expected an error";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "limiter: ceiling_dbtp = 3 is out of range; allowed -20 .. 0");
  }
  try {
    TruePeakLimiter limiter({.release_ms = 0.0});
    FAIL() << "expected an error";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "limiter: release_ms = 0 is out of range; allowed 1 .. 5000");
  }
}

}  // namespace
}  // namespace ff::analysis
