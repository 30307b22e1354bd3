#pragma once
// AudioReader: one audio stream of a file, decoded (any codec FFmpeg reads)
// and resampled with libswresample to 48 kHz stereo interleaved float, on the
// output video's timeline, in blocks: the audio phase's source (DESIGN.md §1,
// phase 5). Memory stays bounded by one decoded frame, whatever the length.
//
// Channels: mono is duplicated (L = R = the mono sample, "dual mono"; swr's
// default would put it at -3 dB on each side); stereo is kept; any other
// layout goes through swr's default downmix matrix, which for 5.1 is ITU-R
// BS.775: L = FL + 0.707 FC + 0.707 SL (BL), R likewise, LFE dropped, no
// normalisation (float output may exceed 1.0; the limiter handles peaks). A
// stream whose channel order is unknown gets FFmpeg's default layout for its
// channel count.
//
// Timeline: output frame 0 is the input time `start_s` (the first video
// frame's presentation time; the output video starts there at 0). The first
// decoded audio frame's timestamp places the audio: audio that starts later
// is preceded by silence, audio that starts earlier loses its first samples.
// Later frames are taken as contiguous, except that a timestamp more than
// `gap_tolerance_s` after the expected one (a hole in the stream) is filled
// with silence. A packet the decoder rejects as invalid data is skipped (and
// counted); its hole is filled the same way.
//
// Length: exactly `total_frames` frames are delivered when it is >= 0: the
// stream is padded with silence at the end or cut off there; with -1 the
// reader delivers whatever the stream holds.
//
// Example:
//   AudioReader reader("call.mp4", {.stream_index = 1, .start_s = 0.0,
//                                   .total_frames = 48000 * 60});
//   std::vector<float> block(2 * 4800);
//   while (size_t n = reader.read(block.data(), 4800)) { ... n frames, L R L R ... }
//
// Errors: AvError for FFmpeg failures (naming the file and the call),
// ff::RuntimeError for a stream that is not audio or has no decoder.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "media/av.h"

namespace ff::media {

struct AudioReaderOptions {
  int stream_index = -1;          // -1: FFmpeg's best audio stream
  double start_s = 0.0;           // input time that becomes output frame 0
  int64_t total_frames = -1;      // frames to deliver (pad / trim); -1: the stream's own length
  double gap_tolerance_s = 0.01;  // a timestamp jump larger than this is filled with silence
};

// What the reader found and did, for the report.
struct AudioReaderStats {
  std::string codec;            // "aac", "pcm_s16le"
  int source_rate_hz = 0;       // the stream's sample rate
  int source_channels = 0;      // the stream's channel count
  std::string source_layout;    // "stereo", "5.1(side)"
  double first_pts_s = 0.0;     // input time of the first decoded sample (NaN before it)
  int64_t lead_silence = 0;     // output frames of silence before the audio starts
  int64_t lead_dropped = 0;     // output frames dropped: audio that starts before start_s
  int64_t gap_silence = 0;      // source frames of silence filled into holes
  int64_t packets = 0;          // packets of the stream read from the file (invalid ones too)
  int64_t invalid_packets = 0;  // packets the decoder rejected (skipped)
  int64_t tail_silence = 0;     // output frames of silence padded at the end
  bool trimmed = false;         // the stream went on past total_frames
};

class AudioReader {
 public:
  static constexpr int kSampleRateHz = 48000;
  static constexpr int kChannels = 2;

  AudioReader(const std::filesystem::path& path, const AudioReaderOptions& options);
  AudioReader(const AudioReader&) = delete;
  AudioReader& operator=(const AudioReader&) = delete;

  // Writes up to `max_frames` frames (2 interleaved floats each) to `dst`;
  // returns how many, 0 only at the end. Fewer than max_frames does not
  // mean the end: call again.
  size_t read(float* dst, size_t max_frames);

  int64_t frames_read() const { return frames_read_; }
  int stream_index() const { return stream_->index; }
  const AudioReaderStats& stats() const { return stats_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  bool decode_more();  // false at the end of the stream (everything flushed)
  void convert(const AVFrame* frame);
  void configure_resampler(const AVFrame* frame);
  void place_first_frame(const AVFrame* frame);
  void fill_gap(const AVFrame* frame);
  // Resamples `in_frames` source frames (nullptr, 0: flush) into pending_,
  // less what is still to drop; returns the frames swr produced.
  int append_converted(const uint8_t** in, int in_frames);
  bool send_next_packet();

  std::filesystem::path path_;
  AudioReaderOptions options_;
  InputFormatPtr input_;
  AVStream* stream_ = nullptr;
  CodecContextPtr codec_;
  PacketPtr packet_;
  FramePtr frame_;
  SwrContextPtr swr_;
  bool draining_ = false;  // the decoder was sent its flush packet
  bool finished_ = false;  // decoder and resampler fully drained

  // An AVChannelLayout that is uninitialised when it goes away.
  struct OwnedLayout {
    AVChannelLayout layout{};
    OwnedLayout() = default;
    ~OwnedLayout() { av_channel_layout_uninit(&layout); }
    OwnedLayout(const OwnedLayout&) = delete;
    OwnedLayout& operator=(const OwnedLayout&) = delete;
  };

  // The resampler's current input format (reconfigured when a frame differs).
  int swr_format_ = -1;
  int swr_rate_ = 0;
  OwnedLayout swr_layout_;
  FramePtr silence_;  // silent input frames for holes, in the resampler's input format

  bool placed_ = false;          // the first frame's timestamp has been seen
  double next_pts_s_ = 0.0;      // expected input time of the next decoded sample
  int64_t drop_ = 0;             // output frames still to drop (audio before start_s)
  int64_t pending_silence_ = 0;  // output frames of silence still to emit (lead)
  std::vector<float> pending_;   // converted frames not yet read, interleaved
  size_t pending_pos_ = 0;       // first unread float in pending_
  int64_t frames_read_ = 0;
  AudioReaderStats stats_;
};

}  // namespace ff::media
