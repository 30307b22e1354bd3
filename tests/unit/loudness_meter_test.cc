// LoudnessMeter against the EBU's published test cases (Tech 3341 / 3342) and
// against analytic values: the meter must agree with the standard, not with
// itself.
#include "media/loudness_meter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "core/error.h"

namespace ff::media {
namespace {

constexpr int kRate = 48000;

// Stereo sine, same signal in both channels: amplitude in dBFS, phase in rad.
std::vector<float> stereo_sine(double freq_hz, double amplitude_dbfs, double duration_s,
                               double phase_rad = 0.0) {
  const auto frames = static_cast<size_t>(duration_s * kRate);
  const double amplitude = std::pow(10.0, amplitude_dbfs / 20.0);
  std::vector<float> out(frames * 2);
  for (size_t n = 0; n < frames; ++n) {
    const double t = static_cast<double>(n) / kRate;
    const auto v =
        static_cast<float>(amplitude * std::sin(2.0 * std::numbers::pi * freq_hz * t + phase_rad));
    out[2 * n] = out[2 * n + 1] = v;
  }
  return out;
}

double power_mean_lufs(double a_lufs, double b_lufs) {
  return 10.0 * std::log10((std::pow(10.0, a_lufs / 10.0) + std::pow(10.0, b_lufs / 10.0)) / 2.0);
}

TEST(LoudnessMeter, StereoSineAtMinus23DbfsIsMinus23Lufs) {
  // EBU Tech 3341 test 1: 1 kHz stereo sine at -23 dBFS reads -23.0 +-0.1 LUFS.
  LoudnessMeter meter;
  const auto signal = stereo_sine(1000.0, -23.0, 5.0);
  meter.add_frames(signal.data(), signal.size() / 2);
  EXPECT_NEAR(meter.integrated_lufs(), -23.0, 0.1);
  EXPECT_NEAR(meter.shortterm_lufs(), -23.0, 0.1);
  EXPECT_NEAR(meter.momentary_lufs(), -23.0, 0.1);
  EXPECT_EQ(meter.frames_added(), 5u * kRate);
}

TEST(LoudnessMeter, LoudnessRangeOfTwoLevelsIsTheirDifference) {
  // EBU Tech 3342 test 1: 20 s at -20 dBFS then 20 s at -30 dBFS: LRA 10 +-1 LU.
  LoudnessMeter meter;
  const auto loud = stereo_sine(1000.0, -20.0, 20.0);
  const auto quiet = stereo_sine(1000.0, -30.0, 20.0);
  meter.add_frames(loud.data(), loud.size() / 2);
  meter.add_frames(quiet.data(), quiet.size() / 2);
  EXPECT_NEAR(meter.loudness_range_lu(), 10.0, 1.0);
}

TEST(LoudnessMeter, TruePeakFindsThePeakBetweenSamples) {
  // A sine at fs/4 with 45 degrees phase: samples +-A/sqrt(2), true peak A.
  // 20 ms raised-cosine fades keep the onset's own overshoot out of the reading.
  std::vector<float> signal = stereo_sine(kRate / 4.0, -6.0, 1.0, std::numbers::pi / 4.0);
  const size_t frames = signal.size() / 2, fade = kRate / 50;
  for (size_t n = 0; n < fade; ++n) {
    const auto w =
        static_cast<float>(0.5 - 0.5 * std::cos(std::numbers::pi * static_cast<double>(n) /
                                                static_cast<double>(fade)));
    for (size_t c = 0; c < 2; ++c) {
      signal[2 * n + c] *= w;
      signal[2 * (frames - 1 - n) + c] *= w;
    }
  }
  LoudnessMeter meter;
  meter.add_frames(signal.data(), frames);
  EXPECT_NEAR(meter.sample_peak_dbfs(), -6.0 - 20.0 * std::log10(std::sqrt(2.0)), 0.01);
  EXPECT_NEAR(meter.true_peak_dbtp(), -6.0, 0.1);
}

TEST(LoudnessMeter, SilenceIsMinusInfinity) {
  LoudnessMeter meter;
  std::vector<float> silence(2 * kRate, 0.f);
  meter.add_frames(silence.data(), kRate);
  EXPECT_EQ(meter.integrated_lufs(), -HUGE_VAL);
  EXPECT_EQ(meter.true_peak_dbtp(), -HUGE_VAL);
}

TEST(LoudnessMeter, ProgrammeLoudnessGatesAcrossMeters) {
  // Equal durations at -20 and -30 LUFS: both pass the relative gate (-32.6),
  // so the programme is their power mean; one meter fed both agrees.
  LoudnessMeter a, b, both;
  const auto loud = stereo_sine(1000.0, -20.0, 4.0);
  const auto quiet = stereo_sine(1000.0, -30.0, 4.0);
  a.add_frames(loud.data(), loud.size() / 2);
  b.add_frames(quiet.data(), quiet.size() / 2);
  both.add_frames(loud.data(), loud.size() / 2);
  both.add_frames(quiet.data(), quiet.size() / 2);
  std::vector<LoudnessMeter*> meters = {&a, &b};
  const double programme = LoudnessMeter::programme_lufs(meters);
  EXPECT_NEAR(programme, power_mean_lufs(-20.0, -30.0), 0.1);
  EXPECT_NEAR(programme, both.integrated_lufs(), 0.05);

  // 4 s at -20 and 4 s at -45: the quiet shot falls under the relative gate.
  LoudnessMeter c;
  const auto very_quiet = stereo_sine(1000.0, -45.0, 4.0);
  c.add_frames(very_quiet.data(), very_quiet.size() / 2);
  std::vector<LoudnessMeter*> gated = {&a, &c};
  EXPECT_NEAR(LoudnessMeter::programme_lufs(gated), -20.0, 0.1);
}

TEST(LoudnessMeter, MovedMeterKeepsItsMeasurement) {
  LoudnessMeter meter;
  const auto signal = stereo_sine(1000.0, -23.0, 2.0);
  meter.add_frames(signal.data(), signal.size() / 2);
  LoudnessMeter moved = std::move(meter);
  EXPECT_NEAR(moved.integrated_lufs(), -23.0, 0.1);
}

TEST(LoudnessMeter, ErrorsNameTheCallAndCode) {
  LoudnessMeter::Options options;
  options.loudness_range = false;
  options.true_peak = false;
  LoudnessMeter meter(options);
  try {
    (void)meter.loudness_range_lu();
    FAIL() << "expected an error";
  } catch (const RuntimeError& e) {
    EXPECT_STREQ(e.what(),
                 "ebur128_loudness_range failed: EBUR128_ERROR_INVALID_MODE (2); create the "
                 "meter with Options::loudness_range = true");
  }
  try {
    (void)meter.true_peak();
    FAIL() << "expected an error";
  } catch (const RuntimeError& e) {
    EXPECT_STREQ(e.what(),
                 "ebur128_true_peak failed: EBUR128_ERROR_INVALID_MODE (2); create the meter "
                 "with Options::true_peak = true");
  }
}

TEST(LoudnessMeter, RejectsBadLayoutAndEmptyProgramme) {
  LoudnessMeter::Options options;
  options.channels = 0;
  try {
    LoudnessMeter meter(options);
    FAIL() << "expected an error";
  } catch (const RuntimeError& e) {
    EXPECT_STREQ(e.what(),
                 "LoudnessMeter: channels = 0 and sample_rate_hz = 48000 must both be positive");
  }
  options.channels = 2;
  options.sample_rate_hz = 4;  // libebur128 refuses rates this low
  try {
    LoudnessMeter meter(options);
    FAIL() << "expected an error";
  } catch (const RuntimeError& e) {
    EXPECT_STREQ(e.what(),
                 "ebur128_init failed for channels = 2, sample_rate_hz = 4; libebur128 rejects "
                 "the layout or is out of memory");
  }
  try {
    (void)LoudnessMeter::programme_lufs({});
    FAIL() << "expected an error";
  } catch (const RuntimeError& e) {
    EXPECT_STREQ(e.what(), "LoudnessMeter::programme_lufs: no meters given; pass one per shot");
  }
}

}  // namespace
}  // namespace ff::media
