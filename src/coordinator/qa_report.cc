// report.json, report.html and the terminal summary of the qa phase
// (coordinator/qa_phase.h; the schema is docs/report-schema.md).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "coordinator/qa_phase.h"
#include "coordinator/report_html.h"
#include "core/atomic_file.h"
#include "core/build_config.h"
#include "core/error.h"

namespace ff::coordinator {
namespace {

using json = nlohmann::ordered_json;

json value_json(const analysis::QaValue& v) {
  if (std::holds_alternative<double>(v)) return report_number(std::get<double>(v));
  if (std::holds_alternative<std::string>(v)) return std::get<std::string>(v);
  return nullptr;
}

json path_json(const std::filesystem::path& p) {
  return p.empty() ? json(nullptr) : json(p.string());
}

// "  loudness per shot, LUFS before -> after: -22.1 -> -16.0, ..." (the
// first kListed shots; the rest are in report.json).
std::string loudness_line(const QaReport& report) {
  constexpr size_t kListed = 8;
  const auto& shots = report.measurements.shots;
  std::string line = "  loudness per shot, LUFS before -> after:";
  char item[64];
  for (size_t i = 0; i < shots.size() && i < kListed && i < report.shot_lufs_before.size(); ++i) {
    std::snprintf(item, sizeof item, "%s %.1f -> %.1f", i == 0 ? "" : ",",
                  report.shot_lufs_before[i], shots[i].lufs);
    line += item;
  }
  if (shots.size() > kListed) {
    line += ", ... (" + std::to_string(shots.size() - kListed) + " more in report.json)";
  }
  return line;
}

}  // namespace

std::filesystem::path report_html_path(const std::filesystem::path& json_path) {
  std::filesystem::path html = json_path;
  return html.replace_extension(".html");
}

nlohmann::json report_number(double value) {
  if (std::isfinite(value)) return value;
  return std::isnan(value) ? "nan" : (value < 0 ? "-inf" : "inf");
}

std::filesystem::path qa_report_path(const QaRequest& request) {
  if (!request.workdir.empty()) return request.workdir / "report.json";
  return request.file.string() + ".report.json";
}

std::string qa_report_json(const QaReport& report) {
  json j;
  j["schema"] = "framefarm.report/1";
  j["framefarm_version"] = kVersion;
  j["input"] = path_json(report.input);
  j["output"] = path_json(report.output);
  j["workdir"] = path_json(report.workdir);
  j["verdict"] = report.passed ? "pass" : "fail";
  j["failed"] = analysis::failed_checks(report.checks);
  j["encoder"] = report.encoder.empty() ? json(nullptr) : json(report.encoder);
  json checks = json::array();
  for (const analysis::QaCheck& c : report.checks) {
    json cj{{"name", c.name},
            {"value", value_json(c.value)},
            {"op", c.op.empty() ? json(nullptr) : json(c.op)},
            {"threshold", value_json(c.threshold)},
            {"unit", c.unit},
            {"verdict", analysis::to_string(c.verdict)},
            {"detail", c.detail}};
    if (c.op == "within") cj["tolerance"] = c.tolerance;
    checks.push_back(std::move(cj));
  }
  j["checks"] = std::move(checks);

  const analysis::QaMeasurements& m = report.measurements;
  if (m.has_audio) {
    json shots = json::array();
    for (size_t i = 0; i < m.shots.size(); ++i) {
      const auto& s = m.shots[i];
      shots.push_back({{"index", i},
                       {"start_s", s.start_s},
                       {"end_s", s.end_s},
                       {"lufs", report_number(s.lufs)},
                       {"counted", analysis::shot_counts_for_spread(s, report.audio)}});
      if (i < report.shot_lufs_before.size()) {
        shots.back()["lufs_before"] = report_number(report.shot_lufs_before[i]);
      }
    }
    j["loudness"] = {{"target_lufs", report.audio.target_lufs},
                     {"programme_lufs", report_number(m.programme_lufs)},
                     {"true_peak_dbtp", report_number(m.true_peak_dbtp)},
                     {"audio_duration_s", m.audio_duration_s},
                     {"shots", std::move(shots)}};
  } else {
    j["loudness"] = nullptr;
  }
  json errors = json::array();
  for (const auto& e : m.errors) {
    errors.push_back({{"out_frame", e.out_frame}, {"time_s", e.time_s}, {"what", e.what}});
  }
  j["decode_errors"] = std::move(errors);
  json ranges = json::array();
  for (const QaRangeMetrics& r : report.ranges) {
    ranges.push_back({{"id", r.id},
                      {"rank", r.rank},
                      {"start_s", r.start_s},
                      {"end_s", r.end_s},
                      {"frames", r.frames},
                      {"errors", r.errors},
                      {"sampled", r.sampled},
                      {"seconds", r.seconds},
                      {"decode_s", r.decode_s},
                      {"detect_s", r.detect_s}});
  }
  j["qa"] = {{"ranks", report.ranks},
             {"wall_s", report.wall_s},
             {"audio_s", report.audio_s},
             {"ranges", std::move(ranges)}};

  if (!report.extra.is_object()) {
    throw RuntimeError("report.json: QaReport::extra must be a JSON object, not " +
                       std::string(report.extra.type_name()));
  }
  for (const auto& [key, value] : report.extra.items()) {
    if (j.contains(key)) {
      throw RuntimeError("report.json: extra field '" + key +
                         "' would replace a field the QA writes; give it another name");
    }
    j[key] = json::parse(value.dump());
  }
  return j.dump(2) + "\n";
}

void write_qa_report(const QaReport& report, const std::filesystem::path& path) {
  const std::string text = qa_report_json(report);
  core::write_file_atomically(path, text);
  core::write_file_atomically(report_html_path(path), report_html(nlohmann::json::parse(text)));
}

std::string qa_summary(const QaReport& report, const std::filesystem::path& report_path) {
  std::string out = "QA of " + report.output.string() + "\n";
  char line[512];
  std::snprintf(line, sizeof line, "  %-26s %-22s %-24s %s\n", "CHECK", "VALUE", "RULE", "VERDICT");
  out += line;
  for (const analysis::QaCheck& c : report.checks) {
    std::string verdict(analysis::to_string(c.verdict));
    std::transform(verdict.begin(), verdict.end(), verdict.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
    if (c.verdict == analysis::QaVerdict::kNa) verdict = "N/A";
    std::snprintf(line, sizeof line, "  %-26s %-22s %-24s %s\n", c.name.c_str(),
                  analysis::format_value(c.value, c.unit).c_str(), analysis::format_rule(c).c_str(),
                  verdict.c_str());
    out += line;
    if (c.verdict == analysis::QaVerdict::kFail && !c.detail.empty()) {
      out += "      " + c.detail + "\n";
    }
  }
  if (!report.shot_lufs_before.empty()) out += loudness_line(report) + "\n";
  const std::vector<std::string> failed = analysis::failed_checks(report.checks);
  if (failed.empty()) {
    out += "QA passed: no check failed\n";
  } else {
    out += "QA FAILED: " + std::to_string(failed.size()) + " check(s) failed:";
    for (const auto& name : failed) out += " " + name;
    out += "\n";
  }
  out +=
      "report: " + report_path.string() + " and " + report_html_path(report_path).string() + "\n";
  return out;
}

}  // namespace ff::coordinator
