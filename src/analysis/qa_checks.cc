#include "analysis/qa_checks.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

namespace ff::analysis {
namespace {

// Numbers for humans: integers as integers, others with up to `digits`
// decimals and no trailing zeros; infinities spelled out.
std::string number_text(double v, int digits = 2) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

std::string frame_text(int64_t out_frame, double fps) {
  std::string s = "frame " + std::to_string(out_frame);
  if (fps > 0) s += " (" + number_text(static_cast<double>(out_frame) / fps, 3) + " s)";
  return s;
}

QaCheck equal_words(std::string name, const std::string& value, const std::string& expected,
                    std::string detail_if_wrong = {}) {
  QaCheck c{std::move(name), value, "==", expected, 0.0, "", QaVerdict::kPass, ""};
  if (value != expected) {
    c.verdict = QaVerdict::kFail;
    c.detail = "the stream signals " + (value.empty() ? std::string("nothing") : value) +
               ", the spec asks for " + expected;
    if (!detail_if_wrong.empty()) c.detail += "; " + detail_if_wrong;
  }
  return c;
}

QaCheck not_applicable(std::string name, std::string unit, std::string detail) {
  return {std::move(name), std::monostate{}, "", std::monostate{}, 0.0, std::move(unit),
          QaVerdict::kNa,  std::move(detail)};
}

}  // namespace

std::string_view to_string(QaVerdict verdict) {
  switch (verdict) {
    case QaVerdict::kPass: return "pass";
    case QaVerdict::kFail: return "fail";
    case QaVerdict::kNa: return "na";
    case QaVerdict::kInfo: return "info";
  }
  return "na";
}

bool is_face_sample(int64_t out_frame, double fps, double sample_fps) {
  if (out_frame < 0 || !(fps > 0) || !(sample_fps > 0)) return false;
  if (out_frame == 0 || sample_fps >= fps) return true;
  const double step = sample_fps / fps;
  return std::floor(static_cast<double>(out_frame) * step) !=
         std::floor(static_cast<double>(out_frame - 1) * step);
}

std::string expected_profile_name(core::H264Profile profile) {
  switch (profile) {
    case core::H264Profile::kHigh: return "High";
    case core::H264Profile::kMain: return "Main";
    case core::H264Profile::kBaseline: return "Constrained Baseline";
  }
  return "High";
}

bool shot_counts_for_spread(const QaShotLoudness& shot, const core::AudioOptions& audio) {
  return shot.end_s - shot.start_s >= audio.min_shot_s - 1e-9 && std::isfinite(shot.lufs) &&
         shot.lufs >= audio.silence_lufs;
}

QaCheck check_decode(const QaMeasurements& m) {
  const int64_t total = m.video_errors + m.audio_errors;
  QaCheck c{"decode.errors",
            static_cast<double>(total),
            "==",
            0.0,
            0.0,
            "errors",
            total == 0 ? QaVerdict::kPass : QaVerdict::kFail,
            ""};
  std::ostringstream os;
  os << m.decoded_frames << " frames decoded";
  if (total == 0) {
    os << ", no errors";
  } else {
    os << "; " << m.video_errors << " video error(s), " << m.audio_errors
       << " audio packet(s) rejected";
    const size_t listed = std::min(m.errors.size(), kMaxListedErrors);
    for (size_t i = 0; i < listed; ++i) {
      os << (i == 0 ? "; at " : ", ") << frame_text(m.errors[i].out_frame, m.fps) << ": "
         << m.errors[i].what;
    }
    if (static_cast<int64_t>(listed) < m.video_errors) os << ", ...";
  }
  c.detail = os.str();
  return c;
}

std::vector<QaCheck> check_spec(const QaMeasurements& m, const core::OutputOptions& output) {
  std::vector<QaCheck> checks;
  checks.push_back(equal_words("spec.codec", m.codec, output.codec));
  const std::string want_profile = expected_profile_name(output.profile);
  QaCheck profile = equal_words(
      "spec.profile", m.profile, want_profile,
      m.profile == "Constrained Baseline"
          ? "x264's ultrafast preset signals Constrained Baseline; use superfast or slower"
          : "");
  if (output.profile == core::H264Profile::kBaseline && m.profile == "Baseline") {
    profile.verdict = QaVerdict::kPass;
    profile.detail.clear();
  }
  checks.push_back(std::move(profile));

  const core::H264Level& level = core::output_level(output);
  QaCheck lv{"spec.level",
             static_cast<double>(m.level_idc),
             "==",
             static_cast<double>(level.level_idc),
             0.0,
             "level_idc",
             QaVerdict::kPass,
             ""};
  if (m.level_idc != level.level_idc) {
    lv.verdict = QaVerdict::kFail;
    lv.detail = "the stream signals level_idc " + std::to_string(m.level_idc) + ", output.level " +
                std::string(level.name) + " is level_idc " + std::to_string(level.level_idc);
  }
  checks.push_back(std::move(lv));
  checks.push_back(equal_words("spec.pix_fmt", m.pix_fmt, "yuv420p"));

  std::string size = std::to_string(m.width) + "x" + std::to_string(m.height);
  if (m.rotation_deg != 0) size += " rotated " + std::to_string(m.rotation_deg);
  checks.push_back(equal_words(
      "spec.size", size, std::to_string(output.width) + "x" + std::to_string(output.height),
      m.rotation_deg != 0 ? "a display rotation makes players turn the picture" : ""));
  checks.push_back(equal_words("spec.color_primaries", m.color_primaries, output.color_primaries));
  checks.push_back(equal_words("spec.color_transfer", m.color_transfer, output.color_transfer));
  checks.push_back(equal_words("spec.color_matrix", m.color_space, output.color_matrix));
  checks.push_back(equal_words("spec.color_range", m.color_range, output.color_range));

  QaCheck cfr = equal_words("spec.constant_frame_rate", m.vfr ? "VFR" : "CFR", "CFR");
  cfr.detail += (cfr.detail.empty() ? "" : "; ") + number_text(m.fps, 3) + " fps, " +
                std::to_string(m.off_grid_deltas) + " timestamp step(s) off the frame grid";
  checks.push_back(std::move(cfr));

  QaCheck rate{"spec.frame_rate",
               m.fps,
               "",
               std::monostate{},
               0.0,
               "fps",
               QaVerdict::kInfo,
               "output.fps = 0: the rate follows the source"};
  if (output.fps > 0) {
    rate.op = "within";
    rate.threshold = output.fps;
    rate.tolerance = 0.001;
    const bool ok = std::fabs(m.fps - output.fps) <= rate.tolerance;
    rate.verdict = ok ? QaVerdict::kPass : QaVerdict::kFail;
    rate.detail = ok ? "" : "the stream runs at " + number_text(m.fps, 3) + " fps";
  }
  checks.push_back(std::move(rate));
  return checks;
}

std::vector<QaCheck> check_timing(const QaMeasurements& m, const core::QaOptions& qa) {
  std::vector<QaCheck> checks;
  if (m.expected_frames) {
    const int64_t want = *m.expected_frames;
    QaCheck c{"timing.frame_count",
              static_cast<double>(m.decoded_frames),
              "==",
              static_cast<double>(want),
              0.0,
              "frames",
              m.decoded_frames == want ? QaVerdict::kPass : QaVerdict::kFail,
              "expected count from " + m.expected_frames_source};
    if (m.decoded_frames < want) {
      c.detail += "; " + std::to_string(want - m.decoded_frames) + " frame(s) missing";
    } else if (m.decoded_frames > want) {
      c.detail += "; " + std::to_string(m.decoded_frames - want) + " frame(s) too many";
    }
    checks.push_back(std::move(c));
  } else {
    checks.push_back(not_applicable("timing.frame_count", "frames", "no expected frame count"));
  }

  if (m.expected_frames && m.fps > 0) {
    const double want_s = static_cast<double>(*m.expected_frames) / m.fps;
    const double off_frames = (m.video_duration_s - want_s) * m.fps;
    QaCheck c{"timing.duration", m.video_duration_s,
              "within",          want_s,
              0.5 / m.fps,       "s",
              QaVerdict::kPass,  ""};
    c.verdict = std::fabs(off_frames) <= 0.5 + 1e-6 ? QaVerdict::kPass : QaVerdict::kFail;
    c.detail = std::to_string(*m.expected_frames) + " frames at " + number_text(m.fps, 3) +
               " fps; off by " + number_text(off_frames, 2) + " frame(s)";
    checks.push_back(std::move(c));
  } else {
    checks.push_back(not_applicable("timing.duration", "s", "no expected frame count"));
  }

  if (m.has_audio && m.fps > 0) {
    const double diff_frames = std::fabs(m.audio_duration_s - m.video_duration_s) * m.fps;
    checks.push_back(
        {"timing.av_diff", diff_frames, "<=", static_cast<double>(qa.max_av_diff_frames), 0.0,
         "frames",
         diff_frames <= qa.max_av_diff_frames + 1e-6 ? QaVerdict::kPass : QaVerdict::kFail,
         "audio " + number_text(m.audio_duration_s, 3) + " s, video " +
             number_text(m.video_duration_s, 3) + " s"});
  } else {
    checks.push_back(not_applicable("timing.av_diff", "frames",
                                    m.has_audio ? "frame rate unknown" : "no audio stream"));
  }

  if (m.video_duration_s > 0) {
    const double mb_per_min = static_cast<double>(m.file_bytes) / 1e6 / (m.video_duration_s / 60);
    checks.push_back(
        {"timing.size_per_minute", mb_per_min, "", std::monostate{}, 0.0, "MB/min",
         QaVerdict::kInfo,
         std::to_string(m.file_bytes) + " bytes for " + number_text(m.video_duration_s, 3) + " s"});
  } else {
    checks.push_back(not_applicable("timing.size_per_minute", "MB/min", "no video duration"));
  }
  return checks;
}

std::vector<QaCheck> check_loudness(const QaMeasurements& m, const core::QaOptions& qa,
                                    const core::AudioOptions& audio) {
  std::vector<QaCheck> checks;
  if (m.has_audio) {
    checks.push_back({"audio.present", "yes", "", std::monostate{}, 0.0, "", QaVerdict::kPass, ""});
  } else if (m.expects_audio) {
    checks.push_back({"audio.present", "no", "==", "yes", 0.0, "", QaVerdict::kFail,
                      "the job's input has audio, the delivered file has no audio stream"});
  } else {
    checks.push_back({"audio.present", "no", "", std::monostate{}, 0.0, "", QaVerdict::kNa,
                      "no audio stream, and none expected"});
  }
  if (!m.has_audio) {
    checks.push_back(not_applicable("loudness.integrated", "LUFS", "no audio stream"));
    checks.push_back(not_applicable("loudness.true_peak", "dBTP", "no audio stream"));
    checks.push_back(not_applicable("loudness.spread", "LU", "no audio stream"));
    return checks;
  }

  QaCheck integrated{
      "loudness.integrated",    m.programme_lufs, "within",         audio.target_lufs,
      qa.loudness_tolerance_lu, "LUFS",           QaVerdict::kPass, ""};
  const double off_lu = m.programme_lufs - audio.target_lufs;
  if (!std::isfinite(m.programme_lufs)) {
    integrated.verdict = QaVerdict::kFail;
    integrated.detail = "the audio is silent (nothing above the gate)";
  } else if (std::fabs(off_lu) > qa.loudness_tolerance_lu + 1e-9) {
    integrated.verdict = QaVerdict::kFail;
    integrated.detail =
        number_text(std::fabs(off_lu)) + " LU too " + (off_lu > 0 ? "loud" : "quiet");
  }
  checks.push_back(std::move(integrated));

  const bool peak_ok = m.true_peak_dbtp <= qa.max_true_peak_dbtp + 1e-9;
  checks.push_back(
      {"loudness.true_peak", m.true_peak_dbtp, "<=", qa.max_true_peak_dbtp, 0.0, "dBTP",
       peak_ok ? QaVerdict::kPass : QaVerdict::kFail,
       peak_ok ? ""
               : number_text(m.true_peak_dbtp - qa.max_true_peak_dbtp) + " dB over the limit"});

  size_t counted = 0, short_shots = 0, quiet_shots = 0, quietest = 0, loudest = 0;
  for (size_t i = 0; i < m.shots.size(); ++i) {
    const QaShotLoudness& s = m.shots[i];
    if (s.end_s - s.start_s < audio.min_shot_s - 1e-9) {
      ++short_shots;
    } else if (!shot_counts_for_spread(s, audio)) {
      ++quiet_shots;
    } else {
      if (counted == 0 || s.lufs < m.shots[quietest].lufs) quietest = i;
      if (counted == 0 || s.lufs > m.shots[loudest].lufs) loudest = i;
      ++counted;
    }
  }
  std::ostringstream os;
  os << counted << " of " << m.shots.size() << " shot(s) counted (" << short_shots
     << " shorter than " << number_text(audio.min_shot_s) << " s, " << quiet_shots
     << " near-silent)";
  if (counted < 2) {
    os << "; a spread needs two";
    checks.push_back(not_applicable("loudness.spread", "LU", os.str()));
    return checks;
  }
  const QaShotLoudness& lo = m.shots[quietest];
  const QaShotLoudness& hi = m.shots[loudest];
  const double spread = hi.lufs - lo.lufs;
  os << "; quietest shot " << quietest << " (" << number_text(lo.start_s) << "-"
     << number_text(lo.end_s) << " s) " << number_text(lo.lufs) << " LUFS, loudest shot " << loudest
     << " (" << number_text(hi.start_s) << "-" << number_text(hi.end_s) << " s) "
     << number_text(hi.lufs) << " LUFS";
  checks.push_back({"loudness.spread", spread, "<=", qa.max_spread_lu, 0.0, "LU",
                    spread <= qa.max_spread_lu + 1e-9 ? QaVerdict::kPass : QaVerdict::kFail,
                    os.str()});
  return checks;
}

std::vector<QaCheck> check_faces(const QaMeasurements& m, const core::QaOptions& qa) {
  std::vector<QaCheck> checks;
  int64_t with_face = 0, centred = 0, planned = 0, missing = 0, damaged = 0;
  const QaFaceSample* first_off = nullptr;
  bool any_plan = false;
  for (const QaFaceSample& s : m.face_samples) {
    if (s.damaged) {
      ++damaged;
      continue;
    }
    if (s.faces > 0) {
      ++with_face;
      if (std::fabs(s.largest_cx - 0.5) <= qa.centre_tolerance + 1e-9) {
        ++centred;
      } else if (first_off == nullptr) {
        first_off = &s;
      }
    }
    if (s.plan_speaker != kNoPlan) any_plan = true;
    if (s.plan_speaker >= 0) {
      ++planned;
      if (s.faces == 0) ++missing;
    }
  }
  const auto samples = static_cast<int64_t>(m.face_samples.size()) - damaged;
  const std::string not_judged =
      damaged == 0 ? ""
                   : "; " + std::to_string(damaged) +
                         " sampled frame(s) in GOPs with decode errors not judged";
  if (with_face == 0) {
    checks.push_back(not_applicable(
        "faces.centred", "share",
        "no face found on " + std::to_string(samples) + " sampled frame(s)" + not_judged));
  } else {
    const double share = static_cast<double>(centred) / static_cast<double>(with_face);
    std::string detail = std::to_string(centred) + " of " + std::to_string(with_face) +
                         " sampled frames with a face have the largest within " +
                         number_text(qa.centre_tolerance * 100) + "% of the width of the centre";
    if (first_off != nullptr) {
      detail += "; first off-centre: " + frame_text(first_off->out_frame, m.fps) + ", centre x " +
                number_text(first_off->largest_cx, 3);
    }
    detail += not_judged;
    checks.push_back({"faces.centred", share, ">=", qa.min_face_centred, 0.0, "share",
                      share >= qa.min_face_centred - 1e-9 ? QaVerdict::kPass : QaVerdict::kFail,
                      detail});
  }
  if (!any_plan) {
    checks.push_back(not_applicable("faces.missing", "share", "no plan to compare with"));
  } else if (planned == 0) {
    checks.push_back(
        not_applicable("faces.missing", "share", "the plan has no speaker on the sampled frames"));
  } else {
    checks.push_back({"faces.missing", static_cast<double>(missing) / static_cast<double>(planned),
                      "", std::monostate{}, 0.0, "share", QaVerdict::kInfo,
                      std::to_string(missing) + " of " + std::to_string(planned) +
                          " sampled frames where the plan has a speaker show no face"});
  }
  return checks;
}

std::vector<QaCheck> run_qa_checks(const QaMeasurements& m, const core::QaOptions& qa,
                                   const core::OutputOptions& output,
                                   const core::AudioOptions& audio) {
  std::vector<QaCheck> checks{check_decode(m)};
  for (auto group : {check_spec(m, output), check_timing(m, qa), check_loudness(m, qa, audio),
                     check_faces(m, qa)}) {
    for (auto& c : group) checks.push_back(std::move(c));
  }
  return checks;
}

bool qa_passed(const std::vector<QaCheck>& checks) {
  return std::none_of(checks.begin(), checks.end(),
                      [](const QaCheck& c) { return c.verdict == QaVerdict::kFail; });
}

std::vector<std::string> failed_checks(const std::vector<QaCheck>& checks) {
  std::vector<std::string> names;
  for (const auto& c : checks) {
    if (c.verdict == QaVerdict::kFail) names.push_back(c.name);
  }
  return names;
}

std::string format_value(const QaValue& value, std::string_view unit) {
  if (std::holds_alternative<std::monostate>(value)) return "-";
  std::string text = std::holds_alternative<double>(value) ? number_text(std::get<double>(value))
                                                           : std::get<std::string>(value);
  if (!unit.empty() && std::holds_alternative<double>(value)) text += " " + std::string(unit);
  return text;
}

std::string format_rule(const QaCheck& check) {
  if (check.op.empty()) return "";
  if (check.op == "within") {
    return format_value(check.threshold) + " +/- " + number_text(check.tolerance, 4) +
           (check.unit.empty() ? "" : " " + check.unit);
  }
  return check.op + " " + format_value(check.threshold, check.unit);
}

}  // namespace ff::analysis
