// to_json for the probe: what `framefarm probe FILE` prints.
#include <nlohmann/json.hpp>

#include "media/probe.h"

namespace ff::media {
namespace {

nlohmann::json rational_json(const Rational& r) {
  return {{"num", r.num}, {"den", r.den}, {"value", r.value()}};
}

nlohmann::json video_json(const VideoInfo& v) {
  nlohmann::json keyframes = nlohmann::json::array();
  for (const Keyframe& k : v.keyframes) keyframes.push_back({{"pts", k.pts}, {"pos", k.pos_bytes}});
  return {
      {"stream_index", v.stream_index},
      {"codec", v.codec},
      {"profile", v.profile},
      {"level", v.level},
      {"width", v.width},
      {"height", v.height},
      {"display_width", v.display_width},
      {"display_height", v.display_height},
      {"rotation_deg", v.rotation_deg},
      {"sample_aspect_ratio", rational_json(v.sample_aspect_ratio)},
      {"pix_fmt", v.pix_fmt},
      {"color_primaries", v.color_primaries},
      {"color_transfer", v.color_transfer},
      {"color_space", v.color_space},
      {"color_range", v.color_range},
      {"hdr", v.hdr},
      {"r_frame_rate", rational_json(v.r_frame_rate)},
      {"avg_frame_rate", rational_json(v.avg_frame_rate)},
      {"time_base", rational_json(v.time_base)},
      {"start_pts", v.start_pts},
      {"duration_s", v.duration_s},
      {"frame_count", v.frame_count},
      {"timing",
       {{"vfr", v.timing.vfr},
        {"reference_delta_pts", v.timing.reference_delta_pts},
        {"min_delta_pts", v.timing.min_delta_pts},
        {"max_delta_pts", v.timing.max_delta_pts},
        {"off_grid_deltas", v.timing.off_grid_deltas},
        {"off_grid_interior", v.timing.off_grid_interior}}},
      {"keyframe_count", v.keyframes.size()},
      {"keyframes", std::move(keyframes)},
  };
}

nlohmann::json audio_json(const AudioInfo& a) {
  return {
      {"stream_index", a.stream_index},
      {"codec", a.codec},
      {"profile", a.profile},
      {"sample_rate", a.sample_rate},
      {"channels", a.channels},
      {"channel_layout", a.channel_layout},
      {"time_base", rational_json(a.time_base)},
      {"duration_s", a.duration_s},
      {"packet_count", a.packet_count},
  };
}

}  // namespace

std::string to_json(const ProbeResult& result) {
  nlohmann::json streams = nlohmann::json::array();
  for (const StreamInfo& s : result.streams) {
    streams.push_back({{"index", s.index},
                       {"type", s.type},
                       {"codec", s.codec},
                       {"profile", s.profile},
                       {"level", s.level},
                       {"attached_picture", s.attached_picture}});
  }
  const Fingerprint& fp = result.fingerprint;
  const nlohmann::json out = {
      {"path", result.path.string()},
      {"format", result.format},
      {"format_long", result.format_long},
      {"duration_s", result.duration_s},
      {"bit_rate", result.bit_rate},
      {"fingerprint",
       {{"size_bytes", fp.size_bytes},
        {"mtime_ns", fp.mtime_ns},
        {"head_tail_sha256", fp.head_tail_sha256},
        {"hashed_bytes", fp.hashed_bytes},
        {"key", fp.key()}}},
      {"streams", std::move(streams)},
      {"video", video_json(result.video)},
      {"audio", result.audio ? audio_json(*result.audio) : nlohmann::json(nullptr)},
  };
  return out.dump(2);
}

}  // namespace ff::media
