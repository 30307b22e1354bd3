// Render segments on disk and the stitch that joins them, checked with the
// ffmpeg/ffprobe command-line tools and sha256sum as independent readers:
// frame counts, keyframes, headers, the sidecar and resume checks; the
// stitched file's frames, timeline, layout, decode cleanliness and audio.
#include "media/stitch.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "media/segment_file.h"
#include "media/video_encoder.h"
#include "support/testenv.h"

namespace ff::media {
namespace {

constexpr int kFpsNum = 30;
const std::vector<int64_t> kSegmentFrames = {40, 37, 50};  // 127 frames, 127/30 s
constexpr int64_t kTotalFrames = 127;

std::string q(const std::filesystem::path& p) {
  return test::shell_quote(p.string());
}

std::string sh(const std::string& command) {
  const test::CommandResult r = test::run_command(command);
  EXPECT_EQ(r.exit_code, 0) << command << "\n" << r.err;
  return r.out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// Output frame `index` of a continuous synthetic source: a moving gradient
// with noise. pts is set by the caller (frame index within the segment).
FramePtr source_frame(int width, int height, int64_t index) {
  FramePtr frame = make_frame();
  frame->format = AV_PIX_FMT_YUV420P;
  frame->width = width;
  frame->height = height;
  av_check(av_frame_get_buffer(frame.get(), 0), "av_frame_get_buffer", "test");
  std::mt19937 rng(static_cast<unsigned>(index) + 7u);
  std::uniform_int_distribution<int> noise(-5, 5);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const int v = 16 + ((x + 2 * y + 4 * static_cast<int>(index)) % 200) + noise(rng);
      frame->data[0][y * frame->linesize[0] + x] = static_cast<uint8_t>(std::clamp(v, 16, 235));
    }
  }
  for (int y = 0; y < height / 2; ++y) {
    for (int x = 0; x < width / 2; ++x) {
      frame->data[1][y * frame->linesize[1] + x] =
          static_cast<uint8_t>(100 + (x + static_cast<int>(index)) % 50);
      frame->data[2][y * frame->linesize[2] + x] = static_cast<uint8_t>(110 + y % 40);
    }
  }
  return frame;
}

EncoderSettings settings(int width = 320, int height = 240, int crf = 23) {
  EncoderSettings s;
  s.width = width;
  s.height = height;
  s.fps_num = kFpsNum;
  s.fps_den = 1;
  s.preset = "veryfast";
  s.crf = crf;
  s.gop_frames = 30;
  s.threads = 1;
  return s;
}

// Encodes source frames [first, first + count) as segment `id`; `write_frames`
// less than `expected` makes a short segment.
SegmentRecord render_segment(const std::filesystem::path& dir, int id, int64_t first,
                             int64_t expected, const std::string& key, const EncoderSettings& s,
                             int64_t write_frames = -1) {
  if (write_frames < 0) write_frames = expected;
  VideoEncoder enc(s);
  SegmentFile seg({.dir = dir, .id = id, .frames = expected, .plan_key = key}, enc);
  for (int64_t i = 0; i < write_frames; ++i) {
    FramePtr f = source_frame(s.width, s.height, first + i);
    f->pts = i;
    enc.encode(f.get());
    seg.write_ready(enc);
  }
  enc.flush();
  seg.write_ready(enc);
  return seg.finish();
}

class Segments : public testing::Test {
 protected:
  Segments() : work_("stitch") {}

  void SetUp() override {
    int64_t first = 0;
    for (size_t i = 0; i < kSegmentFrames.size(); ++i) {
      records_.push_back(render_segment(dir(), static_cast<int>(i), first, kSegmentFrames[i],
                                        "plan-A", settings()));
      paths_.push_back(records_.back().path);
      first += kSegmentFrames[i];
    }
  }

  std::filesystem::path dir() const { return work_.path() / "segments"; }

