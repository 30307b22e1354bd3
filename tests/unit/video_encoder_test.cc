// The render encoder: what the stream signals (checked with ffprobe, not
// with our own parser), the fixed GOP, determinism, the NVENC fallback and
// the settings it refuses.
#include "media/video_encoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "support/testenv.h"

namespace ff::media {
namespace {

constexpr int kWidth = 320;
constexpr int kHeight = 240;

std::string sh(const std::string& command) {
  const test::CommandResult r = test::run_command(command);
  EXPECT_EQ(r.exit_code, 0) << command << "\n" << r.err;
  return r.out;
}

// A moving diagonal gradient with noise; from frame `cut_at` on the gradient
// runs the other way (a hard scene change).
FramePtr test_frame(int width, int height, int64_t index, int64_t cut_at = -1) {
  FramePtr frame = make_frame();
  frame->format = AV_PIX_FMT_YUV420P;
  frame->width = width;
  frame->height = height;
  av_check(av_frame_get_buffer(frame.get(), 0), "av_frame_get_buffer", "test");
  std::mt19937 rng(static_cast<unsigned>(index));
  std::uniform_int_distribution<int> noise(-6, 6);
  const bool flipped = cut_at >= 0 && index >= cut_at;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const int base = flipped ? (width - x + 2 * y) : (x + y + 3 * static_cast<int>(index));
      frame->data[0][y * frame->linesize[0] + x] =
          static_cast<uint8_t>(std::clamp(16 + (base % 200) + noise(rng), 16, 235));
    }
  }
  for (int y = 0; y < height / 2; ++y) {
    for (int x = 0; x < width / 2; ++x) {
      frame->data[1][y * frame->linesize[1] + x] = static_cast<uint8_t>(128 + (x % 32) - 16);
      frame->data[2][y * frame->linesize[2] + x] =
          static_cast<uint8_t>(flipped ? 90 : 128 + (y % 32) - 16);
    }
  }
  frame->pts = index;
  return frame;
}

EncoderSettings small_settings() {
  EncoderSettings s;
  s.width = kWidth;
  s.height = kHeight;
  s.fps_num = 30;
  s.fps_den = 1;
  s.preset = "veryfast";
  s.crf = 23;
  s.gop_frames = 30;
  s.threads = 1;
  return s;
}

// Encodes `frames` frames and writes an Annex B .h264 file: the extradata
// (SPS/PPS) then every packet. Returns the encoder's name.
std::string encode_to_file(const EncoderSettings& s, int64_t frames,
                           const std::filesystem::path& path, int64_t cut_at = -1) {
  VideoEncoder enc(s);
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(enc.context()->extradata), enc.context()->extradata_size);
  auto drain = [&] {
    while (PacketPtr p = enc.take_packet()) {
      out.write(reinterpret_cast<const char*>(p->data), p->size);
    }
  };
  for (int64_t i = 0; i < frames; ++i) {
    enc.encode(test_frame(s.width, s.height, i, cut_at).get());
    drain();
  }
  enc.flush();
  drain();
  return enc.name();
}

std::string probe_stream(const std::filesystem::path& path) {
  return sh(
      "ffprobe -v error -select_streams v:0 -show_entries "
      "stream=codec_name,profile,level,pix_fmt,color_range,color_space,color_transfer,"
      "color_primaries,width,height -of default=nw=1 " +
      test::shell_quote(path.string()));
}

TEST(VideoEncoder, HighLevel40Bt709LimitedRange) {
  test::TempDir dir("enc_high");
  const std::string name = encode_to_file(small_settings(), 20, dir / "a.h264");
  EXPECT_EQ(name, "libx264");
  EXPECT_EQ(probe_stream(dir / "a.h264"),
            "codec_name=h264\nprofile=High\nwidth=320\nheight=240\npix_fmt=yuv420p\nlevel=40\n"
            "color_range=tv\ncolor_space=bt709\ncolor_transfer=bt709\ncolor_primaries=bt709\n");
}

