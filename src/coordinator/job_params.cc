#include "coordinator/job_params.h"

#include <algorithm>
#include <sstream>

namespace ff::coordinator {

worker::ScanParams scan_params_of(const core::JobOptions& job) {
  worker::ScanParams p;
  const core::ReframeOptions& r = job.reframe;
  p.analysis_width = r.analysis_width;
  p.detect_fps = r.detect_fps;
  p.full_detect_interval_s = r.full_detect_interval_s;
  p.cut_hint_score = static_cast<float>(std::max(job.split.min_content, 30.0));
  p.detect_faces = r.mode == core::ReframeMode::kFace;
  p.detector.cascade_path = core::cascade_file(r).string();
  // LBP's 45 px window leaves faces at analysis size little room above its
  // smallest size; its pyramid stays at 1.1 (at 1.2 it found a quarter fewer
  // faces on call.mp4 and picked the speaker on 80% of speaking frames, not 99%).
  if (r.detector == core::FaceDetector::kLbp) p.detector.scale_factor = 1.1;
  p.tracker.min_hits = r.min_track_hits;
  return p;
}

FarmConfig farm_config_of(const core::JobOptions& job) {
  FarmConfig c;
  c.max_tries = job.farm.max_tries;
  switch (job.farm.rank0_works) {
    case core::Rank0Works::kAuto: c.rank0_works = Rank0Works::kAuto; break;
    case core::Rank0Works::kYes: c.rank0_works = Rank0Works::kYes; break;
    case core::Rank0Works::kNo: c.rank0_works = Rank0Works::kNo; break;
  }
  return c;
}

std::string scan_key(const std::string& fingerprint, const worker::ScanParams& p) {
  std::ostringstream os;
  os.precision(17);
  os << "v3|" << fingerprint << "|aw=" << p.analysis_width << "|dfps=" << p.detect_fps
     << "|full=" << p.full_detect_interval_s << "|fullmax=" << p.max_full_detect_interval_s
     << "|hint=" << p.cut_hint_score << "|faces=" << p.detect_faces
     << "|cascade=" << p.detector.cascade_path << "|sf=" << p.detector.scale_factor
     << "|nb=" << p.detector.min_neighbors << "|minf=" << p.detector.min_face_frac
     << "|wsr=" << p.detector.window_size_ratio << "|hits=" << p.tracker.min_hits
     << "|span=" << p.tracker.confirm_span << "|miss=" << p.tracker.max_missed
     << "|iou=" << p.tracker.min_iou << "|cd=" << p.tracker.max_centre_dist
     << "|sr=" << p.tracker.max_size_ratio << "|dw=" << p.tracker.detection_weight
     << "|aw2=" << p.tracker.activity_window << "|sm=" << p.tracker.search_margin;
  return os.str();
}

}  // namespace ff::coordinator
