#include "coordinator/report_html.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <vector>

#include "coordinator/report_html_svg.h"

namespace ff::coordinator {
namespace {

using namespace report_svg;  // NOLINT: this file's building blocks
namespace rc = report_colours;

std::string esc(const json& v) {
  return html_escape(text_of(v));
}

std::string section(const std::string& id, const std::string& title, const std::string& body) {
  return "<section id=\"" + id + "\">\n<h2>" + html_escape(title) + "</h2>\n" + body +
         "</section>\n";
}

std::string timeline_chart(const json& r) {
  const json& run = get(r, "run");
  std::vector<std::pair<std::string, std::vector<Bar>>> rows;
  std::vector<std::pair<const char*, std::string>> legend;
  auto add_key = [&](const char* fill, const std::string& label) {
    for (const auto& k : legend) {
      if (k.second == label) return;
    }
    legend.emplace_back(fill, label);
  };
  const bool planned = !list(run, "shots").empty();
  std::vector<Bar> shots;
  for (const json& s : planned ? list(run, "shots") : list(get(r, "loudness"), "shots")) {
    const std::string kind = get(s, "kind").is_string() ? get(s, "kind").get<std::string>() : "";
    const char* fill = kind == "faces, no speaker" ? rc::kShotFaces
                       : kind == "no face"         ? rc::kShotNoFace
                                                   : rc::kShotSpeaker;
    add_key(fill, kind.empty() ? "shot" : kind);
    const json& id = planned ? get(s, "id") : get(s, "index");
    shots.push_back({num(get(s, "start_s")).value_or(0), num(get(s, "end_s")).value_or(0), fill,
                     "shot", "shot " + text_of(id) + (kind.empty() ? "" : ": " + kind)});
  }
  if (!shots.empty()) rows.emplace_back("shots", std::move(shots));
  // Takes (docs/reframing.md), in a row of their own once a shot has a
  // speaker cut: each is a window on one speaker, and the crop jumps only
  // at their edges and at shot edges.
  std::vector<Bar> takes;
  bool speaker_cut = false;
  const double fps = num(get(run, "fps")).value_or(0.0);
  for (const json& s : list(run, "shots")) {
    if (!(fps > 0)) break;
    const json& shot_takes = list(s, "takes");
    speaker_cut = speaker_cut || shot_takes.size() > 1;
    for (size_t k = 0; k < shot_takes.size(); ++k) {
      const json& t = shot_takes[k];
      const json& frames = get(t, "out_frames");
      if (!frames.is_array() || frames.size() != 2) continue;
      const std::string who =
          get(t, "speaker").is_null() ? "no speaker" : "speaker " + text_of(get(t, "speaker"));
      takes.push_back({num(frames[0]).value_or(0) / fps, num(frames[1]).value_or(0) / fps,
                       takes.size() % 2 == 1 ? rc::kTakeB : rc::kTakeA, "take",
                       "take " + std::to_string(k) + " of shot " + text_of(get(s, "id")) + ": " +
                           who + ", " + text_of(get(t, "crop_mode"))});
    }
  }
  if (speaker_cut) {
    add_key(rc::kTakeA, "take (one speaker)");
    rows.emplace_back("takes", std::move(takes));
  }
  std::vector<Bar> segments;
  for (const json& s : list(run, "segments")) {
    const bool odd = segments.size() % 2 == 1;
    segments.push_back({num(get(s, "start_time_s")).value_or(0),
                        num(get(s, "end_time_s")).value_or(0), odd ? rc::kSegmentB : rc::kSegmentA,
                        "segment", "segment " + text_of(get(s, "id"))});
  }
  if (!segments.empty()) {
    add_key(rc::kSegmentA, "render segment");
    rows.emplace_back("segments", std::move(segments));
  }
  std::vector<Bar> ranges;
  for (const json& q : list(get(r, "qa"), "ranges")) {
    const bool odd = ranges.size() % 2 == 1;
    ranges.push_back({num(get(q, "start_s")).value_or(0), num(get(q, "end_s")).value_or(0),
                      odd ? rc::kRangeB : rc::kRangeA, "range",
                      "QA range " + text_of(get(q, "id")) + " on rank " + text_of(get(q, "rank"))});
  }
  if (!ranges.empty()) {
    add_key(rc::kRangeA, "QA range");
    rows.emplace_back("QA ranges", std::move(ranges));
  }
  if (rows.empty()) return note("No shots, segments or QA ranges in this report.");
  return bar_rows("chart-timeline", rc::kTimelineBg, rows, legend, "output time, s");
}

std::string gantt_chart(const json& r) {
  const json& run = get(r, "run");
  std::vector<std::pair<std::string, std::vector<Bar>>> rows;
  for (const json& s : list(run, "segments")) {
    const auto rank = num(get(s, "rank")), start = num(get(s, "start_s"));
    const auto seconds = num(get(s, "seconds"));
    if (!rank || !start || !seconds || *rank < 0 || *rank > 100000) continue;
    const auto k = static_cast<size_t>(*rank);
    while (rows.size() <= k)
      rows.emplace_back("rank " + std::to_string(rows.size()), std::vector<Bar>{});
    const bool reused = get(s, "reused").is_boolean() && get(s, "reused").get<bool>();
    rows[k].second.push_back(
        {*start, *start + *seconds, rc::kRanks[k % 10], reused ? "task reused" : "task",
         "segment " + text_of(get(s, "id")) + " on rank " + std::to_string(k) + ": " +
             fmt(*seconds, 2) + " s from " + fmt(*start, 2) + " s" + (reused ? " (reused)" : "")});
  }
  if (rows.empty()) return note("No render segments in this report (framefarm qa on its own).");
  std::vector<std::pair<const char*, std::string>> legend;
  for (size_t k = 0; k < rows.size() && k < 10; ++k)
    legend.emplace_back(rc::kRanks[k], rows[k].first);
  return bar_rows("chart-gantt", rc::kGanttBg, rows, legend, "render time, s") +
         note("Starts are reconstructed: each rank's segments back to back in dispatch order.");
}

std::string loudness_chart(const json& r) {
  const json& qa_shots = list(get(r, "loudness"), "shots");
  const json& audio = get(get(r, "run"), "audio");
  const json& run_shots = list(audio, "shots");
  const size_t n = std::max(qa_shots.size(), run_shots.size());
  if (n == 0) return note("No audio measured: no loudness chart.");
  std::vector<std::optional<double>> before(n), after(n);
  static const json none;
  for (size_t i = 0; i < n; ++i) {
    const json& q = i < qa_shots.size() ? qa_shots[i] : none;
    const json& a = i < run_shots.size() ? run_shots[i] : none;
    before[i] = finite(get(a, "lufs_before"));
    if (!before[i]) before[i] = finite(get(q, "lufs_before"));
    after[i] = finite(get(q, "lufs"));
    if (!after[i]) after[i] = finite(get(a, "lufs_delivered"));
  }
  const auto target = finite(get(get(r, "loudness"), "target_lufs"))
                          ? finite(get(get(r, "loudness"), "target_lufs"))
                          : finite(get(audio, "target_lufs"));
  double tol = 0.0;
  for (const json& c : list(r, "checks")) {
    if (get(c, "name") == "loudness.integrated") tol = finite(get(c, "tolerance")).value_or(0.0);
  }
  double lo = target ? *target - tol : 0.0, hi = target ? *target + tol : -100.0;
  for (const auto* series : {&before, &after}) {
    for (const auto& v : *series) {
      if (v) lo = std::min(lo, *v), hi = std::max(hi, *v);
    }
  }
  lo = std::max(-90.0, std::floor((lo - 3) / 5) * 5);
  hi = std::min(10.0, std::ceil((hi + 2) / 5) * 5);
  constexpr double kTop = 40, kBottom = 250;
  Svg svg("chart-loudness", kWidth, kBottom + 46, rc::kLoudnessBg);
  const Scale sy{lo, hi, kBottom, kTop};
  y_axis(svg, sy, kLeft, kRight, "LUFS");
  if (target) {
    svg.rect(kLeft, sy(*target + tol), kRight - kLeft, sy(*target - tol) - sy(*target + tol),
             rc::kTargetBand, "band");
    svg.line(kLeft, sy(*target), kRight, sy(*target), "#2e7d32", "stroke-dasharray=\"6 4\"");
    svg.rect(kLeft + 420, 12, 12, 12, rc::kTargetBand, "key");
    svg.text(kLeft + 436, 23, "target " + fmt(*target) + " LUFS +- " + fmt(tol) + " LU");
  }
  svg.rect(kLeft, 12, 12, 12, rc::kLoudnessBefore, "key");
  svg.text(kLeft + 16, 23, "before (input)");
  svg.rect(kLeft + 140, 12, 12, 12, rc::kLoudnessAfter, "key");
  svg.text(kLeft + 156, 23, "after (delivered, measured by QA)");
  const double group = (kRight - kLeft) / static_cast<double>(n), bar = group * 0.38;
  const size_t label_every = (n + 39) / 40;
  for (size_t i = 0; i < n; ++i) {
    const double x = kLeft + group * static_cast<double>(i) + group * 0.12;
    const std::string shot = "shot " + std::to_string(i);
    if (before[i]) {
      svg.rect(x, sy(*before[i]), bar, kBottom - sy(*before[i]), rc::kLoudnessBefore, "before",
               shot + " before: " + fmt(*before[i]) + " LUFS");
    }
    if (after[i]) {
      svg.rect(x + bar, sy(*after[i]), bar, kBottom - sy(*after[i]), rc::kLoudnessAfter, "after",
               shot + " after: " + fmt(*after[i]) + " LUFS");
    }
    if (i % label_every == 0) svg.text(x + bar, kBottom + 16, std::to_string(i), "middle");
  }
  svg.text(kRight, kBottom + 34, "shot", "end");
  return svg.str();
}

std::string crop_chart(const json& r) {
  const json& crop = get(get(r, "run"), "crop");
  const double src_w = finite(get(crop, "src_width")).value_or(0.0);
  struct Point {
    double t, x, w;
  };
  std::vector<Point> points;
  for (const json& p : list(crop, "points")) {
    if (!p.is_array() || p.size() < 5) continue;
    const auto t = finite(p[0]), x = finite(p[1]), w = finite(p[3]);
    if (t && x && w) points.push_back({*t, *x, *w});
  }
  if (points.empty() || src_w <= 0) return note("No crop path in this report.");
  constexpr double kTop = 40, kBottom = 250;
  Svg svg("chart-crop", kWidth, kBottom + 46, rc::kCropBg);
  const Scale sx{0.0, std::max(points.back().t, 1e-3), kLeft, kRight};
  const Scale sy{0.0, src_w, kTop, kBottom};  // source x grows downwards, like a timeline
  svg.rect(kLeft, kTop, kRight - kLeft, kBottom - kTop, rc::kFrame, "frame");
  y_axis(svg, sy, kLeft, kLeft, "source x, px");
  std::string band, centre;
  for (const Point& p : points) band += fmt(sx(p.t)) + "," + fmt(sy(p.x)) + " ";
  for (auto it = points.rbegin(); it != points.rend(); ++it) {
    band += fmt(sx(it->t)) + "," + fmt(sy(it->x + it->w)) + " ";
  }
  for (const Point& p : points) centre += fmt(sx(p.t)) + "," + fmt(sy(p.x + p.w / 2)) + " ";
  svg.shape("polygon", "window", band, "fill=\"" + std::string(rc::kCropWindow) + "\"");
  svg.shape("polyline", "centre", centre,
            "fill=\"none\" stroke=\"" + std::string(rc::kCropCentre) + "\" stroke-width=\"3\"");
  svg.rect(kLeft, 12, 12, 12, rc::kFrame, "key");
  svg.text(kLeft + 16, 23, "source frame, " + fmt(src_w, 0) + " px wide");
  svg.rect(kLeft + 220, 12, 12, 12, rc::kCropWindow, "key");
  svg.text(kLeft + 236, 23, "crop window");
  svg.rect(kLeft + 350, 12, 12, 12, rc::kCropCentre, "key");
  svg.text(kLeft + 366, 23, "its x centre");
  x_axis(svg, sx, kBottom + 2, "output time, s");
  return svg.str();
}

std::string phases_chart(const json& r) {
  struct Phase {
    std::string name;
    double start_s, wall_s;
    std::optional<double> fps;
  };
  std::vector<Phase> phases;
  for (const json& p : list(get(r, "run"), "phases")) {
    phases.push_back({text_of(get(p, "name")), num(get(p, "start_s")).value_or(0.0),
                      num(get(p, "wall_s")).value_or(0.0), finite(get(p, "fps"))});
  }
  const json& qa = get(r, "qa");
  if (phases.empty() && finite(get(qa, "wall_s"))) {  // framefarm qa on its own
    phases.push_back({"qa", 0.0, *finite(get(qa, "wall_s")), std::nullopt});
    if (const auto audio_s = finite(get(qa, "audio_s"))) {
      phases.push_back({"audio (overlapped)", 0.0, *audio_s, std::nullopt});
    }
  }
  if (phases.empty()) return note("No phase timings in this report.");
  std::vector<std::pair<std::string, std::vector<Bar>>> rows;
  std::string table =
      "<table class=\"phases\">\n<tr><th>phase</th><th>start, s</th><th>wall, s</th>"
      "<th>frames/s</th></tr>\n";
  for (const Phase& p : phases) {
    const bool overlapped = p.name.find("overlapped") != std::string::npos;
    const std::string fps = p.fps ? fmt(*p.fps) : "";
    rows.emplace_back(p.name,
                      std::vector<Bar>{{p.start_s, p.start_s + p.wall_s,
                                        overlapped ? rc::kPhaseOverlapped : rc::kPhase, "phase",
                                        p.name + ": " + fmt(p.wall_s, 2) + " s" +
                                            (fps.empty() ? "" : ", " + fps + " fps")}});
    table += "<tr><td>" + html_escape(p.name) + "</td><td>" + fmt(p.start_s, 2) + "</td><td>" +
             fmt(p.wall_s, 2) + "</td><td>" + fps + "</td></tr>\n";
  }
  table += "</table>\n";
  return bar_rows("chart-phases", rc::kPhasesBg, rows,
                  {{rc::kPhase, "phase"}, {rc::kPhaseOverlapped, "overlapped (no wall time)"}},
                  "since the job started, s") +
         table;
}

std::string checks_table(const json& r) {
  std::string out =
      "<table class=\"checks\">\n<tr><th>check</th><th>value</th><th>rule</th><th>verdict</th>"
      "<th>detail</th></tr>\n";
  for (const json& c : list(r, "checks")) {
    const std::string verdict = text_of(get(c, "verdict"));
    const std::string unit = text_of(get(c, "unit"));
    std::string rule;
    if (get(c, "op") == "within") {
      rule = text_of(get(c, "threshold")) + " +- " + text_of(get(c, "tolerance"));
    } else if (get(c, "op").is_string()) {
      rule = text_of(get(c, "op")) + " " + text_of(get(c, "threshold"));
    }
    if (!rule.empty() && !unit.empty()) rule += " " + unit;
    std::string value = text_of(get(c, "value"));
    if (!value.empty() && !unit.empty() && get(c, "value").is_number()) value += " " + unit;
    const std::string cls =
        verdict == "pass" || verdict == "fail" || verdict == "na" || verdict == "info" ? verdict
                                                                                       : "other";
    out += "<tr class=\"" + cls + "\"><td>" + esc(get(c, "name")) + "</td><td>" +
           html_escape(value) + "</td><td>" + html_escape(rule) + "</td><td class=\"verdict\">" +
           html_escape(verdict) + "</td><td>" + esc(get(c, "detail")) + "</td></tr>\n";
  }
  return out + "</table>\n";
}

std::string ranks_table(const json& r) {
  const json& ranks = list(get(r, "run"), "ranks");
  if (ranks.empty()) return note("No per-rank usage in this report (framefarm run writes it).");
  std::string out =
      "<table class=\"ranks\">\n<tr><th>rank</th><th>host</th><th>peak RSS, MB</th>"
      "<th>CPU, s</th><th>wall, s</th></tr>\n";
  for (const json& k : ranks) {
    out += "<tr><td>" + esc(get(k, "rank")) + "</td><td>" + esc(get(k, "host")) + "</td><td>" +
           fmt(finite(get(k, "peak_rss_mb")).value_or(0.0)) + "</td><td>" +
           fmt(finite(get(k, "cpu_s")).value_or(0.0), 2) + "</td><td>" +
           fmt(finite(get(k, "wall_s")).value_or(0.0), 2) + "</td></tr>\n";
  }
  return out + "</table>\n";
}

std::string summary(const json& r) {
  const bool pass = get(r, "verdict") == "pass";
  std::string failed;
  for (const json& f : list(r, "failed")) failed += (failed.empty() ? "" : ", ") + text_of(f);
  std::string out =
      "<p class=\"verdict " + std::string(pass ? "pass" : "fail") + "\">" +
      (pass ? std::string("QA passed: no check failed") : "QA FAILED: " + html_escape(failed)) +
      "</p>\n<table class=\"meta\">\n";
  const json& run = get(r, "run");
  const std::pair<const char*, const json*> rows[] = {{"output", &get(r, "output")},
                                                      {"input", &get(r, "input")},
                                                      {"work directory", &get(r, "workdir")},
                                                      {"encoder", &get(r, "encoder")},
                                                      {"device", &get(run, "device")},
                                                      {"job wall time, s", &get(r, "job_wall_s")},
                                                      {"QA ranks", &get(get(r, "qa"), "ranks")},
                                                      {"framefarm", &get(r, "framefarm_version")},
                                                      {"schema", &get(r, "schema")}};
  for (const auto& [label, value] : rows) {
    if (value->is_null()) continue;
    out += "<tr><th>" + std::string(label) + "</th><td>" + esc(*value) + "</td></tr>\n";
  }
  return out + "</table>\n";
}

constexpr const char* kStyle = R"(
body { font-family: sans-serif; margin: 16px 24px; color: #222222; width: 1120px; }
h1 { font-size: 22px; margin: 4px 0; }
h2 { font-size: 17px; margin: 20px 0 6px 0; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #cccccc; padding: 3px 6px; text-align: left; vertical-align: top; }
table.meta th { background: #f2f2f2; }
tr.fail td { background: #fde2e1; }
tr.fail td.verdict { color: #b00020; font-weight: bold; }
tr.pass td.verdict { color: #1b5e20; }
tr.na td.verdict, tr.info td.verdict { color: #666666; }
p.verdict { font-size: 18px; font-weight: bold; padding: 8px 12px; margin: 8px 0; }
p.verdict.pass { background: #e3f4e4; color: #1b5e20; }
p.verdict.fail { background: #fde2e1; color: #b00020; }
p.note { color: #666666; font-size: 13px; margin: 4px 0; }
svg { display: block; font-size: 11px; }
svg text { fill: #333333; }
)";

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string report_html(const nlohmann::json& r) {
  const std::string output = text_of(get(r, "output"));
  std::string page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n";
  page += "<title>framefarm report: " + html_escape(output) + "</title>\n";
  page += "<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n";
  page += "<h1>framefarm report: " + html_escape(output) + "</h1>\n";
  page += section("summary", "Verdict", summary(r));
  page += section("checks", "Checks", checks_table(r));
  page +=
      section("timeline", "Timeline: shots, takes, render segments, QA ranges", timeline_chart(r));
  page += section("gantt", "Render: which rank rendered which segment, and when", gantt_chart(r));
  page += section("loudness", "Loudness per shot, before and after", loudness_chart(r));
  page += section("crop", "Crop window over time", crop_chart(r));
  page += section("phases", "Phase timings", phases_chart(r));
  page += section("ranks", "Ranks", ranks_table(r));
  return page + "</body>\n</html>\n";
}

}  // namespace ff::coordinator
