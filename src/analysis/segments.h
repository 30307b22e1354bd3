#pragma once
// Render segments: how the output timeline is cut into independently encoded
// pieces for the ranks (DESIGN.md §1, plan and render).
//
// Input: the output frame count, the cuts as output frames (strictly
// increasing, each in 1..frames-1, e.g. from cuts_to_out_frames), the output
// fps and SegmentParams. Output: segments that tile [0, frames) exactly, in
// order, with ids 0, 1, ... Rules:
//   1. every cut starts a segment; the cuts split the timeline into shots;
//   2. a shot of L frames is split into k evenly spaced pieces (boundaries
//      at begin + floor(i * L / k)), k = ceil(L / max_frames) so no segment
//      exceeds max_segment_s (max_frames = floor(max_segment_s * fps));
//   3. while there are fewer than ranks * segments_per_rank segments, the
//      shot whose pieces are longest (the earlier shot on a tie) gets one
//      piece more, as long as its pieces stay >= min_frames
//      (min_frames = ceil(min_segment_s * fps)); a short video therefore
//      gets fewer segments. A shot shorter than min_segment_s stays one
//      segment (it is never merged across a cut).
// Rule 2 needs min_frames <= max_frames / 2, else a long shot could not be
// split without a piece under the minimum: plan_segments throws then.
//
//   SegmentParams p;  p.ranks = 4;
//   std::vector<Segment> segs = plan_segments(27000, {4500, 9000}, 30.0, p);
//   for (size_t i : schedule_order(segs)) queue.push(segs[i].id);
#include <cstddef>
#include <cstdint>
#include <vector>

#include "analysis/types.h"

namespace ff::analysis {

struct SegmentParams {
  int ranks = 1;                // ranks that render
  int segments_per_rank = 4;    // target segments per rank, for load balance
  double max_segment_s = 60.0;  // longest segment
  double min_segment_s = 2.0;   // shortest segment made by splitting a shot

  // Throws std::invalid_argument naming the first field that is out of range.
  void validate() const;
};

struct Segment {
  int64_t id = 0;              // position on the timeline, 0..
  OutRange out;                // output frames [begin, end)
  int64_t shot = 0;            // index of its shot: 0 before the first cut
  bool starts_at_cut = false;  // out.begin is a cut (false for frame 0 and for splits)
  bool operator==(const Segment&) const = default;
};

// Plans the segments; see the rules above. Throws std::invalid_argument for
// invalid params, frames outside 1..2^31-1, fps not > 0, cuts out of order or outside
// 1..frames-1, and max/min lengths that round to unusable frame counts.
std::vector<Segment> plan_segments(int64_t frames, const std::vector<int64_t>& cut_out_frames,
                                   double fps, const SegmentParams& params);

// Indices into `segments` in render order: longest first, ties by smaller id.
std::vector<size_t> schedule_order(const std::vector<Segment>& segments);

}  // namespace ff::analysis
