// The loudness plan (plan_shot_gains) and the gain ramps (GainSchedule):
// rules on plain numbers, and end to end on generated audio with
// libebur128 (media::LoudnessMeter) as the independent measure.
#include "analysis/loudness_plan.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "analysis/gain_ramp.h"
#include "core/error.h"
#include "media/loudness_meter.h"

namespace ff::analysis {
namespace {

constexpr int kRate = 48000;

size_t frames_of(double duration_s) {
  return static_cast<size_t>(duration_s * kRate);
}

double measure_lufs(const float* interleaved, size_t frames) {
  media::LoudnessMeter meter({.loudness_range = false, .true_peak = false});
  meter.add_frames(interleaved, frames);
  return meter.integrated_lufs();
}

// Stereo white noise scaled to exactly `lufs` as libebur128 measures it.
std::vector<float> noise_at(double lufs, double duration_s, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-0.5f, 0.5f);
  std::vector<float> out(2 * frames_of(duration_s));
  for (float& v : out) v = dist(rng);
  const double scale = std::pow(10.0, (lufs - measure_lufs(out.data(), out.size() / 2)) / 20.0);
  for (float& v : out) v = static_cast<float>(v * scale);
  return out;
}

double power_mean_lufs(const std::vector<std::pair<double, double>>& lufs_and_duration_s) {
  double energy = 0.0, duration_s = 0.0;
  for (auto [lufs, d] : lufs_and_duration_s) {
    energy += d * std::pow(10.0, lufs / 10.0);
    duration_s += d;
  }
  return 10.0 * std::log10(energy / duration_s);
}

// Measures each shot of `shots` (joined in order), plans, applies the gains
// with 10 ms ramps in blocks, and returns the output.
struct EndToEnd {
  LoudnessPlan plan;
  std::vector<float> output;
  std::vector<size_t> start_frame;  // per shot, plus the end
};
EndToEnd plan_and_apply(const std::vector<std::vector<float>>& shots) {
  EndToEnd result;
  std::vector<ShotLoudness> measured;
  std::vector<int64_t> boundaries;
  for (const auto& shot : shots) {
    const size_t frames = shot.size() / 2;
    measured.push_back({measure_lufs(shot.data(), frames), static_cast<double>(frames) / kRate});
    result.start_frame.push_back(result.output.size() / 2);
    if (!result.output.empty())
      boundaries.push_back(static_cast<int64_t>(result.output.size() / 2));
    result.output.insert(result.output.end(), shot.begin(), shot.end());
  }
  result.start_frame.push_back(result.output.size() / 2);
  result.plan = plan_shot_gains(measured, {});
  GainSchedule schedule(boundaries, result.plan.gain_db, {.ramp_ms = 10.0});
  const size_t total = result.output.size() / 2;
  for (size_t f = 0; f < total; f += 4096) {
    schedule.apply(result.output.data() + 2 * f, std::min<size_t>(4096, total - f),
                   static_cast<int64_t>(f));
  }
  return result;
}

TEST(LoudnessPlan, QuietAndLoudShotsBothReachTheTarget) {
  const EndToEnd run = plan_and_apply({noise_at(-26.0, 4.0, 1), noise_at(-20.0, 4.0, 2)});
  EXPECT_NEAR(run.plan.gain_db[0], 10.0, 0.05);
  EXPECT_NEAR(run.plan.gain_db[1], 4.0, 0.05);
  for (size_t s = 0; s < 2; ++s) {
    SCOPED_TRACE(s);
    const size_t begin = run.start_frame[s], end = run.start_frame[s + 1];
    EXPECT_NEAR(measure_lufs(run.output.data() + 2 * begin, end - begin), -16.0, 0.1);
    EXPECT_EQ(run.plan.groups[run.plan.group[s]].rule, GainRule::kToTarget);
  }
}

TEST(LoudnessPlan, OneSecondShotMergesAndTheProgrammeReachesTheTarget) {
  // Shot 1 (1 s, -20) is 6 LU from shot 0 and 4 LU from shot 2: it joins shot 2.
  const EndToEnd run =
      plan_and_apply({noise_at(-26.0, 4.0, 3), noise_at(-20.0, 1.0, 4), noise_at(-24.0, 4.0, 5)});
  ASSERT_EQ(run.plan.groups.size(), 2u);
  EXPECT_FALSE(run.plan.merged(0));
  EXPECT_TRUE(run.plan.merged(1));
  EXPECT_TRUE(run.plan.merged(2));
  EXPECT_EQ(run.plan.gain_db[1], run.plan.gain_db[2]);
  EXPECT_NEAR(run.plan.gain_db[1], -16.0 - power_mean_lufs({{-20.0, 1.0}, {-24.0, 4.0}}), 0.05);
  // The whole programme as libebur128 gates it: the short shot sits inside it,
  // away from the measurement's edges, where 400 ms blocks under-count samples.
  EXPECT_NEAR(measure_lufs(run.output.data(), run.output.size() / 2), -16.0, 0.1);
  EXPECT_NEAR(measure_lufs(run.output.data(), run.start_frame[1]), -16.0, 0.1);
}

TEST(LoudnessPlan, ShortShotJoinsTheNeighbourClosestInLoudness) {
  const auto group_of = [](std::vector<ShotLoudness> shots) {
    const LoudnessPlan plan = plan_shot_gains(shots, {});
    return std::vector<size_t>(plan.group.begin(), plan.group.end());
  };
  EXPECT_EQ(group_of({{-30.0, 4.0}, {-20.0, 1.0}, {-26.0, 4.0}}), (std::vector<size_t>{0, 1, 1}));
  // A tie goes to the previous shot; the first shot can only join the next.
  EXPECT_EQ(group_of({{-26.0, 4.0}, {-20.0, 1.0}, {-14.0, 4.0}}), (std::vector<size_t>{0, 0, 1}));
  EXPECT_EQ(group_of({{-20.0, 1.0}, {-40.0, 4.0}}), (std::vector<size_t>{0, 0}));
  // Silence counts as silence_lufs (-45): a short silent shot joins the quieter side.
  EXPECT_EQ(group_of({{-20.0, 4.0}, {-HUGE_VAL, 1.0}, {-35.0, 4.0}}),
            (std::vector<size_t>{0, 1, 1}));
  // Shortest first: the 0.5 s shot joins the 2.6 s one (same loudness), and
  // together they are long enough, so the 2.6 s shot merges no further.
  EXPECT_EQ(group_of({{-20.0, 4.0}, {-30.0, 2.6}, {-30.0, 0.5}, {-20.0, 4.0}}),
            (std::vector<size_t>{0, 1, 1, 2}));
  // A programme shorter than min_shot_s is one group.
  EXPECT_EQ(group_of({{-20.0, 1.0}, {-30.0, 1.0}}), (std::vector<size_t>{0, 0}));
}

TEST(LoudnessPlan, SilentShotsAreNotPumpedUp) {
  // Between boosted shots a silent shot keeps 0 dB, digital silence or room tone.
  std::vector<ShotLoudness> shots = {{-20.0, 4.0}, {-HUGE_VAL, 4.0}, {-60.0, 4.0}, {-30.0, 4.0}};
  LoudnessPlan plan = plan_shot_gains(shots, {});
  EXPECT_DOUBLE_EQ(plan.gain_db[0], 4.0);
  EXPECT_EQ(plan.gain_db[1], 0.0);
  EXPECT_EQ(plan.gain_db[2], 0.0);
  EXPECT_EQ(plan.groups[1].rule, GainRule::kSilent);
  EXPECT_TRUE(plan.groups[2].silent);
  EXPECT_DOUBLE_EQ(plan.gain_db[3], 12.0);  // +14 wanted, clamped to max_gain_db
  // Between cut shots a silent shot takes the larger cut: never louder
  // relative to either neighbour.
  shots = {{-10.0, 4.0}, {-HUGE_VAL, 4.0}, {-12.0, 4.0}};
  plan = plan_shot_gains(shots, {});
  EXPECT_DOUBLE_EQ(plan.gain_db[1], -6.0);
}

TEST(LoudnessPlan, GainsAreClamped) {
  LoudnessPlanParams params;
  params.max_gain_db = 12.0;
  params.max_cut_db = 10.0;
  const LoudnessPlan plan =
      plan_shot_gains(std::vector<ShotLoudness>{{-40.0, 4.0}, {-2.0, 4.0}, {-8.0, 4.0}}, params);
  EXPECT_EQ(plan.gain_db, (std::vector<double>{12.0, -10.0, -8.0}));
  EXPECT_EQ(plan.groups[0].rule, GainRule::kBoostClamped);
  EXPECT_EQ(plan.groups[1].rule, GainRule::kCutClamped);
  EXPECT_EQ(plan.groups[2].rule, GainRule::kToTarget);
  EXPECT_STREQ(to_string(plan.groups[1].rule), "cut_clamped");
}

TEST(LoudnessPlan, NoiseFloorLimitsTheBoost) {
  // Each wants +11 dB. A floor at -48 may rise 3 dB (max(3, -45 - -48)); one
  // at -55 may rise to silence_lufs (10 dB); one at -70 does not limit.
  const LoudnessPlan plan = plan_shot_gains(
      std::vector<ShotLoudness>{
          {-27.0, 4.0, -48.0}, {-27.0, 4.0, -55.0}, {-27.0, 4.0, -70.0}, {-10.0, 4.0, -40.0}},
      {});
  EXPECT_DOUBLE_EQ(plan.gain_db[0], 3.0);
  EXPECT_DOUBLE_EQ(plan.gain_db[1], 10.0);
  EXPECT_DOUBLE_EQ(plan.gain_db[2], 11.0);
  EXPECT_DOUBLE_EQ(plan.gain_db[3], -6.0);  // a cut never raises the floor
  EXPECT_EQ(plan.groups[0].rule, GainRule::kFloorLimited);
  EXPECT_EQ(plan.groups[1].rule, GainRule::kFloorLimited);
  EXPECT_EQ(plan.groups[2].rule, GainRule::kToTarget);
  // A short silent shot merged into a group brings its level as the floor.
  const LoudnessPlan merged =
      plan_shot_gains(std::vector<ShotLoudness>{{-27.0, 4.0}, {-50.0, 1.0}, {-10.0, 4.0}}, {});
  EXPECT_EQ(merged.group[1], 0u);
  EXPECT_EQ(merged.groups[0].noise_floor_lufs, -50.0);
  EXPECT_DOUBLE_EQ(merged.gain_db[1], 5.0);
}

TEST(LoudnessPlan, AShotTalkedThroughHasNoFloorToProtect) {
  // A speaker shot with no pause: its 10th-percentile block (-35) is speech,
  // 8 LU under the shot, not a pause. It gets the full boost; the same shot
  // with a real pause at -48 (21 LU under) is capped at +3 dB.
  const LoudnessPlan plan =
      plan_shot_gains(std::vector<ShotLoudness>{{-27.0, 4.0, -35.0}, {-27.0, 4.0, -48.0}}, {});
  EXPECT_DOUBLE_EQ(plan.gain_db[0], 11.0);
  EXPECT_EQ(plan.groups[0].rule, GainRule::kToTarget);
  EXPECT_DOUBLE_EQ(plan.gain_db[1], 3.0);
  EXPECT_EQ(plan.groups[1].rule, GainRule::kFloorLimited);
}

TEST(LoudnessPlan, NoiseFloorFromMomentaryBlocks) {
  // 4 s of 0.5 s bursts at -30 LUFS and 0.5 s pauses of noise at -50 LUFS:
  // the momentary blocks (400 ms, every 100 ms) that lie wholly in a pause
  // read the pause level; those over a burst edge are louder.
  const std::vector<float> burst = noise_at(-30.0, 0.5, 6), pause = noise_at(-50.0, 0.5, 7);
  media::LoudnessMeter meter({.loudness_range = false, .true_peak = false});
  std::vector<double> block_lufs;
  for (int i = 0; i < 8; ++i) {
    const std::vector<float>& part = i % 2 == 0 ? burst : pause;
    for (size_t f = 0; f < part.size() / 2; f += 4800) {
      meter.add_frames(part.data() + 2 * f, 4800);
      block_lufs.push_back(meter.momentary_lufs());
    }
  }
  const std::optional<double> floor = noise_floor_lufs(block_lufs, -30.0, 15.0);
  ASSERT_TRUE(floor.has_value());
  EXPECT_NEAR(*floor, -50.0, 0.5);
}

TEST(LoudnessPlan, NoiseFloorIsTheLowerQuartileOfThePauseBlocks) {
  // A dialogue shot at -22.5 LUFS: speech, three speech decays at -47.6 and
  // five pause blocks at -60 (a 10th percentile of all 40 blocks would be a decay).
  std::vector<double> blocks(32, -25.0);
  blocks.insert(blocks.end(), {-47.6, -47.6, -47.6, -60.0, -60.2, -60.1, -59.9, -60.0});
  EXPECT_EQ(noise_floor_lufs(blocks, -22.5), -60.1);  // rank 2 of 8
  // Digital silence stays silent at any gain: not a floor.
  blocks.insert(blocks.end(), 10, -HUGE_VAL);
  EXPECT_EQ(noise_floor_lufs(blocks, -22.5), -60.1);
  // Talked through: nothing 20 LU under the shot, so no floor.
  EXPECT_FALSE(noise_floor_lufs(std::vector<double>(40, -25.0), -22.5).has_value());
  // A breath between phrases (the bench's -26.5 LUFS shot: three blocks of a
  // decaying phrase) is no pause: fewer than 5 blocks, no floor.
  std::vector<double> breath(87, -30.0);
  breath.insert(breath.end(), {-52.9, -50.3, -49.1});
  EXPECT_FALSE(noise_floor_lufs(breath, -26.5).has_value());
  EXPECT_EQ(noise_floor_lufs(breath, -26.5, 20.0, 3), -52.9);
  EXPECT_FALSE(noise_floor_lufs(std::vector<double>{-HUGE_VAL}, -22.5).has_value());
  EXPECT_FALSE(noise_floor_lufs(std::vector<double>(9, -60.0), -HUGE_VAL).has_value());
}

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(LoudnessPlan, RejectsBadInputWithMessages) {
  LoudnessPlanParams params;
  params.max_gain_db = -3.0;
  EXPECT_EQ(error_of([&] { plan_shot_gains({}, params); }),
            "loudness plan: max_gain_db = -3 is out of range; allowed 0 .. 60");
  params = {};
  params.silence_lufs = -10.0;
  EXPECT_EQ(error_of([&] { validate(params); }),
            "loudness plan: silence_lufs = -10 is out of range; allowed -90 .. -16");
  EXPECT_EQ(error_of([] {
              plan_shot_gains(std::vector<ShotLoudness>{{-20.0, 4.0}, {std::nan(""), 4.0}}, {});
            }),
            "loudness plan: shot 1 has integrated_lufs = nan; measure it, or pass -inf for "
            "silence");
  EXPECT_EQ(error_of([] {
              plan_shot_gains(std::vector<ShotLoudness>{{-20.0, 0.0}}, {});
            }),
            "loudness plan: shot 0 has duration_s = 0; every shot needs a positive duration");
}

// ---- GainSchedule ----

std::vector<float> stereo_sine(double freq_hz, double amplitude, size_t frames) {
  std::vector<float> out(2 * frames);
  for (size_t n = 0; n < frames; ++n) {
    out[2 * n] = out[2 * n + 1] = static_cast<float>(
        amplitude * std::sin(2.0 * std::numbers::pi * freq_hz * static_cast<double>(n) / kRate));
  }
  return out;
}

double max_step(const std::vector<float>& x, size_t from_frame, size_t to_frame) {
  double step = 0.0;
  for (size_t f = from_frame + 1; f < to_frame; ++f) {
    step = std::max(step, static_cast<double>(std::abs(x[2 * f] - x[2 * (f - 1)])));
  }
  return step;
}

TEST(GainSchedule, NoStepAtABoundaryAndExactGainMidShot) {
  const size_t frames = frames_of(2.0);
  const int64_t boundary = 48000 + 17;  // not on a zero crossing
  const std::vector<float> input = stereo_sine(1000.0, 0.5, frames);
  const double a0 = std::pow(10.0, -12.0 / 20.0), a1 = std::pow(10.0, 6.0 / 20.0);
  // The largest step the signal itself makes, at the larger of the two gains.
  const double allowed = a1 * max_step(input, 0, frames) * 1.02;

  std::vector<float> ramped = input, stepped = input;
  GainSchedule(std::vector<int64_t>{boundary}, {-12.0, 6.0}, {.ramp_ms = 10.0})
      .apply(ramped.data(), frames, 0);
  GainSchedule(std::vector<int64_t>{boundary}, {-12.0, 6.0}, {.ramp_ms = 0.0})
      .apply(stepped.data(), frames, 0);
  const auto near = static_cast<size_t>(boundary);
  EXPECT_LE(max_step(ramped, near - 1000, near + 1000), allowed);
  EXPECT_GT(max_step(stepped, near - 1000, near + 1000), allowed);  // the check can see a step

  for (size_t f : {size_t{24000}, size_t{72000}}) {  // mid-shot
    const double gain = f < near ? a0 : a1;
    EXPECT_NEAR(ramped[2 * f], input[2 * f] * gain, 1e-6 * std::abs(input[2 * f] * gain) + 1e-9);
  }
}

TEST(GainSchedule, RampIsLinearInDbAndCentredOnTheBoundary) {
  GainSchedule schedule(std::vector<int64_t>{10000}, {0.0, 12.0}, {.ramp_ms = 10.0});
  const int64_t h = schedule.ramp_half_width(0);
  ASSERT_EQ(h, 240);  // 5 ms at 48 kHz
  EXPECT_EQ(schedule.gain_db_at(10000 - h - 1), 0.0);
  EXPECT_EQ(schedule.gain_db_at(10000 + h), 12.0);
  EXPECT_DOUBLE_EQ(schedule.gain_db_at(10000 - 1) + schedule.gain_db_at(10000), 12.0);
  EXPECT_DOUBLE_EQ(schedule.gain_db_at(10000 - h), 12.0 * 0.5 / 480.0);
  EXPECT_DOUBLE_EQ(schedule.gain_at(10000 + 120), std::pow(10.0, 12.0 * 360.5 / 480.0 / 20.0));
}

TEST(GainSchedule, BlocksGiveTheSameOutputAsOneCall) {
  const size_t frames = 30000;
  const std::vector<float> input = stereo_sine(440.0, 0.7, frames);
  GainSchedule schedule(std::vector<int64_t>{5000, 5300, 20000}, {3.0, -6.0, 0.0, 9.0},
                        {.ramp_ms = 10.0});
  std::vector<float> whole = input, pieces = input;
  schedule.apply(whole.data(), frames, 0);
  size_t f = 0, block = 1;
  while (f < frames) {
    const size_t n = std::min(block, frames - f);
    schedule.apply(pieces.data() + 2 * f, n, static_cast<int64_t>(f));
    f += n;
    block = block * 3 + 1;
  }
  ASSERT_EQ(whole, pieces);
}

TEST(GainSchedule, CloseBoundariesShortenTheirRamps) {
  GainSchedule schedule(std::vector<int64_t>{100, 1000, 1100}, {0.0, 1.0, 2.0, 3.0},
                        {.ramp_ms = 10.0});
  EXPECT_EQ(schedule.ramp_half_width(0), 100);  // not before the stream start
  EXPECT_EQ(schedule.ramp_half_width(1), 50);   // half the 100 samples to the next
  EXPECT_EQ(schedule.ramp_half_width(2), 50);
}

TEST(GainSchedule, RejectsInconsistentInputWithMessages) {
  EXPECT_EQ(error_of([] { GainSchedule(std::vector<int64_t>{100}, {0.0}, {}); }),
            "gain schedule: 1 gains for 1 boundaries; pass one gain per shot (boundaries + 1)");
  EXPECT_EQ(error_of([] {
              GainSchedule(std::vector<int64_t>{200, 200}, {0.0, 1.0, 2.0}, {});
            }),
            "gain schedule: boundary 1 at sample 200 is not after boundary 0 at sample 200; "
            "boundaries must increase");
  EXPECT_EQ(error_of([] { GainSchedule(std::vector<int64_t>{}, {0.0}, {.ramp_ms = -1.0}); }),
            "gain schedule: ramp_ms = -1 is out of range; allowed 0 .. 1000");
}

}  // namespace
}  // namespace ff::analysis
