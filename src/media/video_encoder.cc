#include "media/video_encoder.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <string>

#include "core/error.h"
#include "core/log.h"

extern "C" {
#include <libavutil/hwcontext.h>
}

namespace ff::media {
namespace {

constexpr const char* kX264 = "libx264";
constexpr const char* kNvenc = "h264_nvenc";

// After one failed NVENC open, `auto` goes straight to libx264 in this process.
std::atomic<bool> g_nvenc_failed{false};
std::mutex g_nvenc_reason_mutex;
std::string g_nvenc_reason;

[[noreturn]] void bad_setting(const std::string& what) {
  throw RuntimeError("encoder settings: " + what);
}

int profile_idc(core::H264Profile profile) {
  switch (profile) {
    case core::H264Profile::kHigh: return 100;
    case core::H264Profile::kMain: return 77;
    case core::H264Profile::kBaseline: return 66;
  }
  return 0;
}

// profile_idc and level_idc of the first SPS in extradata, Annex B (start
// codes, what libx264 and NVENC give with GLOBAL_HEADER) or avcC. {0, 0}
// when there is none.
std::pair<int, int> sps_profile_level(const AVCodecContext* ctx) {
  const uint8_t* data = ctx->extradata;
  const int size = ctx->extradata_size;
  if (data == nullptr || size < 4) return {0, 0};
  if (data[0] == 1) return {data[1], data[3]};  // avcC: version, profile, compat, level
  for (int i = 0; i + 6 < size; ++i) {
    if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 && (data[i + 3] & 0x1f) == 7) {
      return {data[i + 4], data[i + 6]};  // NAL header, profile_idc, constraints, level_idc
    }
  }
  return {0, 0};
}

void set_option(Dictionary& options, const char* key, const std::string& value) {
  av_check(av_dict_set(options.addr(), key, value.c_str(), 0),
           std::string("av_dict_set(") + key + ")", "encoder options");
}

// Fields common to both encoders: size, rate, GOP, rate-control caps, colour, flags.
void set_common_fields(AVCodecContext* ctx, const EncoderSettings& s) {
  ctx->width = s.width;
  ctx->height = s.height;
  ctx->pix_fmt = AV_PIX_FMT_YUV420P;
  ctx->time_base = AVRational{s.fps_den, s.fps_num};
  ctx->framerate = AVRational{s.fps_num, s.fps_den};
  ctx->sample_aspect_ratio = AVRational{1, 1};
  ctx->gop_size = s.gop_frames;
  ctx->bit_rate = static_cast<int64_t>(s.bitrate_kbps) * 1000;
  ctx->rc_max_rate = static_cast<int64_t>(s.vbv_maxrate_kbps) * 1000;
  ctx->rc_buffer_size = s.vbv_bufsize_kbit * 1000;
  ctx->color_primaries = AVCOL_PRI_BT709;
  ctx->color_trc = AVCOL_TRC_BT709;
  ctx->colorspace = AVCOL_SPC_BT709;
  ctx->color_range = AVCOL_RANGE_MPEG;
  ctx->chroma_sample_location = AVCHROMA_LOC_LEFT;
  ctx->flags |= AV_CODEC_FLAG_GLOBAL_HEADER | AV_CODEC_FLAG_BITEXACT;
}

// x264 0.164's rc-lookahead per preset (common/base.c, preset_names order).
int x264_preset_lookahead(const std::string& preset) {
  static const std::pair<const char*, int> kLookahead[] = {
      {"ultrafast", 0}, {"superfast", 0}, {"veryfast", 10}, {"faster", 20},   {"fast", 30},
      {"medium", 40},   {"slow", 50},     {"slower", 60},   {"veryslow", 60}, {"placebo", 60}};
  for (const auto& [name, frames] : kLookahead)
    if (preset == name) return frames;
  return 40;  // unknown presets are refused by validate()
}

CodecContextPtr open_x264(const EncoderSettings& s) {
  const AVCodec* codec = avcodec_find_encoder_by_name(kX264);
  if (codec == nullptr) {
    throw RuntimeError(std::string(kX264) +
                       ": this FFmpeg build has no libx264 encoder; install one built with "
                       "--enable-libx264");
  }
  CodecContextPtr ctx = make_codec_context(codec, kX264);
  set_common_fields(ctx.get(), s);
  ctx->thread_count = s.threads;
  Dictionary options;
  set_option(options, "preset", s.preset);
  set_option(options, "profile", std::string(core::to_string(s.profile)));
  set_option(options, "level", s.level);
  if (s.bitrate_kbps == 0) set_option(options, "crf", std::to_string(s.crf));
  set_option(options, "forced-idr", "1");
  // stitchable: headers independent of content; open-gop=0: closed GOPs;
  // scenecut=0 + keyint: IDRs exactly every gop_frames from the segment start.
  std::string params = "stitchable=1:open-gop=0:scenecut=0:keyint=" + std::to_string(s.gop_frames);
  // Only ever lowers the preset's lookahead (x264-params apply after the preset).
  if (s.max_lookahead < x264_preset_lookahead(s.preset))
    params += ":rc-lookahead=" + std::to_string(s.max_lookahead);
  set_option(options, "x264-params", params);
  AvLogCapture capture;
  av_check(avcodec_open2(ctx.get(), codec, options.addr()), "avcodec_open2", kX264);
  return ctx;
}

// A frames context the encoder can take device frames from: CUDA frames of
// yuv420p at the output size.
void check_cuda_frames(const AVBufferRef* frames, const EncoderSettings& s) {
  const auto* ctx = reinterpret_cast<const AVHWFramesContext*>(frames->data);
  if (ctx->format != AV_PIX_FMT_CUDA || ctx->sw_format != AV_PIX_FMT_YUV420P ||
      ctx->width != s.width || ctx->height != s.height) {
    throw RuntimeError(
        "encoder: the device frames context holds " + std::to_string(ctx->width) + "x" +
        std::to_string(ctx->height) + " " +
        (av_get_pix_fmt_name(ctx->format) ? av_get_pix_fmt_name(ctx->format) : "?") + "/" +
        (av_get_pix_fmt_name(ctx->sw_format) ? av_get_pix_fmt_name(ctx->sw_format) : "?") +
        " frames; the encoder needs " + std::to_string(s.width) + "x" + std::to_string(s.height) +
        " cuda/yuv420p");
  }
}

CodecContextPtr open_nvenc(const EncoderSettings& s, const AVBufferRef* cuda_frames) {
  const AVCodec* codec = avcodec_find_encoder_by_name(kNvenc);
  if (codec == nullptr) {
    throw RuntimeError(std::string(kNvenc) + ": this FFmpeg build has no NVENC encoder");
  }
  CodecContextPtr ctx = make_codec_context(codec, kNvenc);
  set_common_fields(ctx.get(), s);
  if (cuda_frames != nullptr) {
    // Frames in device memory: NVENC reads them in the frames' CUDA context.
    ctx->pix_fmt = AV_PIX_FMT_CUDA;
    ctx->sw_pix_fmt = AV_PIX_FMT_YUV420P;
    ctx->hw_frames_ctx = av_check_alloc(av_buffer_ref(cuda_frames), "av_buffer_ref", kNvenc);
  }
  // Fixed, so every segment has the same reorder delay; Baseline has no B-slices.
  ctx->max_b_frames = s.profile == core::H264Profile::kBaseline ? 0 : 2;
  Dictionary options;
  set_option(options, "preset", "p4");
  set_option(options, "tune", "hq");
  set_option(options, "profile", std::string(core::to_string(s.profile)));
  set_option(options, "level", s.level);
  set_option(options, "rc", "vbr");
  if (s.bitrate_kbps == 0) set_option(options, "cq", std::to_string(s.crf));
  set_option(options, "rc-lookahead", "0");
  set_option(options, "b_adapt", "0");
  set_option(options, "b_ref_mode", "disabled");
  set_option(options, "no-scenecut", "1");
  set_option(options, "forced-idr", "1");
  set_option(options, "strict_gop", "1");
  AvLogCapture capture;
  av_check(avcodec_open2(ctx.get(), codec, options.addr()), "avcodec_open2", kNvenc);
  return ctx;
}

// The profile and level the SPS signals must be the ones asked for: this
// catches the ultrafast trap (and anything like it) whatever the preset.
void check_signalled_profile(const AVCodecContext* ctx, const EncoderSettings& s) {
  const auto [profile, level] = sps_profile_level(ctx);
  const int want_profile = profile_idc(s.profile);
  const int want_level = core::find_h264_level(s.level)->level_idc;
  if (profile != want_profile || level != want_level) {
    throw RuntimeError(std::string(ctx->codec->name) + ": the stream signals profile_idc " +
                       std::to_string(profile) + " level_idc " + std::to_string(level) +
                       " but profile " + std::string(core::to_string(s.profile)) + " (" +
                       std::to_string(want_profile) + ") level " + s.level + " (" +
                       std::to_string(want_level) +
                       ") was asked; use a slower preset or another profile");
  }
}

}  // namespace

