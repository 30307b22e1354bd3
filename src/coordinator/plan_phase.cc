#include "coordinator/plan_phase.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"

extern "C" {
#include <libavutil/rational.h>
}

namespace ff::coordinator {
namespace {

// The output rate as a fraction: the source's own fraction when the job
// follows it (so 30000/1001 stays exact), else the nearest small fraction.
}  // namespace

media::Rational source_rate(const media::VideoInfo& video) {
  if (!video.timing.vfr || video.timing.reference_delta_pts <= 0) {
    return video.avg_frame_rate.num > 0 ? video.avg_frame_rate : video.r_frame_rate;
  }
  // A VFR stream's average (24.65 fps for a 30 fps phone clip that dropped
  // frames) and its r_frame_rate (often the time base) are no rates to
  // deliver at: take the median frame interval and the nearest common rate.
  const double fps =
      1.0 / (static_cast<double>(video.timing.reference_delta_pts) * video.time_base.value());
  static constexpr media::Rational kCommon[] = {
      {24000, 1001}, {24, 1}, {25, 1}, {30000, 1001}, {30, 1}, {50, 1}, {60000, 1001}, {60, 1}};
  media::Rational best = kCommon[0];
  for (const auto& r : kCommon) {
    if (std::abs(r.value() - fps) < std::abs(best.value() - fps)) best = r;
  }
  return best;
}

namespace {

AVRational output_rate(const core::JobOptions& job, const media::VideoInfo& video) {
  const media::Rational src = source_rate(video);
  const double fps = core::resolve_output_fps(job.output, src.value());
  if (src.num > 0 && std::abs(fps - src.value()) < 1e-9) return {src.num, src.den};
  return av_d2q(fps, 1001000);
}

}  // namespace

analysis::PlanParams plan_params_of(const core::JobOptions& job, const media::VideoInfo& video) {
  analysis::PlanParams p;
  const core::SplitOptions& s = job.split;
  p.cuts.adaptive_ratio = s.adaptive_ratio;
  p.cuts.min_content = s.min_content;
  p.cuts.window_frames = s.window_frames;
  p.cuts.min_scene_s = s.min_scene_s;
  p.cuts.flash_max_frames = s.flash_max_frames;
  const AVRational rate = output_rate(job, video);
  p.timeline.fps_num = rate.num;
  p.timeline.fps_den = rate.den;
  // Segment boundaries must not depend on how many ranks run the job (the
  // output is byte-identical for any rank count): plan for the job's number.
  p.segments.ranks = s.plan_ranks;
  p.segments.segments_per_rank = s.segments_per_rank;
  p.segments.max_segment_s = s.max_segment_s;
  p.segments.min_segment_s = std::min(p.segments.min_segment_s, s.max_segment_s / 2);
  const core::ReframeOptions& r = job.reframe;
  p.speaker.speaker_hold_s = r.speaker_hold_s;
  p.takes.cut_on_switch = r.speaker_switch == core::SpeakerSwitch::kCut;
  p.takes.min_take_s = r.min_take_s;
  p.crop.steady_max_motion = r.steady_max_motion;
  p.crop.dead_zone = r.dead_zone;
  // The job speaks in source widths per second; the path planner in pixels per frame.
  const double out_fps = static_cast<double>(rate.num) / static_cast<double>(rate.den);
  p.crop.max_pan_px_per_frame = r.max_pan_width_per_s * video.display_width / out_fps;
  p.crop.smoothing_s = r.smoothing_s;
  p.crop.no_face = r.no_face == core::NoFacePolicy::kHold ? analysis::NoFacePolicy::kHold
                                                          : analysis::NoFacePolicy::kCentre;
  p.crop_scale = r.crop_scale;
  p.out_width = job.output.width;
  p.out_height = job.output.height;
  p.face_mode = r.mode == core::ReframeMode::kFace;
  return p;
}

analysis::Plan run_plan_phase(core::Store& store, const core::JobOptions& job,
                              const media::ProbeResult& probe, const analysis::ScanData& scan,
                              const std::filesystem::path& workdir) {
  const analysis::PlanParams params = plan_params_of(job, probe.video);
  analysis::Plan plan;
  try {
    plan = analysis::make_plan(scan, params);
  } catch (const std::invalid_argument& e) {
    throw RuntimeError(std::string("plan: ") + e.what());
  }
  store.commit("/plan", [&](core::GroupWriter& g) {
    g.set_attr_i64("fps_num", plan.grid.fps_num);
    g.set_attr_i64("fps_den", plan.grid.fps_den);
    g.set_attr_i64("out_frames", plan.out_frames());
    g.set_attr_i64("crop_w", plan.crop_size.w);
    g.set_attr_i64("crop_h", plan.crop_size.h);
    g.write("cuts", plan.cut_out_frames, "output frames");
    g.write("cuts_src", plan.cut_src_frames, "source frames");
    g.write("src_frame", plan.grid.src_frame, "source frame shown on each output frame");
    g.write("speaker", plan.speaker, "person id within the shot, -1 none");
    std::vector<double> crop;
    crop.reserve(plan.crop.size() * 4);
    for (const auto& w : plan.crop) crop.insert(crop.end(), {w.cx, w.cy, w.w, w.h});
    g.write_table("crop", crop, {"cx", "cy", "w", "h"}, "displayed source pixels");
    std::vector<int64_t> shots;
    for (const auto& s : plan.shots) {
      shots.insert(shots.end(), {s.out.begin, s.out.end, s.mode == analysis::CropMode::kTrack,
                                 s.persons, s.speaker});
    }
    g.write_table("shots", shots, {"begin", "end", "track", "persons", "speaker"}, "output frames");
    std::vector<int64_t> takes;
    for (size_t i = 0; i < plan.shots.size(); ++i) {
      for (const auto& t : plan.shots[i].takes) {
        takes.insert(takes.end(), {static_cast<int64_t>(i), t.out.begin, t.out.end,
                                   t.mode == analysis::CropMode::kTrack, t.speaker});
      }
    }
    g.write_table("takes", takes, {"shot", "begin", "end", "track", "speaker"}, "output frames");
    std::vector<int64_t> segments;
    for (const auto& s : plan.segments) {
      segments.insert(segments.end(), {s.id, s.out.begin, s.out.end, s.shot, s.starts_at_cut});
    }
    g.write_table("segments", segments, {"id", "begin", "end", "shot", "starts_at_cut"},
                  "output frames");
  });
  core::write_file_atomically(workdir / "plan.json", plan_json(plan, probe));
  size_t tracked = 0, speaker_cuts = 0;
  for (const auto& s : plan.shots) {
    tracked += s.mode == analysis::CropMode::kTrack ? 1 : 0;
    speaker_cuts += s.takes.size() - 1;
  }
  FF_INFO("plan: " << plan.out_frames() << " output frames at " << plan.grid.fps_num << "/"
                   << plan.grid.fps_den << " fps, " << plan.shots.size() << " shots (" << tracked
                   << " tracked, " << speaker_cuts << " speaker cuts), " << plan.segments.size()
                   << " segments, crop " << plan.crop_size.w << "x" << plan.crop_size.h << "; "
                   << (workdir / "plan.json").string());
  return plan;
}

std::string plan_json(const analysis::Plan& plan, const media::ProbeResult& probe) {
  using nlohmann::json;
  json j;
  j["input"] = probe.path.string();
  j["fps"] = {{"num", plan.grid.fps_num}, {"den", plan.grid.fps_den}};
  j["out_frames"] = plan.out_frames();
  j["duration_s"] = plan.grid.time_s(plan.out_frames());
  j["crop_size"] = {{"w", plan.crop_size.w}, {"h", plan.crop_size.h}};
  json cuts = json::array();
  for (size_t i = 0; i < plan.cut_out_frames.size(); ++i) {
    cuts.push_back({{"out_frame", plan.cut_out_frames[i]},
                    {"time_s", plan.grid.time_s(plan.cut_out_frames[i])}});
  }
  j["cuts"] = cuts;
  json shots = json::array();
  for (size_t i = 0; i < plan.shots.size(); ++i) {
    const auto& s = plan.shots[i];
    const auto& first = plan.crop[static_cast<size_t>(s.out.begin)];
    json takes = json::array();
    for (const auto& t : s.takes) {
      const auto& w = plan.crop[static_cast<size_t>(t.out.begin)];
      takes.push_back({{"out_begin", t.out.begin},
                       {"out_end", t.out.end},
                       {"start_s", plan.grid.time_s(t.out.begin)},
                       {"mode", analysis::to_string(t.mode)},
                       {"speaker", t.speaker},
                       {"first_window", {{"cx", w.cx}, {"cy", w.cy}}}});
    }
    shots.push_back({{"index", i},
                     {"out_begin", s.out.begin},
                     {"out_end", s.out.end},
                     {"start_s", plan.grid.time_s(s.out.begin)},
                     {"end_s", plan.grid.time_s(s.out.end)},
                     {"mode", analysis::to_string(s.mode)},
                     {"persons", s.persons},
                     {"speaker", s.speaker},
                     {"speaker_share", s.speaker_share},
                     {"crop_size", {{"w", s.crop.w}, {"h", s.crop.h}}},
                     {"first_window", {{"cx", first.cx}, {"cy", first.cy}}},
                     {"takes", takes}});
  }
  j["shots"] = shots;
  json segments = json::array();
  for (const auto& s : plan.segments) {
    segments.push_back({{"id", s.id},
                        {"out_begin", s.out.begin},
                        {"out_end", s.out.end},
                        {"shot", s.shot},
                        {"starts_at_cut", s.starts_at_cut}});
  }
  j["segments"] = segments;
  return j.dump(2) + "\n";
}

}  // namespace ff::coordinator
