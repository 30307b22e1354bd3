#pragma once
// Decodes one video stream of a file, frame by frame in presentation order,
// from any keyframe: the scan and render workers' source of pictures.
//
//   VideoDecoder dec(path, probe.video.stream_index, {.threads = 1});
//   dec.seek(chunk.start_pts);                 // keyframe at or before
//   while (const AVFrame* f = dec.next()) {    // valid until the next call
//     if (f->best_effort_timestamp >= chunk.end_pts) break;
//     ...
//   }
//
// Frames come out in presentation order (the decoder reorders). A corrupt
// packet is an AvError naming the file, unless DecoderOptions::tolerate_errors.
#include <cstdint>
#include <filesystem>

#include "media/av.h"

namespace ff::media {

struct DecoderOptions {
  int threads = 1;                // decoder threads; 0 = FFmpeg's choice
  bool skip_loop_filter = false;  // analysis only: faster, slightly softer pictures
  bool tolerate_errors = false;   // false: any decode error throws (err_recognition explode)
};

class VideoDecoder {
 public:
  VideoDecoder(const std::filesystem::path& path, int stream_index, DecoderOptions options = {});
  VideoDecoder(const VideoDecoder&) = delete;
  VideoDecoder& operator=(const VideoDecoder&) = delete;

  // Positions the demuxer on the keyframe at or before `pts` (stream time
  // base) and flushes the decoder.
  void seek(int64_t pts);

  // The next frame in presentation order, or nullptr at the end of the
  // stream. The frame stays valid until the next call to next() or seek().
  const AVFrame* next();

  const AVStream* stream() const { return stream_; }
  const AVCodecContext* codec() const { return codec_.get(); }
  const std::filesystem::path& path() const { return path_; }
  int64_t frames_decoded() const { return frames_decoded_; }

 private:
  bool send_next_packet();

  std::filesystem::path path_;
  InputFormatPtr input_;
  CodecContextPtr codec_;
  AVStream* stream_ = nullptr;
  PacketPtr packet_;
  FramePtr frame_;
  bool draining_ = false;
  int64_t frames_decoded_ = 0;
};

}  // namespace ff::media
