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
//
// NVDEC (DecoderOptions::cuda): the same decoder gets the process's CUDA
// device (media::shared_cuda_device()) and a get_format callback that picks
// AV_PIX_FMT_CUDA, so libavcodec's "cuda" hwaccel decodes on the GPU and the
// frames stay in device memory: frame->format == AV_PIX_FMT_CUDA, data[0] the
// luma and data[1] the interleaved chroma as device pointers, and
// frame->hw_frames_ctx's sw_format NV12 for 8-bit 4:2:0. Only 8-bit 4:2:0
// streams are taken to the device; anything else (10-bit, 4:2:2, a codec or
// profile NVDEC refuses, no device) decodes on the CPU exactly as without the
// option, and hw_fallback_reason() says why:
//
//   VideoDecoder dec(path, index, {.threads = 1, .cuda = true});
//   const AVFrame* f = dec.next();
//   if (f->format != AV_PIX_FMT_CUDA) log(dec.hw_fallback_reason());
#include <cstdint>
#include <filesystem>
#include <string>

#include "media/av.h"

namespace ff::media {

struct DecoderOptions {
  int threads = 1;                // decoder threads; 0 = FFmpeg's choice
  bool skip_loop_filter = false;  // analysis only: faster, slightly softer pictures
  bool tolerate_errors = false;   // false: any decode error throws (err_recognition explode)
  bool cuda = false;              // NVDEC where it can (see above), else the CPU decoder
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

  // With DecoderOptions::cuda: "" while NVDEC decodes, else why the frames
  // come from the CPU decoder, e.g. "CUDA device 0: av_hwdevice_ctx_create
  // failed: ...". The stream's format is negotiated when the first frame
  // decodes, so a reason about the stream appears only after the first next().
  // Without the option: "".
  const std::string& hw_fallback_reason() const { return hw_fallback_reason_; }

 private:
  bool send_next_packet();
  void use_cuda();
  static AVPixelFormat choose_format(AVCodecContext* ctx, const AVPixelFormat* formats);

  std::filesystem::path path_;
  InputFormatPtr input_;
  CodecContextPtr codec_;
  AVStream* stream_ = nullptr;
  PacketPtr packet_;
  FramePtr frame_;
  bool draining_ = false;
  int64_t frames_decoded_ = 0;
  std::string hw_fallback_reason_;
  bool cuda_picked_ = false;  // choose_format's last answer was AV_PIX_FMT_CUDA
};

}  // namespace ff::media