  test::TempDir work_;
  std::vector<SegmentRecord> records_;
  std::vector<std::filesystem::path> paths_;
};

std::string probe_entry(const std::filesystem::path& file, const std::string& entries,
                        const std::string& extra = "") {
  return sh("ffprobe -v error -select_streams v:0 " + extra + " -show_entries " + entries +
            " -of default=nw=1:nk=1 " + q(file));
}

// Per-frame MD5 of the decoded pictures, in presentation order.
std::vector<std::string> frame_md5s(const std::filesystem::path& file) {
  std::vector<std::string> md5s;
  for (const std::string& line :
       lines_of(sh("ffmpeg -v error -i " + q(file) + " -map 0:v:0 -f framemd5 -"))) {
    if (line.empty() || line[0] == '#') continue;
    md5s.push_back(line.substr(line.rfind(',') + 1));
  }
  return md5s;
}

// Top-level MP4 box types in file order.
std::vector<std::string> top_level_boxes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  const uint64_t size = std::filesystem::file_size(file);
  std::vector<std::string> boxes;
  uint64_t offset = 0;
  while (offset + 8 <= size) {
    unsigned char header[16];
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(reinterpret_cast<char*>(header), 16);
    uint64_t box_size = (uint64_t{header[0]} << 24) | (uint64_t{header[1]} << 16) |
                        (uint64_t{header[2]} << 8) | header[3];
    if (box_size == 1) {
      box_size = 0;
      for (int i = 8; i < 16; ++i) box_size = (box_size << 8) | header[i];
    } else if (box_size == 0) {
      box_size = size - offset;
    }
    boxes.emplace_back(reinterpret_cast<char*>(header) + 4, 4);
    if (box_size < 8) break;
    offset += box_size;
  }
  return boxes;
}

TEST_F(Segments, HaveTheirFrameCountsKeyframeFirstAndEqualHeaders) {
  std::string first_hash;
  for (size_t i = 0; i < paths_.size(); ++i) {
    SCOPED_TRACE(paths_[i].string());
    EXPECT_EQ(paths_[i].filename().string(), "seg_0000" + std::to_string(i) + ".mp4");
    EXPECT_EQ(probe_entry(paths_[i], "stream=nb_read_frames", "-count_frames"),
              std::to_string(kSegmentFrames[i]) + "\n");
    EXPECT_EQ(probe_entry(paths_[i], "frame=key_frame,pict_type", "-read_intervals %+#1"),
              "1\nI\n");
    const std::string hash =
        probe_entry(paths_[i], "stream=extradata_hash", "-show_data_hash sha256");
    ASSERT_EQ(hash.rfind("SHA256:", 0), 0u) << hash;
    if (i == 0) first_hash = hash;
    EXPECT_EQ(hash, first_hash);
    // The sidecar agrees with independent tools.
    const std::optional<SegmentRecord> rec = read_segment_record(dir(), static_cast<int>(i));
    ASSERT_TRUE(rec.has_value());
    EXPECT_EQ(rec->frames, kSegmentFrames[i]);
    EXPECT_EQ(rec->bytes, std::filesystem::file_size(paths_[i]));
    EXPECT_EQ(rec->sha256 + "  -\n", sh("sha256sum < " + q(paths_[i])));
    EXPECT_EQ(rec->plan_key, "plan-A");
    EXPECT_EQ(rec->encoder, "libx264");
  }
  // Nothing but the segments and their sidecars: no temp files left.
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir())) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"seg_00000.json", "seg_00000.mp4", "seg_00001.json",
                                             "seg_00001.mp4", "seg_00002.json", "seg_00002.mp4"}));
}

TEST_F(Segments, DoneOnlyWhileKeyCountAndBytesMatch) {
  EXPECT_TRUE(segment_is_done(dir(), 1, 37, "plan-A"));
  EXPECT_FALSE(segment_is_done(dir(), 1, 37, "plan-B"));
  EXPECT_FALSE(segment_is_done(dir(), 1, 38, "plan-A"));
  EXPECT_FALSE(segment_is_done(dir(), 7, 37, "plan-A"));  // never rendered

  // One flipped byte in the middle of the file (the media data).
  const std::filesystem::path seg = paths_[1];
  const auto size = static_cast<std::streamoff>(std::filesystem::file_size(seg));
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(size / 2);
    char byte = 0;
    f.read(&byte, 1);
    byte = static_cast<char>(byte ^ 0x5a);
    f.seekp(size / 2);
    f.write(&byte, 1);
  }
  EXPECT_FALSE(segment_is_done(dir(), 1, 37, "plan-A"));

  // A sidecar without its segment (a crash before the rename) is not done.
  std::filesystem::remove(paths_[2]);
  EXPECT_FALSE(segment_is_done(dir(), 2, 50, "plan-A"));
  EXPECT_TRUE(segment_is_done(dir(), 0, 40, "plan-A"));
}