TEST(VideoEncoder, PassesOtherProfileAndLevelThrough) {
  test::TempDir dir("enc_main");
  EncoderSettings s = small_settings();
  s.profile = core::H264Profile::kMain;
  s.level = "3.1";
  encode_to_file(s, 10, dir / "a.h264");
  const std::string probe = probe_stream(dir / "a.h264");
  EXPECT_NE(probe.find("profile=Main\n"), std::string::npos) << probe;
  EXPECT_NE(probe.find("level=31\n"), std::string::npos) << probe;
}

// The trap the validation guards against: ultrafast signals Constrained
// Baseline. Asked for baseline it is allowed, and ffprobe shows why High
// cannot come out of it.
TEST(VideoEncoder, UltrafastSignalsConstrainedBaseline) {
  test::TempDir dir("enc_ultrafast");
  EncoderSettings s = small_settings();
  s.preset = "ultrafast";
  s.profile = core::H264Profile::kBaseline;
  encode_to_file(s, 10, dir / "a.h264");
  EXPECT_NE(probe_stream(dir / "a.h264").find("profile=Constrained Baseline\n"), std::string::npos);
}

TEST(VideoEncoder, RefusesUltrafastWithHigh) {
  EncoderSettings s = small_settings();
  s.preset = "ultrafast";
  try {
    VideoEncoder enc(s);
    FAIL() << "ultrafast + high was accepted";
  } catch (const RuntimeError& e) {
    EXPECT_EQ(std::string(e.what()),
              "encoder settings: preset \"ultrafast\" cannot deliver profile high: ultrafast "
              "disables CABAC, 8x8 transforms and B-frames, so the stream would signal "
              "Constrained Baseline; use \"superfast\" or slower");
  }
}

TEST(VideoEncoder, RefusesBadSettingsNamingThem) {
  auto message = [](EncoderSettings s) {
    try {
      validate(s);
    } catch (const RuntimeError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EncoderSettings s = small_settings();
  s.width = 321;
  EXPECT_EQ(message(s),
            "encoder settings: size 321x240 is not a positive even size; yuv420p needs even "
            "width and height");
  s = small_settings();
  s.crf = 0;
  EXPECT_EQ(message(s),
            "encoder settings: crf = 0 is out of range; allowed 1..51 (0 is lossless, which "
            "needs High 4:4:4)");
  s = small_settings();
  s.level = "4.5";
  EXPECT_EQ(message(s), "encoder settings: level \"4.5\" is not an H.264 level; use e.g. \"4.0\"");
  s = small_settings();
  s.preset = "quick";
  EXPECT_EQ(message(s),
            "encoder settings: preset \"quick\" is not an x264 preset; use e.g. \"veryfast\"");
  EXPECT_EQ(message(small_settings()), "accepted");
}

TEST(VideoEncoder, AutoFallsBackToX264AndSaysSo) {
  EncoderSettings s = small_settings();
  s.encoder = core::Encoder::kAuto;
  testing::internal::CaptureStderr();
  VideoEncoder enc(s);
  const std::string log = testing::internal::GetCapturedStderr();
  if (enc.name() == "h264_nvenc") {
    EXPECT_EQ(enc.fallback_reason(), "");
    GTEST_SKIP() << "this machine has NVENC: no fallback to test";
  }
  EXPECT_EQ(enc.name(), "libx264");
  EXPECT_NE(enc.fallback_reason().find("h264_nvenc"), std::string::npos) << enc.fallback_reason();
  EXPECT_NE(log.find("encoder auto: h264_nvenc did not open ("), std::string::npos) << log;
  EXPECT_NE(log.find("); using libx264"), std::string::npos) << log;

  // A second encoder in the same process does not retry NVENC nor log again,
  // and still says why it runs x264.
  testing::internal::CaptureStderr();
  VideoEncoder again(s);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(again.name(), "libx264");
  EXPECT_EQ(again.fallback_reason(), enc.fallback_reason());
}

TEST(VideoEncoder, ForcedNvencWithoutGpuNamesTheFix) {
  EncoderSettings s = small_settings();
  s.encoder = core::Encoder::kNvenc;
  try {
    VideoEncoder enc(s);
    GTEST_SKIP() << "this machine has NVENC";
  } catch (const RuntimeError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("h264_nvenc: ", 0), 0u) << what;
    EXPECT_NE(what.find("; output.encoder = \"nvenc\" needs an NVIDIA GPU with NVENC and its "
                        "driver; use \"auto\" or \"x264\" elsewhere"),
              std::string::npos)
        << what;
  }
}

// scenecut=0 + keyint: keyframes exactly every gop_frames, even across a hard
// cut in the content; every keyframe is an I frame.
TEST(VideoEncoder, FixedGopIgnoresSceneCuts) {
  test::TempDir dir("enc_gop");
  EncoderSettings s = small_settings();
  s.gop_frames = 25;
  encode_to_file(s, 70, dir / "a.h264", /*cut_at=*/37);
  std::istringstream lines(
      sh("ffprobe -v error -select_streams v:0 -show_entries "
         "frame=key_frame,pict_type -of csv=p=0 " +
         test::shell_quote((dir / "a.h264").string())));
  std::vector<int> keyframes;
  std::string line;
  int index = 0;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;  // the side data section after frame 0 (x264's SEI)
    if (line.rfind("1,", 0) == 0) {
      keyframes.push_back(index);
      EXPECT_EQ(line.substr(0, 3), "1,I") << "frame " << index;
    }
    ++index;
  }
  EXPECT_EQ(index, 70);
  EXPECT_EQ(keyframes, (std::vector<int>{0, 25, 50}));
}

