#pragma once
// Loudness plan: one gain per shot that brings every shot to the target
// loudness (DESIGN.md §1, phase 5), as a pure function of per-shot
// measurements. The caller measures each shot with libebur128
// (media::LoudnessMeter) and applies the result with GainSchedule, then the
// TruePeakLimiter.
//
// Rules, in the order plan_shot_gains applies them:
//
// 1. Grouping. Gated loudness of a short shot is unstable (few 400 ms blocks),
//    so a shot shorter than `min_shot_s` is merged with a neighbour and the
//    group gets one gain. Repeatedly, the shortest group under `min_shot_s`
//    (the earliest on ties) merges with the adjacent group closest to it in
//    loudness, where loudness below `silence_lufs` (and -inf) counts as
//    `silence_lufs`; on a tie, or when there is only one neighbour, with the
//    previous group (the next one for the first group). Stops when every group
//    lasts at least `min_shot_s` or only one group is left.
// 2. Group loudness. Shots quieter than `silence_lufs` carry no programme and
//    are left out (libebur128's absolute gate does the same to silent blocks).
//    Over the rest: the duration-weighted power mean
//    10 log10(sum d_i 10^(L_i/10) / sum d_i); then, like BS.1770's relative
//    gate, shots more than 10 LU below that mean are dropped and the mean is
//    taken again. A group with no shot at or above `silence_lufs` is silent.
//    (This approximates measuring the joined shots; a caller holding one meter
//    per shot can check it with LoudnessMeter::programme_lufs.)
// 3. Group noise floor: the loudest of the members' `noise_floor_lufs` and
//    the integrated loudness of its silent members (a silent shot is all
//    floor). None when no member gives one. A member's noise_floor_lufs counts
//    only when it is at least kMinPauseDepthLu below its integrated loudness:
//    a shot talked through from end to end has no pause, and a low percentile
//    of its blocks is speech, not a floor to protect.
// 4. Gain of a group that is not silent: target_lufs - loudness, clamped to
//    [-max_cut_db, +max_gain_db]. Then, when the group has a noise floor and
//    the gain is a boost, the boost is capped so that the floor rises by at
//    most `max_floor_rise_db`, unless it stays below `silence_lufs` (still
//    inaudible): gain_db <= max(max_floor_rise_db, silence_lufs - floor).
// 5. Gain of a silent group: never a boost. min(0, gain of the nearest
//    non-silent group before, gain of the nearest one after); 0 dB when there
//    is none. So a pause between cut shots is cut with them, never pumped up.
// 6. Every shot gets its group's gain.
//
// Example:
//   std::vector<ShotLoudness> shots = {{-26.0, 4.0}, {-20.0, 1.0}, {-70.0, 5.0}};
//   LoudnessPlan plan = plan_shot_gains(shots, {});
//   // shot 1 (1 s) joins shot 0 (6 dB closer than silence): group lufs -24.9,
//   // gain +8.9 dB for shots 0 and 1; shot 2 is silent: gain 0 dB.
#include <cstddef>
#include <optional>
#include <span>
#include <vector>

namespace ff::analysis {

// How far below a shot's loudness a block percentile must lie to be a pause's
// noise floor (rule 3).
inline constexpr double kMinPauseDepthLu = 20.0;

struct ShotLoudness {
  double integrated_lufs = 0.0;  // gated integrated loudness; -inf for digital silence
  double duration_s = 0.0;       // > 0
  // Level of the shot's pauses, e.g. noise_floor_lufs(block_lufs) below.
  std::optional<double> noise_floor_lufs;

  ShotLoudness() = default;
  ShotLoudness(double lufs, double seconds, std::optional<double> floor_lufs = std::nullopt)
      : integrated_lufs(lufs), duration_s(seconds), noise_floor_lufs(floor_lufs) {}
};

struct LoudnessPlanParams {
  double target_lufs = -16.0;      // -70 .. 0
  double max_gain_db = 12.0;       // largest boost, 0 .. 60
  double max_cut_db = 20.0;        // largest cut (a positive number), 0 .. 60
  double min_shot_s = 3.0;         // shorter shots merge with a neighbour, 0 .. 60
  double silence_lufs = -45.0;     // quieter shots are silent; -90 .. target_lufs
  double max_floor_rise_db = 3.0;  // how far a boost may lift an audible noise floor, 0 .. 60
};

enum class GainRule {
  kToTarget,      // the group reaches target_lufs
  kBoostClamped,  // +max_gain_db
  kCutClamped,    // -max_cut_db
  kFloorLimited,  // boost capped by the noise floor (rule 4)
  kSilent,        // silent group (rule 5)
};
const char* to_string(GainRule rule);

// Shots [first_shot, end_shot) sharing one gain.
struct ShotGroup {
  size_t first_shot = 0;
  size_t end_shot = 0;
  double duration_s = 0.0;
  double lufs = 0.0;  // rule 2; for a silent group the power mean of all members (maybe -inf)
  bool silent = false;
  std::optional<double> noise_floor_lufs;  // rule 3
  double gain_db = 0.0;
  GainRule rule = GainRule::kToTarget;
  size_t size() const { return end_shot - first_shot; }
};

struct LoudnessPlan {
  std::vector<double> gain_db;    // per shot
  std::vector<size_t> group;      // per shot: index into groups
  std::vector<ShotGroup> groups;  // in shot order
  bool merged(size_t shot) const { return groups[group[shot]].size() > 1; }
};

// Throws ConfigError naming the field when a parameter is out of its range.
void validate(const LoudnessPlanParams& params);

// The plan above. Throws ConfigError for bad params and RuntimeError for a
// shot with NaN or +inf loudness or a duration that is not positive.
LoudnessPlan plan_shot_gains(std::span<const ShotLoudness> shots, const LoudnessPlanParams& params);

// A shot's noise floor from its block loudness (e.g. momentary loudness every
// 100 ms) and its integrated loudness: the lower quartile (nearest rank) of
// the pause blocks, those at least `depth_lu` below `shot_lufs`. Momentary
// blocks are 400 ms windows, so only those wholly inside a pause read its
// floor and those over a speech edge read louder: hence a low quantile, and
// at least `min_blocks` pause blocks (5: about 0.9 s of pause), else nullopt
// (a shot talked through, or with only a breath between phrases, has no
// pause to protect; three blocks of a decaying phrase at -50 in a -26.5 LUFS
// shot held its boost to 3 dB). Blocks of digital silence
// (-inf) are left out: they stay silent at any gain. A percentile of all
// blocks is not used: it lands on the pause level only while pauses fill more
// than that share of the shot (a 15 s dialogue with 9 % of pauses put the
// 10th percentile on a speech decay at -47.6 LUFS, 12 dB above the pauses,
// and held the boost to 3 dB).
std::optional<double> noise_floor_lufs(std::span<const double> block_lufs, double shot_lufs,
                                       double depth_lu = kMinPauseDepthLu, int min_blocks = 5);

}  // namespace ff::analysis
