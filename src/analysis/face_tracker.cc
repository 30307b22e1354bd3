#include "analysis/face_tracker.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>

namespace ff::analysis {
namespace {

template <typename T>
[[noreturn]] void out_of_range(const char* field, T value, const char* allowed) {
  std::ostringstream os;
  os << field << " = " << value << " is out of range; allowed " << allowed;
  throw std::invalid_argument(os.str());
}

struct Rect {
  float x, y, w, h;
};

float rect_iou(const Rect& a, const Rect& b) {
  const float ix = std::max(0.f, std::min(a.x + a.w, b.x + b.w) - std::max(a.x, b.x));
  const float iy = std::max(0.f, std::min(a.y + a.h, b.y + b.h) - std::max(a.y, b.y));
  const float inter = ix * iy;
  const float uni = a.w * a.h + b.w * b.h - inter;
  return uni > 0.f ? inter / uni : 0.f;
}

Rect rect_of(const FaceBox& b) {
  return {b.x, b.y, b.w, b.h};
}

void check_detection(int64_t src_frame, const FaceBox& d) {
  const bool finite = std::isfinite(d.x) && std::isfinite(d.y) && std::isfinite(d.w) &&
                      std::isfinite(d.h) && std::isfinite(d.activity);
  if (!finite || !(d.w > 0.f) || !(d.h > 0.f)) {
    std::ostringstream os;
    os << "face tracker: detection on src_frame " << src_frame << " has box (" << d.x << ", " << d.y
       << ", " << d.w << ", " << d.h << ") and activity " << d.activity
       << "; boxes need finite values and w, h > 0";
    throw std::invalid_argument(os.str());
  }
}

}  // namespace

float box_iou(const FaceBox& a, const FaceBox& b) {
  return rect_iou(rect_of(a), rect_of(b));
}

void FaceTrackerParams::validate() const {
  if (!(min_iou > 0.0 && min_iou <= 1.0)) out_of_range("min_iou", min_iou, "(0, 1]");
  if (!(max_centre_dist >= 0.0 && std::isfinite(max_centre_dist)))
    out_of_range("max_centre_dist", max_centre_dist, ">= 0");
  if (!(max_size_ratio >= 1.0 && std::isfinite(max_size_ratio)))
    out_of_range("max_size_ratio", max_size_ratio, ">= 1");
  if (min_hits < 1) out_of_range("min_hits", min_hits, ">= 1");
  if (confirm_span < min_hits) out_of_range("confirm_span", confirm_span, ">= min_hits");
  if (max_missed < 1) out_of_range("max_missed", max_missed, ">= 1");
  if (!(detection_weight > 0.0 && detection_weight <= 1.0))
    out_of_range("detection_weight", detection_weight, "(0, 1]");
  if (activity_window < 1) out_of_range("activity_window", activity_window, ">= 1");
  if (!(search_margin >= 0.0 && std::isfinite(search_margin)))
    out_of_range("search_margin", search_margin, ">= 0");
}

FaceTracker::FaceTracker(FaceTrackerParams params, int32_t first_track_id)
    : params_(params), next_track_id_(first_track_id) {
  params_.validate();
  if (first_track_id < 0) out_of_range("first_track_id", first_track_id, ">= 0");
}

void FaceTracker::reset() {
  tracks_.clear();
  has_update_ = false;
  started_ = 0;
  dropped_ = 0;
  last_src_frame_ = -1;
}

// Greedy assignment by centre distance over gated pairs: confirmed tracks
// first, so a candidate next to a confirmed face cannot take its detection.
void FaceTracker::associate(const std::vector<FaceBox>& detections,
                            std::vector<int>& det_of_track) const {
  det_of_track.assign(tracks_.size(), -1);
  std::vector<bool> det_taken(detections.size(), false);
  for (const bool confirmed_pass : {true, false}) {
    std::vector<std::tuple<float, size_t, size_t>> pairs;  // cost, track, detection
    for (size_t t = 0; t < tracks_.size(); ++t) {
      const Track& tr = tracks_[t];
      if ((tr.track_id >= 0) != confirmed_pass) continue;
      for (size_t d = 0; d < detections.size(); ++d) {
        if (det_taken[d]) continue;
        const FaceBox& det = detections[d];
        const float ws = (tr.w + det.w) / 2, hs = (tr.h + det.h) / 2;
        const float dx = (tr.x + tr.w / 2 - det.cx()) / ws;
        const float dy = (tr.y + tr.h / 2 - det.cy()) / hs;
        const float dist = std::hypot(dx, dy);
        const float ratio = std::max(tr.w, det.w) / std::min(tr.w, det.w);
        const bool by_iou = rect_iou({tr.x, tr.y, tr.w, tr.h}, rect_of(det)) >= params_.min_iou;
        const bool by_centre = dist <= params_.max_centre_dist && ratio <= params_.max_size_ratio;
        if (by_iou || by_centre) pairs.emplace_back(dist, t, d);
      }
    }
    std::sort(pairs.begin(), pairs.end());
    for (const auto& [cost, t, d] : pairs) {
      if (det_of_track[t] >= 0 || det_taken[d]) continue;
      det_of_track[t] = static_cast<int>(d);
      det_taken[d] = true;
    }
  }
}

void FaceTracker::absorb(Track& track, const FaceBox& det) const {
  const auto a = static_cast<float>(params_.detection_weight);
  if (track.hits == 0) {
    track.x = det.x, track.y = det.y, track.w = det.w, track.h = det.h;
  } else {
    track.x = a * det.x + (1 - a) * track.x;
    track.y = a * det.y + (1 - a) * track.y;
    track.w = a * det.w + (1 - a) * track.w;
    track.h = a * det.h + (1 - a) * track.h;
  }
  track.score = det.score;
  track.recent_activity.push_back(det.activity);
  while (track.recent_activity.size() > static_cast<size_t>(params_.activity_window))
    track.recent_activity.pop_front();
  ++track.hits;
  track.missed = 0;
}

void FaceTracker::update(int64_t src_frame, const std::vector<FaceBox>& detections) {
  if (has_update_ && src_frame <= last_src_frame_) {
    throw std::invalid_argument("face tracker: update on src_frame " + std::to_string(src_frame) +
                                " after src_frame " + std::to_string(last_src_frame_) +
                                "; frames must grow, call reset() to start over");
  }
  for (const FaceBox& d : detections) check_detection(src_frame, d);
  has_update_ = true;
  last_src_frame_ = src_frame;

  std::vector<int> det_of_track;
  associate(detections, det_of_track);
  std::vector<bool> det_used(detections.size(), false);
  started_ = 0;
  for (size_t t = 0; t < tracks_.size(); ++t) {
    Track& tr = tracks_[t];
    ++tr.age;
    if (det_of_track[t] >= 0) {
      absorb(tr, detections[static_cast<size_t>(det_of_track[t])]);
      det_used[static_cast<size_t>(det_of_track[t])] = true;
    } else {
      ++tr.missed;
    }
  }

  // Unmatched detections start candidates, unless they overlap a live track
  // (a second box on the same face).
  for (size_t d = 0; d < detections.size(); ++d) {
    if (det_used[d]) continue;
    const Rect r = rect_of(detections[d]);
    const bool duplicate = std::any_of(tracks_.begin(), tracks_.end(), [&](const Track& tr) {
      return rect_iou({tr.x, tr.y, tr.w, tr.h}, r) >= params_.min_iou;
    });
    if (duplicate) continue;
    ++started_;
    Track fresh;
    fresh.age = 1;
    absorb(fresh, detections[d]);
    tracks_.push_back(std::move(fresh));
  }

  for (Track& tr : tracks_) {
    if (tr.track_id < 0 && tr.hits >= params_.min_hits) tr.track_id = next_track_id_++;
  }
  dropped_ = static_cast<int>(std::erase_if(tracks_, [&](const Track& tr) {
    if (tr.track_id >= 0) return tr.missed >= params_.max_missed;
    return tr.age >= params_.confirm_span;  // a candidate that did not make it in time
  }));
}

std::vector<FaceBox> FaceTracker::tracks() const {
  std::vector<FaceBox> out;
  for (const Track& tr : tracks_) {
    if (tr.track_id < 0) continue;
    FaceBox b;
    b.src_frame = last_src_frame_;
    b.track_id = tr.track_id;
    b.x = tr.x, b.y = tr.y, b.w = tr.w, b.h = tr.h;
    b.score = tr.score;
    b.activity = std::accumulate(tr.recent_activity.begin(), tr.recent_activity.end(), 0.f) /
                 static_cast<float>(tr.recent_activity.size());
    out.push_back(b);
  }
  std::sort(out.begin(), out.end(),
            [](const FaceBox& a, const FaceBox& b) { return a.track_id < b.track_id; });
  return out;
}

std::vector<SearchWindow> FaceTracker::search_windows() const {
  std::vector<SearchWindow> confirmed, candidates;
  for (const Track& tr : tracks_) {
    const auto m = static_cast<float>(params_.search_margin) * static_cast<float>(1 + tr.missed);
    const float x0 = std::clamp(tr.x - m * tr.w, 0.f, 1.f);
    const float y0 = std::clamp(tr.y - m * tr.h, 0.f, 1.f);
    const float x1 = std::clamp(tr.x + (1 + m) * tr.w, 0.f, 1.f);
    const float y1 = std::clamp(tr.y + (1 + m) * tr.h, 0.f, 1.f);
    SearchWindow sw{tr.track_id, x0, y0, x1 - x0, y1 - y0, tr.w, tr.h};
    (tr.track_id >= 0 ? confirmed : candidates).push_back(sw);
  }
  std::sort(confirmed.begin(), confirmed.end(),
            [](const SearchWindow& a, const SearchWindow& b) { return a.track_id < b.track_id; });
  confirmed.insert(confirmed.end(), candidates.begin(), candidates.end());
  return confirmed;
}

}  // namespace ff::analysis
