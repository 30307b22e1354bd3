// The FFmpeg plumbing under the probe: error checks and their messages, the
// log bridge that keeps FFmpeg quiet, the RAII owners, the input fingerprint
// (checked against coreutils' sha256sum and stat) and the CFR/VFR rule on
// plain timestamp lists.
#include "media/av.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "media/av_error.h"
#include "media/fingerprint.h"
#include "media/probe.h"
#include "support/testenv.h"

extern "C" {
#include <libavutil/log.h>
}

namespace ff::media {
namespace {

std::string sh(const std::string& command) {
  const test::CommandResult r = test::run_command(command);
  EXPECT_EQ(r.exit_code, 0) << command << "\n" << r.err;
  return r.out;
}

void write_file(const std::filesystem::path& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::vector<char> random_bytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<char> bytes(n);
  for (char& b : bytes) b = static_cast<char>(rng() & 0xff);
  return bytes;
}

TEST(AvCheck, PassesNonNegativeResultsThrough) {
  EXPECT_EQ(av_check(0, "avcodec_open2", "clip.mp4"), 0);
  EXPECT_EQ(av_check(42, "av_read_frame", "clip.mp4"), 42);
}

TEST(AvCheck, ErrorNamesFileCallAndStrerrorText) {
  try {
    av_check(AVERROR(EINVAL), "avcodec_open2", "clip.mp4");
    FAIL() << "no throw";
  } catch (const AvError& e) {
    // FFmpeg describes errno codes with strerror's words.
    EXPECT_EQ(std::string(e.what()),
              std::string("clip.mp4: avcodec_open2 failed: ") + std::strerror(EINVAL));
    EXPECT_EQ(e.av_code(), AVERROR(EINVAL));
    EXPECT_EQ(e.call(), "avcodec_open2");
    EXPECT_EQ(e.file(), "clip.mp4");
    EXPECT_EQ(e.code(), ExitCode::kRuntime);
  }
  EXPECT_EQ(av_error_text(AVERROR_INVALIDDATA), "Invalid data found when processing input");
}

TEST(AvCheck, AllocFailureIsOutOfMemory) {
  int* none = nullptr;
  EXPECT_THROW(
      {
        try {
          av_check_alloc(none, "av_frame_alloc", "x.mp4");
        } catch (const AvError& e) {
          EXPECT_EQ(std::string(e.what()),
                    std::string("x.mp4: av_frame_alloc failed: ") + std::strerror(ENOMEM));
          throw;
        }
      },
      AvError);
}

TEST(AvLogBridge, CaptureAddsFfmpegsLineToTheError) {
  install_ffmpeg_log_bridge();
  AvLogCapture capture;
  av_log(nullptr, AV_LOG_WARNING, "only a warning\n");  // not an error: not captured
  av_log(nullptr, AV_LOG_ERROR, "moov atom ");          // one line in two calls
  av_log(nullptr, AV_LOG_ERROR, "not found\n");
  ASSERT_EQ(capture.lines().size(), 1u);
  EXPECT_EQ(capture.last(), "moov atom not found");
  try {
    av_check(AVERROR_INVALIDDATA, "avformat_open_input", "cut.mp4");
    FAIL() << "no throw";
  } catch (const AvError& e) {
    EXPECT_STREQ(e.what(),
                 "cut.mp4: avformat_open_input failed: Invalid data found when processing "
                 "input (FFmpeg: moov atom not found)");
    EXPECT_EQ(e.detail(), "moov atom not found");
    EXPECT_EQ(e.reason(), "Invalid data found when processing input: moov atom not found");
  }
}

TEST(AvLogBridge, InnermostCaptureCollectsAndOuterResumes) {
  install_ffmpeg_log_bridge();
  AvLogCapture outer;
  {
    AvLogCapture inner;
    av_log(nullptr, AV_LOG_ERROR, "inner\n");
    EXPECT_EQ(inner.last(), "inner");
    EXPECT_EQ(AvLogCapture::current(), &inner);
  }
  EXPECT_TRUE(outer.lines().empty());
  EXPECT_EQ(AvLogCapture::current(), &outer);
  av_log(nullptr, AV_LOG_FATAL, "outer\n");
  EXPECT_EQ(outer.last(), "outer");
}

TEST(AvLogBridge, FfmpegPrintsNothingToStderr) {
  install_ffmpeg_log_bridge();
  testing::internal::CaptureStderr();
  av_log(nullptr, AV_LOG_ERROR, "this must not reach the terminal\n");
  av_log(nullptr, AV_LOG_WARNING, "nor this\n");
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

TEST(AvOwners, OpenInputOnAMissingFileThrowsNamingTheCall) {
  try {
    open_input("/nonexistent/framefarm/clip.mp4");
    FAIL() << "no throw";
  } catch (const AvError& e) {
    EXPECT_EQ(e.call(), "avformat_open_input");
    EXPECT_EQ(std::string(e.what()).rfind("/nonexistent/framefarm/clip.mp4: avformat_open_input "
                                          "failed: " +
                                              std::string(std::strerror(ENOENT)),
                                          0),
              0u)
        << e.what();
  }
}

TEST(AvOwners, OutputContextClosesTheFileItOpened) {
  test::TempDir dir("av-owners");
  const auto path = dir / "out.nut";
  {
    AVFormatContext* raw = nullptr;
    av_check(avformat_alloc_output_context2(&raw, nullptr, nullptr, path.c_str()),
             "avformat_alloc_output_context2", path);
    OutputFormatPtr out(raw);
    av_check(avio_open(&out->pb, path.c_str(), AVIO_FLAG_WRITE), "avio_open", path);
    const uint8_t bytes[4] = {'f', 'f', 'r', 'm'};
    avio_write(out->pb, bytes, sizeof bytes);
  }  // the owner flushes and closes pb: the bytes are on disk
  EXPECT_EQ(std::filesystem::file_size(path), 4u);
  PacketPtr pkt = make_packet(path);
  FramePtr frame = make_frame(path);
  EXPECT_NE(pkt, nullptr);
  EXPECT_NE(frame, nullptr);
  EXPECT_THROW(make_hash("NOT-A-HASH", path), AvError);
}

TEST(Fingerprint, MatchesSha256sumOfHeadAndTailAndStat) {
  test::TempDir dir("fingerprint");
  const auto path = dir / "big.bin";
  write_file(path, random_bytes(3 * 1024 * 1024 + 17, 7));
  const Fingerprint fp = fingerprint(path);
  const std::string q = test::shell_quote(path.string());
  const std::string expected_sha =
      sh("(head -c 1048576 " + q + "; tail -c 1048576 " + q + ") | sha256sum").substr(0, 64);
  EXPECT_EQ(fp.head_tail_sha256, expected_sha);
  EXPECT_EQ(fp.size_bytes, 3u * 1024 * 1024 + 17);
  EXPECT_EQ(fp.hashed_bytes, 2u * 1024 * 1024);
  const std::string mtime = sh("stat -c %.9Y " + q);  // "1718000000.123456789\n"
  const std::string mtime_ns =
      mtime.substr(0, mtime.find('.')) + mtime.substr(mtime.find('.') + 1, 9);
  EXPECT_EQ(std::to_string(fp.mtime_ns), mtime_ns);
  EXPECT_EQ(fp.key(), std::to_string(fp.size_bytes) + ":" + mtime_ns + ":" + expected_sha);
}

TEST(Fingerprint, SmallFileHashesAllOfItTwice) {
  test::TempDir dir("fingerprint");
  const auto path = dir / "small.bin";
  write_file(path, random_bytes(1000, 3));
  const std::string q = test::shell_quote(path.string());
  EXPECT_EQ(fingerprint(path).head_tail_sha256,
            sh("cat " + q + " " + q + " | sha256sum").substr(0, 64));
}

TEST(Fingerprint, SeesTailEditsButNotMiddleOnesByDesign) {
  test::TempDir dir("fingerprint");
  const auto path = dir / "edit.bin";
  std::vector<char> bytes = random_bytes(3 * 1024 * 1024, 11);
  write_file(path, bytes);
  const std::string before = fingerprint(path).head_tail_sha256;
  bytes[bytes.size() / 2] ^= 1;  // in neither the first nor the last MiB
  write_file(path, bytes);
  EXPECT_EQ(fingerprint(path).head_tail_sha256, before);
  bytes.back() ^= 1;
  write_file(path, bytes);
  EXPECT_NE(fingerprint(path).head_tail_sha256, before);
}

TEST(Fingerprint, MissingFileIsAnInputError) {
  try {
    fingerprint("/nonexistent/clip.mp4");
    FAIL() << "no throw";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), std::string("/nonexistent/clip.mp4: input rejected: cannot "
                                                 "stat (") +
                                         std::strerror(ENOENT) + "); check the path");
  }
}

std::vector<int64_t> grid(int n, int64_t step) {
  std::vector<int64_t> pts(n);
  for (int i = 0; i < n; ++i) pts[i] = i * step;
  return pts;
}

TEST(FrameTiming, ExactGridIsCfrEvenOutOfOrder) {
  std::vector<int64_t> pts = grid(50, 512);
  std::swap(pts[3], pts[5]);  // B-frames: file order is not presentation order
  const FrameTiming t = classify_frame_timing(pts);
  EXPECT_FALSE(t.vfr);
  EXPECT_EQ(t.reference_delta_pts, 512);
  EXPECT_EQ(t.min_delta_pts, 512);
  EXPECT_EQ(t.max_delta_pts, 512);
  EXPECT_EQ(t.off_grid_deltas, 0);
}

TEST(FrameTiming, OneTickRoundingIsCfr) {
  // 30000/1001 fps in a 1/1000 time base: pts = round(n * 1001 / 30).
  std::vector<int64_t> pts;
  for (int n = 0; n < 300; ++n) pts.push_back((n * 1001 * 2 + 30) / 60);
  const FrameTiming t = classify_frame_timing(pts);
  EXPECT_FALSE(t.vfr);
  EXPECT_EQ(t.min_delta_pts, 33);
  EXPECT_EQ(t.max_delta_pts, 34);
}

TEST(FrameTiming, OutliersAtTheEdgesAreTolerated) {
  std::vector<int64_t> pts = grid(40, 1000);
  pts[0] = -700;      // delta 0: 1700
  pts.back() += 300;  // delta 38 (the last): 1300
  FrameTiming t = classify_frame_timing(pts);
  EXPECT_EQ(t.off_grid_deltas, 2);
  EXPECT_EQ(t.off_grid_interior, 0);
  EXPECT_FALSE(t.vfr);
  pts[2] = 2500;  // delta 1: 1500 (still an edge), delta 2: 500 (interior)
  t = classify_frame_timing(pts);
  EXPECT_EQ(t.off_grid_deltas, 4);
  EXPECT_EQ(t.off_grid_interior, 1);
  EXPECT_TRUE(t.vfr);
}

TEST(FrameTiming, OneInteriorGapIsVfr) {
  std::vector<int64_t> pts = grid(100, 3003);
  for (size_t i = 50; i < pts.size(); ++i) pts[i] += 3003;  // a dropped frame
  const FrameTiming t = classify_frame_timing(pts);
  EXPECT_TRUE(t.vfr);
  EXPECT_EQ(t.off_grid_interior, 1);
  EXPECT_EQ(t.max_delta_pts, 6006);
  EXPECT_EQ(t.reference_delta_pts, 3003);
}

TEST(FrameTiming, TooFewFramesAreCfr) {
  EXPECT_FALSE(classify_frame_timing({}).vfr);
  EXPECT_FALSE(classify_frame_timing({7}).vfr);
  const FrameTiming two = classify_frame_timing({10, 0});
  EXPECT_FALSE(two.vfr);
  EXPECT_EQ(two.reference_delta_pts, 10);
}

}  // namespace
}  // namespace ff::media
