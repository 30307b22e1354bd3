#include "coordinator/run_report.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "analysis/segments.h"
#include "coordinator/qa_phase.h"
#include "core/error.h"

namespace ff::coordinator {
namespace {

using json = nlohmann::json;

// Pixels and seconds to 0.01: enough for a chart, a third of the text.
double round2(double v) {
  return std::round(v * 100.0) / 100.0;
}

const char* shot_kind(const analysis::PlanShot& s) {
  if (s.speaker >= 0) return "speaker";
  if (s.persons > 0) return "faces, no speaker";
  return "no face";
}

json takes_json(const analysis::PlanShot& shot) {
  json out = json::array();
  for (const analysis::PlanTake& t : shot.takes) {
    out.push_back({{"out_frames", {t.out.begin, t.out.end}},
                   {"crop_mode", analysis::to_string(t.mode)},
                   {"speaker", t.speaker >= 0 ? json(t.speaker) : json(nullptr)}});
  }
  return out;
}

json shots_json(const analysis::Plan& plan) {
  json out = json::array();
  for (size_t i = 0; i < plan.shots.size(); ++i) {
    const analysis::PlanShot& s = plan.shots[i];
    out.push_back({{"id", i},
                   {"out_frames", {s.out.begin, s.out.end}},
                   {"start_s", plan.grid.time_s(s.out.begin)},
                   {"end_s", plan.grid.time_s(s.out.end)},
                   {"kind", shot_kind(s)},
                   {"crop_mode", analysis::to_string(s.mode)},
                   {"persons", s.persons},
                   {"speaker", s.speaker >= 0 ? json(s.speaker) : json(nullptr)},
                   {"speaker_share", s.speaker_share},
                   {"crop_size", {s.crop.w, s.crop.h}},
                   {"takes", takes_json(s)}});
  }
  return out;
}

json segments_json(const analysis::Plan& plan, const RenderPhaseResult* render) {
  json out = json::array();
  std::vector<double> starts;
  if (render) {
    if (render->segments.size() != plan.segments.size()) {
      throw RuntimeError("run report: the render reported " +
                         std::to_string(render->segments.size()) + " segments, the plan has " +
                         std::to_string(plan.segments.size()) +
                         "; pass the render result of this plan");
    }
    starts = segment_start_s(plan.segments, render->segments);
  }
  for (size_t i = 0; i < plan.segments.size(); ++i) {
    const analysis::Segment& s = plan.segments[i];
    json j{{"id", s.id},
           {"shot", s.shot},
           {"out_frames", {s.out.begin, s.out.end}},
           {"start_time_s", plan.grid.time_s(s.out.begin)},
           {"end_time_s", plan.grid.time_s(s.out.end)}};
    if (render) {
      const SegmentMetrics& m = render->segments[i];
      j["rank"] = m.rank;
      j["start_s"] = starts[i];
      j["seconds"] = m.seconds;
      j["decode_s"] = m.result.decode_s;
      j["scale_s"] = m.result.scale_s;
      j["encode_s"] = m.result.encode_s;
      j["frames"] = m.result.frames;
      j["bytes"] = m.result.bytes;
      j["reused"] = m.result.reused;
      j["path"] = m.result.path;
    }
    out.push_back(std::move(j));
  }
  return out;
}

// The path the render's segments ran (worker/render_device.h): the one
// path they share, "mixed" when ranks differed, "reused" when none ran.
std::string render_path(const RenderPhaseResult& render) {
  bool ran = false;
  std::string path;
  for (const SegmentMetrics& m : render.segments) {
    if (m.result.reused) continue;
    if (!ran) path = m.result.path;
    if (path != m.result.path) return "mixed";
    ran = true;
  }
  return ran ? path : "reused";
}

// Each phase with where it ran: the scan's path, the render's (from its
// segments); probe, plan, audio, stitch and QA always run on the CPU.
json phases_json(const RunFacts& f) {
  json out = json::array();
  for (const PhaseTiming& p : f.phases) {
    json j{{"name", p.name}, {"start_s", p.start_s}, {"wall_s", p.wall_s}};
    if (p.frames > 0) {
      j["frames"] = p.frames;
      j["fps"] = p.wall_s > 0 ? json(static_cast<double>(p.frames) / p.wall_s) : json(nullptr);
    }
    if (p.name == "scan") {
      j["path"] = f.scan_path;
    } else if (p.name == "render") {
      j["path"] = f.render ? json(render_path(*f.render)) : json(nullptr);
    } else {
      j["path"] = "cpu";
    }
    out.push_back(std::move(j));
  }
  return out;
}

json audio_json(const AudioResult& a) {
  if (a.skipped) return {{"skipped", true}, {"skip_reason", a.skip_reason}};
  json shots = json::array();
  for (size_t i = 0; i < a.shots.size(); ++i) {
    const AudioShotResult& s = a.shots[i];
    shots.push_back({{"index", i},
                     {"start_s", s.start_s},
                     {"end_s", s.end_s},
                     {"lufs_before", report_number(s.lufs_before)},
                     {"gain_db", report_number(s.gain_db)},
                     {"lufs_after", report_number(s.lufs_after)},
                     {"lufs_delivered", report_number(s.lufs_delivered)},
                     {"rule", s.rule},
                     {"merged", s.merged}});
  }
  return {{"skipped", false},
          {"target_lufs", a.target_lufs},
          {"ceiling_dbtp", a.ceiling_dbtp},
          {"programme_before_lufs", report_number(a.programme_before_lufs)},
          {"programme_after_lufs", report_number(a.programme_after_lufs)},
          {"programme_delivered_lufs", report_number(a.programme_delivered_lufs)},
          {"true_peak_after_dbtp", report_number(a.true_peak_after_dbtp)},
          {"true_peak_delivered_dbtp", report_number(a.true_peak_delivered_dbtp)},
          {"encode_attempts", a.encode_attempts},
          {"limiter_max_reduction_db", report_number(a.limiter_max_reduction_db)},
          {"wall_s", a.total_s},
          {"shots", std::move(shots)}};
}

json crop_json(const RunFacts& f) {
  const analysis::Plan& plan = *f.plan;
  json points = json::array();
  if (plan.out_frames() > 0 && plan.crop.size() == static_cast<size_t>(plan.out_frames())) {
    for (int64_t n : crop_sample_frames(plan)) {
      const analysis::CropWindow& c = plan.crop[static_cast<size_t>(n)];
      points.push_back({round2(plan.grid.time_s(n)), round2(c.cx - c.w / 2), round2(c.cy - c.h / 2),
                        round2(c.w), round2(c.h)});
    }
  }
  return {{"src_width", f.src_width},
          {"src_height", f.src_height},
          {"columns", {"t_s", "x", "y", "w", "h"}},
          {"points", std::move(points)}};
}

json ranks_json(const std::vector<RankUsage>& ranks) {
  json out = json::array();
  for (const RankUsage& r : ranks) {
    out.push_back({{"rank", r.rank},
                   {"host", r.host},
                   {"peak_rss_mb", r.peak_rss_mb},
                   {"cpu_s", r.cpu_s},
                   {"wall_s", r.wall_s}});
  }
  return out;
}

}  // namespace

std::vector<int64_t> crop_sample_frames(const analysis::Plan& plan, double step_s,
                                        size_t max_points) {
  const int64_t frames = plan.out_frames();
  if (frames <= 0 || max_points < 4) {
    throw RuntimeError("run report: crop samples need an output frame and max_points >= 4 (got " +
                       std::to_string(frames) + " frames, max_points " +
                       std::to_string(max_points) + ")");
  }
  std::set<int64_t> picked{frames - 1};
  // Shot and take edges (the window jumps only there), while they take at
  // most half the budget.
  std::vector<analysis::OutRange> pieces;
  for (const analysis::PlanShot& s : plan.shots) {
    if (s.takes.empty()) pieces.push_back(s.out);
    for (const analysis::PlanTake& t : s.takes) pieces.push_back(t.out);
  }
  if (pieces.size() * 2 <= max_points / 2) {
    for (const analysis::OutRange& r : pieces) {
      for (const int64_t n : {r.begin, r.end - 1}) {
        if (n >= 0 && n < frames) picked.insert(n);
      }
    }
  }
  // The regular grid fills the rest: ceil(frames / stride) <= left.
  const auto left = static_cast<int64_t>(max_points - picked.size());
  const auto every = static_cast<int64_t>(std::llround(std::max(step_s, 0.0) * plan.grid.fps()));
  const int64_t stride = std::max<int64_t>({1, every, (frames + left - 1) / left});
  for (int64_t n = 0; n < frames; n += stride) picked.insert(n);
  return {picked.begin(), picked.end()};
}

std::vector<double> segment_start_s(const std::vector<analysis::Segment>& segments,
                                    const std::vector<SegmentMetrics>& metrics) {
  if (segments.size() != metrics.size()) {
    throw RuntimeError("run report: " + std::to_string(metrics.size()) + " segment metrics for " +
                       std::to_string(segments.size()) +
                       " segments; pass the render result of this plan");
  }
  std::vector<double> start(segments.size(), 0.0);
  std::map<int, double> busy_until;  // per rank
  for (size_t i : analysis::schedule_order(segments)) {
    const SegmentMetrics& m = metrics[i];
    if (m.rank < 0) continue;
    double& t = busy_until[m.rank];
    start[i] = t;
    t += m.seconds;
  }
  return start;
}

nlohmann::json run_report_json(const RunFacts& f) {
  json j = json::object();
  j["phases"] = phases_json(f);
  if (f.plan) {
    j["fps"] = f.plan->grid.fps();
    j["out_frames"] = f.plan->out_frames();
    j["shots"] = shots_json(*f.plan);
    j["segments"] = segments_json(*f.plan, f.render);
    j["segment_start"] = "reconstructed";
    j["crop"] = crop_json(f);
  }
  if (f.audio) j["audio"] = audio_json(*f.audio);
  j["ranks"] = ranks_json(f.ranks);
  if (f.render) j["encoder"] = f.render->encoder;
  if (f.render) j["render_path"] = render_path(*f.render);
  j["device"] = f.device;
  return j;
}

}  // namespace ff::coordinator
