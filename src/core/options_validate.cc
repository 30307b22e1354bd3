// Cross-field checks of a job, after every key has passed its own range
// check: output size and rate against the H.264 level, presets and CRF values
// that cannot deliver the profile, settings that would make QA fail by design.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "core/options.h"
#include "core/options_schema.h"

namespace ff::core {
namespace {

using detail::format_number;
using detail::Origins;
using detail::toml_quote;

std::string size_text(const OutputOptions& out) {
  return std::to_string(out.width) + "x" + std::to_string(out.height);
}

// The lowest level of kLevelNames above output.level where `fits` holds.
template <class Fits>
const H264Level* higher_level(const OutputOptions& out, Fits fits) {
  const H264Level& current = output_level(out);
  for (const std::string_view name : kLevelNames) {
    const H264Level* level = find_h264_level(name);
    if (level->level_idc > current.level_idc && fits(*level)) return level;
  }
  return nullptr;
}

// Why the frame size does not fit output.level ("" when it does), and what to do.
std::string frame_violation(const OutputOptions& out) {
  const H264Level& level = output_level(out);
  if (fits_h264_frame(level, out.width, out.height)) return "";
  const H264Level* raise = higher_level(
      out, [&](const H264Level& l) { return fits_h264_frame(l, out.width, out.height); });
  const int64_t mbs = frame_macroblocks(out.width, out.height);
  std::string why;
  if (mbs > level.max_fs) {
    why = "is " + std::to_string(mbs) + " macroblocks per frame but H.264 level " +
          std::string(level.name) + " allows " + std::to_string(level.max_fs);
  } else {
    const auto side = static_cast<int64_t>(std::sqrt(static_cast<double>(level.max_fs) * 8.0));
    why = "is " + std::to_string((std::max(out.width, out.height) + 15) / 16) +
          " macroblocks on its longer side but H.264 level " + std::string(level.name) +
          " allows " + std::to_string(side);
  }
  return why + (raise != nullptr ? "; raise output.level to " + std::string(raise->name) +
                                       " or lower the output size"
                                 : "; lower the output size");
}

// Why `fps` at the output size does not fit output.level ("" when it does).
std::string rate_violation(const OutputOptions& out, double fps) {
  const H264Level& level = output_level(out);
  if (fits_h264_level(level, out.width, out.height, fps)) return "";
  const H264Level* raise = higher_level(
      out, [&](const H264Level& l) { return fits_h264_level(l, out.width, out.height, fps); });
  const auto needed = static_cast<int64_t>(
      std::ceil(static_cast<double>(frame_macroblocks(out.width, out.height)) * fps));
  char max_fps_text[32];
  std::snprintf(max_fps_text, sizeof max_fps_text, "%.2f",
                std::floor(max_fps(level, out.width, out.height) * 100.0) / 100.0);
  return "at " + size_text(out) + " needs " + std::to_string(needed) +
         " macroblocks/s but H.264 level " + std::string(level.name) + " allows " +
         std::to_string(level.max_mbps) + " (at most " + max_fps_text + " fps)" +
         (raise != nullptr
              ? "; raise output.level to " + std::string(raise->name) + " or lower output.fps"
              : "; lower output.fps");
}

void check_output(const OutputOptions& out, const Origins& at) {
  for (const auto& [key, value] : {std::pair{"width", out.width}, {"height", out.height}}) {
    if (value % 2 != 0) {
      const std::string name = std::string("output.") + key;
      throw ConfigError(at.at(name) + ": " + name + " = " + std::to_string(value) +
                        " is odd; yuv420p needs an even width and height");
    }
  }
  if (const std::string why = frame_violation(out); !why.empty()) {
    const std::string& where = at.by_key.count("output.width") != 0    ? at.at("output.width")
                               : at.by_key.count("output.height") != 0 ? at.at("output.height")
                                                                       : at.at("output.level");
    throw ConfigError(where + ": output.width x output.height = " + size_text(out) + " " + why);
  }
  if (out.fps > 0.0) {
    if (const std::string why = rate_violation(out, out.fps); !why.empty()) {
      const std::string& where =
          at.by_key.count("output.fps") != 0 ? at.at("output.fps") : at.at("output.level");
      throw ConfigError(where + ": output.fps = " + format_number(out.fps) + " " + why);
    }
  }
  const H264Level& level = output_level(out);
  const int64_t max_kbps = max_bitrate_kbps(level, out.profile);
  if (out.bitrate_kbps > max_kbps) {
    const H264Level* raise = higher_level(out, [&](const H264Level& l) {
      return out.bitrate_kbps <= max_bitrate_kbps(l, out.profile);
    });
    throw ConfigError(
        at.at("output.bitrate_kbps") + ": output.bitrate_kbps = " +
        std::to_string(out.bitrate_kbps) + " exceeds the " + std::to_string(max_kbps) +
        " kbit/s that H.264 level " + std::string(level.name) + " allows for profile " +
        std::string(to_string(out.profile)) + "; lower output.bitrate_kbps" +
        (raise != nullptr ? " or raise output.level to " + std::string(raise->name) : ""));
  }
  if (out.preset == "ultrafast" && out.profile != H264Profile::kBaseline) {
    throw ConfigError(at.at("output.preset") +
                      ": output.preset = \"ultrafast\" cannot deliver output.profile = " +
                      toml_quote(to_string(out.profile)) +
                      ": ultrafast disables CABAC, 8x8 transforms and B-frames, so the stream "
                      "would signal Constrained Baseline; use \"superfast\" or slower, or "
                      "output.profile = \"baseline\"");
  }
  if (out.crf == 0 && out.bitrate_kbps == 0) {
    throw ConfigError(at.at("output.crf") +
                      ": output.crf = 0 makes x264 encode losslessly, which needs profile "
                      "High 4:4:4 Predictive, not " +
                      std::string(to_string(out.profile)) + "; use output.crf = 1 or more");
  }
}

}  // namespace

void check_level_fits(const OutputOptions& output, double fps, std::string_view where) {
  const std::string prefix = where.empty() ? "" : std::string(where) + ": ";
  if (const std::string why = frame_violation(output); !why.empty()) {
    throw ConfigError(prefix + "output size " + size_text(output) + " " + why);
  }
  if (const std::string why = rate_violation(output, fps); !why.empty()) {
    throw ConfigError(prefix + format_number(fps) + " fps " + why);
  }
}

namespace detail {

void validate_job(const JobOptions& job, const Origins& at) {
  check_output(job.output, at);
  if (job.output.encoder == Encoder::kNvenc && job.farm.device == Device::kCpu) {
    throw ConfigError(at.at("output.encoder") +
                      ": output.encoder = \"nvenc\" needs a CUDA device but farm.device = "
                      "\"cpu\"; set output.encoder = \"x264\" or \"auto\", or farm.device = "
                      "\"auto\"");
  }
  if (job.audio.true_peak_dbtp > job.qa.max_true_peak_dbtp) {
    throw ConfigError(
        at.at("audio.true_peak_dbtp") +
        ": audio.true_peak_dbtp = " + format_number(job.audio.true_peak_dbtp) +
        " is above qa.max_true_peak_dbtp = " + format_number(job.qa.max_true_peak_dbtp) +
        ", so QA would fail; lower audio.true_peak_dbtp or raise "
        "qa.max_true_peak_dbtp");
  }
  const std::string& cascade = job.reframe.cascade;
  if (!cascade.empty() && !std::filesystem::is_regular_file(cascade)) {
    throw ConfigError(at.at("reframe.cascade") + ": reframe.cascade = " + toml_quote(cascade) +
                      " is not a readable file; give a cascade XML, or \"\" for opencv-data's");
  }
}

}  // namespace detail
}  // namespace ff::core
