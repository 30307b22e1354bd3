// AudioReader on tiny inputs made here with the ffmpeg CLI: sample-exact
// pass-through, dual mono, the 5.1 downmix coefficients, resampling,
// alignment to the video's start (silence before late audio, samples cut
// from early audio, AAC priming), holes, padding and trimming, errors.
//
// Expectations come from how each input is built (the samples written, the
// offsets given to ffmpeg), not from the reader's own output.
#include "media/audio_reader.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <numbers>
#include <string>
#include <vector>

#include "core/error.h"
#include "media/probe.h"
#include "support/testenv.h"

namespace ff::media {
namespace {

constexpr int kRate = 48000;

std::string q(const std::filesystem::path& p) {
  return test::shell_quote(p.string());
}

void ffmpeg(const std::string& args, const std::filesystem::path& out) {
  const std::string command = "ffmpeg -v error -nostdin -y " + args + " " + q(out);
  const test::CommandResult r = test::run_command(command);
  ASSERT_EQ(r.exit_code, 0) << command << "\n" << r.err;
}

void write_raw(const std::filesystem::path& path, const std::vector<float>& samples) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(samples.data()),
            static_cast<std::streamsize>(samples.size() * sizeof(float)));
}

std::vector<float> read_all(const std::filesystem::path& path, const AudioReaderOptions& options,
                            size_t block_frames = 4800, AudioReaderStats* stats = nullptr) {
  AudioReader reader(path, options);
  std::vector<float> all, block(block_frames * 2);
  while (const size_t n = reader.read(block.data(), block_frames)) {
    all.insert(all.end(), block.begin(), block.begin() + static_cast<std::ptrdiff_t>(2 * n));
  }
  EXPECT_EQ(reader.frames_read(), static_cast<int64_t>(all.size() / 2));
  if (stats != nullptr) *stats = reader.stats();
  return all;
}

// Index of the first frame with |sample| > threshold on either channel, or -1.
int64_t first_above(const std::vector<float>& stereo, float threshold) {
  for (size_t i = 0; i < stereo.size(); ++i) {
    if (std::abs(stereo[i]) > threshold) return static_cast<int64_t>(i / 2);
  }
  return -1;
}

// A tiny video track for inputs that need one: 64x64, 25 fps.
std::string video_input(double duration_s) {
  return "-f lavfi -i color=c=gray:size=64x64:rate=25:duration=" + std::to_string(duration_s);
}
const std::string kX264 = " -c:v libx264 -preset ultrafast -pix_fmt yuv420p";

class AudioReaderTest : public ::testing::Test {
 protected:
  test::TempDir dir_{"audio_reader"};
};

TEST_F(AudioReaderTest, StereoFloatPassesThroughSampleExactInAnyBlockSize) {
  std::vector<float> samples(2 * kRate);  // 1 s: a different sine on each side
  for (size_t n = 0; n < kRate; ++n) {
    const double t = static_cast<double>(n) / kRate;
    samples[2 * n] = static_cast<float>(0.5 * std::sin(2 * std::numbers::pi * 440.0 * t));
    samples[2 * n + 1] = static_cast<float>(0.25 * std::sin(2 * std::numbers::pi * 1000.0 * t));
  }
  write_raw(dir_ / "in.f32", samples);
  ffmpeg("-f f32le -ar 48000 -ac 2 -i " + q(dir_ / "in.f32") + " -c:a pcm_f32le", dir_ / "in.wav");

  AudioReaderStats stats;
  const std::vector<float> big = read_all(dir_ / "in.wav", {}, 4800, &stats);
  EXPECT_EQ(big, samples);
  EXPECT_EQ(read_all(dir_ / "in.wav", {}, 97), samples);  // odd blocks: same stream
  EXPECT_EQ(stats.codec, "pcm_f32le");
  EXPECT_EQ(stats.source_rate_hz, kRate);
  EXPECT_EQ(stats.source_layout, "stereo");
  EXPECT_EQ(stats.lead_silence, 0);
  EXPECT_EQ(stats.lead_dropped, 0);
}

TEST_F(AudioReaderTest, Mono44100IsDuplicatedAndResampledTo48000) {
  // lavfi's sine: amplitude 1/8, 1 kHz, 2 s, mono at 44.1 kHz, 16-bit.
  ffmpeg("-f lavfi -i sine=frequency=1000:sample_rate=44100:duration=2 -c:a pcm_s16le",
         dir_ / "mono.wav");
  AudioReaderStats stats;
  const std::vector<float> out = read_all(dir_ / "mono.wav", {}, 4800, &stats);
  EXPECT_EQ(stats.source_rate_hz, 44100);
  EXPECT_EQ(stats.source_channels, 1);
  // 2 s at 48 kHz; the resampler may round the last frame.
  EXPECT_NEAR(static_cast<double>(out.size() / 2), 2.0 * kRate, 2.0);
  float peak = 0.f;
  int64_t up_crossings = 0;
  for (size_t n = 0; n < out.size() / 2; ++n) {
    ASSERT_EQ(out[2 * n], out[2 * n + 1]) << "frame " << n;  // dual mono
    peak = std::max(peak, std::abs(out[2 * n]));
    if (n > 0 && out[2 * (n - 1)] < 0.f && out[2 * n] >= 0.f) ++up_crossings;
  }
  EXPECT_NEAR(peak, 0.125, 0.002);  // full level on each side, not -3 dB
  EXPECT_NEAR(static_cast<double>(up_crossings), 2000.0,
              2.0);  // still 1 kHz: the rate was converted
}

