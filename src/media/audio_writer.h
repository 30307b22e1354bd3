#pragma once
// AudioWriter: encodes one continuous 48 kHz stereo float stream to AAC-LC
// (libavcodec's native "aac" encoder) and muxes it into an .m4a (the mp4
// "ipod" muxer): the audio phase's output, muxed later by the stitch
// (DESIGN.md §1, phases 5 and 6).
//
// The whole track is encoded once, so AAC's priming (the encoder's 1024
// samples of initial padding) occurs once, at the start, where the muxer's
// edit list hides it: a decoder that honours edit lists (FFmpeg, players)
// returns exactly the frames written, no more, no fewer. The last AAC frame
// may be short; its packet duration says so and the edit list ends there.
//
// The file is written to `<final>.tmp-<host>-<pid>` and renamed to `final_path` by
// finish() (core/atomic_file.h): a file with the final name is complete. If
// finish() is never reached (an exception), the temp file is removed.
//
// Example:
//   AudioWriter writer(work_dir / "audio.m4a", {.bitrate_kbps = 160});
//   writer.write(block.data(), frames);   // any block sizes, interleaved L R
//   writer.finish();                      // flush, trailer, rename
//
// The encoder's bandwidth is set explicitly: cutoff_hz(bitrate_kbps), FFmpeg's
// own rule for a constant bit rate (17 kHz at 160 kbps stereo). Everything
// above it is dropped; EncoderBandFilter below models that, so the audio
// phase can measure what the encoder will keep.
//
// Errors: AvError naming the temp file and the call; ff::ConfigError for a
// bit rate out of range.
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <vector>

#include "core/atomic_file.h"
#include "media/av.h"

namespace ff::media {

struct AudioWriterOptions {
  int bitrate_kbps = 160;  // AAC-LC bit rate, 16 .. 512
};

class AudioWriter {
 public:
  static constexpr int kSampleRateHz = 48000;
  static constexpr int kChannels = 2;

  AudioWriter(const std::filesystem::path& final_path, const AudioWriterOptions& options);

  // The AAC bandwidth for a stereo 48 kHz stream at `bitrate_kbps`:
  // min(max(b/5, b*15/32 - 5500), 3000 + b/4, 12000 + b/16, 22000) Hz with
  // b the bit rate per channel in bit/s (libavcodec's AAC_CUTOFF_FROM_BITRATE).
  // Throws ConfigError for a bit rate out of 16..512 kbps, like the constructor.
  static int cutoff_hz(int bitrate_kbps);
  AudioWriter(const AudioWriter&) = delete;
  AudioWriter& operator=(const AudioWriter&) = delete;

  // Appends `frames` interleaved stereo frames.
  void write(const float* interleaved, size_t frames);
  // Encodes what is buffered, drains the encoder, writes the trailer,
  // closes and renames the file. Call once; write() after it throws.
  void finish();

  int64_t frames_written() const { return frames_in_; }
  int64_t packets() const { return packets_; }
  int64_t bytes() const { return bytes_; }
  // The encoder's priming in frames (initial_padding; 1024 for FFmpeg's aac).
  int priming_frames() const { return codec_->initial_padding; }
  const std::filesystem::path& path() const { return out_.final_path(); }

 private:
  void encode_buffer(size_t frames);  // frames from buffer_ (planar copy) into one AAC frame
  void send(const AVFrame* frame);    // frame == nullptr: flush
  void drain();                       // receive and mux every packet the encoder has

  core::AtomicOutput out_;
  CodecContextPtr codec_;
  OutputFormatPtr mux_;
  AVStream* stream_ = nullptr;
  FramePtr frame_;
  PacketPtr packet_;
  std::vector<float> buffer_;  // up to one AAC frame of interleaved input
  size_t buffered_ = 0;        // frames in buffer_
  size_t frame_size_ = 1024;   // the encoder's frame size
  int64_t frames_in_ = 0;
  int64_t next_pts_ = 0;  // in 1/48000 s
  int64_t packets_ = 0;
  int64_t bytes_ = 0;
  bool finished_ = false;
};

// The AAC encoder's band as a filter: an 8th-order Butterworth low-pass
// (four biquad sections, transposed direct form II, double state) at the
// encoder's cutoff, for 48 kHz interleaved float. The audio phase runs its
// signal through it before measuring and limiting, so the loudness it
// measures and the peaks it limits are those of what the encoder keeps: on
// full-band pink noise, AAC at 160 kbps otherwise reads 0.4-0.5 LU quieter
// than the signal it was given (docs/audio.md). Group delay at 1 kHz is about
// 5 samples (0.1 ms).
//
//   EncoderBandFilter band(AudioWriter::cutoff_hz(160));   // 17 kHz
//   band.process(block.data(), frames);                     // in place, streaming
class EncoderBandFilter {
 public:
  explicit EncoderBandFilter(double cutoff_hz, int sample_rate_hz = AudioWriter::kSampleRateHz,
                             int channels = AudioWriter::kChannels);
  void process(float* interleaved, size_t frames);

 private:
  struct Section {
    double b0 = 0, b1 = 0, b2 = 0, a1 = 0, a2 = 0;
  };
  static constexpr size_t kSections = 4;
  std::array<Section, kSections> sections_;
  size_t channels_;
  std::vector<double> state_;  // per channel and section: s1, s2
};

}  // namespace ff::media
