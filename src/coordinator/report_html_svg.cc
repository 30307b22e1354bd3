#include "coordinator/report_html_svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "coordinator/report_html.h"

namespace ff::coordinator::report_svg {

// ---- reading the report: missing or oddly typed keys read as absent ----

const json& get(const json& j, const char* key) {
  static const json null_value;
  return j.is_object() && j.contains(key) ? j.at(key) : null_value;
}

const json& list(const json& j, const char* key) {
  static const json empty = json::array();
  const json& v = get(j, key);
  return v.is_array() ? v : empty;
}

// Numbers, and report.json's "-inf" / "inf" / "nan".
std::optional<double> num(const json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s == "-inf") return -std::numeric_limits<double>::infinity();
    if (s == "inf") return std::numeric_limits<double>::infinity();
    if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
  }
  return std::nullopt;
}

std::optional<double> finite(const json& v) {
  const auto d = num(v);
  return d && std::isfinite(*d) ? d : std::nullopt;
}

std::string fmt(double v, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, v);
  return text;
}

std::string text_of(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
  if (v.is_number()) {
    const double d = v.get<double>();
    return fmt(d, d == std::round(d) ? 0 : std::fabs(d) >= 100 ? 1 : 3);
  }
  return v.dump();
}

// ---- a small SVG writer: coordinates in px, a fixed size per chart ----

Svg::Svg(std::string id, double width, double height, const char* background)
    : id_(std::move(id)), width_(width), height_(height) {
  rect(0, 0, width, height, background, "bg");
}

void Svg::rect(double x, double y, double w, double h, const std::string& fill,
               const std::string& cls, const std::string& title, const std::string& extra) {
  body_ += "<rect " + extra + "class=\"" + cls + "\" x=\"" + fmt(x) + "\" y=\"" + fmt(y) +
           "\" width=\"" + fmt(std::max(w, 1.0)) + "\" height=\"" + fmt(std::max(h, 1.0)) +
           "\" fill=\"" + fill + "\"";
  body_ += title.empty() ? "/>" : "><title>" + html_escape(title) + "</title></rect>";
  body_ += "\n";
}

void Svg::line(double x1, double y1, double x2, double y2, const std::string& stroke,
               const std::string& extra) {
  body_ += "<line x1=\"" + fmt(x1) + "\" y1=\"" + fmt(y1) + "\" x2=\"" + fmt(x2) + "\" y2=\"" +
           fmt(y2) + "\" stroke=\"" + stroke + "\" " + extra + "/>\n";
}

void Svg::text(double x, double y, const std::string& s, const char* anchor) {
  body_ += "<text x=\"" + fmt(x) + "\" y=\"" + fmt(y) + "\" text-anchor=\"" + anchor + "\">" +
           html_escape(s) + "</text>\n";
}

void Svg::shape(const char* tag, const std::string& cls, const std::string& points,
                const std::string& paint) {
  body_ +=
      std::string("<") + tag + " class=\"" + cls + "\" points=\"" + points + "\" " + paint + "/>\n";
}

std::string Svg::str() const {
  return "<svg id=\"" + id_ + "\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + fmt(width_, 0) +
         "\" height=\"" + fmt(height_, 0) + "\" viewBox=\"0 0 " + fmt(width_, 0) + " " +
         fmt(height_, 0) + "\">\n" + body_ + "</svg>\n";
}

// Tick values at 1, 2 or 5 x 10^k, about `count` of them.
std::vector<double> ticks(double lo, double hi, int count) {
  std::vector<double> out;
  if (!(hi > lo)) return out;
  const double raw = (hi - lo) / count, mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double step = raw / mag < 1.5   ? mag
                      : raw / mag < 3.5 ? 2 * mag
                      : raw / mag < 7.5 ? 5 * mag
                                        : 10 * mag;
  for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push_back(t);
  return out;
}

void x_axis(Svg& svg, const Scale& sx, double y, const std::string& unit) {
  svg.line(sx.a, y, sx.b, y, "#555555");
  for (double t : ticks(sx.lo, sx.hi)) {
    svg.line(sx(t), y, sx(t), y + 4, "#555555");
    svg.text(sx(t), y + 16, fmt(t, std::fabs(t) < 10 && t != std::round(t) ? 1 : 0), "middle");
  }
  svg.text(sx.b, y + 30, unit, "end");
}

void y_axis(Svg& svg, const Scale& sy, double x, double x_end, const std::string& unit) {
  for (double t : ticks(std::min(sy.lo, sy.hi), std::max(sy.lo, sy.hi), 5)) {
    svg.line(x, sy(t), x_end, sy(t), "#e0e0e0");
    svg.text(x - 6, sy(t) + 4, fmt(t, 0), "end");
  }
  svg.text(x - 6, std::min(sy.a, sy.b) - 8, unit, "end");
}

std::string note(const std::string& text) {
  return "<p class=\"note\">" + html_escape(text) + "</p>\n";
}

// Rows of bars over one time axis, labelled on the left; `legend`: colour
// and label pairs shown above.
std::string bar_rows(const std::string& id, const char* background,
                     const std::vector<std::pair<std::string, std::vector<Bar>>>& rows,
                     const std::vector<std::pair<const char*, std::string>>& legend,
                     const std::string& unit) {
  double end = 0.0;
  for (const auto& [label, bars] : rows) {
    for (const Bar& b : bars) end = std::max(end, b.end);
  }
  constexpr double kTop = 34, kRow = 30;
  Svg svg(id, kWidth, kTop + kRow * static_cast<double>(rows.size()) + 44, background);
  double lx = kLeft;
  for (const auto& [fill, label] : legend) {
    svg.rect(lx, 10, 12, 12, fill, "key");
    svg.text(lx + 16, 21, label);
    lx += 24 + 7.5 * static_cast<double>(label.size());
  }
  const Scale sx{0.0, end > 0 ? end : 1.0, kLeft, kRight};
  for (size_t i = 0; i < rows.size(); ++i) {
    const double y = kTop + kRow * static_cast<double>(i);
    svg.text(kLeft - 8, y + kRow / 2 + 4, rows[i].first, "end");
    for (const Bar& b : rows[i].second) {
      svg.rect(sx(b.start), y + 4, sx(b.end) - sx(b.start), kRow - 8, b.fill, b.cls, b.title,
               "stroke=\"#ffffff\" ");
    }
  }
  x_axis(svg, sx, kTop + kRow * static_cast<double>(rows.size()) + 2, unit);
  return svg.str();
}

}  // namespace ff::coordinator::report_svg
