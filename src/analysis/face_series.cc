#include "analysis/face_series.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>

#include "analysis/face_tracker.h"

namespace ff::analysis {
namespace {

// Tolerance for comparing times in seconds (timestamps are rounded to a time
// base, so a 0.2 s gap may read 0.2000000001 s).
constexpr double kTimeEpsS = 1e-9;

template <typename T>
[[noreturn]] void out_of_range(const char* field, T value, const char* allowed) {
  std::ostringstream os;
  os << field << " = " << value << " is out of range; allowed " << allowed;
  throw std::invalid_argument(os.str());
}

[[noreturn]] void bad_face(const char* function, const FaceBox& f, const std::string& what) {
  std::ostringstream os;
  os << function << ": face of track " << f.track_id << " on src_frame " << f.src_frame << " "
     << what;
  throw std::invalid_argument(os.str());
}

// Centre distance in mean box sizes, as FaceTracker associates detections.
double centre_dist(const FaceBox& a, const FaceBox& b) {
  const double ws = (static_cast<double>(a.w) + b.w) / 2;
  const double hs = (static_cast<double>(a.h) + b.h) / 2;
  return std::hypot((a.cx() - b.cx()) / ws, (a.cy() - b.cy()) / hs);
}

bool close_enough(const FaceBox& a, const FaceBox& b, const FaceSeriesParams& p) {
  if (box_iou(a, b) >= p.link_min_iou) return true;
  const double ratio = std::max(a.w, b.w) / std::min(a.w, b.w);
  return centre_dist(a, b) <= p.link_max_centre_dist && ratio <= p.link_max_size_ratio;
}

FaceBox lerp(const FaceBox& a, const FaceBox& b, double t) {
  auto mix = [t](float u, float v) {
    return static_cast<float>(static_cast<double>(u) + t * (static_cast<double>(v) - u));
  };
  FaceBox out = a;
  out.x = mix(a.x, b.x), out.y = mix(a.y, b.y), out.w = mix(a.w, b.w), out.h = mix(a.h, b.h);
  out.score = mix(a.score, b.score);
  out.activity = mix(a.activity, b.activity);
  return out;
}

// The person's box at time t_s on source frame src (see the header), or false.
bool box_at(const std::vector<FaceBox>& dets, const std::vector<ScanFrame>& frames, int64_t src,
            double t_s, const FaceSeriesParams& p, FaceBox& box) {
  const auto after = std::lower_bound(dets.begin(), dets.end(), src,
                                      [](const FaceBox& f, int64_t s) { return f.src_frame < s; });
  if (after != dets.end() && after->src_frame == src) {
    box = *after;
    return true;
  }
  const bool has_after = after != dets.end();
  const bool has_before = after != dets.begin();
  const auto time_of = [&](const FaceBox& f) {
    return frames[static_cast<size_t>(f.src_frame)].time_s;
  };
  if (has_before && has_after) {
    const FaceBox& a = *(after - 1);
    const double ta = time_of(a), tb = time_of(*after);
    if (tb - ta <= p.max_interp_gap_s + kTimeEpsS) {
      const double w = tb > ta ? std::clamp((t_s - ta) / (tb - ta), 0.0, 1.0) : 0.0;
      box = lerp(a, *after, w);
      return true;
    }
  }
  if (has_before && t_s - time_of(*(after - 1)) <= p.max_hold_s + kTimeEpsS) {
    box = *(after - 1);
    return true;
  }
  if (has_after && time_of(*after) - t_s <= p.max_hold_s + kTimeEpsS) {
    box = *after;
    return true;
  }
  return false;
}

}  // namespace

void FaceSeriesParams::validate() const {
  if (!(link_min_iou >= 0.0 && link_min_iou <= 1.0))
    out_of_range("link_min_iou", link_min_iou, "0..1");
  if (!(link_max_centre_dist >= 0.0 && std::isfinite(link_max_centre_dist)))
    out_of_range("link_max_centre_dist", link_max_centre_dist, ">= 0");
  if (!(link_max_size_ratio >= 1.0 && std::isfinite(link_max_size_ratio)))
    out_of_range("link_max_size_ratio", link_max_size_ratio, ">= 1");
  if (link_max_overlap < 0) out_of_range("link_max_overlap", link_max_overlap, ">= 0");
  if (!(link_max_gap_s >= 0.0 && std::isfinite(link_max_gap_s)))
    out_of_range("link_max_gap_s", link_max_gap_s, ">= 0");
  if (!(max_interp_gap_s >= 0.0 && std::isfinite(max_interp_gap_s)))
    out_of_range("max_interp_gap_s", max_interp_gap_s, ">= 0");
  if (!(max_hold_s >= 0.0 && std::isfinite(max_hold_s)))
    out_of_range("max_hold_s", max_hold_s, ">= 0");
}

std::vector<Person> link_tracks(const std::vector<FaceBox>& faces,
                                const std::vector<ScanFrame>& frames,
                                const FaceSeriesParams& params) {
  params.validate();
  std::map<int32_t, std::vector<FaceBox>> by_track;
  for (const FaceBox& f : faces) {
    if (f.track_id < 0) continue;
    if (f.src_frame < 0 || f.src_frame >= static_cast<int64_t>(frames.size()))
      bad_face("link_tracks", f, "is outside the " + std::to_string(frames.size()) + " frames");
    if (!std::isfinite(f.x) || !std::isfinite(f.y) || !(f.w > 0.f) || !(f.h > 0.f) ||
        !std::isfinite(f.w) || !std::isfinite(f.h))
      bad_face("link_tracks", f, "needs finite x, y and w, h > 0");
    if (!std::isfinite(f.activity)) bad_face("link_tracks", f, "has a non-finite activity");
    by_track[f.track_id].push_back(f);
  }

  std::vector<std::vector<FaceBox>> tracks;
  tracks.reserve(by_track.size());
  for (auto& [id, dets] : by_track) {
    std::stable_sort(dets.begin(), dets.end(),
                     [](const FaceBox& a, const FaceBox& b) { return a.src_frame < b.src_frame; });
    for (size_t i = 1; i < dets.size(); ++i)
      if (dets[i].src_frame == dets[i - 1].src_frame)
        bad_face("link_tracks", dets[i], "appears twice; pass each track once per frame");
    tracks.push_back(std::move(dets));
  }
  std::stable_sort(tracks.begin(), tracks.end(), [](const auto& a, const auto& b) {
    return a.front().src_frame < b.front().src_frame;  // ties keep track_id order
  });

  const auto time_of = [&](const FaceBox& f) {
    return frames[static_cast<size_t>(f.src_frame)].time_s;
  };
  std::vector<Person> persons;
  for (const std::vector<FaceBox>& track : tracks) {
    const FaceBox& first = track.front();
    size_t best = persons.size();
    double best_dist = 0.0;
    for (size_t k = 0; k < persons.size(); ++k) {
      const std::vector<FaceBox>& dets = persons[k].detections;
      if (first.src_frame <= dets.front().src_frame ||
          track.back().src_frame <= dets.back().src_frame)
        continue;
      const auto overlap = std::count_if(track.begin(), track.end(), [&](const FaceBox& f) {
        return f.src_frame <= dets.back().src_frame;
      });
      if (overlap > params.link_max_overlap) continue;
      if (time_of(first) - time_of(dets.back()) > params.link_max_gap_s + kTimeEpsS) continue;
      // P's box at or before T's first frame: exists since P started earlier.
      const auto ref =
          std::prev(std::upper_bound(dets.begin(), dets.end(), first.src_frame,
                                     [](int64_t s, const FaceBox& f) { return s < f.src_frame; }));
      if (!close_enough(*ref, first, params)) continue;
      const double dist = centre_dist(*ref, first);
      if (best == persons.size() || dist < best_dist) best = k, best_dist = dist;
    }
    if (best == persons.size()) {
      persons.push_back(Person{{first.track_id}, track});
      continue;
    }
    Person& person = persons[best];
    std::erase_if(person.detections,
                  [&](const FaceBox& f) { return f.src_frame >= first.src_frame; });
    person.detections.insert(person.detections.end(), track.begin(), track.end());
    person.track_ids.push_back(first.track_id);
  }
  return persons;
}

std::vector<std::vector<FaceBox>> faces_per_out_frame(const std::vector<Person>& persons,
                                                      const std::vector<ScanFrame>& frames,
                                                      const OutputGrid& grid, OutRange shot,
                                                      const FaceSeriesParams& params) {
  params.validate();
  if (shot.begin < 0 || shot.end < shot.begin || shot.end > grid.frames()) {
    throw std::invalid_argument("faces_per_out_frame: shot [" + std::to_string(shot.begin) + ", " +
                                std::to_string(shot.end) + ") is outside the grid's " +
                                std::to_string(grid.frames()) + " output frames");
  }
  std::vector<std::vector<FaceBox>> out(static_cast<size_t>(shot.size()));
  for (int64_t n = shot.begin; n < shot.end; ++n) {
    const int64_t src = grid.src_frame[static_cast<size_t>(n)];
    if (src < 0 || src >= static_cast<int64_t>(frames.size())) {
      throw std::invalid_argument("faces_per_out_frame: output frame " + std::to_string(n) +
                                  " shows src_frame " + std::to_string(src) + " outside the " +
                                  std::to_string(frames.size()) + " frames");
    }
    const double t_s = frames[static_cast<size_t>(src)].time_s;
    std::vector<FaceBox>& visible = out[static_cast<size_t>(n - shot.begin)];
    for (size_t k = 0; k < persons.size(); ++k) {
      FaceBox box;
      if (!box_at(persons[k].detections, frames, src, t_s, params, box)) continue;
      box.track_id = static_cast<int32_t>(k);
      box.src_frame = src;
      visible.push_back(box);
    }
  }
  return out;
}

}  // namespace ff::analysis