TEST_F(Segments, WrongFrameCountIsAnErrorAndLeavesNoFile) {
  const std::filesystem::path final_path = segment_path(dir(), 3);
  try {
    render_segment(dir(), 3, 0, 41, "plan-A", settings(), /*write_frames=*/40);
    FAIL() << "a 40-frame segment passed as 41";
  } catch (const RuntimeError& e) {
    EXPECT_EQ(std::string(e.what()),
              final_path.string() +
                  ": segment 3 has 40 frames but the plan expects 41; the file was not kept; "
                  "run the job again to re-render it");
  }
  EXPECT_FALSE(std::filesystem::exists(final_path));
  EXPECT_FALSE(std::filesystem::exists(segment_sidecar_path(dir(), 3)));
  for (const auto& entry : std::filesystem::directory_iterator(dir())) {
    EXPECT_EQ(entry.path().string().find(".tmp-"), std::string::npos) << entry.path();
  }
}

TEST_F(Segments, StitchJoinsWithoutReencode) {
  const std::filesystem::path out = work_ / "out.mp4";
  stitch(paths_, std::nullopt, out, {.fps = {kFpsNum, 1}, .expected_frames = kTotalFrames});

  // Decodes with no error at all.
  const test::CommandResult decode =
      test::run_command("ffmpeg -v error -xerror -i " + q(out) + " -f null -");
  EXPECT_EQ(decode.exit_code, 0);
  EXPECT_EQ(decode.out + decode.err, "");

  EXPECT_EQ(probe_entry(out, "stream=nb_read_frames", "-count_frames"), "127\n");
  EXPECT_EQ(probe_entry(out,
                        "stream=codec_name,profile,r_frame_rate,avg_frame_rate,color_range,"
                        "color_space,color_transfer,color_primaries"),
            "h264\nHigh\ntv\nbt709\nbt709\nbt709\n30/1\n30/1\n");  // ffprobe's order
  const double duration_s = std::stod(probe_entry(out, "stream=duration"));
  EXPECT_NEAR(duration_s, 127.0 / 30.0, 0.001);
  EXPECT_NEAR(std::stod(sh("ffprobe -v error -show_entries format=duration -of "
                           "default=nw=1:nk=1 " +
                           q(out))),
              127.0 / 30.0, 0.001);

  // Constant frame rate: frame k shows at k/30 s.
  const std::vector<std::string> times =
      lines_of(probe_entry(out, "frame=best_effort_timestamp_time"));
  ASSERT_EQ(times.size(), 127u);
  for (size_t k = 0; k < times.size(); ++k) {
    EXPECT_NEAR(std::stod(times[k]), static_cast<double>(k) / 30.0, 0.001) << "frame " << k;
  }
  // Decode times strictly increase across the joins.
  const std::vector<std::string> dts = lines_of(probe_entry(out, "packet=dts"));
  ASSERT_EQ(dts.size(), 127u);
  for (size_t k = 1; k < dts.size(); ++k) {
    EXPECT_LT(std::stoll(dts[k - 1]), std::stoll(dts[k])) << "packet " << k;
  }

  // moov before mdat (faststart).
  const std::vector<std::string> boxes = top_level_boxes(out);
  const auto moov = std::find(boxes.begin(), boxes.end(), "moov");
  const auto mdat = std::find(boxes.begin(), boxes.end(), "mdat");
  ASSERT_NE(moov, boxes.end());
  ASSERT_NE(mdat, boxes.end());
  EXPECT_LT(moov - boxes.begin(), mdat - boxes.begin());

  // The pictures are the segments' pictures, in order: nothing re-encoded.
  std::vector<std::string> expected;
  for (const auto& seg : paths_) {
    const std::vector<std::string> md5s = frame_md5s(seg);
    expected.insert(expected.end(), md5s.begin(), md5s.end());
  }
  ASSERT_EQ(expected.size(), 127u);
  EXPECT_EQ(frame_md5s(out), expected);

  // Only the output: no temp file beside it.
  EXPECT_FALSE(std::filesystem::exists(out.string() + ".tmp-" + std::to_string(::getpid())));
}

