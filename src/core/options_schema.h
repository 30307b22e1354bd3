#pragma once
// Internal to core/options_*.cc: every key of the job file, listed once, with
// its range or choices. The reader (options_parse.cc), the writer
// (options_write.cc) and the unknown-key check all walk this one list, so a
// key added here is parsed, range-checked, written and suggested.
//
// A visitor V provides, for a field that may be const:
//   v.integer(key, int& field, int64_t min, int64_t max)
//   v.real(key, double& field, double min, double max)
//   v.boolean(key, bool& field)
//   v.path(key, std::string& field)                 a file path, "" allowed
//   v.choice(key, E& field, std::span<const std::string_view> names)
//        E is an enum listed in `names` order, or std::string
//   v.level(key, std::string& field, names)         a choice that also takes 4.2
#include <concepts>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/options.h"

namespace ff::core::detail {

template <class T, class U>
concept TableOf = std::same_as<std::remove_const_t<T>, U>;

template <class T, class V>
requires TableOf<T, InputOptions>
void visit_keys(T& o, V& v) {
  v.integer("video_stream", o.video_stream, -1, 1023);
  v.integer("audio_stream", o.audio_stream, -1, 1023);
  v.boolean("reject_hdr", o.reject_hdr);
}

template <class T, class V>
requires TableOf<T, OutputOptions>
void visit_keys(T& o, V& v) {
  static constexpr std::array<std::string_view, 1> kCodec{"h264"};
  static constexpr std::array<std::string_view, 1> kBt709{"bt709"};
  static constexpr std::array<std::string_view, 1> kTv{"tv"};
  v.integer("width", o.width, 16, 8192);
  v.integer("height", o.height, 16, 8192);
  v.real("fps", o.fps, 0.0, 120.0);
  v.choice("codec", o.codec, kCodec);
  v.choice("encoder", o.encoder, kEncoderNames);
  v.choice("preset", o.preset, kPresetNames);
  v.integer("crf", o.crf, 0, 51);
  v.integer("bitrate_kbps", o.bitrate_kbps, 0, 800000);
  v.choice("profile", o.profile, kProfileNames);
  v.level("level", o.level, kLevelNames);
  v.real("gop_s", o.gop_s, 0.1, 60.0);
  v.integer("max_lookahead", o.max_lookahead, 0, 250);
  v.choice("color_primaries", o.color_primaries, kBt709);
  v.choice("color_transfer", o.color_transfer, kBt709);
  v.choice("color_matrix", o.color_matrix, kBt709);
  v.choice("color_range", o.color_range, kTv);
  v.integer("audio_bitrate_kbps", o.audio_bitrate_kbps, 32, 512);
}

template <class T, class V>
requires TableOf<T, SplitOptions>
void visit_keys(T& o, V& v) {
  v.real("adaptive_ratio", o.adaptive_ratio, 1.0, 100.0);
  v.real("min_content", o.min_content, 0.0, 255.0);
  v.integer("window_frames", o.window_frames, 1, 30);
  v.real("min_scene_s", o.min_scene_s, 0.0, 60.0);
  v.integer("flash_max_frames", o.flash_max_frames, 0, 30);
  v.real("max_segment_s", o.max_segment_s, 2.0, 600.0);
  v.integer("segments_per_rank", o.segments_per_rank, 1, 64);
  v.integer("plan_ranks", o.plan_ranks, 1, 4096);
  v.real("scan_chunk_s", o.scan_chunk_s, 5.0, 3600.0);
}

template <class T, class V>
requires TableOf<T, ReframeOptions>
void visit_keys(T& o, V& v) {
  v.choice("mode", o.mode, kReframeModeNames);
  v.choice("detector", o.detector, kFaceDetectorNames);
  v.path("cascade", o.cascade);
  v.integer("analysis_width", o.analysis_width, 128, 1920);
  v.real("detect_fps", o.detect_fps, 0.5, 60.0);
  v.real("full_detect_interval_s", o.full_detect_interval_s, 0.1, 60.0);
  v.integer("min_track_hits", o.min_track_hits, 1, 100);
  v.real("steady_max_motion", o.steady_max_motion, 0.0, 1.0);
  v.real("dead_zone", o.dead_zone, 0.0, 0.5);
  v.real("max_pan_width_per_s", o.max_pan_width_per_s, 0.01, 10.0);
  v.real("speaker_hold_s", o.speaker_hold_s, 0.0, 30.0);
  v.choice("speaker_switch", o.speaker_switch, kSpeakerSwitchNames);
  v.real("min_take_s", o.min_take_s, 0.0, 60.0);
  v.choice("no_face", o.no_face, kNoFacePolicyNames);
  v.real("smoothing_s", o.smoothing_s, 0.0, 10.0);
  v.real("crop_scale", o.crop_scale, 0.25, 1.0);
}

template <class T, class V>
requires TableOf<T, AudioOptions>
void visit_keys(T& o, V& v) {
  v.real("target_lufs", o.target_lufs, -40.0, -5.0);
  v.real("true_peak_dbtp", o.true_peak_dbtp, -9.0, 0.0);
  v.real("max_gain_db", o.max_gain_db, 0.0, 40.0);
  v.real("max_cut_db", o.max_cut_db, 0.0, 60.0);
  v.real("min_shot_s", o.min_shot_s, 0.4, 60.0);
  v.real("silence_lufs", o.silence_lufs, -70.0, -20.0);
  v.real("max_floor_rise_db", o.max_floor_rise_db, 0.0, 40.0);
  v.integer("ramp_ms", o.ramp_ms, 0, 2000);
  v.integer("sample_rate_hz", o.sample_rate_hz, 48000, 48000);
  v.integer("channels", o.channels, 2, 2);
}

template <class T, class V>
requires TableOf<T, QaOptions>
void visit_keys(T& o, V& v) {
  v.real("max_spread_lu", o.max_spread_lu, 0.0, 20.0);
  v.real("loudness_tolerance_lu", o.loudness_tolerance_lu, 0.0, 10.0);
  v.real("max_true_peak_dbtp", o.max_true_peak_dbtp, -20.0, 0.0);
  v.real("min_face_centred", o.min_face_centred, 0.0, 1.0);
  v.real("centre_tolerance", o.centre_tolerance, 0.0, 0.5);
  v.real("face_sample_fps", o.face_sample_fps, 0.1, 60.0);
  v.integer("max_av_diff_frames", o.max_av_diff_frames, 0, 30);
  v.choice("detector", o.detector, kFaceDetectorNames);
}

template <class T, class V>
requires TableOf<T, FarmOptions>
void visit_keys(T& o, V& v) {
  v.integer("max_tries", o.max_tries, 1, 20);
  v.choice("device", o.device, kDeviceNames);
  v.choice("rank0_works", o.rank0_works, kRank0WorksNames);
}

// Calls f(name, table) for each table of `job` (const or not), in file order.
template <class J, class F>
requires TableOf<J, JobOptions>
void for_each_table(J& job, F&& f) {
  f(std::string_view{"input"}, job.input);
  f(std::string_view{"output"}, job.output);
  f(std::string_view{"split"}, job.split);
  f(std::string_view{"reframe"}, job.reframe);
  f(std::string_view{"audio"}, job.audio);
  f(std::string_view{"qa"}, job.qa);
  f(std::string_view{"farm"}, job.farm);
}

// The table names, and each table's key names, in schema order.
const std::vector<std::string_view>& table_names();
const std::vector<std::string_view>& key_names(std::string_view table);  // empty if unknown

// Where each key's effective value came from, for messages.
struct Origins {
  std::string source;  // the file as given, or "default job" / the parse label
  std::map<std::string, std::string, std::less<>> by_key;  // "output.crf" -> "jobs/x.toml:12"
  // by_key's entry for `table_key`, else `source`.
  const std::string& at(std::string_view table_key) const;
};

// The cross-field checks; throws ConfigError located by `origins`.
void validate_job(const JobOptions& job, const Origins& origins);

// Text helpers shared by parse, validate and write.
std::string format_number(double value);     // shortest round-trip form: 60, 0.1, -16
std::string toml_float(double value);        // as format_number, with ".0" when integral
std::string toml_quote(std::string_view s);  // a TOML basic string, quotes included
std::string join_quoted(std::span<const std::string_view> names);  // "\"a\", \"b\""
// The entry of `candidates` nearest to `word` by edit distance, if close enough
// to be a likely typo; "" otherwise.
std::string_view nearest(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace ff::core::detail
