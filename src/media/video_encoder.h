#pragma once
// H.264 encoding of render segments (DESIGN.md §1 phase 4, §5, §6): yuv420p
// frames in, H.264 packets out, with settings chosen so that segments
// encoded separately, on any rank, join at the bitstream level (stitch.h).
//
//   EncoderSettings s = encoder_settings(job.output, 30, 1, /*threads=*/1);
//   VideoEncoder enc(s);                // auto: h264_nvenc, else libx264
//   enc.name();                         // "libx264": what actually runs
//   for (int64_t i = 0; i < frames; ++i) {
//     frame->pts = i;                   // frame index within the segment, 1/fps units
//     enc.encode(frame);
//     while (PacketPtr p = enc.take_packet()) mux(p.get());   // time_base() units
//   }
//   enc.flush();
//   while (PacketPtr p = enc.take_packet()) mux(p.get());
//
// Why segments are stitchable:
// - every segment starts with an IDR: the first frame is sent as a forced I
//   frame (x264 and NVENC also start every stream with an IDR), and frames
//   after it are sent with no picture type, so a decoder's I-frame flags on
//   the caller's frames never force extra keyframes;
// - closed GOPs: x264 `open-gop=0`, NVENC's IDR-only keyframes, so no frame
//   refers across a segment join;
// - byte-identical SPS/PPS/VUI for equal settings: x264 `stitchable=1` keeps
//   content-derived choices out of the headers (even a different CRF gives
//   the same headers), AV_CODEC_FLAG_GLOBAL_HEADER puts SPS/PPS in the
//   extradata (the MP4 avcC) and not in the stream; the VUI carries the
//   fixed BT.709 primaries/transfer/matrix and limited range.
// - a fixed GOP: keyint = gop_frames with x264's scene-cut detection off
//   (`scenecut=0`; min-keyint then has no effect and is left alone).
//   Segments already start at the planned cuts, so extra IDRs inside a
//   segment would only cost bits; with a fixed GOP the keyframes sit at
//   segment start + k * gop_frames, which QA can predict.
//
// Determinism: x264's output depends on its thread count (frame threads
// change the lookahead and rate control), so the farm encodes with
// `threads = 1` per rank: a segment is then byte-identical whichever rank,
// and however many ranks, encode it. AV_CODEC_FLAG_BITEXACT is set as well.
//
// NVENC (h264_nvenc) cannot run on the development machines (no NVIDIA
// driver; A100/H100/H200 have no NVENC either). Its parameters are fixed so
// that its segments are stitchable too: preset p4, tune hq, VBR with
// `cq` = crf (or the bit rate), B-frames fixed at 2 (0 for Baseline) with
// no adaptive B or lookahead, no scene-cut IDRs, `forced-idr=1`,
// `strict_gop=1`, the profile and level passed through.
//
// `encoder = auto` tries NVENC first; when it does not open (no device, no
// driver, FFmpeg built without it) the encoder falls back to libx264, logs
// one line saying why, and fallback_reason() keeps it. After one failed
// NVENC open a process stops trying (one log line per rank, not one per
// segment). On a cluster that mixes NVENC and non-NVENC nodes, `auto` would
// give segments with different headers, which stitch() refuses; use
// encoder = "x264" or "nvenc" there.
//
// Device frames (the render's GPU path, docs/gpu.md): given a CUDA frames
// context (AV_HWDEVICE_TYPE_CUDA frames, format AV_PIX_FMT_CUDA, sw_format
// yuv420p, the output size) and when h264_nvenc is what opens, the encoder
// takes frames from that context (av_hwframe_get_buffer) straight from device
// memory: nothing goes through the host. When libx264 opens instead (asked
// for, or `auto` falling back), the frames context is ignored and the encoder
// takes host yuv420p frames as without it; takes_device_frames() tells which.
//
// The job loader (core/options_validate.cc) refuses preset "ultrafast" with
// profile high/main (ultrafast turns off CABAC, 8x8 transforms and B-frames,
// so x264 signals Constrained Baseline). The encoder checks it again for
// settings built in code, and after opening checks the profile and level
// the SPS actually signals.
#include <cstdint>
#include <deque>
#include <string>