TEST_F(Segments, StitchMuxesTheAudio) {
  const std::filesystem::path audio = work_ / "audio.m4a";
  sh("ffmpeg -v error -f lavfi -i sine=frequency=440:sample_rate=48000:duration=4.2333333 "
     "-c:a aac -b:a 96k " +
     q(audio));
  const std::filesystem::path out = work_ / "out.mp4";
  stitch(paths_, audio, out, {.fps = {kFpsNum, 1}, .expected_frames = kTotalFrames});

  const test::CommandResult decode =
      test::run_command("ffmpeg -v error -xerror -i " + q(out) + " -f null -");
  EXPECT_EQ(decode.exit_code, 0);
  EXPECT_EQ(decode.out + decode.err, "");
  const std::vector<std::string> streams = lines_of(
      sh("ffprobe -v error -show_entries stream=codec_type,codec_name,duration -of csv=p=0 " +
         q(out)));
  ASSERT_EQ(streams.size(), 2u) << sh("ffprobe -v error -show_streams " + q(out));
  double video_s = -1;
  double audio_s = -1;
  for (const std::string& s : streams) {
    if (s.rfind("h264,video,", 0) == 0) video_s = std::stod(s.substr(11));
    if (s.rfind("aac,audio,", 0) == 0) audio_s = std::stod(s.substr(10));
  }
  EXPECT_NEAR(video_s, 127.0 / 30.0, 0.001);
  EXPECT_NEAR(audio_s, video_s, 1.0 / 30.0);
  EXPECT_EQ(probe_entry(out, "stream=nb_read_frames", "-count_frames"), "127\n");
}

TEST_F(Segments, StitchRefusesSegmentsWithOtherHeaders) {
  // A segment rendered at another size has another SPS.
  const SegmentRecord other = render_segment(dir(), 9, 0, 20, "plan-A", settings(320, 256));
  const std::filesystem::path out = work_ / "out.mp4";
  try {
    stitch({paths_[0], paths_[1], other.path}, std::nullopt, out, {.fps = {kFpsNum, 1}});
    FAIL() << "segments with different headers were joined";
  } catch (const RuntimeError& e) {
    EXPECT_EQ(std::string(e.what()),
              other.path.string() + ": its H.264 parameter sets (SPS/PPS) differ from " +
                  paths_[0].string() +
                  "'s: the segments were encoded with different settings and cannot be joined "
                  "without re-encoding; delete the work directory's segments/ (" +
                  dir().string() + ") and run the job again to re-render them");
  }
  EXPECT_FALSE(std::filesystem::exists(out));
}

// x264's stitchable=1 keeps the headers free of rate-control choices: a
// segment encoded at another CRF has the same SPS/PPS and joins cleanly.
TEST_F(Segments, StitchAcceptsAnotherCrf) {
  const SegmentRecord other =
      render_segment(dir(), 9, kTotalFrames, 20, "plan-A", settings(320, 240, 35));
  const std::filesystem::path out = work_ / "out.mp4";
  stitch({paths_[0], other.path}, std::nullopt, out, {.fps = {kFpsNum, 1}, .expected_frames = 60});
  const test::CommandResult decode =
      test::run_command("ffmpeg -v error -xerror -i " + q(out) + " -f null -");
  EXPECT_EQ(decode.out + decode.err, "");
  EXPECT_EQ(probe_entry(out, "stream=nb_read_frames", "-count_frames"), "60\n");
}

TEST_F(Segments, StitchChecksThePlannedFrameCount) {
  const std::filesystem::path out = work_ / "out.mp4";
  try {
    stitch(paths_, std::nullopt, out, {.fps = {kFpsNum, 1}, .expected_frames = 128});
    FAIL() << "127 frames passed as 128";
  } catch (const RuntimeError& e) {
    EXPECT_EQ(std::string(e.what()), out.string() +
                                         ": the segments hold 127 frames but the plan expects "
                                         "128; the output was not written");
  }
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_FALSE(std::filesystem::exists(out.string() + ".tmp-" + std::to_string(::getpid())));
}

}  // namespace
}  // namespace ff::media