TEST_F(AudioReaderTest, FivePointOneDownmixesWithBs775Coefficients) {
  // FL 0.2 s, FC 0.4 s, LFE 0.5 at 50 Hz, SL 0.1 s, FR and SR silent (s = 1 kHz sine).
  const size_t frames = kRate / 2;
  std::vector<float> in(6 * frames, 0.f);
  std::vector<double> sine(frames);
  for (size_t n = 0; n < frames; ++n) {
    const double t = static_cast<double>(n) / kRate;
    sine[n] = std::sin(2 * std::numbers::pi * 1000.0 * t);
    in[6 * n + 0] = static_cast<float>(0.2 * sine[n]);
    in[6 * n + 2] = static_cast<float>(0.4 * sine[n]);
    in[6 * n + 3] = static_cast<float>(0.5 * std::sin(2 * std::numbers::pi * 50.0 * t));
    in[6 * n + 4] = static_cast<float>(0.1 * sine[n]);
  }
  write_raw(dir_ / "in6.f32", in);
  ffmpeg("-f f32le -ar 48000 -ch_layout 5.1 -i " + q(dir_ / "in6.f32") + " -c:a pcm_f32le",
         dir_ / "surround.wav");
  AudioReaderStats stats;
  const std::vector<float> out = read_all(dir_ / "surround.wav", {}, 4800, &stats);
  EXPECT_EQ(stats.source_channels, 6);
  EXPECT_EQ(stats.source_layout, "5.1");
  ASSERT_EQ(out.size(), 2 * frames);
  const double c = std::sqrt(0.5);  // -3 dB for centre and surround; LFE dropped
  for (size_t n = 0; n < frames; ++n) {
    ASSERT_NEAR(out[2 * n], (0.2 + c * 0.4 + c * 0.1) * sine[n], 1e-5) << "frame " << n;
    ASSERT_NEAR(out[2 * n + 1], (c * 0.4) * sine[n], 1e-5) << "frame " << n;
  }
}

TEST_F(AudioReaderTest, AudioThatStartsAfterTheVideoIsPrecededBySilence) {
  // Audio delayed by 0.5 s against a video starting at 0; PCM in Matroska.
  ffmpeg(video_input(2) +
             " -itsoffset 0.5 -f lavfi -i \"aevalsrc=0.5*cos(2*PI*1000*t):d=1.5:s=48000\"" + kX264 +
             " -c:a pcm_s16le",
         dir_ / "late.mkv");
  const ProbeResult probe_result = probe(dir_ / "late.mkv");
  const double video_start_s =
      static_cast<double>(probe_result.video.start_pts) * probe_result.video.time_base.value();
  AudioReaderStats stats;
  const std::vector<float> out = read_all(
      dir_ / "late.mkv", {.start_s = video_start_s, .total_frames = 2 * kRate}, 4800, &stats);
  EXPECT_EQ(first_above(out, 0.01f), kRate / 2);
  EXPECT_EQ(stats.lead_silence, kRate / 2);
  EXPECT_NEAR(stats.first_pts_s - video_start_s, 0.5, 1e-3);
  EXPECT_EQ(out.size(), 4u * kRate);
}

TEST_F(AudioReaderTest, AudioThatStartsBeforeTheVideoLosesItsHead) {
  // Video delayed by about 0.5 s (the muxer decides exactly; the probe
  // says); the audio starts at 0, silent for 1 s, then a tone: the tone
  // starts 1 s - video start into the output.
  ffmpeg("-itsoffset 0.5 " + video_input(2) +
             " -f lavfi -i \"aevalsrc='if(gte(t,1),0.5*cos(2*PI*1000*t),0)':d=2.5:s=48000\"" +
             kX264 + " -c:a pcm_s16le",
         dir_ / "early.nut");
  const ProbeResult probe_result = probe(dir_ / "early.nut");
  const double video_start_s =
      static_cast<double>(probe_result.video.start_pts) * probe_result.video.time_base.value();
  ASSERT_NEAR(video_start_s, 0.5, 0.05);
  AudioReaderStats stats;
  const std::vector<float> out = read_all(
      dir_ / "early.nut", {.start_s = video_start_s, .total_frames = 2 * kRate}, 4800, &stats);
  EXPECT_EQ(first_above(out, 0.01f), std::llround((1.0 - video_start_s) * kRate));
  EXPECT_EQ(stats.lead_dropped, std::llround(video_start_s * kRate));
  EXPECT_EQ(stats.lead_silence, 0);
}

