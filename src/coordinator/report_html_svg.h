#pragma once
// Building blocks of report.html (report_html.h), internal to it: tolerant
// reads of report.json values (a missing or oddly typed key reads as absent)
// and a small SVG writer in fixed pixel coordinates.
//
//   Svg svg("chart-x", kWidth, 120, report_colours::kTimelineBg);
//   const Scale sx{0.0, 8.0, kLeft, kRight};          // seconds -> pixels
//   svg.rect(sx(0.5), 30, sx(2.0) - sx(0.5), 20, "#4e79a7", "shot", "shot 0");
//   x_axis(svg, sx, 60, "output time, s");
//   page += svg.str();                                // <svg id="chart-x" ...>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ff::coordinator::report_svg {

using json = nlohmann::json;

// j[key] when j is an object that has it, else a null value.
const json& get(const json& j, const char* key);
// j[key] when it is an array, else an empty array.
const json& list(const json& j, const char* key);
// Numbers, and report.json's "-inf" / "inf" / "nan"; nullopt otherwise.
std::optional<double> num(const json& v);
// num(v) when finite.
std::optional<double> finite(const json& v);
// `v` with `decimals` decimals ("%.*f").
std::string fmt(double v, int decimals = 1);
// Strings as they are, whole numbers without decimals, null as "".
std::string text_of(const json& v);
// <p class="note">text</p>, escaped.
std::string note(const std::string& text);

// One <svg id=...> of a fixed size with a background rect of class "bg".
class Svg {
 public:
  Svg(std::string id, double width, double height, const char* background);
  // A rect of class `cls` (at least 1 px each way) with an optional
  // <title> tooltip; `extra`: more attributes, each followed by a space.
  void rect(double x, double y, double w, double h, const std::string& fill, const std::string& cls,
            const std::string& title = "", const std::string& extra = "");
  void line(double x1, double y1, double x2, double y2, const std::string& stroke,
            const std::string& extra = "");
  void text(double x, double y, const std::string& s, const char* anchor = "start");
  // <polygon> or <polyline> with "x,y x,y ..." points and paint attributes.
  void shape(const char* tag, const std::string& cls, const std::string& points,
             const std::string& paint);
  std::string str() const;

 private:
  std::string id_;
  double width_, height_;
  std::string body_;
};

// Chart width and the plot's left and right edges, px.
inline constexpr double kWidth = 1100, kLeft = 130, kRight = 1080;

// Maps [lo, hi] onto [a, b] (pixels; b < a flips the axis).
struct Scale {
  double lo, hi, a, b;
  double operator()(double v) const { return hi > lo ? a + (v - lo) / (hi - lo) * (b - a) : a; }
};

// Tick values at 1, 2 or 5 x 10^k, about `count` of them, inside [lo, hi].
std::vector<double> ticks(double lo, double hi, int count = 6);
// A horizontal axis at `y` with ticks and `unit` under its right end.
void x_axis(Svg& svg, const Scale& sx, double y, const std::string& unit);
// Grid lines from x to x_end at the ticks of `sy`, labels left of x.
void y_axis(Svg& svg, const Scale& sy, double x, double x_end, const std::string& unit);

struct Bar {
  double start = 0.0, end = 0.0;  // axis units
  const char* fill = "";
  std::string cls, title;
};

// Rows of bars over one axis from 0, labelled on the left, with a legend
// (colour, label) above and the axis below.
std::string bar_rows(const std::string& id, const char* background,
                     const std::vector<std::pair<std::string, std::vector<Bar>>>& rows,
                     const std::vector<std::pair<const char*, std::string>>& legend,
                     const std::string& unit);

}  // namespace ff::coordinator::report_svg
