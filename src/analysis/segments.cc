#include "analysis/segments.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <queue>
#include <sstream>
#include <stdexcept>
#include <string>

namespace ff::analysis {
namespace {

template <typename T>
[[noreturn]] void bad_param(const char* field, T value, const std::string& allowed) {
  std::ostringstream os;
  os << "segment params: " << field << " = " << value << " is out of range; must be " << allowed;
  throw std::invalid_argument(os.str());
}

[[noreturn]] void bad_input(const std::string& what) {
  throw std::invalid_argument("plan_segments: " + what);
}

// Seconds to whole frames; the 1e-9 keeps 2.0 s * 30 fps at 60, not 61 or 59.
int64_t floor_frames(double s, double fps) {
  return static_cast<int64_t>(std::floor(s * fps + 1e-9));
}
int64_t ceil_frames(double s, double fps) {
  return static_cast<int64_t>(std::ceil(s * fps - 1e-9));
}

// Keeps the products in the shot comparison inside int64 (2^31 frames is
// over two years at 30 fps).
constexpr int64_t kMaxFrames = int64_t{1} << 31;

struct Shot {
  int64_t begin = 0;
  int64_t size = 0;
  int64_t pieces = 1;
  int64_t max_pieces = 1;  // pieces stay >= min_frames
};

}  // namespace

void SegmentParams::validate() const {
  if (ranks < 1) bad_param("ranks", ranks, ">= 1");
  if (segments_per_rank < 1) bad_param("segments_per_rank", segments_per_rank, ">= 1");
  if (!(max_segment_s > 0.0) || !std::isfinite(max_segment_s)) {
    bad_param("max_segment_s", max_segment_s, "> 0 (finite)");
  }
  if (!(min_segment_s >= 0.0) || !std::isfinite(min_segment_s)) {
    bad_param("min_segment_s", min_segment_s, ">= 0 (finite)");
  }
  if (min_segment_s > max_segment_s / 2) {
    std::ostringstream allowed;
    allowed << "<= max_segment_s / 2 = " << max_segment_s / 2;
    bad_param("min_segment_s", min_segment_s, allowed.str());
  }
}

std::vector<Segment> plan_segments(int64_t frames, const std::vector<int64_t>& cut_out_frames,
                                   double fps, const SegmentParams& params) {
  params.validate();
  if (frames < 1 || frames >= kMaxFrames) {
    bad_input("frames = " + std::to_string(frames) + " is out of range; must be in 1.." +
              std::to_string(kMaxFrames - 1));
  }
  if (!(fps > 0.0) || !std::isfinite(fps)) {
    std::ostringstream os;
    os << "fps = " << fps << " must be > 0 and finite";
    bad_input(os.str());
  }
  int64_t prev = 0;
  for (int64_t cut : cut_out_frames) {
    if (cut <= prev || cut >= frames) {
      bad_input("cut at out_frame " + std::to_string(cut) + " after " + std::to_string(prev) +
                "; cuts must increase strictly and lie in 1.." + std::to_string(frames - 1));
    }
    prev = cut;
  }
  const int64_t max_frames = floor_frames(params.max_segment_s, fps);
  const int64_t min_frames = std::max<int64_t>(1, ceil_frames(params.min_segment_s, fps));
  if (2 * min_frames > max_frames) {
    std::ostringstream os;
    os << "at " << fps << " fps max_segment_s is " << max_frames << " frames and min_segment_s "
       << min_frames << " frames; max must be at least twice min, raise max_segment_s";
    bad_input(os.str());
  }

  // Rules 1 and 2: shots between cuts, long shots split to fit max_frames.
  std::vector<Shot> shots;
  shots.reserve(cut_out_frames.size() + 1);
  int64_t begin = 0;
  for (size_t i = 0; i <= cut_out_frames.size(); ++i) {
    const int64_t end = i < cut_out_frames.size() ? cut_out_frames[i] : frames;
    Shot s;
    s.begin = begin;
    s.size = end - begin;
    s.pieces = (s.size + max_frames - 1) / max_frames;
    s.max_pieces = std::max(s.pieces, s.size / min_frames);
    shots.push_back(s);
    begin = end;
  }
  int64_t total = 0;
  for (const Shot& s : shots) total += s.pieces;

  // Rule 3: more pieces, always to the shot with the longest pieces.
  const int64_t target = static_cast<int64_t>(params.ranks) * params.segments_per_rank;
  const auto lower_priority = [&](size_t a, size_t b) {
    const int64_t la = shots[a].size * shots[b].pieces;  // no overflow: both < 2^31
    const int64_t lb = shots[b].size * shots[a].pieces;
    return la != lb ? la < lb : a > b;
  };
  std::priority_queue<size_t, std::vector<size_t>, decltype(lower_priority)> heap(lower_priority);
  for (size_t i = 0; i < shots.size(); ++i) {
    if (shots[i].pieces < shots[i].max_pieces) heap.push(i);
  }
  while (total < target && !heap.empty()) {
    const size_t i = heap.top();
    heap.pop();
    ++shots[i].pieces;
    ++total;
    if (shots[i].pieces < shots[i].max_pieces) heap.push(i);
  }

  std::vector<Segment> segments;
  segments.reserve(static_cast<size_t>(total));
  for (size_t i = 0; i < shots.size(); ++i) {
    const Shot& s = shots[i];
    for (int64_t k = 0; k < s.pieces; ++k) {
      Segment seg;
      seg.id = static_cast<int64_t>(segments.size());
      seg.out = {s.begin + k * s.size / s.pieces, s.begin + (k + 1) * s.size / s.pieces};
      seg.shot = static_cast<int64_t>(i);
      seg.starts_at_cut = i > 0 && k == 0;
      segments.push_back(seg);
    }
  }
  return segments;
}

std::vector<size_t> schedule_order(const std::vector<Segment>& segments) {
  std::vector<size_t> order(segments.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const Segment& sa = segments[a];
    const Segment& sb = segments[b];
    if (sa.out.size() != sb.out.size()) return sa.out.size() > sb.out.size();
    return sa.id < sb.id;
  });
  return order;
}

}  // namespace ff::analysis
