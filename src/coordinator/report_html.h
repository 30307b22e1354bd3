#pragma once
// report.html: report.json (docs/report-schema.md) as one self-contained page
// a person would rather look at than read. Inline CSS and inline SVG only: no
// script, no font, no network, so it opens offline and in a mail attachment.
//
// Sections, each drawn only when the report has its data (a `framefarm qa
// FILE` report has no `run` object and gets the checks, the timeline of
// shots and QA ranges, the loudness after and the QA timing):
//   verdict and checks   the checks table, failed rows marked;
//   timeline             shots (by kind), render segments, QA ranges over
//                        output time;             <svg id="chart-timeline">
//   render Gantt         one row per rank, a bar per segment from its start
//                        to its end on the render's clock;  "chart-gantt"
//   loudness             per shot, before (the audio phase's input) and
//                        after (measured by QA on the delivery) with the
//                        target band +- loudness.integrated's tolerance;
//                                                  "chart-loudness"
//   crop window          the window's extent and its x centre over output
//                        time, inside the source frame's width; "chart-crop"
//   phases               each phase's bar from its start to its end, with
//                        wall seconds and fps;     "chart-phases"
//   ranks                host, peak RSS, CPU and wall seconds per rank.
// The document is well-formed XML as well as HTML (every element closed,
// only the five XML entities), every string from the report is escaped, and
// each series has its own fill colour (below), so tests can find the charts
// in the markup and in a screenshot.
//
//   const nlohmann::json report = nlohmann::json::parse(report_json_text);
//   core::write_file_atomically(dir / "report.html", report_html(report));
#include <nlohmann/json.hpp>
#include <string>

namespace ff::coordinator {

// The page for `report` (report.json's object). Never throws for missing or
// oddly typed keys: what it cannot read it leaves out.
std::string report_html(const nlohmann::json& report);

// "<a & 'b'>" -> "&lt;a &amp; &#39;b&#39;&gt;" (also for attribute values).
std::string html_escape(const std::string& text);

// Fill colours, one per series ("#rrggbb"). Each chart's background is its
// own light tint, so a screenshot shows where each chart is.
namespace report_colours {
inline constexpr const char* kTimelineBg = "#f4f7fb";
inline constexpr const char* kGanttBg = "#fbf4f4";
inline constexpr const char* kLoudnessBg = "#f4fbf5";
inline constexpr const char* kCropBg = "#fbfaf0";
inline constexpr const char* kPhasesBg = "#f7f4fb";
inline constexpr const char* kShotSpeaker = "#4e79a7";  // shot kinds
inline constexpr const char* kShotFaces = "#76b7b2";
inline constexpr const char* kShotNoFace = "#bab0ac";
inline constexpr const char* kTakeA = "#499894";  // takes alternate A, B
inline constexpr const char* kTakeB = "#8cd17d";
inline constexpr const char* kSegmentA = "#f28e2b";  // segments alternate A, B
inline constexpr const char* kSegmentB = "#edc948";
inline constexpr const char* kRangeA = "#b07aa1";  // QA ranges alternate A, B
inline constexpr const char* kRangeB = "#ff9da7";
inline constexpr const char* kLoudnessBefore = "#9c755f";
inline constexpr const char* kLoudnessAfter = "#59a14f";
inline constexpr const char* kTargetBand = "#cfe8cf";
inline constexpr const char* kFrame = "#dcdcdc";       // the source frame's width
inline constexpr const char* kCropWindow = "#f1ce63";  // the window's extent
inline constexpr const char* kCropCentre = "#e15759";  // its x centre (a line)
inline constexpr const char* kPhase = "#3d5a80";
inline constexpr const char* kPhaseOverlapped = "#98c1d9";
// Gantt rows: rank r has kRanks[r % 10].
inline constexpr const char* kRanks[10] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                           "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
}  // namespace report_colours

}  // namespace ff::coordinator
