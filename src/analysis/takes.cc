#include "analysis/takes.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace ff::analysis {

void TakeParams::validate() const {
  if (!(min_take_s >= 0.0 && min_take_s <= 60.0)) {
    std::ostringstream os;
    os << "min_take_s = " << min_take_s << " is out of range; allowed 0 .. 60";
    throw std::invalid_argument(os.str());
  }
}

namespace {

// Appends `t`, merging it into the last take when both follow one person.
void push_take(std::vector<Take>& takes, const Take& t) {
  if (!takes.empty() && takes.back().speaker == t.speaker) {
    takes.back().end = t.end;
  } else {
    takes.push_back(t);
  }
}

}  // namespace

std::vector<Take> split_takes(const std::vector<int32_t>& speaker, double fps,
                              const TakeParams& params) {
  params.validate();
  if (!(fps > 0.0) || !std::isfinite(fps)) {
    std::ostringstream os;
    os << "split_takes: fps = " << fps << " must be > 0";
    throw std::invalid_argument(os.str());
  }
  const auto n = static_cast<int64_t>(speaker.size());
  if (n == 0) return {};

  // Rule 1: runs of one person; -1 frames extend the run before them.
  std::vector<Take> runs;
  int32_t current = -1;
  for (int64_t i = 0; i < n; ++i) {
    const int32_t who = speaker[static_cast<size_t>(i)];
    if (who < 0 || who == current) continue;
    if (runs.empty()) {
      runs.push_back({0, i, who});  // end is fixed below
    } else {
      runs.back().end = i;
      runs.push_back({i, i, who});
    }
    current = who;
  }
  if (runs.empty()) return {{0, n, -1}};
  if (!params.cut_on_switch) return {{0, n, runs.size() == 1 ? runs[0].speaker : -1}};
  runs.back().end = n;

  // Rule 2: short runs join the take before them.
  const auto min_frames = static_cast<int64_t>(std::ceil(params.min_take_s * fps - 1e-9));
  std::vector<Take> takes;
  for (const Take& r : runs) {
    if (!takes.empty() && r.end - r.begin < min_frames) {
      takes.back().end = r.end;
    } else {
      push_take(takes, r);
    }
  }
  // A short first take joins the next one.
  if (takes.size() > 1 && takes[0].end - takes[0].begin < min_frames) {
    takes[1].begin = 0;
    takes.erase(takes.begin());
  }
  return takes;
}

}  // namespace ff::analysis
