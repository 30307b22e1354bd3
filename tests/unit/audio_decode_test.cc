// The audio phase's decode step and its spill (coordinator/audio_spill.h):
// the input is decoded once, before the shots are known; the spill holds the
// decoder's samples bit for bit (frames x 8 bytes); measure and apply read
// only the spill (they work with the input gone) and give the numbers a
// direct decode gives; nothing is left behind after an exception.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "coordinator/audio_phase.h"
#include "coordinator/audio_spill.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/store.h"
#include "media/audio_reader.h"
#include "media/audio_writer.h"
#include "media/av_error.h"
#include "media/loudness_meter.h"
#include "media/probe.h"
#include "support/testenv.h"

namespace ff::coordinator {
namespace {

constexpr int kRate = 48000;

std::string q(const std::filesystem::path& p) {
  return test::shell_quote(p.string());
}

test::CommandResult run_ok(const std::string& command) {
  test::CommandResult r = test::run_command(command);
  EXPECT_EQ(r.exit_code, 0) << command << "\n" << r.err;
  return r;
}

std::vector<float> read_floats(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<float> out(bytes.size() / sizeof(float));
  std::memcpy(out.data(), bytes.data(), out.size() * sizeof(float));
  return out;
}

// Packets of the first audio stream, counted by ffprobe.
int64_t ffprobe_audio_packets(const std::filesystem::path& file) {
  return std::stoll(run_ok("ffprobe -v error -select_streams a:0 -count_packets -show_entries "
                           "stream=nb_read_packets -of csv=p=0 " +
                           q(file))
                        .out);
}

// 12 s of pink noise, 6 s quiet then 6 s 12 dB louder, AAC in an mp4 beside
// a 64x64 video of 12 s.
std::filesystem::path make_two_level_mp4(const test::TempDir& dir) {
  const std::filesystem::path out = dir / "two_levels.mp4";
  run_ok(
      "ffmpeg -v error -nostdin -y -f lavfi -i color=c=gray:size=64x64:rate=10:duration=12"
      " -filter_complex \"anoisesrc=c=pink:a=0.05:d=6:r=48000:seed=1[a];"
      "anoisesrc=c=pink:a=0.2:d=6:r=48000:seed=2[b];"
      "[a][b]concat=n=2:v=0:a=1,aformat=channel_layouts=stereo[out]\""
      " -map 0:v -map \"[out]\" -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac"
      " -b:a 192k " +
      q(out));
  return out;
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

std::vector<std::string> names_in(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class AudioDecodeTest : public ::testing::Test {
 protected:
  test::TempDir dir_{"audio_decode"};
};

TEST_F(AudioDecodeTest, SpillHoldsTheDecodedSamplesExactlyAndIsRemovedWithItsOwner) {
  // 2.5 s of 48 kHz stereo float in a WAV: FFmpeg passes it through
  // unchanged, so the spill must equal the samples bit for bit.
  const size_t frames = 5 * kRate / 2;
  std::vector<float> samples(2 * frames);
  for (size_t i = 0; i < samples.size(); ++i) {
    samples[i] = static_cast<float>(0.5 * std::sin(0.001 * static_cast<double>(i * i % 100003)));
  }
  {
    std::ofstream raw(dir_ / "in.f32", std::ios::binary);
    raw.write(reinterpret_cast<const char*>(samples.data()),
              static_cast<std::streamsize>(samples.size() * sizeof(float)));
  }
  run_ok("ffmpeg -v error -nostdin -y -f f32le -ar 48000 -ac 2 -i " + q(dir_ / "in.f32") +
         " -c:a pcm_f32le " + q(dir_ / "in.wav"));

  std::filesystem::path spill_path;
  {
    const AudioDecodeResult decoded =
        decode_audio({.input = dir_ / "in.wav", .workdir = dir_.path()});
    ASSERT_FALSE(decoded.skipped);
    spill_path = decoded.spill.path();
    EXPECT_EQ(spill_path, dir_ / "audio.spill.f32");
    EXPECT_EQ(decoded.spill.frames(), static_cast<int64_t>(frames));
    EXPECT_EQ(std::filesystem::file_size(spill_path), frames * 8);
    EXPECT_EQ(read_floats(spill_path), samples);
    EXPECT_EQ(decoded.source.codec, "pcm_f32le");
    EXPECT_EQ(decoded.source.packets, ffprobe_audio_packets(dir_ / "in.wav"));
    EXPECT_GT(decoded.decode_s, 0.0);
    EXPECT_EQ(names_in(dir_.path()),
              (std::vector<std::string>{"audio.spill.f32", "in.f32", "in.wav"}));

    // Read back cut to 1 s, and padded to 3 s with silence.
    std::vector<float> block(2 * 7000);
    AudioSpillReader cut(decoded.spill, kRate);
    std::vector<float> got;
    while (const size_t n = cut.read(block.data(), 7000)) {
      got.insert(got.end(), block.begin(), block.begin() + static_cast<std::ptrdiff_t>(2 * n));
    }
    EXPECT_EQ(got, std::vector<float>(samples.begin(), samples.begin() + 2 * kRate));
    EXPECT_EQ(cut.tail_silence_frames(), 0);
    AudioSpillReader padded(decoded.spill, 3 * kRate);
    got.clear();
    while (const size_t n = padded.read(block.data(), 7000)) {
      got.insert(got.end(), block.begin(), block.begin() + static_cast<std::ptrdiff_t>(2 * n));
    }
    std::vector<float> expected = samples;
    expected.resize(2 * 3 * kRate, 0.f);
    EXPECT_EQ(got, expected);
    EXPECT_EQ(padded.tail_silence_frames(), kRate / 2);
  }
  EXPECT_FALSE(std::filesystem::exists(spill_path));  // the owner removed it
}

TEST_F(AudioDecodeTest, InputIsDecodedOnceAndTheLaterPassesReadOnlyTheSpill) {
  const std::filesystem::path input = make_two_level_mp4(dir_);
  const int64_t packets = ffprobe_audio_packets(input);
  AudioPhaseInput in = phase_input(input, {{0.0, 6.0}, {6.0, 12.0}}, dir_.path());
  in.video_start_s = video_start_s(input);

  AudioDecodeResult decoded = decode_audio(decode_input_of(in));
  EXPECT_EQ(decoded.source.packets, packets);  // every packet read once
  const int64_t spill_frames = decoded.spill.frames();
  EXPECT_EQ(std::filesystem::file_size(decoded.spill.path()),
            static_cast<uintmax_t>(spill_frames) * 8);
  // AAC's last frame may run up to 1023 frames past the 12 s of audio.
  EXPECT_GE(spill_frames, 12 * kRate - 1);
  EXPECT_LT(spill_frames, 12 * kRate + 1024);

  // With the input gone, measure and apply can only read the spill.
  const std::filesystem::path moved = dir_ / "moved.mp4";
  std::filesystem::rename(input, moved);
  const AudioResult result = run_audio_phase(in, std::move(decoded));
  std::filesystem::rename(moved, input);
  ASSERT_FALSE(result.skipped);
  EXPECT_EQ(result.source_packets, packets);
  EXPECT_EQ(result.decoded_frames, spill_frames);
  EXPECT_EQ(result.frames, 12 * kRate);
  EXPECT_GT(result.decode_s, 0.0);
  EXPECT_GT(result.encode_s, 0.0);
  EXPECT_NEAR(result.total_s, result.decode_s + result.measure_s + result.encode_s, 0.05);
  // audio.m4a is complete, the spill removed, no temp file left.
  EXPECT_EQ(names_in(dir_.path()), (std::vector<std::string>{"audio.m4a", "two_levels.mp4"}));
  // The counts and the decode's time go to /audio.
  core::Store store(dir_ / core::Store::kFileName);
  write_audio_result(store, result);
  EXPECT_EQ(store.read_attr_i64("/audio", "source_packets"), packets);
  EXPECT_EQ(store.read_attr_i64("/audio", "decoded_frames"), spill_frames);
  EXPECT_EQ(store.read_attr_f64("/audio", "decode_s"), result.decode_s);

  // Per shot and programme, "before" equals a direct decode of the input
  // (AudioReader cut to the plan, the same band filter, libebur128 per span).
  media::AudioReader reader(input, {.start_s = in.video_start_s, .total_frames = 12 * kRate});
  media::EncoderBandFilter band(result.band_limit_hz);
  const media::LoudnessMeter::Options options{.loudness_range = false, .true_peak = false};
  media::LoudnessMeter programme(options);
  std::vector<double> shot_lufs;
  std::vector<float> block(2 * 4800);
  for (int shot = 0; shot < 2; ++shot) {
    media::LoudnessMeter meter(options);
    for (int64_t left = 6 * kRate; left > 0;) {
      const size_t n = reader.read(block.data(), std::min<size_t>(4800, left));
      ASSERT_GT(n, 0u);
      band.process(block.data(), n);
      meter.add_frames(block.data(), n);
      programme.add_frames(block.data(), n);
      left -= static_cast<int64_t>(n);
    }
    shot_lufs.push_back(meter.integrated_lufs());
  }
  ASSERT_EQ(result.shots.size(), 2u);
  EXPECT_NEAR(result.shots[0].lufs_before, shot_lufs[0], 1e-9);
  EXPECT_NEAR(result.shots[1].lufs_before, shot_lufs[1], 1e-9);
  EXPECT_NEAR(result.programme_before_lufs, programme.integrated_lufs(), 1e-9);
  // The levels differ by 12 dB (amplitudes 0.05 and 0.2), and the planned
  // gains were applied to these samples (steady noise is all "floor", so the
  // gains are held to max_floor_rise_db; the limiter had nothing to do).
  EXPECT_NEAR(shot_lufs[1] - shot_lufs[0], 12.0, 0.5);
  EXPECT_EQ(result.limiter_max_reduction_db, 0.0);
  for (const AudioShotResult& shot : result.shots) {
    EXPECT_NEAR(shot.lufs_after - shot.lufs_before, shot.gain_db, 0.05);
  }
}

TEST_F(AudioDecodeTest, UnwritableWorkDirFailsNamingTheSpillAndLeavesNothing) {
  run_ok("ffmpeg -v error -nostdin -y -f lavfi -i sine=sample_rate=48000:duration=2 -c:a aac " +
         q(dir_ / "tone.m4a"));
  const std::filesystem::path missing = dir_ / "no_such_dir";
  try {
    decode_audio({.input = dir_ / "tone.m4a", .workdir = missing});
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

TEST_F(AudioDecodeTest, FailedRenameLeavesNoSpillUnderTheFinalName) {
  // A directory in the way of the final name: the whole stream is decoded,
  // then the rename fails. The temp file goes; nothing becomes a spill.
  run_ok("ffmpeg -v error -nostdin -y -f lavfi -i sine=sample_rate=48000:duration=2 -c:a aac " +
         q(dir_ / "tone.m4a"));
  std::filesystem::create_directories(dir_ / "audio.spill.f32" / "occupied");
  try {
    decode_audio({.input = dir_ / "tone.m4a", .workdir = dir_.path()});
    FAIL() << "no throw";
  } catch (const RuntimeError& e) {
    EXPECT_EQ(std::string(e.what()).rfind((dir_ / "audio.spill.f32").string() +
                                              ": rename from audio.spill.f32" +
                                              core::temp_suffix() + " failed: ",
                                          0),
              0u)
        << e.what();
  }
  EXPECT_EQ(names_in(dir_.path()), (std::vector<std::string>{"audio.spill.f32", "tone.m4a"}));
  EXPECT_TRUE(std::filesystem::is_directory(dir_ / "audio.spill.f32"));
}

TEST_F(AudioDecodeTest, ExceptionAfterTheDecodeRemovesTheSpill) {
  run_ok("ffmpeg -v error -nostdin -y -f lavfi -i sine=sample_rate=48000:duration=2 -c:a aac " +
         q(dir_ / "tone.m4a"));
  // The decode goes to dir_, audio.m4a to a directory that does not exist.
  const std::filesystem::path missing = dir_ / "no_such_dir";
  AudioPhaseInput in = phase_input(dir_ / "tone.m4a", {{0.0, 2.0}}, missing);
  AudioDecodeInput request = decode_input_of(in);
  request.workdir = dir_.path();
  AudioDecodeResult decoded = decode_audio(request);
  ASSERT_TRUE(std::filesystem::exists(dir_ / "audio.spill.f32"));
  try {
    run_audio_phase(in, std::move(decoded));
    FAIL() << "no throw";
  } catch (const media::AvError& e) {
    EXPECT_EQ(std::string(e.what()), (missing / "audio.m4a").string() + core::temp_suffix() +
                                         ": avio_open failed: No such file or directory");
  }
  EXPECT_EQ(names_in(dir_.path()), (std::vector<std::string>{"tone.m4a"}));
}

TEST_F(AudioDecodeTest, SpillsOfACrashedRunAreReplaced) {
  run_ok(
      "ffmpeg -v error -nostdin -y -f lavfi -i sine=sample_rate=48000:duration=1 -c:a pcm_f32le " +
      q(dir_ / "tone.wav"));
  std::ofstream(dir_ / "audio.spill.f32") << "a spill from a crashed run";
  std::ofstream(dir_ / "audio.spill.f32.tmp-999999") << "a temp file from a crashed run";
  const AudioDecodeResult decoded =
      decode_audio({.input = dir_ / "tone.wav", .workdir = dir_.path()});
  EXPECT_EQ(names_in(dir_.path()), (std::vector<std::string>{"audio.spill.f32", "tone.wav"}));
  EXPECT_EQ(decoded.spill.frames(), kRate);
  EXPECT_EQ(std::filesystem::file_size(decoded.spill.path()), 8u * kRate);
}

TEST_F(AudioDecodeTest, InputWithoutAudioIsSkippedWithoutASpill) {
  run_ok(
      "ffmpeg -v error -nostdin -y -f lavfi -i color=c=gray:size=64x64:rate=10:duration=2"
      " -c:v libx264 -preset ultrafast -pix_fmt yuv420p " +
      q(dir_ / "silent_film.mp4"));
  const AudioPhaseInput in = phase_input(dir_ / "silent_film.mp4", {{0.0, 2.0}}, dir_.path());
  AudioDecodeResult decoded = decode_audio(decode_input_of(in));
  EXPECT_TRUE(decoded.skipped);
  EXPECT_TRUE(decoded.spill.empty());
  const AudioResult result = run_audio_phase(in, std::move(decoded));
  EXPECT_TRUE(result.skipped);
  EXPECT_EQ(result.skip_reason, "no audio stream in " + (dir_ / "silent_film.mp4").string());
  EXPECT_EQ(names_in(dir_.path()), (std::vector<std::string>{"silent_film.mp4"}));
}

TEST_F(AudioDecodeTest, DecodeOfAnotherInputIsRejected) {
  run_ok(
      "ffmpeg -v error -nostdin -y -f lavfi -i sine=sample_rate=48000:duration=1 -c:a pcm_f32le " +
      q(dir_ / "a.wav"));
  AudioDecodeResult decoded = decode_audio({.input = dir_ / "a.wav", .workdir = dir_.path()});
  AudioPhaseInput in = phase_input(dir_ / "b.wav", {{0.0, 1.0}}, dir_.path());
  in.video_start_s = 0.5;
  try {
    run_audio_phase(in, std::move(decoded));
    FAIL() << "no throw";
  } catch (const RuntimeError& e) {
    EXPECT_EQ(std::string(e.what()),
              "audio phase: the decoded audio is stream -1 of " + (dir_ / "a.wav").string() +
                  " from 0 s, the phase input asks for stream -1 of " + (dir_ / "b.wav").string() +
                  " from 0.5 s; pass decode_audio(decode_input_of(in))'s result");
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ / "audio.spill.f32"));
}

TEST_F(AudioDecodeTest, SpillOfTheWrongSizeIsRejected) {
  std::vector<float> block(2 * 100, 0.25f);
  AudioSpill spill;
  {
    AudioSpillWriter writer(dir_ / "audio.spill.f32");
    writer.write(block.data(), 100);
    spill = writer.commit();
  }
  EXPECT_EQ(spill.frames(), 100);
  std::filesystem::resize_file(spill.path(), 796);
  try {
    AudioSpillReader reader(spill, 100);
    FAIL() << "no throw";
  } catch (const RuntimeError& e) {
    EXPECT_EQ(std::string(e.what()),
              spill.path().string() +
                  ": the audio spill holds 796 bytes, expected 100 frames x 8 = 800; the work "
                  "directory changed while the audio phase ran; run the job again");
  }
}

}  // namespace
}  // namespace ff::coordinator