#include "core/h264_levels.h"
#include "core/options.h"
#include "media/av.h"

namespace ff::media {

struct EncoderSettings {
  core::Encoder encoder = core::Encoder::kX264;  // kAuto: NVENC, else libx264
  int width = 0;                                 // pixels, even
  int height = 0;                                // pixels, even
  int fps_num = 30;                              // frame rate fps_num / fps_den
  int fps_den = 1;
  std::string preset = "medium";  // x264 preset (NVENC always uses p4)
  int crf = 20;                   // x264 CRF / NVENC CQ; used when bitrate_kbps == 0
  int bitrate_kbps = 0;           // average bit rate; 0 = constant quality
  core::H264Profile profile = core::H264Profile::kHigh;
  std::string level = "4.0";  // H.264 level name; coded as level_idc (4.0 -> 40)
  int gop_frames = 60;        // keyframe interval in frames
  int max_lookahead = 20;     // x264 rc-lookahead at most this (the preset's own when lower)
  int threads = 1;            // x264 threads; 1 for output identical on any rank count
  int vbv_maxrate_kbps = 0;   // VBV cap (x264) / max rate (NVENC); 0 = none
  int vbv_bufsize_kbit = 0;   // VBV buffer; 0 = none
};

// Settings for the job's [output] table at the output frame rate
// `fps_num / fps_den`: gop_frames = round(gop_s * fps), and the VBV capped at
// the level's MaxBR / MaxCPB for the profile, so a constant-quality stream
// stays within the level it signals.
EncoderSettings encoder_settings(const core::OutputOptions& output, int fps_num, int fps_den,
                                 int threads);

// Throws ff::RuntimeError naming the setting when `settings` cannot be
// encoded: odd or zero size, bad frame rate, gop, crf, unknown level or
// preset, or preset "ultrafast" with profile high or main.
void validate(const EncoderSettings& settings);

class VideoEncoder {
 public:
  // Opens the encoder (see the header comment for `auto`). Throws
  // ff::RuntimeError for invalid settings, AvError when the encoder that was
  // asked for does not open.
  // `cuda_frames`: see "Device frames" above; nullptr for host frames only.
  // Throws ff::RuntimeError when it is not a CUDA yuv420p context of the
  // settings' size.
  explicit VideoEncoder(const EncoderSettings& settings, const AVBufferRef* cuda_frames = nullptr);
  VideoEncoder(const VideoEncoder&) = delete;
  VideoEncoder& operator=(const VideoEncoder&) = delete;

  // Sends one yuv420p frame of the configured size (an AV_PIX_FMT_CUDA frame
  // from the frames context when takes_device_frames()). frame->pts is in
  // time_base() units (output frame index within the segment) and must
  // increase from frame to frame. The frame is not modified.
  void encode(const AVFrame* frame);

  // Drains the encoder: every remaining packet becomes available to
  // take_packet(). No encode() after flush().
  void flush();

  // The next packet in decode order (pts/dts in time_base()), or nullptr when
  // none is ready yet.
  PacketPtr take_packet();

  // "libx264" or "h264_nvenc": the encoder that actually runs.
  std::string name() const { return codec_->codec->name; }
  // Whether encode() takes AV_PIX_FMT_CUDA frames: NVENC opened with the
  // frames context given to the constructor.
  bool takes_device_frames() const { return codec_->pix_fmt == AV_PIX_FMT_CUDA; }
  // Why `auto` did not use NVENC, or "" when it did or was not asked to.
  const std::string& fallback_reason() const { return fallback_reason_; }
  // The opened codec context: extradata (SPS/PPS), size, colour tags.
  const AVCodecContext* context() const { return codec_.get(); }
  // 1 / fps: packet timestamps count frames.
  AVRational time_base() const { return codec_->time_base; }
  int64_t frames_sent() const { return frames_sent_; }

 private:
  void receive_packets();

  EncoderSettings settings_;
  CodecContextPtr codec_;
  FramePtr staged_;  // the caller's frame, referenced, with the picture type set
  std::deque<PacketPtr> ready_;
  std::string fallback_reason_;
  int64_t frames_sent_ = 0;
  int64_t last_pts_ = 0;
  bool flushed_ = false;
};

}  // namespace ff::media
