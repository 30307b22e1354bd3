#include "analysis/speaker.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

namespace ff::analysis {
namespace {

// Lead in normalised activity (1 = a face's rest level) that a challenger needs on
// top of the ratio, so two silent faces (both near 0) do not trade places.
constexpr double kMinLead = 0.05;

// A face's rest level: this quantile of its smoothed activity over the shot.
// Low enough to fall in its silences when it speaks part of the time, and
// unlike the mean not raised by how much it speaks, so a face that never
// speaks is not pushed above a speaker's pauses.
constexpr double kRestQuantile = 0.2;

template <typename T>
[[noreturn]] void out_of_range(const char* field, T value, const char* allowed) {
  std::ostringstream os;
  os << field << " = " << value << " is out of range; allowed " << allowed;
  throw std::invalid_argument(os.str());
}

// Per track (dense index), per frame: activity, NaN where the track is not
// visible.
using Activity = std::vector<std::vector<double>>;

Activity normalised_activity(const Activity& raw, int64_t half_window, double max_lighting_gain) {
  const size_t tracks = raw.size();
  const size_t n = tracks ? raw[0].size() : 0;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Activity smooth(tracks, std::vector<double>(n, nan));
  std::vector<double> rest(tracks, 0.0);  // each face's rest level
  for (size_t k = 0; k < tracks; ++k) {
    std::vector<double> sum(n + 1, 0.0), count(n + 1, 0.0);
    for (size_t i = 0; i < n; ++i) {
      const bool seen = !std::isnan(raw[k][i]);
      sum[i + 1] = sum[i] + (seen ? raw[k][i] : 0.0);
      count[i + 1] = count[i] + (seen ? 1.0 : 0.0);
    }
    std::vector<double> seen_values;
    for (size_t i = 0; i < n; ++i) {
      if (std::isnan(raw[k][i])) continue;
      const auto lo =
          static_cast<size_t>(std::max<int64_t>(0, static_cast<int64_t>(i) - half_window));
      const size_t hi = std::min(n, i + static_cast<size_t>(half_window) + 1);
      smooth[k][i] = (sum[hi] - sum[lo]) / (count[hi] - count[lo]);
      seen_values.push_back(smooth[k][i]);
    }
    if (!seen_values.empty()) {
      const auto nth =
          seen_values.begin() +
          static_cast<std::ptrdiff_t>(kRestQuantile * static_cast<double>(seen_values.size() - 1));
      std::nth_element(seen_values.begin(), nth, seen_values.end());
      rest[k] = *nth;
    }
  }
  const double max_rest = tracks ? *std::max_element(rest.begin(), rest.end()) : 0.0;
  for (size_t k = 0; k < tracks; ++k) {
    // boost = min(sqrt(max_rest / rest), max_lighting_gain), as a divisor.
    double scale = std::max(std::sqrt(rest[k] * max_rest), max_rest / max_lighting_gain);
    if (!(scale > 0.0)) scale = 1.0;  // every face still: nothing to compare, keep raw
    for (double& v : smooth[k]) v /= scale;
  }
  return smooth;
}

}  // namespace

void SpeakerParams::validate() const {
  if (!(speaker_hold_s >= 0.0 && std::isfinite(speaker_hold_s)))
    out_of_range("speaker_hold_s", speaker_hold_s, ">= 0");
  if (!(switch_ratio >= 1.0 && std::isfinite(switch_ratio)))
    out_of_range("switch_ratio", switch_ratio, ">= 1");
  if (!(activity_smoothing_s >= 0.0 && std::isfinite(activity_smoothing_s)))
    out_of_range("activity_smoothing_s", activity_smoothing_s, ">= 0");
  if (!(max_lighting_gain >= 1.0 && std::isfinite(max_lighting_gain)))
    out_of_range("max_lighting_gain", max_lighting_gain, ">= 1");
}

std::vector<int32_t> choose_speaker(const std::vector<std::vector<FaceBox>>& faces_per_frame,
                                    double fps, const SpeakerParams& params) {
  params.validate();
  if (!(fps > 0.0 && std::isfinite(fps))) {
    std::ostringstream os;
    os << "choose_speaker: fps = " << fps << " is out of range; allowed > 0";
    throw std::invalid_argument(os.str());
  }
  const size_t n = faces_per_frame.size();

  // Dense index per track_id, in id order.
  std::vector<int32_t> ids;
  for (const auto& faces : faces_per_frame)
    for (const FaceBox& f : faces)
      if (f.track_id >= 0) ids.push_back(f.track_id);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  auto index_of = [&](int32_t id) {
    return static_cast<size_t>(std::lower_bound(ids.begin(), ids.end(), id) - ids.begin());
  };

  Activity raw(ids.size(), std::vector<double>(n, std::numeric_limits<double>::quiet_NaN()));
  for (size_t i = 0; i < n; ++i) {
    for (const FaceBox& f : faces_per_frame[i]) {
      if (f.track_id < 0) continue;
      const size_t k = index_of(f.track_id);
      if (!std::isfinite(f.activity) || !std::isnan(raw[k][i])) {
        throw std::invalid_argument(
            "choose_speaker: track " + std::to_string(f.track_id) + " on frame " +
            std::to_string(i) +
            (std::isfinite(f.activity) ? " appears twice" : " has a non-finite activity") +
            "; pass each visible track once with a finite activity");
      }
      raw[k][i] = f.activity;
    }
  }

  const auto half_window =
      static_cast<int64_t>(std::llround(params.activity_smoothing_s * fps / 2));
  const int64_t hold = std::max<int64_t>(1, std::llround(params.speaker_hold_s * fps));
  const Activity act = normalised_activity(raw, half_window, params.max_lighting_gain);
  auto visible = [&](size_t k, size_t i) { return !std::isnan(act[k][i]); };

  // The visible face most active over [i, i + hold): the offline first pick.
  auto pick = [&](size_t i) {
    size_t best = ids.size();
    double best_mean = -1.0;
    const size_t end = std::min(n, i + static_cast<size_t>(hold));
    for (size_t k = 0; k < ids.size(); ++k) {
      if (!visible(k, i)) continue;
      double sum = 0.0;
      int count = 0;
      for (size_t j = i; j < end; ++j) {
        if (visible(k, j)) sum += act[k][j], ++count;
      }
      const double mean = sum / count;
      if (mean > best_mean) best = k, best_mean = mean;
    }
    return best;
  };

  const size_t none = ids.size();
  std::vector<int32_t> chosen(n, -1);
  size_t current = none;
  size_t challenger = none;
  size_t challenge_start = 0;
  for (size_t i = 0; i < n; ++i) {
    bool any = false;
    for (size_t k = 0; k < ids.size() && !any; ++k) any = visible(k, i);
    if (!any) {
      challenger = none;
      continue;  // chosen[i] stays -1; the current speaker is remembered
    }
    if (current == none || !visible(current, i)) {
      current = pick(i);
      challenger = none;
      chosen[i] = ids[current];
      continue;
    }
    size_t best_other = none;
    for (size_t k = 0; k < ids.size(); ++k) {
      if (k == current || !visible(k, i)) continue;
      if (best_other == none || act[k][i] > act[best_other][i]) best_other = k;
    }
    const bool leads = best_other != none &&
                       act[best_other][i] >= params.switch_ratio * act[current][i] + kMinLead;
    if (!leads) {
      challenger = none;
    } else {
      if (challenger != best_other) challenger = best_other, challenge_start = i;
      if (static_cast<int64_t>(i - challenge_start) + 1 >= hold) {
        current = challenger;
        challenger = none;
        for (size_t j = challenge_start; j < i; ++j) chosen[j] = ids[current];
      }
    }
    chosen[i] = ids[current];
  }
  return chosen;
}

}  // namespace ff::analysis
