// report.html (coordinator/report_html.h): well-formed, every chart with one
// mark per input item, strings escaped, degrading without `run`; and a real
// run's report rendered by headless Chromium, its screenshot showing each
// chart's colours where that chart is drawn.
#include "coordinator/report_html.h"

#include <gtest/gtest.h>

#include <array>
#include <fstream>
#include <opencv2/core.hpp>
#include <sstream>

#include "support/testenv.h"

namespace ff::coordinator {
namespace {

using nlohmann::json;
using test::run_command;
using test::shell_quote;
namespace rc = report_colours;

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Parses the page as XML with Python's xml.etree (an independent parser) and
// returns, per <svg id>, the count and the fills of each class, the number of
// <script> elements and the <h1> text as the parser decoded it.
json parse_page(const std::string& html, const test::TempDir& dir) {
  const auto page = dir / "page.html", script = dir / "parse.py";
  std::ofstream(page, std::ios::binary) << html;
  std::ofstream(script) << R"(import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
svg_ns = '{http://www.w3.org/2000/svg}'
charts = {}
for svg in root.iter(svg_ns + 'svg'):
    counts, fills = {}, {}
    for el in svg.iter():
        for cls in (el.get('class') or '').split():
            counts[cls] = counts.get(cls, 0) + 1
            fills.setdefault(cls, set()).add(el.get('fill') or el.get('stroke'))
    charts[svg.get('id')] = {'count': counts, 'fills': {k: sorted(v) for k, v in fills.items()}}
print(json.dumps({'charts': charts, 'scripts': len(root.findall('.//script')),
                  'h1': root.find('.//h1').text}))
)";
  const auto r = run_command("/usr/bin/python3 " + shell_quote(script.string()) + " " +
                             shell_quote(page.string()));
  EXPECT_EQ(r.exit_code, 0) << "not well-formed: " << r.err;
  return r.exit_code == 0 ? json::parse(r.out) : json::object();
}

json check(const std::string& name, const json& value, const std::string& verdict) {
  return {{"name", name},   {"value", value},     {"op", "<="},     {"threshold", 0},
          {"unit", "LUFS"}, {"verdict", verdict}, {"detail", "why"}};
}

// A report as `framefarm qa FILE` writes it: checks, loudness, QA ranges.
json qa_report() {
  json loud = check("loudness.integrated", -16.1, "pass");
  loud["op"] = "within";
  loud["threshold"] = -16.0;
  loud["tolerance"] = 0.5;
  return {{"schema", "framefarm.report/1"},
          {"output", "<script>alert('x')</script>&.mp4"},
          {"verdict", "fail"},
          {"failed", {"decode.errors"}},
          {"encoder", "x264 core 164"},
          {"checks", {check("decode.errors", 2, "fail"), loud}},
          {"loudness",
           {{"target_lufs", -16.0},
            {"programme_lufs", -16.1},
            {"shots",
             {{{"index", 0}, {"start_s", 0.0}, {"end_s", 2.0}, {"lufs", -16.2}},
              {{"index", 1}, {"start_s", 2.0}, {"end_s", 3.0}, {"lufs", -15.9}},
              {{"index", 2}, {"start_s", 3.0}, {"end_s", 4.0}, {"lufs", "-inf"}}}}}},
          {"qa",
           {{"ranks", 2},
            {"wall_s", 3.5},
            {"audio_s", 1.2},
            {"ranges",
             {{{"id", 0}, {"rank", 0}, {"start_s", 0.0}, {"end_s", 2.5}},
              {{"id", 1}, {"rank", 1}, {"start_s", 2.5}, {"end_s", 4.0}}}}}}};
}

// The same plus what `framefarm run` adds: three shots, three segments on
// ranks 0 and 2 (one reused), the audio before/after, a crop path, phases.
json run_report() {
  json r = qa_report();
  json segment = {{"id", 0},   {"shot", 0},      {"start_time_s", 0.0}, {"end_time_s", 2.0},
                  {"rank", 0}, {"start_s", 0.0}, {"seconds", 1.5},      {"reused", false}};
  json s1 = segment, s2 = segment;
  s1.update({{"id", 1}, {"start_time_s", 2.0}, {"end_time_s", 3.0}, {"rank", 2}});
  s2.update(
      {{"id", 2}, {"start_time_s", 3.0}, {"end_time_s", 4.0}, {"start_s", 1.5}, {"reused", true}});
  json points = json::array();
  for (int i = 0; i <= 16; ++i) points.push_back({i * 0.25, 100.0 + i, 0.0, 202.0, 360.0});
  r["run"] = {
      {"phases",
       {{{"name", "probe"}, {"start_s", 0.0}, {"wall_s", 0.1}},
        {{"name", "render"}, {"start_s", 0.2}, {"wall_s", 3.0}, {"fps", 40.0}},
        {{"name", "audio (overlapped)"}, {"start_s", 0.2}, {"wall_s", 1.0}},
        {{"name", "<qa>"}, {"start_s", 3.3}, {"wall_s", 1.0}}}},
      {"fps", 30},
      {"shots",
       {{{"id", 0},
         {"start_s", 0.0},
         {"end_s", 2.0},
         {"kind", "speaker"},
         {"takes",
          {{{"out_frames", {0, 25}}, {"crop_mode", "steady"}, {"speaker", 0}},
           {{"out_frames", {25, 60}}, {"crop_mode", "track"}, {"speaker", 1}}}}},
        {{"id", 1},
         {"start_s", 2.0},
         {"end_s", 3.0},
         {"kind", "no face"},
         {"takes", {{{"out_frames", {60, 90}}, {"crop_mode", "steady"}, {"speaker", nullptr}}}}},
        {{"id", 2}, {"start_s", 3.0}, {"end_s", 4.0}, {"kind", "faces, no speaker"}}}},
      {"segments", {segment, s1, s2}},
      {"audio",
       {{"target_lufs", -16.0},
        {"shots",
         {{{"lufs_before", -22.0}}, {{"lufs_before", -28.5}}, {{"lufs_before", "-inf"}}}}}},
      {"crop", {{"src_width", 640}, {"points", points}}},
      {"ranks", {{{"rank", 0}, {"host", "<node>"}, {"peak_rss_mb", 200.0}}}},
      {"device", "cpu"}};
  return r;
}

TEST(ReportHtml, EveryChartHasOneMarkPerItem) {
  test::TempDir dir("report-html");
  const json page = parse_page(report_html(run_report()), dir);
  const json& charts = page.at("charts");
  const json& timeline = charts.at("chart-timeline").at("count");
  EXPECT_EQ(timeline.at("shot"), 3);
  EXPECT_EQ(timeline.at("segment"), 3);
  EXPECT_EQ(timeline.at("range"), 2);
  EXPECT_EQ(timeline.at("take"), 3) << "every take of every shot, once one shot has a speaker cut";
  EXPECT_EQ(charts.at("chart-timeline").at("fills").at("take"), json({rc::kTakeA, rc::kTakeB}));
  EXPECT_EQ(charts.at("chart-timeline").at("fills").at("shot"),
            json({rc::kShotSpeaker, rc::kShotFaces, rc::kShotNoFace}));
  const json& gantt = charts.at("chart-gantt");
  EXPECT_EQ(gantt.at("count").at("task"), 3);
  EXPECT_EQ(gantt.at("count").at("reused"), 1);
  EXPECT_EQ(gantt.at("fills").at("task"), json({rc::kRanks[0], rc::kRanks[2]}))
      << "each bar in its rank's colour";
  const json& loudness = charts.at("chart-loudness").at("count");
  EXPECT_EQ(loudness.at("before"), 2) << "the -inf (silent) shot has no bar";
  EXPECT_EQ(loudness.at("after"), 2);
  EXPECT_EQ(loudness.at("band"), 1);
  const json& crop = charts.at("chart-crop").at("count");
  EXPECT_EQ(crop.at("window"), 1);
  EXPECT_EQ(crop.at("centre"), 1);
  EXPECT_EQ(crop.at("frame"), 1);
  EXPECT_EQ(charts.at("chart-phases").at("count").at("phase"), 4);
  EXPECT_EQ(charts.at("chart-phases").at("fills").at("phase"),
            json({rc::kPhase, rc::kPhaseOverlapped}));
}

TEST(ReportHtml, StringsAreEscaped) {
  test::TempDir dir("report-html");
  const std::string html = report_html(run_report());
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<qa>"), std::string::npos);
  EXPECT_EQ(html.find("<node>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;.mp4"),
            std::string::npos);
  const json page = parse_page(html, dir);
  EXPECT_EQ(page.at("scripts"), 0);
  EXPECT_EQ(page.at("h1"), "framefarm report: <script>alert('x')</script>&.mp4")
      << "the parser reads back the original text";
  EXPECT_EQ(html_escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
}

TEST(ReportHtml, QaOnlyReportGetsTheChartsItsDataAllows) {
  test::TempDir dir("report-html");
  const std::string html = report_html(qa_report());
  const json charts = parse_page(html, dir).at("charts");
  EXPECT_EQ(charts.at("chart-timeline").at("count").at("shot"), 3) << "loudness shots";
  EXPECT_EQ(charts.at("chart-timeline").at("count").at("range"), 2);
  EXPECT_FALSE(charts.at("chart-timeline").at("count").contains("segment"));
  EXPECT_EQ(charts.at("chart-loudness").at("count").at("after"), 2);
  EXPECT_FALSE(charts.at("chart-loudness").at("count").contains("before"));
  EXPECT_EQ(charts.at("chart-phases").at("count").at("phase"), 2) << "qa and its audio";
  EXPECT_FALSE(charts.contains("chart-gantt"));
  EXPECT_FALSE(charts.contains("chart-crop"));
  EXPECT_NE(html.find("No render segments in this report"), std::string::npos);
  EXPECT_NE(html.find("QA FAILED: decode.errors"), std::string::npos);
}

TEST(ReportHtml, OddInputStillGivesAPage) {
  test::TempDir dir("report-html");
  for (const json& odd : {json::array(), json::object(), json({{"checks", 3}, {"run", "x"}})}) {
    const json charts = parse_page(report_html(odd), dir).at("charts");
    EXPECT_TRUE(charts.empty()) << odd;
  }
}

// ---- the real thing: a run's report.html in headless Chromium ----

cv::Vec3b rgb(const char* hex) {
  const unsigned long v = std::stoul(std::string(hex + 1), nullptr, 16);
  return {static_cast<uchar>(v >> 16), static_cast<uchar>((v >> 8) & 0xff),
          static_cast<uchar>(v & 0xff)};
}

bool near(const cv::Vec3b& a, const cv::Vec3b& b, int tolerance) {
  for (int c = 0; c < 3; ++c) {
    if (std::abs(int(a[c]) - int(b[c])) > tolerance) return false;
  }
  return true;
}

// The bounding box of the pixels of exactly `colour` (a chart's background).
cv::Rect box_of(const cv::Mat& image, const char* colour) {
  const cv::Vec3b want = rgb(colour);
  int x0 = image.cols, y0 = image.rows, x1 = -1, y1 = -1;
  for (int y = 0; y < image.rows; ++y) {
    for (int x = 0; x < image.cols; ++x) {
      if (image.at<cv::Vec3b>(y, x) == want) {
        x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x), y1 = std::max(y1, y);
      }
    }
  }
  return x1 < 0 ? cv::Rect() : cv::Rect(x0, y0, x1 - x0 + 1, y1 - y0 + 1);
}

int count_in(const cv::Mat& image, const cv::Rect& box, const char* colour) {
  const cv::Vec3b want = rgb(colour);
  int n = 0;
  for (int y = box.y; y < box.y + box.height; ++y) {
    for (int x = box.x; x < box.x + box.width; ++x) n += near(image.at<cv::Vec3b>(y, x), want, 2);
  }
  return n;
}

TEST(ReportHtmlInChromium, ARunsReportRendersEveryChart) {
  if (!std::filesystem::exists("/usr/bin/chromium")) {
    GTEST_SKIP() << "/usr/bin/chromium is missing: install Debian's chromium package "
                    "(scripts/packages.txt) to check report.html in a browser";
  }
  test::TempDir dir("report-chromium");
  // The first 8 s of the call (two shots), so the run takes seconds.
  const auto clip = dir / "clip.mp4", out = dir / "call.mp4";
  const auto cut = run_command("ffmpeg -nostdin -v error -i " +
                               shell_quote(test::recording("call.mp4").string()) +
                               " -t 8 -c copy " + shell_quote(clip.string()));
  ASSERT_EQ(cut.exit_code, 0) << cut.err;
  const auto run = test::run_framefarm(
      "run " + shell_quote((test::source_dir() / "jobs/demo.toml").string()) + " --input " +
      shell_quote(clip.string()) + " --output " + shell_quote(out.string()) +
      " --set output.width=360 --set output.height=640");
  ASSERT_EQ(run.exit_code, 0) << run.err << run.out;
  const auto html = dir / "call.mp4.work" / "report.html";
  EXPECT_NE(run.out.find("report: " + (dir / "call.mp4.work" / "report.json").string() + " and " +
                         html.string()),
            std::string::npos)
      << run.out;
  ASSERT_TRUE(std::filesystem::exists(html));

  const auto png = dir / "shot.png", raw = dir / "shot.rgb";
  const auto browser = run_command(
      "timeout 120 /usr/bin/chromium --headless --no-sandbox --disable-gpu "
      "--disable-dev-shm-usage --disable-background-networking --no-first-run "
      "--hide-scrollbars --force-color-profile=srgb --window-size=1200,3000 --screenshot=" +
      shell_quote(png.string()) + " --dump-dom " + shell_quote("file://" + html.string()));
  ASSERT_EQ(browser.exit_code, 0) << browser.err;
  for (const char* id :
       {"chart-timeline", "chart-gantt", "chart-loudness", "chart-crop", "chart-phases"}) {
    EXPECT_NE(browser.out.find("<svg id=\"" + std::string(id) + "\""), std::string::npos)
        << id << " is not in the rendered DOM";
  }
  const auto convert = run_command("ffmpeg -nostdin -v error -y -i " + shell_quote(png.string()) +
                                   " -f rawvideo -pix_fmt rgb24 " + shell_quote(raw.string()));
  ASSERT_EQ(convert.exit_code, 0) << convert.err;
  std::string pixels = slurp(raw);
  ASSERT_EQ(pixels.size(), 1200u * 3000u * 3u) << "a 1200x3000 screenshot";
  const cv::Mat image(3000, 1200, CV_8UC3, pixels.data());
  cv::Scalar mean, stddev;
  cv::meanStdDev(image, mean, stddev);
  EXPECT_GT(stddev[0] + stddev[1] + stddev[2], 10.0) << "the screenshot is blank";

  struct Chart {
    const char* background;
    std::vector<const char*> series;
  };
  const std::array<Chart, 5> charts{{
      {rc::kTimelineBg, {rc::kShotSpeaker, rc::kTakeA, rc::kSegmentA, rc::kRangeA}},
      {rc::kGanttBg, {rc::kRanks[0]}},
      {rc::kLoudnessBg, {rc::kLoudnessBefore, rc::kLoudnessAfter, rc::kTargetBand}},
      {rc::kCropBg, {rc::kFrame, rc::kCropWindow, rc::kCropCentre}},
      {rc::kPhasesBg, {rc::kPhase, rc::kPhaseOverlapped}},
  }};
  int previous_bottom = 0;
  for (const Chart& chart : charts) {
    const cv::Rect box = box_of(image, chart.background);
    ASSERT_GT(box.area(), 1000 * 50) << chart.background << ": chart not on the screenshot";
    EXPECT_GE(box.y, previous_bottom) << chart.background << " overlaps the chart above";
    previous_bottom = box.y + box.height;
    for (const char* colour : chart.series) {
      EXPECT_GT(count_in(image, box, colour), 20)
          << "no " << colour << " in the chart on " << chart.background;
    }
  }
}

}  // namespace
}  // namespace ff::coordinator