EncoderSettings encoder_settings(const core::OutputOptions& output, int fps_num, int fps_den,
                                 int threads) {
  EncoderSettings s;
  s.encoder = output.encoder;
  s.width = output.width;
  s.height = output.height;
  s.fps_num = fps_num;
  s.fps_den = fps_den;
  s.preset = output.preset;
  s.crf = output.crf;
  s.bitrate_kbps = output.bitrate_kbps;
  s.profile = output.profile;
  s.level = output.level;
  const double fps = fps_den > 0 ? static_cast<double>(fps_num) / fps_den : 0.0;
  s.gop_frames = std::max(1, static_cast<int>(std::lround(output.gop_s * fps)));
  s.max_lookahead = output.max_lookahead;
  s.threads = threads;
  if (const core::H264Level* level = core::find_h264_level(output.level)) {
    s.vbv_maxrate_kbps = static_cast<int>(core::max_bitrate_kbps(*level, output.profile));
    s.vbv_bufsize_kbit = static_cast<int>(core::max_cpb_kbit(*level, output.profile));
  }
  return s;
}

void validate(const EncoderSettings& s) {
  if (s.width <= 0 || s.height <= 0 || s.width % 2 != 0 || s.height % 2 != 0) {
    bad_setting("size " + std::to_string(s.width) + "x" + std::to_string(s.height) +
                " is not a positive even size; yuv420p needs even width and height");
  }
  if (s.fps_num <= 0 || s.fps_den <= 0) {
    bad_setting("frame rate " + std::to_string(s.fps_num) + "/" + std::to_string(s.fps_den) +
                " is not positive");
  }
  if (s.gop_frames < 1) bad_setting("gop_frames = " + std::to_string(s.gop_frames) + " < 1");
  if (s.max_lookahead < 0)
    bad_setting("max_lookahead = " + std::to_string(s.max_lookahead) + " < 0");
  if (s.threads < 0) bad_setting("threads = " + std::to_string(s.threads) + " < 0");
  if (s.bitrate_kbps < 0 || s.vbv_maxrate_kbps < 0 || s.vbv_bufsize_kbit < 0) {
    bad_setting("bit rates and VBV sizes must be >= 0");
  }
  if (s.bitrate_kbps == 0 && (s.crf < 1 || s.crf > 51)) {
    bad_setting("crf = " + std::to_string(s.crf) +
                " is out of range; allowed 1..51 (0 is lossless, which needs High 4:4:4)");
  }
  if (core::find_h264_level(s.level) == nullptr) {
    bad_setting("level \"" + s.level + "\" is not an H.264 level; use e.g. \"4.0\"");
  }
  if (std::find(core::kPresetNames.begin(), core::kPresetNames.end(), s.preset) ==
      core::kPresetNames.end()) {
    bad_setting("preset \"" + s.preset + "\" is not an x264 preset; use e.g. \"veryfast\"");
  }
  if (s.preset == "ultrafast" && s.profile != core::H264Profile::kBaseline) {
    bad_setting("preset \"ultrafast\" cannot deliver profile " +
                std::string(core::to_string(s.profile)) +
                ": ultrafast disables CABAC, 8x8 transforms and B-frames, so the stream would "
                "signal Constrained Baseline; use \"superfast\" or slower");
  }
}

