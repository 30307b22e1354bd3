// The audio phase end to end on short inputs made here (C++ signals wrapped
// by the ffmpeg CLI), checked with ffmpeg's own ebur128 filter on the
// produced audio.m4a as the independent meter: per-shot and programme
// loudness at the target, true peak under the delivery limit after AAC,
// duration, format, no click at a gain change, skipping, errors, and the
// /audio group of analysis.h5.
#include "coordinator/audio_phase.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iostream>
#include <numbers>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/store.h"
#include "media/av_error.h"
#include "media/loudness_meter.h"
#include "media/probe.h"
#include "support/testenv.h"

namespace ff::coordinator {
namespace {

constexpr int kRate = 48000;
constexpr double kTargetLufs = -16.0;  // core::AudioOptions' default, DESIGN.md §6
constexpr double kMaxTruePeakDbtp = -1.0;

std::string q(const std::filesystem::path& p) {
  return test::shell_quote(p.string());
}

test::CommandResult run_ok(const std::string& command) {
  test::CommandResult r = test::run_command(command);
  EXPECT_EQ(r.exit_code, 0) << command << "\n" << r.err;
  return r;
}

// ---- signals -------------------------------------------------------------

// Pink noise (Paul Kellet's filter over Gaussian white noise), mono.
std::vector<double> pink_noise(size_t frames, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> white(0.0, 0.1);
  std::vector<double> out(frames);
  double b0 = 0, b1 = 0, b2 = 0;
  for (double& v : out) {
    const double w = white(rng);
    b0 = 0.99765 * b0 + w * 0.0990460;
    b1 = 0.96300 * b1 + w * 0.2965164;
    b2 = 0.57000 * b2 + w * 1.0526913;
    v = b0 + b1 + b2 + w * 0.1848;
  }
  return out;
}

// Speech-like: pink-noise bursts, 1.5 s on and 1 s off with 20 ms
// raised-cosine edges, over a continuous floor `floor_db` below the bursts.
// Stereo, both sides equal.
std::vector<float> bursts(double seconds, double floor_db, unsigned seed) {
  const auto frames = static_cast<size_t>(seconds * kRate);
  const std::vector<double> noise = pink_noise(frames, seed);
  const double floor = std::pow(10.0, floor_db / 20.0), edge_s = 0.02;
  std::vector<float> out(2 * frames);
  for (size_t n = 0; n < frames; ++n) {
    const double t = std::fmod(static_cast<double>(n) / kRate, 2.5);
    double env = t < 1.5 ? 1.0 : 0.0;
    if (t < edge_s) env = 0.5 - 0.5 * std::cos(std::numbers::pi * t / edge_s);
    if (t > 1.5 - edge_s && t < 1.5)
      env = 0.5 - 0.5 * std::cos(std::numbers::pi * (1.5 - t) / edge_s);
    out[2 * n] = out[2 * n + 1] = static_cast<float>(noise[n] * (floor + (1.0 - floor) * env));
  }
  return out;
}

// Scales `signal` so that its integrated loudness is `lufs` (libebur128,
// used here only to build the input; the checks use ffmpeg's meter).
void scale_to_lufs(std::vector<float>& signal, double lufs) {
  media::LoudnessMeter meter({.loudness_range = false, .true_peak = false});
  meter.add_frames(signal.data(), signal.size() / 2);
  const auto gain = static_cast<float>(std::pow(10.0, (lufs - meter.integrated_lufs()) / 20.0));
  for (float& v : signal) v *= gain;
}

void append(std::vector<float>& to, const std::vector<float>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

void write_raw(const std::filesystem::path& path, const std::vector<float>& samples) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(samples.data()),
            static_cast<std::streamsize>(samples.size() * sizeof(float)));
}

// `stereo` (48 kHz) as AAC in an mp4 beside a 64x64 video of `video_s`.
void write_mp4(const std::filesystem::path& raw, const std::vector<float>& stereo, double video_s,
               const std::filesystem::path& out) {
  write_raw(raw, stereo);
  run_ok("ffmpeg -v error -nostdin -y -f f32le -ar 48000 -ac 2 -i " + q(raw) +
         " -f lavfi -i color=c=gray:size=64x64:rate=10:duration=" + std::to_string(video_s) +
         " -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -b:a 256k " + q(out));
}

// ---- independent measurements -------------------------------------------

struct Ebur128 {
  double integrated_lufs = NAN;
  double true_peak_dbtp = NAN;
};

// ffmpeg's lowpass filter as the same 8th-order Butterworth at `cutoff_hz`
// that the phase measures through (four RBJ biquads, Q of each pole pair).
std::string ffmpeg_butterworth8(int cutoff_hz) {
  std::string chain;
  for (const char* q : {"2.5629", "0.9000", "0.6013", "0.5098"}) {
    chain += "lowpass=f=" + std::to_string(cutoff_hz) + ":t=q:w=" + q + ",";
  }
  return chain;
}

// ffmpeg's ebur128 filter over frames [begin, end) of the file's decoded
// audio (end < 0: to the end), after the filters in `pre` ("f1,f2,").
Ebur128 ffmpeg_ebur128(const std::filesystem::path& file, int64_t begin = 0, int64_t end = -1,
                       const std::string& pre = "") {
  std::string trim = "atrim=start_sample=" + std::to_string(begin);
  if (end >= 0) trim += ":end_sample=" + std::to_string(end);
  const test::CommandResult r = run_ok("ffmpeg -nostats -hide_banner -nostdin -i " + q(file) +
                                       " -af " + trim + "," + pre + "ebur128=peak=true -f null -");
  const size_t summary = r.err.rfind("Summary:");
  EXPECT_NE(summary, std::string::npos) << r.err;
  const std::string text = r.err.substr(summary == std::string::npos ? 0 : summary);
  Ebur128 out;
  std::smatch m;
  if (std::regex_search(text, m, std::regex(R"(I:\s+(-?[0-9.]+|-inf) LUFS)"))) {
    out.integrated_lufs = std::stod(m[1]);
  }
  if (std::regex_search(text, m, std::regex(R"(Peak:\s+(-?[0-9.]+|-inf) dBFS)"))) {
    out.true_peak_dbtp = std::stod(m[1]);
  }
  return out;
}

// The file's audio as FFmpeg decodes it (edit list applied): 48 kHz stereo float.
std::vector<float> ffmpeg_decode(const std::filesystem::path& file) {
  const std::filesystem::path raw = file.string() + ".decoded.f32";
  run_ok("ffmpeg -v error -nostdin -y -i " + q(file) + " -f f32le -ac 2 -ar 48000 " + q(raw));
  std::ifstream in(raw, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<float> out(bytes.size() / sizeof(float));
  std::memcpy(out.data(), bytes.data(), out.size() * sizeof(float));
  return out;
}

// "codec_name=aac|profile=LC|sample_rate=48000|channels=2|duration_ts=576000\n"
std::string ffprobe_audio(const std::filesystem::path& file) {
  return run_ok(
             "ffprobe -v error -select_streams a:0 -show_entries "
             "stream=codec_name,profile,sample_rate,channels,duration_ts "
             "-of compact=p=0:nk=0 " +
             q(file))
      .out;
}

double video_start_s(const std::filesystem::path& file) {
  const media::ProbeResult p = media::probe(file);
  return static_cast<double>(p.video.start_pts) * p.video.time_base.value();
}

AudioPhaseInput phase_input(const std::filesystem::path& input, std::vector<AudioShotSpan> shots,
                            const std::filesystem::path& workdir) {
  AudioPhaseInput in;
  in.input = input;
  in.shots = std::move(shots);
  in.duration_s = in.shots.back().end_s;
  in.workdir = workdir;
  return in;
}

class AudioPhaseTest : public ::testing::Test {
 protected:
  test::TempDir dir_{"audio_phase"};
};

TEST_F(AudioPhaseTest, TwoShotsReachTheTargetUnderTheTruePeakLimit) {
  // 6 s at -24 LUFS then 6 s at -18 LUFS, full-band pink noise in bursts
  // with pauses 40 dB down (a noise floor near -64 LUFS, low enough for the
  // boost). -24, not -26: through the AAC band the first shot reads about
  // 0.4 LU lower, and +10 dB is the max_gain_db clamp.
  std::vector<float> signal = bursts(6.0, -40.0, 1), loud = bursts(6.0, -40.0, 2);
  scale_to_lufs(signal, -24.0);
  scale_to_lufs(loud, -18.0);
  append(signal, loud);
  write_mp4(dir_ / "in.f32", signal, 12.0, dir_ / "in.mp4");

  AudioPhaseInput in = phase_input(dir_ / "in.mp4", {{0.0, 6.0}, {6.0, 12.0}}, dir_.path());
  in.video_start_s = video_start_s(in.input);
  const AudioResult result = run_audio_phase(in);
  ASSERT_FALSE(result.skipped);
  const std::filesystem::path m4a = dir_ / "audio.m4a";
  EXPECT_EQ(result.m4a_path, m4a);
  ASSERT_TRUE(std::filesystem::exists(m4a));
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    EXPECT_EQ(entry.path().string().find(".tmp-"), std::string::npos) << entry.path();
  }

  // Before: our measurement of the input (through the AAC band, 17 kHz at
  // 160 kbps) agrees with ffmpeg's through the same low-pass.
  EXPECT_EQ(result.band_limit_hz, 17000);
  const std::string band = ffmpeg_butterworth8(17000);
  const Ebur128 in_a = ffmpeg_ebur128(in.input, 0, 6 * kRate, band);
  const Ebur128 in_b = ffmpeg_ebur128(in.input, 6 * kRate, 12 * kRate, band);
  ASSERT_EQ(result.shots.size(), 2u);
  EXPECT_NEAR(result.shots[0].lufs_before, in_a.integrated_lufs, 0.1);
  EXPECT_NEAR(result.shots[1].lufs_before, in_b.integrated_lufs, 0.1);
  EXPECT_NEAR(result.shots[0].gain_db, kTargetLufs - in_a.integrated_lufs, 0.1);
  EXPECT_NEAR(result.shots[1].gain_db, kTargetLufs - in_b.integrated_lufs, 0.1);
  EXPECT_EQ(result.shots[0].rule, "to_target");
  EXPECT_FALSE(result.shots[0].merged);
  EXPECT_LT(result.shots[0].noise_floor_lufs, -60.0);

  // After, measured by ffmpeg on the decoded audio.m4a.
  const Ebur128 out_a = ffmpeg_ebur128(m4a, 0, 6 * kRate);
  const Ebur128 out_b = ffmpeg_ebur128(m4a, 6 * kRate, 12 * kRate);
  const Ebur128 out_all = ffmpeg_ebur128(m4a);
  std::cout << "shot A " << result.shots[0].lufs_before << " -> " << result.shots[0].lufs_after
            << " (decoded " << out_a.integrated_lufs << ") LUFS, shot B "
            << result.shots[1].lufs_before << " -> " << result.shots[1].lufs_after << " (decoded "
            << out_b.integrated_lufs << ") LUFS, programme " << result.programme_after_lufs
            << " (decoded " << out_all.integrated_lufs << ") LUFS, true peak "
            << result.true_peak_after_dbtp << " (decoded " << out_all.true_peak_dbtp
            << ") dBTP, limiter " << result.limiter_max_reduction_db << " dB\n";
  EXPECT_NEAR(out_a.integrated_lufs, kTargetLufs, 0.3);
  EXPECT_NEAR(out_b.integrated_lufs, kTargetLufs, 0.3);
  EXPECT_NEAR(out_all.integrated_lufs, kTargetLufs, 0.5);
  EXPECT_LE(out_all.true_peak_dbtp, kMaxTruePeakDbtp);
  // Our "after" numbers describe what was delivered, to within what AAC
  // itself changes on noise.
  EXPECT_NEAR(result.shots[0].lufs_after, out_a.integrated_lufs, 0.3);
  EXPECT_NEAR(result.shots[1].lufs_after, out_b.integrated_lufs, 0.3);
  EXPECT_NEAR(result.programme_after_lufs, out_all.integrated_lufs, 0.3);
  // The "delivered" numbers are audio.m4a decoded: ffmpeg's reading (0.1 steps).
  EXPECT_NEAR(result.shots[0].lufs_delivered, out_a.integrated_lufs, 0.15);
  EXPECT_NEAR(result.shots[1].lufs_delivered, out_b.integrated_lufs, 0.15);
  EXPECT_NEAR(result.programme_delivered_lufs, out_all.integrated_lufs, 0.15);
  EXPECT_NEAR(result.true_peak_delivered_dbtp, out_all.true_peak_dbtp, 0.15);
  EXPECT_EQ(result.encode_attempts, 1);  // -4 dBTP: far under the limit

  // Format and length: AAC-LC 48 kHz stereo; the container says exactly
  // 12 s. FFmpeg 5.1 decodes the whole last AAC frame (its mp4 demuxer does
  // not trim the end), so up to 1023 frames more; within a 30 fps frame.
  EXPECT_EQ(ffprobe_audio(m4a),
            "codec_name=aac|profile=LC|sample_rate=48000|channels=2|duration_ts=576000\n");
  const auto decoded_frames = static_cast<int64_t>(ffmpeg_decode(m4a).size() / 2);
  std::cout << "decoded frames " << decoded_frames << " for " << 12 * kRate << " requested\n";
  EXPECT_GE(decoded_frames, 12 * kRate);
  EXPECT_LT(decoded_frames, 12 * kRate + 1024);
  EXPECT_NEAR(static_cast<double>(decoded_frames), 12.0 * kRate, kRate / 30.0);
  EXPECT_EQ(result.frames, 12 * kRate);
}

TEST_F(AudioPhaseTest, LimiterKeepsTheDecodedTruePeakUnderTheLimit) {
  // Speech-like bursts at -20 LUFS with a broadband click every 0.5 s
  // (white noise decaying in 2 ms) peaking at -0.9 dBFS: the gain puts the
  // clicks several dB over the limiter's -1.5 dBTP ceiling, and AAC adds its
  // own overshoot to limited clicks (about 1 dB on this clip with FFmpeg
  // 5.1's encoder, more than the 0.5 dB margin: the phase encodes again with
  // a lower ceiling). audio.m4a must read <= -1 dBTP.
  std::vector<float> signal = bursts(8.0, -40.0, 3);
  scale_to_lufs(signal, -20.0);
  std::mt19937 rng(7);
  std::normal_distribution<double> white(0.0, 1.0);
  const size_t click_frames = kRate / 100;
  for (size_t start = kRate / 4; start + click_frames < signal.size() / 2; start += kRate / 2) {
    std::vector<double> click(click_frames);
    double peak = 0.0;
    for (size_t i = 0; i < click_frames; ++i) {
      click[i] = white(rng) * std::exp(-static_cast<double>(i) / (0.002 * kRate));
      peak = std::max(peak, std::abs(click[i]));
    }
    for (size_t i = 0; i < click_frames; ++i) {
      const auto v = static_cast<float>(0.9 * click[i] / peak);
      signal[2 * (start + i)] += v;
      signal[2 * (start + i) + 1] += v;
    }
  }
  write_mp4(dir_ / "in.f32", signal, 8.0, dir_ / "in.mp4");
  const AudioResult result =
      run_audio_phase(phase_input(dir_ / "in.mp4", {{0.0, 4.0}, {4.0, 8.0}}, dir_.path()));
  const Ebur128 decoded = ffmpeg_ebur128(dir_ / "audio.m4a");
  std::cout << "limiter " << result.limiter_max_reduction_db << " dB, ceiling "
            << result.ceiling_dbtp << " dBTP after " << result.encode_attempts
            << " encodes, true peak before AAC " << result.true_peak_after_dbtp
            << " dBTP, delivered " << result.true_peak_delivered_dbtp << " dBTP (ffmpeg "
            << decoded.true_peak_dbtp << "), AAC overshoot "
            << result.true_peak_delivered_dbtp - result.true_peak_after_dbtp << " dB\n";
  EXPECT_GT(result.limiter_max_reduction_db, 3.0);  // the limiter had work to do
  EXPECT_LE(result.true_peak_after_dbtp, result.ceiling_dbtp + 0.05);
  EXPECT_LE(decoded.true_peak_dbtp, kMaxTruePeakDbtp);
  // Our reading of the delivered file agrees with ffmpeg's (0.1 dB display steps).
  EXPECT_NEAR(result.true_peak_delivered_dbtp, decoded.true_peak_dbtp, 0.15);
  EXPECT_NEAR(result.programme_delivered_lufs, decoded.integrated_lufs, 0.15);
}

// Largest |x[n] - x[n-1]| over both channels for frames n in [begin, end).
double largest_step(const std::vector<float>& stereo, int64_t begin, int64_t end) {
  double step = 0.0;
  for (int64_t n = std::max<int64_t>(begin, 1); n < end; ++n) {
    for (int64_t c = 0; c < 2; ++c) {
      step = std::max(step,
                      static_cast<double>(std::abs(stereo[2 * n + c] - stereo[2 * (n - 1) + c])));
    }
  }
  return step;
}

// Largest step within 20 ms of `boundary` over the largest step elsewhere
// (the first and last 100 ms left out: fades).
double click_ratio(const std::vector<float>& stereo, int64_t boundary) {
  const int64_t near = kRate / 50, edge = kRate / 10;
  const auto frames = static_cast<int64_t>(stereo.size() / 2);
  const double at = largest_step(stereo, boundary - near, boundary + near);
  const double elsewhere = std::max(largest_step(stereo, edge, boundary - near),
                                    largest_step(stereo, boundary + near, frames - edge));
  return at / elsewhere;
}

TEST_F(AudioPhaseTest, GainChangeAtABoundaryMakesNoClick) {
  // One continuous 1 kHz tone: 5 s at -26 LUFS, rising over 0.9 s to -20
  // LUFS, which it keeps from 5.9 s to the end; a shot boundary at 6 s, where
  // the tone is at a crest. The shots get gains about 5.5 dB apart; a hard
  // gain step there would be a click, the 50 ms ramp is not.
  const size_t frames = 12 * kRate;
  std::vector<float> tone(2 * frames);
  for (size_t n = 0; n < frames; ++n) {
    const double t = static_cast<double>(n) / kRate;
    double lufs = -26.0;
    if (t >= 5.9) {
      lufs = -20.0;
    } else if (t > 5.0) {
      lufs = -26.0 + 6.0 * (0.5 - 0.5 * std::cos(std::numbers::pi * (t - 5.0) / 0.9));
    }
    // A stereo sine of amplitude a reads 20 log10(a) - 0.691 LUFS.
    double a = std::pow(10.0, (lufs + 0.691) / 20.0);
    const double fade = std::min({1.0, t / 0.05, (12.0 - t) / 0.05});
    a *= 0.5 - 0.5 * std::cos(std::numbers::pi * fade);
    tone[2 * n] = tone[2 * n + 1] =
        static_cast<float>(a * std::cos(2.0 * std::numbers::pi * 1000.0 * t));
  }
  write_raw(dir_ / "tone.f32", tone);
  run_ok("ffmpeg -v error -nostdin -y -f f32le -ar 48000 -ac 2 -i " + q(dir_ / "tone.f32") +
         " -c:a pcm_f32le " + q(dir_ / "tone.wav"));

  AudioPhaseInput in = phase_input(dir_ / "tone.wav", {{0.0, 6.0}, {6.0, 12.0}}, dir_.path());
  in.audio.max_floor_rise_db = 60.0;  // a steady tone is all "floor": let the gains differ
  const AudioResult ramped = run_audio_phase(in);
  ASSERT_EQ(ramped.shots.size(), 2u);
  EXPECT_GT(ramped.shots[0].gain_db - ramped.shots[1].gain_db, 4.0);
  const double ratio = click_ratio(ffmpeg_decode(dir_ / "audio.m4a"), 6 * kRate);

  // The same with hard steps: the check sees the click.
  in.audio.ramp_ms = 0;
  run_audio_phase(in);
  const double hard_ratio = click_ratio(ffmpeg_decode(dir_ / "audio.m4a"), 6 * kRate);
  std::cout << "gains " << ramped.shots[0].gain_db << ", " << ramped.shots[1].gain_db
            << " dB; largest step at the boundary / elsewhere: " << ratio << " with 50 ms ramps, "
            << hard_ratio << " with hard steps\n";
  EXPECT_LE(ratio, 1.5);
  EXPECT_GT(hard_ratio, 1.5);
}

TEST_F(AudioPhaseTest, Mono44100AndFivePointOneComeOut48kStereo) {
  // Mono: a 7 s tone at 44.1 kHz beside 8 s of video: resampled, duplicated,
  // and padded to the video's length.
  run_ok(
      "ffmpeg -v error -nostdin -y -f lavfi -i sine=frequency=440:sample_rate=44100:duration=7"
      " -f lavfi -i color=c=gray:size=64x64:rate=10:duration=8 -c:v libx264 -preset ultrafast"
      " -pix_fmt yuv420p -c:a aac -b:a 96k " +
      q(dir_ / "mono.mp4"));
  const AudioResult mono =
      run_audio_phase(phase_input(dir_ / "mono.mp4", {{0.0, 8.0}}, dir_.path()));
  EXPECT_EQ(mono.source_rate_hz, 44100);
  EXPECT_EQ(mono.source_channels, 1);
  // 1 s of silence, less what the source's last AAC frame adds (< 1024 frames at 44.1 kHz).
  EXPECT_GT(mono.tail_silence_frames, kRate - 1200);
  EXPECT_LE(mono.tail_silence_frames, kRate);
  EXPECT_EQ(ffprobe_audio(dir_ / "audio.m4a"),
            "codec_name=aac|profile=LC|sample_rate=48000|channels=2|duration_ts=384000\n");

  // 5.1: six different tones, AAC 5.1 at 48 kHz.
  run_ok(
      "ffmpeg -v error -nostdin -y -f lavfi -i \"aevalsrc=0.1*sin(2*PI*300*t)|"
      "0.1*sin(2*PI*400*t)|0.1*sin(2*PI*500*t)|0.1*sin(2*PI*60*t)|0.1*sin(2*PI*700*t)|"
      "0.1*sin(2*PI*800*t):c=5.1:s=48000:d=8\""
      " -f lavfi -i color=c=gray:size=64x64:rate=10:duration=8 -c:v libx264 -preset ultrafast"
      " -pix_fmt yuv420p -c:a aac -b:a 256k " +
      q(dir_ / "surround.mp4"));
  const AudioResult surround =
      run_audio_phase(phase_input(dir_ / "surround.mp4", {{0.0, 8.0}}, dir_.path()));
  EXPECT_EQ(surround.source_channels, 6);
  EXPECT_EQ(surround.source_layout, "5.1");
  EXPECT_EQ(ffprobe_audio(dir_ / "audio.m4a"),
            "codec_name=aac|profile=LC|sample_rate=48000|channels=2|duration_ts=384000\n");
  const auto decoded = static_cast<int64_t>(ffmpeg_decode(dir_ / "audio.m4a").size() / 2);
  EXPECT_NEAR(static_cast<double>(decoded), 8.0 * kRate, kRate / 30.0);
}

TEST_F(AudioPhaseTest, InputWithoutAudioSkipsThePhase) {
  run_ok(
      "ffmpeg -v error -nostdin -y -f lavfi -i color=c=gray:size=64x64:rate=10:duration=2"
      " -c:v libx264 -preset ultrafast -pix_fmt yuv420p " +
      q(dir_ / "silent_film.mp4"));
  const AudioResult result =
      run_audio_phase(phase_input(dir_ / "silent_film.mp4", {{0.0, 2.0}}, dir_.path()));
  EXPECT_TRUE(result.skipped);
  EXPECT_EQ(result.skip_reason, "no audio stream in " + (dir_ / "silent_film.mp4").string());
  EXPECT_TRUE(result.m4a_path.empty());
  EXPECT_FALSE(std::filesystem::exists(dir_ / "audio.m4a"));

  core::Store store(dir_ / core::Store::kFileName);
  write_audio_result(store, result);
  EXPECT_EQ(store.read_attr_i64("/audio", "skipped"), 1);
  EXPECT_EQ(store.read_attr_string("/audio", "skip_reason"), result.skip_reason);
  EXPECT_TRUE(store.children("/audio").empty());
}

TEST_F(AudioPhaseTest, ResultGoesToAnalysisH5WithUnits) {
  // 1.5 s + 2.5 s: the first shot is under min_shot_s (3 s) and merges.
  std::vector<float> signal = bursts(4.0, -40.0, 4);
  scale_to_lufs(signal, -22.0);
  write_mp4(dir_ / "in.f32", signal, 4.0, dir_ / "in.mp4");
  const AudioResult result =
      run_audio_phase(phase_input(dir_ / "in.mp4", {{0.0, 1.5}, {1.5, 4.0}}, dir_.path()));
  ASSERT_EQ(result.shots.size(), 2u);
  EXPECT_TRUE(result.shots[0].merged);
  EXPECT_EQ(result.shots[0].group, result.shots[1].group);
  EXPECT_EQ(result.shots[0].gain_db, result.shots[1].gain_db);

  core::Store store(dir_ / core::Store::kFileName);
  write_audio_result(store, result);
  const auto start = store.read_f64("/audio/shot_start_s");
  EXPECT_EQ(start.units, "s");
  EXPECT_EQ(start.data, (std::vector<double>{0.0, 1.5}));
  EXPECT_EQ(store.read_f64("/audio/shot_end_s").data, (std::vector<double>{1.5, 4.0}));
  const auto before = store.read_f64("/audio/lufs_before");
  EXPECT_EQ(before.units, "LUFS");
  EXPECT_EQ(before.data[1], result.shots[1].lufs_before);
  EXPECT_EQ(store.read_f64("/audio/lufs_after").data[0], result.shots[0].lufs_after);
  const auto gain = store.read_f64("/audio/gain_db");
  EXPECT_EQ(gain.units, "dB");
  EXPECT_EQ(gain.data[0], result.shots[0].gain_db);
  const auto group = store.read_i64("/audio/group");
  EXPECT_EQ(group.units, "index");
  EXPECT_EQ(group.data, (std::vector<int64_t>{0, 0}));
  EXPECT_EQ(store.read_i32("/audio/merged").data, (std::vector<int32_t>{1, 1}));
  EXPECT_EQ(store.read_f64("/audio/block_lufs").data.size(), result.block_lufs.size());
  for (const std::string& name : store.children("/audio")) {
    EXPECT_TRUE(store.has_attr("/audio/" + name, "units")) << name;
  }
  EXPECT_EQ(store.read_attr_f64("/audio", "programme_after_lufs"), result.programme_after_lufs);
  EXPECT_EQ(store.read_attr_f64("/audio", "true_peak_after_dbtp"), result.true_peak_after_dbtp);
  EXPECT_EQ(store.read_attr_i64("/audio", "frames"), 4 * kRate);
  EXPECT_EQ(store.read_attr_i64("/audio", "skipped"), 0);
}

TEST_F(AudioPhaseTest, ShotsThatDoNotTileTheOutputAreRejected) {
  const std::filesystem::path input = dir_ / "unused.mp4";  // checked before the input is opened
  const auto message = [&](const AudioPhaseInput& in) {
    try {
      run_audio_phase(in);
    } catch (const RuntimeError& e) {
      return std::string(e.what());
    }
    return std::string("no throw");
  };
  EXPECT_EQ(message(phase_input(input, {{0.0, 5.0}, {6.0, 12.0}}, dir_.path())),
            "audio phase: shot 1 starts at 6 s, expected 5 s; shots must tile [0, duration_s) in "
            "order");
  AudioPhaseInput longer = phase_input(input, {{0.0, 12.0}}, dir_.path());
  longer.duration_s = 10.0;
  EXPECT_EQ(message(longer),
            "audio phase: the last shot ends at 12 s but duration_s = 10 s; shots must cover the "
            "whole output");
  AudioPhaseInput none = phase_input(input, {{0.0, 12.0}}, dir_.path());
  none.shots.clear();
  EXPECT_EQ(message(none),
            "audio phase: no shots; pass at least one shot covering [0, duration_s)");
  none.duration_s = 0.0;
  EXPECT_EQ(message(none),
            "audio phase: duration_s = 0; pass the output video's duration (frames / fps), > 0");
}

TEST_F(AudioPhaseTest, UnwritableWorkDirFailsNamingTheFileAndLeavesNoOutput) {
  run_ok("ffmpeg -v error -nostdin -y -f lavfi -i sine=sample_rate=48000:duration=2 -c:a aac " +
         q(dir_ / "tone.m4a"));
  const std::filesystem::path missing = dir_ / "no_such_dir";
  // The first file the phase writes is the spill of the decoded input
  // (audio_decode_test.cc has the case where audio.m4a cannot be written).
  try {
    run_audio_phase(phase_input(dir_ / "tone.m4a", {{0.0, 2.0}}, missing));
    FAIL() << "no throw";
  } catch (const RuntimeError& e) {
    EXPECT_EQ(std::string(e.what()),
              (missing / "audio.spill.f32").string() + core::temp_suffix() +
                  ": cannot create the audio spill: No such file or directory; check that the "
                  "work directory exists, is writable and has free space (the audio spill takes "
                  "8 bytes per 48 kHz frame, 1.04 GB per 45 minutes)");
  }
  EXPECT_FALSE(std::filesystem::exists(missing));
}

}  // namespace
}  // namespace ff::coordinator