// One thread per encoder: the same frames give the same bytes, run after run
// (what makes the farm's output independent of the rank count).
TEST(VideoEncoder, DeterministicWithOneThread) {
  test::TempDir dir("enc_det");
  encode_to_file(small_settings(), 30, dir / "a.h264");
  encode_to_file(small_settings(), 30, dir / "b.h264");
  const std::string a = sh("sha256sum < " + test::shell_quote((dir / "a.h264").string()));
  const std::string b = sh("sha256sum < " + test::shell_quote((dir / "b.h264").string()));
  EXPECT_EQ(a, b);
}

TEST(VideoEncoder, RefusesWrongFrameSizeAndNonIncreasingPts) {
  VideoEncoder enc(small_settings());
  try {
    enc.encode(test_frame(160, 120, 0).get());
    FAIL() << "a 160x120 frame was accepted";
  } catch (const RuntimeError& e) {
    EXPECT_EQ(std::string(e.what()),
              "libx264: got a 160x120 yuv420p frame; this encoder takes 320x240 yuv420p");
  }
  enc.encode(test_frame(kWidth, kHeight, 5).get());
  try {
    enc.encode(test_frame(kWidth, kHeight, 5).get());
    FAIL() << "a repeated pts was accepted";
  } catch (const RuntimeError& e) {
    EXPECT_EQ(std::string(e.what()),
              "libx264: frame 1 has pts 5; pts must be set and increase (previous 5)");
  }
}

// gop_s and the level's limits (H.264 Table A-1: level 4.0 MaxBR 20000 kbit/s,
// MaxCPB 25000 kbit, times 1.25 for High) carried into the settings.
TEST(VideoEncoder, SettingsFromOutputOptions) {
  core::OutputOptions out;
  out.width = 1080;
  out.height = 1920;
  out.preset = "veryfast";
  out.gop_s = 2.0;
  const EncoderSettings s = encoder_settings(out, 30000, 1001, 1);
  EXPECT_EQ(s.gop_frames, 60);  // 2 s at 29.97 fps = 59.94 frames
  EXPECT_EQ(s.vbv_maxrate_kbps, 25000);
  EXPECT_EQ(s.vbv_bufsize_kbit, 31250);
  EXPECT_EQ(s.encoder, core::Encoder::kAuto);
  EXPECT_EQ(s.fps_num, 30000);
  EXPECT_EQ(s.fps_den, 1001);
  EXPECT_EQ(s.threads, 1);
}

}  // namespace
}  // namespace ff::media
