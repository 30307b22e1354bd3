#include "analysis/plan.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>

namespace ff::analysis {
namespace {

template <typename T>
[[noreturn]] void out_of_range(const char* field, T value, const char* allowed) {
  std::ostringstream os;
  os << field << " = " << value << " is out of range; allowed " << allowed;
  throw std::invalid_argument(os.str());
}

[[noreturn]] void bad_scan(const std::string& what) {
  throw std::invalid_argument("make_plan: " + what);
}

// The scan's own consistency; the steps check the rest (times, scores, duration).
void check_scan(const ScanData& scan, const PlanParams& params) {
  const auto n = static_cast<int64_t>(scan.frames.size());
  if (n == 0) bad_scan("the scan has no frames; scan the input before planning");
  for (int64_t i = 0; i < n; ++i) {
    const int64_t got = scan.frames[static_cast<size_t>(i)].src_frame;
    if (got != i)
      bad_scan("scan.frames[" + std::to_string(i) + "].src_frame = " + std::to_string(got) +
               ", expected " + std::to_string(i) +
               "; frames must be indexed 0..n-1 in presentation order (merge chunks in order)");
  }
  const bool need_signatures = params.cuts.flash_max_frames > 0;
  if (scan.signatures.size() != scan.frames.size() &&
      (need_signatures || !scan.signatures.empty())) {
    bad_scan("the scan has " + std::to_string(scan.signatures.size()) + " signatures for " +
             std::to_string(n) + " frames; it needs one per frame" +
             (need_signatures ? " (or cuts.flash_max_frames = 0 and none)" : " or none"));
  }
  if (scan.display_width <= 0 || scan.display_height <= 0)
    bad_scan("scan display size " + std::to_string(scan.display_width) + "x" +
             std::to_string(scan.display_height) + " must be > 0");
  for (size_t i = 0; i < scan.faces.size(); ++i) {
    const FaceBox& f = scan.faces[i];
    const std::string which =
        "scan.faces[" + std::to_string(i) + "] (track " + std::to_string(f.track_id) + ")";
    if (f.src_frame < 0 || f.src_frame >= n)
      bad_scan(which + " has src_frame " + std::to_string(f.src_frame) + ", outside the " +
               std::to_string(n) + " scanned frames 0.." + std::to_string(n - 1));
    if (!std::isfinite(f.x) || !std::isfinite(f.y) || !std::isfinite(f.w) || !std::isfinite(f.h) ||
        !(f.w > 0.f) || !(f.h > 0.f) || !std::isfinite(f.activity))
      bad_scan(which + " on src_frame " + std::to_string(f.src_frame) +
               " needs finite x, y, activity and w, h > 0");
  }
}

FrameSignatures to_signatures(const ScanData& scan) {
  FrameSignatures sig;
  if (scan.signatures.empty()) return sig;
  sig.size = kSignatureSize;
  sig.values.reserve(scan.signatures.size() * static_cast<size_t>(kSignatureSize));
  for (const LumaSignature& s : scan.signatures)
    for (uint8_t v : s) sig.values.push_back(static_cast<float>(v));
  return sig;
}

// Source frames [begin, end) whose faces belong to each shot: from the cut
// that starts the shot (the latest cut mapped to its first output frame; a
// cut on a dropped source frame still starts it) up to the next cut.
std::vector<std::pair<int64_t, int64_t>> shot_src_ranges(const Plan& plan, int64_t src_frames) {
  std::map<int64_t, int64_t> cut_of_out;  // out frame -> latest cut src frame mapped to it
  for (int64_t src : plan.cut_src_frames) cut_of_out[out_frame_of_src(plan.grid, src)] = src;
  std::vector<std::pair<int64_t, int64_t>> ranges;
  for (const PlanShot& shot : plan.shots) {
    const auto it = cut_of_out.find(shot.out.begin);
    const int64_t begin = it == cut_of_out.end() ? 0 : it->second;
    const auto next =
        std::upper_bound(plan.cut_src_frames.begin(), plan.cut_src_frames.end(), begin);
    ranges.emplace_back(begin, next == plan.cut_src_frames.end() ? src_frames : *next);
  }
  return ranges;
}

// Speaker choice, takes and crop paths of one face-mode shot. Fills shot,
// the shot's slice of plan.speaker and plan.crop.
void plan_face_shot(const ScanData& scan, const PlanParams& params,
                    const std::vector<FaceBox>& shot_faces,
                    const std::optional<CropWindow>& previous, PlanShot& shot, Plan& plan) {
  const double fps = plan.grid.fps();
  const std::vector<Person> persons = link_tracks(shot_faces, scan.frames, params.faces);
  const std::vector<std::vector<FaceBox>> visible =
      faces_per_out_frame(persons, scan.frames, plan.grid, shot.out, params.faces);
  const std::vector<int32_t> chosen = choose_speaker(visible, fps, params.speaker);
  const std::vector<Take> takes = split_takes(chosen, fps, params.takes);

  // The person each frame's window follows: its take's, or the frame's own
  // choice where the take has several (no cut on a switch).
  std::vector<std::optional<FaceBox>> target(visible.size());
  std::vector<int32_t> speaker(visible.size(), -1);
  std::vector<int64_t> frames_of(persons.size(), 0);
  int64_t with_speaker = 0;
  for (const Take& t : takes) {
    for (int64_t i = t.begin; i < t.end; ++i) {
      const auto k = static_cast<size_t>(i);
      const int32_t who = t.speaker >= 0 ? t.speaker : chosen[k];
      for (const FaceBox& f : visible[k]) {
        if (who < 0 || f.track_id != who) continue;
        target[k] = f;
        speaker[k] = who;
        ++with_speaker;
        ++frames_of[static_cast<size_t>(who)];
      }
    }
  }

  CropPathInput in;
  in.src_w = scan.display_width;
  in.src_h = scan.display_height;
  in.fps = fps;
  in.crop = shot_crop_size(target, in.src_w, in.src_h, plan.crop_size, params);
  in.previous = previous;
  shot.crop = in.crop;
  shot.mode = CropMode::kSteady;
  for (const Take& t : takes) {
    in.shot = {shot.out.begin + t.begin, shot.out.begin + t.end};
    in.target.assign(target.begin() + t.begin, target.begin() + t.end);
    const CropPath path = plan_crop_path(in, params.crop);
    shot.takes.push_back({in.shot, path.mode, t.speaker});
    if (path.mode == CropMode::kTrack) shot.mode = CropMode::kTrack;
    std::copy(path.windows.begin(), path.windows.end(), plan.crop.begin() + in.shot.begin);
    in.previous = path.windows.back();
  }

  shot.persons = static_cast<int32_t>(persons.size());
  const auto top = std::max_element(frames_of.begin(), frames_of.end());  // first on a tie
  shot.speaker = with_speaker > 0 ? static_cast<int32_t>(top - frames_of.begin()) : -1;
  shot.speaker_share = static_cast<double>(with_speaker) / static_cast<double>(shot.out.size());
  std::copy(speaker.begin(), speaker.end(), plan.speaker.begin() + shot.out.begin);
}

}  // namespace

CropSize shot_crop_size(const std::vector<std::optional<FaceBox>>& target, int32_t src_w,
                        int32_t src_h, CropSize full, const PlanParams& params) {
  if (params.crop_scale >= 1.0) return full;
  // The widest window that can put a face centre at target_x: target_x of the
  // width to its left, the rest to its right, neither past the frame edge.
  const double tx = params.crop.target_x;
  double widest = full.w;
  bool any = false;
  for (const std::optional<FaceBox>& f : target) {
    if (!f) continue;
    any = true;
    const double cx = std::clamp(static_cast<double>(f->cx()), 0.0, 1.0) * src_w;
    if (tx > 0.0) widest = std::min(widest, cx / tx);
    if (tx < 1.0) widest = std::min(widest, (src_w - cx) / (1.0 - tx));
  }
  if (!any) return full;
  const double scale = std::clamp(widest / full.w, params.crop_scale, 1.0);
  return crop_size_for(src_w, src_h, params.out_width, params.out_height, scale);
}

void PlanParams::validate() const {
  cuts.validate();
  timeline.validate();
  segments.validate();
  speaker.validate();
  takes.validate();
  crop.validate();
  faces.validate();
  if (out_width <= 0) out_of_range("out_width", out_width, "> 0");
  if (out_height <= 0) out_of_range("out_height", out_height, "> 0");
  if (!(crop_scale > 0.0 && crop_scale <= 1.0)) out_of_range("crop_scale", crop_scale, "(0, 1]");
}

Plan make_plan(const ScanData& scan, const PlanParams& params) {
  params.validate();
  check_scan(scan, params);

  Plan plan;
  plan.cut_src_frames = detect_cuts(scan.frames, to_signatures(scan), params.cuts);
  std::vector<double> times(scan.frames.size());
  for (size_t i = 0; i < scan.frames.size(); ++i) times[i] = scan.frames[i].time_s;
  plan.grid = build_output_grid(times, scan.duration_s, params.timeline);
  plan.cut_out_frames = cuts_to_out_frames(plan.grid, plan.cut_src_frames);
  plan.crop_size = crop_size_for(scan.display_width, scan.display_height, params.out_width,
                                 params.out_height, 1.0);
  const int64_t out_frames = plan.grid.frames();
  const double fps = plan.grid.fps();

  int64_t begin = 0;
  for (size_t k = 0; k <= plan.cut_out_frames.size(); ++k) {
    const int64_t end = k < plan.cut_out_frames.size() ? plan.cut_out_frames[k] : out_frames;
    PlanShot shot;
    shot.out = {begin, end};
    plan.shots.push_back(shot);
    begin = end;
  }
  plan.speaker.assign(static_cast<size_t>(out_frames), -1);
  plan.crop.resize(static_cast<size_t>(out_frames));

  // Faces in source order, so each shot takes a contiguous run.
  std::vector<FaceBox> faces = scan.faces;
  std::stable_sort(faces.begin(), faces.end(),
                   [](const FaceBox& a, const FaceBox& b) { return a.src_frame < b.src_frame; });
  const auto by_src = [](const FaceBox& f, int64_t s) { return f.src_frame < s; };
  const auto src_ranges = shot_src_ranges(plan, static_cast<int64_t>(scan.frames.size()));

  std::optional<CropWindow> previous;
  for (size_t k = 0; k < plan.shots.size(); ++k) {
    PlanShot& shot = plan.shots[k];
    if (params.face_mode) {
      const auto lo = std::lower_bound(faces.begin(), faces.end(), src_ranges[k].first, by_src);
      const auto hi = std::lower_bound(lo, faces.end(), src_ranges[k].second, by_src);
      plan_face_shot(scan, params, std::vector<FaceBox>(lo, hi), previous, shot, plan);
    } else {
      // The crop path's own no-face window with the centre policy: the centred crop.
      CropPathParams centre = params.crop;
      centre.no_face = NoFacePolicy::kCentre;
      CropPathInput in;
      in.shot = shot.out;
      in.src_w = scan.display_width;
      in.src_h = scan.display_height;
      in.crop = plan.crop_size;
      shot.crop = in.crop;
      in.target.resize(static_cast<size_t>(shot.out.size()));
      in.fps = fps;
      const CropPath path = plan_crop_path(in, centre);
      shot.takes.push_back({shot.out, path.mode, -1});
      std::copy(path.windows.begin(), path.windows.end(), plan.crop.begin() + shot.out.begin);
    }
    previous = plan.crop[static_cast<size_t>(shot.out.end - 1)];
  }

  plan.segments = plan_segments(out_frames, plan.cut_out_frames, fps, params.segments);
  return plan;
}

}  // namespace ff::analysis