TEST_F(AudioReaderTest, AacInMp4IsAlignedDespiteItsPriming) {
  // AAC's 1024 priming samples are hidden by the mp4 edit list; a reader
  // that ignored it would put the onset 21 ms late.
  ffmpeg(video_input(2) +
             " -itsoffset 0.5 -f lavfi -i \"aevalsrc=0.5*cos(2*PI*1000*t):d=1.5:s=48000\"" + kX264 +
             " -c:a aac -b:a 192k",
         dir_ / "late.mp4");
  const ProbeResult probe_result = probe(dir_ / "late.mp4");
  const double video_start_s =
      static_cast<double>(probe_result.video.start_pts) * probe_result.video.time_base.value();
  const std::vector<float> out =
      read_all(dir_ / "late.mp4", {.start_s = video_start_s, .total_frames = 2 * kRate});
  // Half the tone's amplitude: AAC's pre-echo before the onset stays well below.
  EXPECT_NEAR(static_cast<double>(first_above(out, 0.25f)), kRate / 2, 48.0);
}

TEST_F(AudioReaderTest, HolesInTheTimestampsAreFilledWithSilence) {
  // 10 ms frames; every frame from 1 s on is shifted 0.5 s later: a hole at
  // 1.0 .. 1.5 s. NUT keeps the 1/48000 time base, so the hole is exact.
  ffmpeg(
      "-f lavfi -i \"aevalsrc=0.5*cos(2*PI*1000*t):d=2:n=480:s=48000\" -af "
      "\"asetpts='PTS+if(gte(T,1),0.5/TB,0)'\" -c:a pcm_s16le",
      dir_ / "hole.nut");
  AudioReaderStats stats;
  const std::vector<float> out = read_all(dir_ / "hole.nut", {}, 4800, &stats);
  EXPECT_EQ(stats.gap_silence, kRate / 2);
  ASSERT_EQ(out.size(), 2u * (2 * kRate + kRate / 2));
  const auto frame_peak = [&](size_t begin, size_t end) {
    float peak = 0.f;
    for (size_t i = 2 * begin; i < 2 * end; ++i) peak = std::max(peak, std::abs(out[i]));
    return peak;
  };
  EXPECT_GT(frame_peak(kRate - 480, kRate), 0.4f);                          // before the hole
  EXPECT_EQ(frame_peak(kRate, kRate + kRate / 2), 0.f);                     // the hole
  EXPECT_GT(frame_peak(kRate + kRate / 2, kRate + kRate / 2 + 480), 0.4f);  // after it
}

TEST_F(AudioReaderTest, TotalFramesPadsWithSilenceOrTrims) {
  ffmpeg("-f lavfi -i aevalsrc=0.5:d=1:c=stereo:s=48000 -c:a pcm_s16le", dir_ / "dc.wav");
  AudioReaderStats stats;
  const std::vector<float> longer =
      read_all(dir_ / "dc.wav", {.total_frames = kRate + kRate / 2}, 4800, &stats);
  ASSERT_EQ(longer.size(), 3u * kRate);
  EXPECT_NEAR(longer[2 * kRate - 1], 0.5f, 1e-4);  // last frame of the input
  EXPECT_EQ(longer[2 * kRate], 0.f);               // first padded frame
  EXPECT_EQ(stats.tail_silence, kRate / 2);
  EXPECT_FALSE(stats.trimmed);

  const std::vector<float> shorter =
      read_all(dir_ / "dc.wav", {.total_frames = kRate / 4}, 4800, &stats);
  EXPECT_EQ(shorter.size(), 2u * kRate / 4);
  EXPECT_TRUE(stats.trimmed);
  EXPECT_EQ(stats.tail_silence, 0);
}

TEST_F(AudioReaderTest, StreamThatIsNotAudioIsRejectedByName) {
  ffmpeg(video_input(1) + " -f lavfi -i sine=d=1" + kX264 + " -c:a aac", dir_ / "av.mp4");
  try {
    AudioReader reader(dir_ / "av.mp4", {.stream_index = 0});
    FAIL() << "no throw";
  } catch (const RuntimeError& e) {
    EXPECT_EQ(std::string(e.what()),
              (dir_ / "av.mp4").string() +
                  ": stream 0 is not an audio stream; set input.audio_stream to an audio "
                  "stream's index or -1");
  }
}

TEST_F(AudioReaderTest, InputWithoutAudioIsRejectedByName) {
  ffmpeg(video_input(1) + kX264, dir_ / "silent_film.mp4");
  try {
    AudioReader reader(dir_ / "silent_film.mp4", {});
    FAIL() << "no throw";
  } catch (const RuntimeError& e) {
    EXPECT_EQ(std::string(e.what()), (dir_ / "silent_film.mp4").string() +
                                         ": no audio stream; the audio phase needs one (it is "
                                         "skipped for inputs without audio)");
  }
}

TEST_F(AudioReaderTest, MissingFileNamesTheFileAndTheCall) {
  try {
    AudioReader reader(dir_ / "missing.mp4", {});
    FAIL() << "no throw";
  } catch (const AvError& e) {
    EXPECT_EQ(std::string(e.what()), (dir_ / "missing.mp4").string() +
                                         ": avformat_open_input failed: No such file or directory");
  }
}

}  // namespace
}  // namespace ff::media