VideoEncoder::VideoEncoder(const EncoderSettings& settings, const AVBufferRef* cuda_frames)
    : settings_(settings), staged_(make_frame()) {
  validate(settings_);
  if (cuda_frames != nullptr) check_cuda_frames(cuda_frames, settings_);
  install_ffmpeg_log_bridge();
  const bool want_nvenc = settings_.encoder == core::Encoder::kNvenc;
  const bool try_nvenc = want_nvenc || (settings_.encoder == core::Encoder::kAuto &&
                                        !g_nvenc_failed.load(std::memory_order_relaxed));
  if (try_nvenc) {
    try {
      codec_ = open_nvenc(settings_, cuda_frames);
    } catch (const Error& e) {
      if (want_nvenc) {
        throw RuntimeError(std::string(e.what()) +
                           "; output.encoder = \"nvenc\" needs an NVIDIA GPU with NVENC and its "
                           "driver; use \"auto\" or \"x264\" elsewhere");
      }
      std::lock_guard lock(g_nvenc_reason_mutex);
      g_nvenc_reason = e.what();
      g_nvenc_failed.store(true, std::memory_order_relaxed);
      fallback_reason_ = g_nvenc_reason;
      FF_INFO("encoder auto: " << kNvenc << " did not open (" << e.what() << "); using " << kX264);
    }
  } else if (settings_.encoder == core::Encoder::kAuto) {
    std::lock_guard lock(g_nvenc_reason_mutex);
    fallback_reason_ = g_nvenc_reason;
  }
  if (!codec_) codec_ = open_x264(settings_);
  check_signalled_profile(codec_.get(), settings_);
  FF_DEBUG("encoder: " << name() << " " << settings_.width << "x" << settings_.height << " @ "
                       << settings_.fps_num << "/" << settings_.fps_den << " preset "
                       << settings_.preset << " gop " << settings_.gop_frames);
}

