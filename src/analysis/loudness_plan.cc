#include "analysis/loudness_plan.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

#include "analysis/param_check.h"
#include "core/error.h"

namespace ff::analysis {
namespace {

// BS.1770's relative gate, applied here at shot granularity (rule 2).
constexpr double kRelativeGateLu = 10.0;

void check_range(const char* key, double value, double lo, double hi) {
  analysis::check_range("loudness plan", key, value, lo, hi);
}

// Duration-weighted power mean in LUFS of shots [first, end) whose loudness
// is at least `floor_lufs`; -inf when there is none.
double power_mean_lufs(std::span<const ShotLoudness> shots, size_t first, size_t end,
                       double floor_lufs) {
  double energy = 0.0, duration_s = 0.0;
  for (size_t i = first; i < end; ++i) {
    if (!(shots[i].integrated_lufs >= floor_lufs)) continue;  // also skips -inf
    energy += shots[i].duration_s * std::pow(10.0, shots[i].integrated_lufs / 10.0);
    duration_s += shots[i].duration_s;
  }
  if (duration_s <= 0.0 || energy <= 0.0) return -HUGE_VAL;
  return 10.0 * std::log10(energy / duration_s);
}

// Rules 2 and 3 for the group's current members.
void measure_group(std::span<const ShotLoudness> shots, const LoudnessPlanParams& params,
                   ShotGroup& group) {
  group.duration_s = 0.0;
  group.noise_floor_lufs.reset();
  for (size_t i = group.first_shot; i < group.end_shot; ++i) {
    group.duration_s += shots[i].duration_s;
    // A low percentile of a shot with no pause is the programme itself, not
    // a floor: it counts only when it lies kMinPauseDepthLu below the shot.
    const double pause_floor = shots[i].noise_floor_lufs.value_or(HUGE_VAL);
    std::optional<double> floor;
    if (pause_floor <= shots[i].integrated_lufs - kMinPauseDepthLu) floor = pause_floor;
    const bool silent = !(shots[i].integrated_lufs >= params.silence_lufs);
    if (silent && std::isfinite(shots[i].integrated_lufs)) {
      floor = std::max(floor.value_or(-HUGE_VAL), shots[i].integrated_lufs);
    }
    if (floor && std::isfinite(*floor)) {
      group.noise_floor_lufs = std::max(group.noise_floor_lufs.value_or(-HUGE_VAL), *floor);
    }
  }
  const double ungated =
      power_mean_lufs(shots, group.first_shot, group.end_shot, params.silence_lufs);
  group.silent = !std::isfinite(ungated);
  if (group.silent) {
    group.lufs = power_mean_lufs(shots, group.first_shot, group.end_shot, -HUGE_VAL);
  } else {
    group.lufs = power_mean_lufs(shots, group.first_shot, group.end_shot,
                                 std::max(params.silence_lufs, ungated - kRelativeGateLu));
  }
}

// Rule 1: merge short groups into their most similar neighbour.
std::vector<ShotGroup> group_shots(std::span<const ShotLoudness> shots,
                                   const LoudnessPlanParams& params) {
  std::vector<ShotGroup> groups;
  for (size_t i = 0; i < shots.size(); ++i) {
    ShotGroup group;
    group.first_shot = i;
    group.end_shot = i + 1;
    measure_group(shots, params, group);
    groups.push_back(group);
  }
  const auto similarity_lufs = [&](const ShotGroup& g) {
    return std::max(g.lufs, params.silence_lufs);  // -inf and silence compare equal
  };
  while (groups.size() > 1) {
    size_t shortest = groups.size();
    for (size_t g = 0; g < groups.size(); ++g) {
      if (groups[g].duration_s >= params.min_shot_s) continue;
      if (shortest == groups.size() || groups[g].duration_s < groups[shortest].duration_s) {
        shortest = g;
      }
    }
    if (shortest == groups.size()) break;
    size_t into = shortest == 0 ? 1 : shortest - 1;
    if (shortest > 0 && shortest + 1 < groups.size()) {
      const double lufs = similarity_lufs(groups[shortest]);
      const double to_prev = std::abs(lufs - similarity_lufs(groups[shortest - 1]));
      const double to_next = std::abs(lufs - similarity_lufs(groups[shortest + 1]));
      if (to_next < to_prev) into = shortest + 1;
    }
    const size_t keep = std::min(into, shortest), drop = std::max(into, shortest);
    groups[keep].end_shot = groups[drop].end_shot;
    groups.erase(groups.begin() + static_cast<std::ptrdiff_t>(drop));
    measure_group(shots, params, groups[keep]);
  }
  return groups;
}

// Rule 4.
void audible_gain(const LoudnessPlanParams& params, ShotGroup& group) {
  group.gain_db = params.target_lufs - group.lufs;
  group.rule = GainRule::kToTarget;
  if (group.gain_db > params.max_gain_db) {
    group.gain_db = params.max_gain_db;
    group.rule = GainRule::kBoostClamped;
  } else if (group.gain_db < -params.max_cut_db) {
    group.gain_db = -params.max_cut_db;
    group.rule = GainRule::kCutClamped;
  }
  if (group.noise_floor_lufs && group.gain_db > 0.0) {
    const double cap_db =
        std::max(params.max_floor_rise_db, params.silence_lufs - *group.noise_floor_lufs);
    if (group.gain_db > cap_db) {
      group.gain_db = cap_db;
      group.rule = GainRule::kFloorLimited;
    }
  }
}

}  // namespace

const char* to_string(GainRule rule) {
  switch (rule) {
    case GainRule::kToTarget: return "to_target";
    case GainRule::kBoostClamped: return "boost_clamped";
    case GainRule::kCutClamped: return "cut_clamped";
    case GainRule::kFloorLimited: return "floor_limited";
    case GainRule::kSilent: return "silent";
  }
  return "unknown";
}

void validate(const LoudnessPlanParams& params) {
  check_range("target_lufs", params.target_lufs, -70.0, 0.0);
  check_range("max_gain_db", params.max_gain_db, 0.0, 60.0);
  check_range("max_cut_db", params.max_cut_db, 0.0, 60.0);
  check_range("min_shot_s", params.min_shot_s, 0.0, 60.0);
  check_range("silence_lufs", params.silence_lufs, -90.0, params.target_lufs);
  check_range("max_floor_rise_db", params.max_floor_rise_db, 0.0, 60.0);
}

LoudnessPlan plan_shot_gains(std::span<const ShotLoudness> shots,
                             const LoudnessPlanParams& params) {
  validate(params);
  for (size_t i = 0; i < shots.size(); ++i) {
    const ShotLoudness& shot = shots[i];
    if (std::isnan(shot.integrated_lufs) || shot.integrated_lufs == HUGE_VAL) {
      throw RuntimeError("loudness plan: shot " + std::to_string(i) +
                         " has integrated_lufs = " + format_number(shot.integrated_lufs) +
                         "; measure it, or pass -inf for silence");
    }
    if (!(shot.duration_s > 0.0) || !std::isfinite(shot.duration_s)) {
      throw RuntimeError("loudness plan: shot " + std::to_string(i) + " has duration_s = " +
                         format_number(shot.duration_s) + "; every shot needs a positive duration");
    }
  }

  LoudnessPlan plan;
  plan.groups = group_shots(shots, params);
  for (ShotGroup& group : plan.groups) {
    if (!group.silent) audible_gain(params, group);
  }
  // Rule 5, after every audible gain is known.
  for (size_t g = 0; g < plan.groups.size(); ++g) {
    ShotGroup& group = plan.groups[g];
    if (!group.silent) continue;
    group.gain_db = 0.0;
    group.rule = GainRule::kSilent;
    for (size_t p = g; p-- > 0;) {
      if (plan.groups[p].silent) continue;
      group.gain_db = std::min(group.gain_db, plan.groups[p].gain_db);
      break;
    }
    for (size_t n = g + 1; n < plan.groups.size(); ++n) {
      if (plan.groups[n].silent) continue;
      group.gain_db = std::min(group.gain_db, plan.groups[n].gain_db);
      break;
    }
  }

  plan.gain_db.resize(shots.size());
  plan.group.resize(shots.size());
  for (size_t g = 0; g < plan.groups.size(); ++g) {
    for (size_t i = plan.groups[g].first_shot; i < plan.groups[g].end_shot; ++i) {
      plan.gain_db[i] = plan.groups[g].gain_db;
      plan.group[i] = g;
    }
  }
  return plan;
}

std::optional<double> noise_floor_lufs(std::span<const double> block_lufs, double shot_lufs,
                                       double depth_lu, int min_blocks) {
  if (!(depth_lu >= 0.0 && std::isfinite(depth_lu))) {
    throw ConfigError("noise floor: depth_lu = " + format_number(depth_lu) +
                      " is out of range; allowed >= 0");
  }
  std::vector<double> pause;
  for (double lufs : block_lufs) {
    if (std::isfinite(lufs) && lufs <= shot_lufs - depth_lu) pause.push_back(lufs);
  }
  if (pause.empty() || static_cast<int>(pause.size()) < min_blocks) return std::nullopt;
  // Nearest rank: the smallest value with at least a quarter of the blocks at or below it.
  const size_t rank = (pause.size() + 3) / 4;
  const auto quartile = pause.begin() + static_cast<std::ptrdiff_t>(rank - 1);
  std::nth_element(pause.begin(), quartile, pause.end());
  return *quartile;
}

}  // namespace ff::analysis
