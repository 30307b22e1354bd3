// The probe against ffprobe on tiny inputs made here with the ffmpeg CLI
// (testsrc2 + sine, 2 s, 320x240), and its rejections, message by message.
//
// Each test makes only the inputs it uses, in a TempDir of its own process
// (ctest runs every case as its own process).
#include "media/probe.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.h"
#include "support/testenv.h"

namespace ff::media {
namespace {

const std::string kVideo = " -f lavfi -i testsrc2=size=320x240:rate=25:duration=2";
const std::string kAudio = " -f lavfi -i sine=frequency=440:sample_rate=48000:duration=2";
const std::string kX264 = " -c:v libx264 -preset superfast -g 12 -pix_fmt yuv420p";
const std::string kAac = " -ac 2 -c:a aac -b:a 64k";

std::string q(const std::filesystem::path& p) {
  return test::shell_quote(p.string());
}

std::string run_ok(const std::string& command) {
  const test::CommandResult r = test::run_command(command);
  if (r.exit_code != 0) ADD_FAILURE() << command << "\nexit " << r.exit_code << "\n" << r.err;
  return r.out;
}

void ffmpeg(const std::string& args, const std::filesystem::path& out) {
  run_ok("ffmpeg -v error -nostdin -y" + args + " " + q(out));
}

// ffmpeg's arguments, inputs and options, for each input made from scratch.
const std::map<std::string, std::string> kRecipes = {
    {"h264.mp4", kVideo + kAudio + kX264 + kAac + " -shortest"},
    {"h264_faststart.mp4", kVideo + kAudio + kX264 + kAac + " -shortest -movflags +faststart"},
    {"hevc.mp4", kVideo + kAudio + " -c:v libx265 -preset ultrafast -pix_fmt yuv420p" +
                     " -x265-params log-level=error:keyint=12" + kAac + " -shortest"},
    // Presentation times (N + 0.4 * (N mod 3)) / 30 s: gaps of 1.4, 1.4 and 0.2 frames,
    // in a 1/3000 time base (the default, 1/frame rate, would round them away).
    {"vfr.mp4",
     " -f lavfi -i testsrc2=size=320x240:rate=30:duration=2 -vf "
     "\"settb=1/3000,setpts='(N+0.4*mod(N,3))/30/TB'\" -fps_mode vfr"
     " -enc_time_base 1/3000" +
         kX264},
    {"ntsc.mkv", " -f lavfi -i testsrc2=size=320x240:rate=30000/1001:duration=2" + kX264},
    {"noaudio.mp4", kVideo + kX264},
    {"bt601.mp4", kVideo + kX264 + " -color_primaries smpte170m -color_trc smpte170m" +
                      " -colorspace smpte170m -color_range tv"},
    {"hdr_pq.mp4", kVideo + " -c:v libx264 -preset superfast -pix_fmt yuv420p10le" +
                       " -color_trc smpte2084 -color_primaries bt2020 -colorspace bt2020nc"},
    {"hdr_hlg.mp4", kVideo + " -c:v libx264 -preset superfast -pix_fmt yuv420p10le" +
                        " -color_trc arib-std-b67 -color_primaries bt2020 -colorspace bt2020nc"},
    {"audio.m4a", kAudio + kAac},
    {"audio_cover.m4a", kAudio + " -f lavfi -i color=c=red:size=64x64:duration=0.04" +
                            " -map 0:a -map 1:v" + kAac +
                            " -c:v png -frames:v 1 -disposition:v:0 attached_pic"},
};

// The input called `name`, made on first use.
std::filesystem::path input(const std::string& name) {
  static test::TempDir dir("probe");
  const std::filesystem::path path = dir / name;
  if (std::filesystem::exists(path)) return path;
  const auto half_of = [&](const std::string& whole) {
    run_ok("head -c " + std::to_string(std::filesystem::file_size(input(whole)) / 2) + " " +
           q(input(whole)) + " > " + q(path));
  };
  if (kRecipes.contains(name)) {
    ffmpeg(kRecipes.at(name), path);
  } else if (name == "rot90.mp4" || name == "rot45.mp4") {
    const std::string deg = name == "rot90.mp4" ? "90" : "45";
    ffmpeg(" -i " + q(input("noaudio.mp4")) + " -c copy -metadata:s:v:0 rotate=" + deg, path);
  } else if (name == "cut_moov_at_end.mp4") {
    half_of("h264.mp4");
  } else if (name == "cut_faststart.mp4") {
    half_of("h264_faststart.mp4");
  } else if (name == "cut.mkv") {
    half_of("ntsc.mkv");
  } else if (name == "notes.txt") {
    std::ofstream(path) << "meeting notes\nnot a video at all\n";
  } else if (name == "empty.mp4") {
    std::ofstream{path};
  } else {
    ADD_FAILURE() << "no recipe for test input " << name;
  }
  return path;
}

nlohmann::json ffprobe(const std::filesystem::path& path) {
  return nlohmann::json::parse(run_ok(
      "ffprobe -v error -print_format json -show_streams -show_format -count_packets " + q(path)));
}

// One stream's packets as ffprobe lists them, without those flagged for
// discarding ('D', e.g. AAC priming cut by an edit list): the packets that
// become frames. nb_read_packets counts the discarded ones too.
struct FfprobePackets {
  int64_t kept = 0;
  std::vector<Keyframe> keyframes;
};

FfprobePackets ffprobe_packets(const std::filesystem::path& path, int stream_index) {
  const auto j = nlohmann::json::parse(
      run_ok("ffprobe -v error -print_format json -select_streams " + std::to_string(stream_index) +
             " -show_entries packet=pts,dts,pos,flags " + q(path)));
  FfprobePackets out;
  for (const auto& p : j["packets"]) {
    const std::string flags = p["flags"];
    if (flags.find('D') != std::string::npos) continue;
    ++out.kept;
    if (flags.find('K') == std::string::npos) continue;
    const int64_t ts = p.contains("pts") ? p["pts"].get<int64_t>() : p["dts"].get<int64_t>();
    out.keyframes.push_back({ts, std::stoll(p["pos"].get<std::string>())});
  }
  return out;
}

std::string ratio(const Rational& r) {
  return std::to_string(r.num) + "/" + std::to_string(r.den);
}

// ffprobe's `rotation` (side data) in the probe's range (-180, 180].
int ffprobe_rotation(const nlohmann::json& stream) {
  if (!stream.contains("side_data_list")) return 0;
  for (const auto& sd : stream["side_data_list"]) {
    if (!sd.contains("rotation")) continue;
    int deg = sd["rotation"].get<int>() % 360;
    if (deg <= -180) deg += 360;
    if (deg > 180) deg -= 360;
    return deg;
  }
  return 0;
}

void expect_matches_ffprobe(const ProbeResult& r, const std::filesystem::path& path) {
  const nlohmann::json j = ffprobe(path);
  EXPECT_EQ(r.format, j["format"]["format_name"]);
  EXPECT_NEAR(r.duration_s, std::stod(j["format"]["duration"].get<std::string>()), 1e-3);
  ASSERT_EQ(r.streams.size(), j["streams"].size());
  for (const StreamInfo& s : r.streams) {
    const auto& js = j["streams"][s.index];
    EXPECT_EQ(s.type, js["codec_type"]) << "stream " << s.index;
    EXPECT_EQ(s.codec, js["codec_name"]) << "stream " << s.index;
    const std::string profile = js.value("profile", "unknown");
    EXPECT_EQ(s.profile, profile == "unknown" ? "" : profile) << "stream " << s.index;
    if (js.contains("level")) {
      EXPECT_EQ(s.level, js["level"].get<int>()) << "stream " << s.index;
    }
  }

  const VideoInfo& v = r.video;
  const auto& jv = j["streams"][v.stream_index];
  EXPECT_EQ(v.width, jv["width"].get<int>());
  EXPECT_EQ(v.height, jv["height"].get<int>());
  EXPECT_EQ(v.pix_fmt, jv["pix_fmt"]);
  EXPECT_EQ(v.color_primaries, jv.value("color_primaries", "unknown"));
  EXPECT_EQ(v.color_transfer, jv.value("color_transfer", "unknown"));
  EXPECT_EQ(v.color_space, jv.value("color_space", "unknown"));
  EXPECT_EQ(v.color_range, jv.value("color_range", "unknown"));
  EXPECT_EQ(ratio(v.r_frame_rate), jv["r_frame_rate"]);
  EXPECT_EQ(ratio(v.avg_frame_rate), jv["avg_frame_rate"]);
  EXPECT_EQ(ratio(v.time_base), jv["time_base"]);
  const FfprobePackets vp = ffprobe_packets(path, v.stream_index);
  EXPECT_EQ(v.frame_count, vp.kept);
  EXPECT_LE(v.frame_count, std::stoll(jv["nb_read_packets"].get<std::string>()));
  if (jv.contains("duration")) {
    EXPECT_NEAR(v.duration_s, std::stod(jv["duration"].get<std::string>()), 1e-3);
  }
  EXPECT_EQ(v.rotation_deg, ffprobe_rotation(jv));
  EXPECT_EQ(v.keyframes, vp.keyframes);

  if (!r.audio) return;
  const AudioInfo& a = *r.audio;
  const auto& ja = j["streams"][a.stream_index];
  EXPECT_EQ(a.codec, ja["codec_name"]);
  EXPECT_EQ(a.sample_rate, std::stoi(ja["sample_rate"].get<std::string>()));
  EXPECT_EQ(a.channels, ja["channels"].get<int>());
  EXPECT_EQ(a.channel_layout, ja["channel_layout"]);
  EXPECT_NEAR(a.duration_s, std::stod(ja["duration"].get<std::string>()), 1e-3);
  EXPECT_EQ(a.packet_count, ffprobe_packets(path, a.stream_index).kept);
  EXPECT_LE(a.packet_count, std::stoll(ja["nb_read_packets"].get<std::string>()));
}

// The one line a rejection of `name` says.
std::string rejection(const std::filesystem::path& path, const ProbeOptions& options = {}) {
  try {
    probe(path, options);
  } catch (const InputError& e) {
    EXPECT_EQ(e.code(), ExitCode::kInputRejected);
    return e.what();
  }
  ADD_FAILURE() << path << " was not rejected";
  return "";
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

TEST(Probe, H264CfrWithAudio) {
  const auto path = input("h264.mp4");
  const ProbeResult r = probe(path);
  expect_matches_ffprobe(r, path);
  // What the recipe asked for: 2 s at 25 fps, 320x240, a keyframe at least every 12 frames.
  EXPECT_EQ(r.video.codec, "h264");
  EXPECT_EQ(r.video.frame_count, 50);
  EXPECT_EQ(r.video.display_width, 320);
  EXPECT_EQ(r.video.display_height, 240);
  EXPECT_FALSE(r.video.timing.vfr);
  EXPECT_EQ(r.video.timing.reference_delta_pts, r.video.time_base.den / 25);
  EXPECT_GE(r.video.keyframes.size(), 5u);
  EXPECT_EQ(r.video.keyframes.front().pts, r.video.start_pts);
  EXPECT_FALSE(r.video.hdr);
  EXPECT_EQ(r.video.color_transfer, "unknown");  // no tags asked for
  ASSERT_TRUE(r.audio.has_value());
  EXPECT_EQ(r.audio->sample_rate, 48000);
  EXPECT_EQ(r.audio->channel_layout, "stereo");
  EXPECT_EQ(r.fingerprint, fingerprint(path));
}

TEST(Probe, Hevc) {
  const auto path = input("hevc.mp4");
  const ProbeResult r = probe(path);
  expect_matches_ffprobe(r, path);
  EXPECT_EQ(r.video.codec, "hevc");
  EXPECT_EQ(r.video.profile, "Main");
  EXPECT_EQ(r.video.frame_count, 50);
}

TEST(Probe, VfrFromUnevenTimestamps) {
  const auto path = input("vfr.mp4");
  const ProbeResult r = probe(path);
  expect_matches_ffprobe(r, path);
  EXPECT_EQ(r.video.frame_count, 60);
  EXPECT_TRUE(r.video.timing.vfr);
  // Gaps of 0.2 and 1.4 frame periods of 1/30 s.
  const double tick_s = r.video.time_base.value();
  EXPECT_NEAR(static_cast<double>(r.video.timing.min_delta_pts) * tick_s, 0.2 / 30, 2 * tick_s);
  EXPECT_NEAR(static_cast<double>(r.video.timing.max_delta_pts) * tick_s, 1.4 / 30, 2 * tick_s);
}

TEST(Probe, NtscRateInMillisecondTicksIsCfr) {
  const auto path = input("ntsc.mkv");
  const ProbeResult r = probe(path);
  expect_matches_ffprobe(r, path);
  EXPECT_EQ(r.video.time_base, (Rational{1, 1000}));
  EXPECT_FALSE(r.video.timing.vfr);
  EXPECT_EQ(r.video.timing.min_delta_pts, 33);  // 1001/30 ms = 33.37 ms, rounded either way
  EXPECT_EQ(r.video.timing.max_delta_pts, 34);
}

TEST(Probe, RotationSwapsTheDisplaySize) {
  const auto path = input("rot90.mp4");
  const ProbeResult r = probe(path);
  expect_matches_ffprobe(r, path);
  EXPECT_EQ(std::abs(r.video.rotation_deg), 90);
  EXPECT_EQ(r.video.width, 320);
  EXPECT_EQ(r.video.display_width, 240);
  EXPECT_EQ(r.video.display_height, 320);
}

TEST(Probe, RejectsRotationOffTheRightAngles) {
  const auto path = input("rot45.mp4");
  const int deg = ffprobe_rotation(ffprobe(path)["streams"][0]);
  EXPECT_EQ(std::abs(deg), 45);
  EXPECT_EQ(rejection(path), path.string() + ": input rejected: display rotation of " +
                                 std::to_string(deg) +
                                 " degrees; only multiples of 90 are supported; re-encode with "
                                 "the rotation applied (ffmpeg applies it by default)");
}

TEST(Probe, Bt601TagsAndNoAudio) {
  const auto path = input("bt601.mp4");
  const ProbeResult r = probe(path);
  expect_matches_ffprobe(r, path);
  EXPECT_EQ(r.video.color_primaries, "smpte170m");
  EXPECT_EQ(r.video.color_transfer, "smpte170m");
  EXPECT_EQ(r.video.color_space, "smpte170m");
  EXPECT_EQ(r.video.color_range, "tv");
  EXPECT_FALSE(r.audio.has_value());
  EXPECT_EQ(r.streams.size(), 1u);
}

TEST(Probe, RejectsHdrUnlessAsked) {
  const auto pq = input("hdr_pq.mp4");
  EXPECT_EQ(
      rejection(pq, ProbeOptions{.reject_hdr = true}),
      pq.string() +
          ": input rejected: HDR video (transfer smpte2084 PQ, primaries bt2020) cannot be "
          "delivered as SDR BT.709 without tone mapping; tone-map it to SDR first (e.g. "
          "ffmpeg -vf zscale=t=linear:npl=100,tonemap=hable,zscale=t=bt709:m=bt709:p=bt709,"
          "format=yuv420p), or set input.reject_hdr = false to process it with wrong colours");
  const ProbeResult r = probe(pq, ProbeOptions{.reject_hdr = false});
  expect_matches_ffprobe(r, pq);
  EXPECT_TRUE(r.video.hdr);
  EXPECT_EQ(r.video.color_transfer, "smpte2084");
  EXPECT_EQ(r.video.color_space, "bt2020nc");
  EXPECT_EQ(r.video.pix_fmt, "yuv420p10le");

  const auto hlg = input("hdr_hlg.mp4");
  EXPECT_TRUE(starts_with(rejection(hlg), hlg.string() + ": input rejected: HDR video (transfer "
                                                         "arib-std-b67 HLG, primaries bt2020)"));
}

TEST(Probe, RejectsAudioOnly) {
  const auto path = input("audio.m4a");
  EXPECT_EQ(rejection(path), path.string() +
                                 ": input rejected: no video stream (streams: #0 audio aac); "
                                 "framefarm reframes video; pass a file with a video track");
  const auto cover = input("audio_cover.m4a");
  EXPECT_EQ(rejection(cover), cover.string() +
                                  ": input rejected: no video stream (streams: #0 audio aac, #1 "
                                  "video png (cover art)); framefarm reframes video; pass a file "
                                  "with a video track");
}

TEST(Probe, RejectsATextFile) {
  const auto path = input("notes.txt");
  EXPECT_EQ(rejection(path), path.string() +
                                 ": input rejected: not a media file FFmpeg can read (Invalid "
                                 "data found when processing input); check the path");
}

TEST(Probe, RejectsMissingEmptyAndDirectory) {
  test::TempDir dir("probe-paths");
  EXPECT_EQ(rejection(dir / "nope.mp4"),
            (dir / "nope.mp4").string() + ": input rejected: no such file; check the path");
  EXPECT_EQ(rejection(input("empty.mp4")),
            input("empty.mp4").string() + ": input rejected: empty file (0 bytes); check the path");
  EXPECT_EQ(rejection(dir.path()), dir.path().string() +
                                       ": input rejected: is a directory, not a media file; pass "
                                       "a video file");
}

TEST(Probe, RejectsAnMp4CutBeforeItsIndex) {
  const auto path = input("cut_moov_at_end.mp4");
  EXPECT_EQ(rejection(path),
            path.string() +
                ": input rejected: truncated or damaged QuickTime / MOV file: FFmpeg recognises "
                "the container but cannot open it (Invalid data found when processing input: "
                "moov atom not found); re-copy or re-download the complete file");
}

TEST(Probe, RejectsAnMp4WhosePacketsEndEarly) {
  const auto path = input("cut_faststart.mp4");
  const std::string message = rejection(path);
  // The index (moov first) lists all 50 frames; the packets stop near the middle.
  EXPECT_TRUE(starts_with(
      message, path.string() + ": input rejected: truncated: stream #0 (video) ends after "))
      << message;
  EXPECT_TRUE(message.ends_with(
      " packets but the container's index lists 50; re-copy or re-download the complete file"))
      << message;
}

TEST(Probe, RejectsAnMkvWhosePacketsStopBeforeItsDuration) {
  const auto path = input("cut.mkv");
  const std::string message = rejection(path);
  // 60 frames of 1001/30000 s: the header says 2.002 s; half the file holds about 1 s.
  EXPECT_TRUE(
      starts_with(message, path.string() + ": input rejected: truncated: the packets end at "))
      << message;
  EXPECT_TRUE(
      message.ends_with(" s but the container's header says it lasts 2.002 s; re-copy or "
                        "re-download the complete file"))
      << message;
}

TEST(Probe, FailuresPrintNothingButTheError) {
  const auto text = input("notes.txt");
  const auto cut = input("cut_moov_at_end.mp4");
  const auto cut_late = input("cut_faststart.mp4");
  const auto cut_mkv = input("cut.mkv");
  testing::internal::CaptureStderr();
  for (const auto& path : {text, cut, cut_late, cut_mkv}) EXPECT_THROW(probe(path), InputError);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

TEST(Probe, JsonCarriesTheFields) {
  const auto path = input("h264.mp4");
  const ProbeResult r = probe(path);
  const auto j = nlohmann::json::parse(to_json(r));
  EXPECT_EQ(j["path"], path.string());
  EXPECT_EQ(j["format"], r.format);
  EXPECT_EQ(j["video"]["codec"], "h264");
  EXPECT_EQ(j["video"]["frame_count"], r.video.frame_count);
  EXPECT_EQ(j["video"]["timing"]["vfr"], false);
  EXPECT_EQ(j["video"]["keyframe_count"], r.video.keyframes.size());
  EXPECT_EQ(j["video"]["keyframes"][1]["pos"], r.video.keyframes[1].pos_bytes);
  EXPECT_EQ(j["video"]["r_frame_rate"]["num"], 25);
  EXPECT_EQ(j["audio"]["channel_layout"], "stereo");
  EXPECT_EQ(j["fingerprint"]["key"], r.fingerprint.key());
  const auto none = nlohmann::json::parse(to_json(probe(input("noaudio.mp4"))));
  EXPECT_TRUE(none["audio"].is_null());
}

// The generator's call recordings (tests/recordings), against ffprobe and
// against the ground truth JSON written beside each. A missing one fails.
class ProbeRecording : public testing::TestWithParam<std::string> {};

TEST_P(ProbeRecording, MatchesFfprobeAndGroundTruth) {
  const auto path = test::recording(GetParam() + ".mp4");
  const auto truth_path = test::recording(GetParam() + ".json");
  ASSERT_TRUE(std::filesystem::exists(path) && std::filesystem::exists(truth_path));
  const auto truth = nlohmann::json::parse(std::ifstream(truth_path));
  const auto& tv = truth["video"];
  const bool hdr = tv["color_transfer"] == "smpte2084" || tv["color_transfer"] == "arib-std-b67";
  if (hdr) {
    EXPECT_TRUE(starts_with(rejection(path), path.string() + ": input rejected: HDR video"));
  }
  const ProbeResult r = probe(path, ProbeOptions{.reject_hdr = !hdr});
  expect_matches_ffprobe(r, path);

  const VideoInfo& v = r.video;
  EXPECT_EQ(v.hdr, hdr);
  EXPECT_EQ(v.codec, tv["codec"]);
  EXPECT_EQ(v.profile, tv["profile"]);
  EXPECT_EQ(v.pix_fmt, tv["pix_fmt"]);
  EXPECT_EQ(v.color_primaries, tv["color_primaries"]);
  EXPECT_EQ(v.color_transfer, tv["color_transfer"]);
  EXPECT_EQ(v.color_space, tv["color_space"]);
  EXPECT_EQ(v.color_range, tv["color_range"]);
  EXPECT_EQ(v.width, tv["stored_width"].get<int>());
  EXPECT_EQ(v.height, tv["stored_height"].get<int>());
  EXPECT_EQ(v.rotation_deg, tv["display_matrix_rotation_deg"].get<int>());
  EXPECT_EQ(v.display_width, truth["width"].get<int>());
  EXPECT_EQ(v.display_height, truth["height"].get<int>());
  EXPECT_EQ(v.frame_count, truth["frames"].get<int64_t>());
  EXPECT_EQ(v.timing.vfr, !truth["cfr"].get<bool>());
  EXPECT_EQ(v.keyframes.size(), truth["keyframes"].size());
  EXPECT_NEAR(v.duration_s, truth["duration_s"].get<double>(), 1.0 / truth["fps"].get<double>());

  ASSERT_EQ(r.audio.has_value(), !truth["audio"].is_null());
  if (!r.audio) return;
  EXPECT_EQ(r.audio->codec, truth["audio"]["codec"]);
  EXPECT_EQ(r.audio->sample_rate, truth["audio"]["sample_rate"].get<int>());
  EXPECT_EQ(r.audio->channels, truth["audio"]["channels"].get<int>());
  EXPECT_EQ(r.audio->channel_layout, truth["audio"]["channel_layout"]);
}

INSTANTIATE_TEST_SUITE_P(Recordings, ProbeRecording,
                         testing::Values("call", "call_vfr", "call_hevc", "call_noaudio",
                                         "call_short", "call_43_bt601", "call_rot90", "call_51",
                                         "hdr"));

}  // namespace
}  // namespace ff::media