void VideoEncoder::encode(const AVFrame* frame) {
  if (flushed_) throw RuntimeError(name() + ": encode() after flush()");
  const AVPixelFormat want = takes_device_frames() ? AV_PIX_FMT_CUDA : AV_PIX_FMT_YUV420P;
  if (frame->format != want || frame->width != settings_.width ||
      frame->height != settings_.height) {
    const char* format = av_get_pix_fmt_name(static_cast<AVPixelFormat>(frame->format));
    throw RuntimeError(name() + ": got a " + std::to_string(frame->width) + "x" +
                       std::to_string(frame->height) + " " + (format ? format : "unknown") +
                       " frame; this encoder takes " + std::to_string(settings_.width) + "x" +
                       std::to_string(settings_.height) +
                       (takes_device_frames() ? " cuda (yuv420p in device memory)" : " yuv420p"));
  }
  if (frame->pts == AV_NOPTS_VALUE || (frames_sent_ > 0 && frame->pts <= last_pts_)) {
    throw RuntimeError(name() + ": frame " + std::to_string(frames_sent_) + " has pts " +
                       std::to_string(frame->pts) + "; pts must be set and increase (previous " +
                       std::to_string(last_pts_) + ")");
  }
  av_check(av_frame_ref(staged_.get(), frame), "av_frame_ref", name());
  FrameUnref unref(staged_.get());
  // The first frame is forced to an IDR (forced-idr=1); later frames carry no
  // type so picture types left on the caller's frames force nothing.
  staged_->pict_type = frames_sent_ == 0 ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
  AvLogCapture capture;
  av_check(avcodec_send_frame(codec_.get(), staged_.get()), "avcodec_send_frame", name());
  last_pts_ = frame->pts;
  ++frames_sent_;
  receive_packets();
}

void VideoEncoder::flush() {
  if (flushed_) return;
  AvLogCapture capture;
  av_check(avcodec_send_frame(codec_.get(), nullptr), "avcodec_send_frame(flush)", name());
  flushed_ = true;
  receive_packets();
}

void VideoEncoder::receive_packets() {
  while (true) {
    PacketPtr packet = make_packet();
    const int ret = avcodec_receive_packet(codec_.get(), packet.get());
    if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return;
    av_check(ret, "avcodec_receive_packet", name());
    ready_.push_back(std::move(packet));
  }
}

PacketPtr VideoEncoder::take_packet() {
  if (ready_.empty()) return nullptr;
  PacketPtr packet = std::move(ready_.front());
  ready_.pop_front();
  return packet;
}

}  // namespace ff::media
