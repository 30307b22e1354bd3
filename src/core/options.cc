// Job options: enum names, key lists, text helpers, defaults and the small
// queries of options.h. Parsing is in options_parse.cc, cross-field checks in
// options_validate.cc, the TOML writer in options_write.cc.
#include "core/options.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "core/build_config.h"
#include "core/error.h"
#include "core/options_schema.h"

namespace ff::core {

std::string_view to_string(Encoder v) {
  return kEncoderNames.at(static_cast<size_t>(v));
}
std::string_view to_string(H264Profile v) {
  return kProfileNames.at(static_cast<size_t>(v));
}
std::string_view to_string(ReframeMode v) {
  return kReframeModeNames.at(static_cast<size_t>(v));
}
std::string_view to_string(FaceDetector v) {
  return kFaceDetectorNames.at(static_cast<size_t>(v));
}
std::string_view to_string(NoFacePolicy v) {
  return kNoFacePolicyNames.at(static_cast<size_t>(v));
}
std::string_view to_string(SpeakerSwitch v) {
  return kSpeakerSwitchNames.at(static_cast<size_t>(v));
}
std::string_view to_string(Device v) {
  return kDeviceNames.at(static_cast<size_t>(v));
}
std::string_view to_string(Rank0Works v) {
  return kRank0WorksNames.at(static_cast<size_t>(v));
}

namespace detail {
namespace {

// Collects key names; ignores fields and ranges.
struct KeyLister {
  std::vector<std::string_view> names;
  void integer(std::string_view key, const int&, int64_t, int64_t) { names.push_back(key); }
  void real(std::string_view key, const double&, double, double) { names.push_back(key); }
  void boolean(std::string_view key, const bool&) { names.push_back(key); }
  void path(std::string_view key, const std::string&) { names.push_back(key); }
  template <class E>
  void choice(std::string_view key, const E&, std::span<const std::string_view>) {
    names.push_back(key);
  }
  void level(std::string_view key, const std::string&, std::span<const std::string_view>) {
    names.push_back(key);
  }
};

struct Schema {
  std::vector<std::string_view> tables;
  std::map<std::string_view, std::vector<std::string_view>> keys;
};

const Schema& schema() {
  static const Schema kSchema = [] {
    Schema s;
    const JobOptions defaults;
    for_each_table(defaults, [&](std::string_view name, const auto& table) {
      KeyLister lister;
      visit_keys(table, lister);
      s.tables.push_back(name);
      s.keys[name] = std::move(lister.names);
    });
    return s;
  }();
  return kSchema;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

const std::vector<std::string_view>& table_names() {
  return schema().tables;
}

const std::vector<std::string_view>& key_names(std::string_view table) {
  static const std::vector<std::string_view> kNone;
  const auto it = schema().keys.find(table);
  return it == schema().keys.end() ? kNone : it->second;
}

const std::string& Origins::at(std::string_view table_key) const {
  const auto it = by_key.find(table_key);
  return it == by_key.end() ? source : it->second;
}

std::string format_number(double value) {
  char buf[64];
  const auto result = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, result.ptr);
}

std::string toml_float(double value) {
  std::string text = format_number(value);
  if (text.find_first_of(".en") == std::string::npos) text += ".0";  // "n": inf, nan
  return text;
}

std::string toml_quote(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(u));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string join_quoted(std::span<const std::string_view> names) {
  std::string out;
  for (const std::string_view name : names) {
    if (!out.empty()) out += ", ";
    out += toml_quote(name);
  }
  return out;
}

std::string_view nearest(std::string_view word, std::span<const std::string_view> candidates) {
  // Up to 1 edit for short words, 2 for longer ones: a typo, not another word.
  const size_t limit = word.size() <= 4 ? 1 : 2;
  std::string_view best;
  size_t best_distance = limit + 1;
  for (const std::string_view candidate : candidates) {
    const size_t d = edit_distance(word, candidate);
    if (d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  return best;
}

}  // namespace detail

JobOptions default_job() {
  JobOptions job;
  detail::Origins origins{"default job", {}};
  detail::validate_job(job, origins);
  return job;
}

const H264Level& output_level(const OutputOptions& output) {
  const H264Level* level = find_h264_level(output.level);
  if (level == nullptr ||
      std::find(kLevelNames.begin(), kLevelNames.end(), output.level) == kLevelNames.end()) {
    throw ConfigError("output.level = " + detail::toml_quote(output.level) +
                      " is not allowed; allowed " + detail::join_quoted(kLevelNames));
  }
  return *level;
}

double resolve_output_fps(const OutputOptions& output, double source_fps) {
  if (output.fps > 0.0) return output.fps;
  if (!(source_fps > 0.0) || !std::isfinite(source_fps)) {
    throw RuntimeError("resolve_output_fps: source frame rate " +
                       detail::format_number(source_fps) + " is not a positive number");
  }
  const H264Level& level = output_level(output);
  // The frame size fits (load_job checked), so some k <= ceil(source_fps) fits.
  for (int k = 1;; ++k) {
    const double fps = source_fps / k;
    if (fits_h264_level(level, output.width, output.height, fps)) return fps;
    if (fps < 1.0) break;
  }
  check_level_fits(output, source_fps);  // throws: the frame alone is too big
  return source_fps;
}

std::filesystem::path cascade_file(const ReframeOptions& reframe) {
  if (!reframe.cascade.empty()) return reframe.cascade;
  return cascade_file(reframe.detector);
}

std::filesystem::path cascade_file(FaceDetector detector) {
  const std::filesystem::path haar_dir = kCascadeDir;  // .../opencv4/haarcascades
  if (detector == FaceDetector::kHaar) {
    return haar_dir / "haarcascade_frontalface_default.xml";
  }
  return haar_dir.parent_path() / "lbpcascades" / "lbpcascade_frontalface_improved.xml";
}

}  // namespace ff::core
