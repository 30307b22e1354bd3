#include "media/video_decoder.h"

#include <string>

#include "media/hw_device.h"

namespace ff::media {
namespace {

std::string format_name(AVPixelFormat format) {
  const char* name = av_get_pix_fmt_name(format);
  return name != nullptr ? name : "unknown";
}

// "h264 High, 1920x1080": what a fallback reason says about the stream.
std::string stream_words(const AVCodecContext* ctx) {
  const char* profile = avcodec_profile_name(ctx->codec_id, ctx->profile);
  return std::string(avcodec_get_name(ctx->codec_id)) +
         (profile != nullptr ? " " + std::string(profile) : std::string()) + ", " +
         std::to_string(ctx->width) + "x" + std::to_string(ctx->height);
}

}  // namespace

VideoDecoder::VideoDecoder(const std::filesystem::path& path, int stream_index,
                           DecoderOptions options)
    : path_(path), input_(open_input(path)), packet_(make_packet(path)), frame_(make_frame(path)) {
  if (stream_index < 0 || stream_index >= static_cast<int>(input_->nb_streams) ||
      input_->streams[stream_index]->codecpar->codec_type != AVMEDIA_TYPE_VIDEO) {
    throw RuntimeError(path.string() + ": stream " + std::to_string(stream_index) +
                       " is not a video stream; probe the file again");
  }
  stream_ = input_->streams[stream_index];
  for (unsigned i = 0; i < input_->nb_streams; ++i) {
    input_->streams[i]->discard =
        static_cast<int>(i) == stream_index ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
  }
  const AVCodec* decoder = avcodec_find_decoder(stream_->codecpar->codec_id);
  if (decoder == nullptr) {
    throw RuntimeError(path.string() + ": no decoder for codec " +
                       avcodec_get_name(stream_->codecpar->codec_id) +
                       "; install an FFmpeg build that has one");
  }
  codec_ = make_codec_context(decoder, path);
  av_check(avcodec_parameters_to_context(codec_.get(), stream_->codecpar),
           "avcodec_parameters_to_context", path);
  codec_->pkt_timebase = stream_->time_base;
  codec_->thread_count = options.threads;
  if (options.skip_loop_filter) codec_->skip_loop_filter = AVDISCARD_ALL;
  if (!options.tolerate_errors) {
    codec_->err_recognition |= AV_EF_EXPLODE | AV_EF_CRCCHECK | AV_EF_BITSTREAM;
  }
  if (options.cuda) use_cuda();
  av_check(avcodec_open2(codec_.get(), decoder, nullptr), "avcodec_open2", path);
}

// Gives the codec the process's CUDA device and the format callback; leaves
// the codec as it is (the CPU decoder) with the reason when either is missing.
void VideoDecoder::use_cuda() {
  if (!cuda_hwaccel_available(stream_->codecpar->codec_id)) {
    hw_fallback_reason_ = std::string("FFmpeg's ") + codec_->codec->name +
                          " decoder has no cuda hwaccel (NVDEC) in this build";
    return;
  }
  try {
    codec_->hw_device_ctx = shared_cuda_device().new_ref().release();
  } catch (const AvError& e) {
    hw_fallback_reason_ = e.what();
    return;
  }
  codec_->opaque = this;
  codec_->get_format = &VideoDecoder::choose_format;
}

// libavcodec lists the formats it can decode this stream to, hardware ones
// first and the best software one last (ctx->sw_pix_fmt). AV_PIX_FMT_CUDA
// only for 8-bit 4:2:0, which NVDEC turns into NV12; else the software
// format, so the stream decodes on the CPU as it would without a device.
// When NVDEC fails to start for a format it was given, libavcodec asks again
// without AV_PIX_FMT_CUDA in the list.
AVPixelFormat VideoDecoder::choose_format(AVCodecContext* ctx, const AVPixelFormat* formats) {
  auto* self = static_cast<VideoDecoder*>(ctx->opaque);
  bool cuda_offered = false;
  AVPixelFormat software = AV_PIX_FMT_NONE;
  for (const AVPixelFormat* f = formats; *f != AV_PIX_FMT_NONE; ++f) {
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(*f);
    if (*f == AV_PIX_FMT_CUDA) {
      cuda_offered = true;
    } else if (desc != nullptr && (desc->flags & AV_PIX_FMT_FLAG_HWACCEL) == 0) {
      software = *f;
    }
  }
  const bool eight_bit_420 = software == AV_PIX_FMT_YUV420P || software == AV_PIX_FMT_YUVJ420P;
  if (cuda_offered && eight_bit_420) {
    self->cuda_picked_ = true;
    self->hw_fallback_reason_.clear();
    return AV_PIX_FMT_CUDA;
  }
  if (!cuda_offered) {
    self->hw_fallback_reason_ =
        self->cuda_picked_
            ? "NVDEC did not start for this stream (" + stream_words(ctx) +
                  "; FFmpeg's reason is in the debug log)"
            : "the decoder offered no CUDA format for this stream (" + stream_words(ctx) + ")";
  } else {
    self->hw_fallback_reason_ = "the stream decodes to " + format_name(software) + " (" +
                                stream_words(ctx) + "); the device path takes 8-bit 4:2:0 only";
  }
  self->cuda_picked_ = false;
  return software != AV_PIX_FMT_NONE ? software : formats[0];
}

void VideoDecoder::seek(int64_t pts) {
  av_check(av_seek_frame(input_.get(), stream_->index, pts, AVSEEK_FLAG_BACKWARD), "av_seek_frame",
           path_);
  avcodec_flush_buffers(codec_.get());
  draining_ = false;
}

bool VideoDecoder::send_next_packet() {
  while (true) {
    const int ret = av_read_frame(input_.get(), packet_.get());
    if (ret == AVERROR_EOF) {
      av_check(avcodec_send_packet(codec_.get(), nullptr), "avcodec_send_packet(flush)", path_);
      draining_ = true;
      return false;
    }
    av_check(ret, "av_read_frame", path_);
    PacketUnref unref(packet_.get());
    if (packet_->stream_index != stream_->index) continue;
    const int sent = avcodec_send_packet(codec_.get(), packet_.get());
    if (sent == AVERROR(EAGAIN)) {
      throw RuntimeError(path_.string() + ": decoder refused a packet while frames were pending");
    }
    av_check(sent, "avcodec_send_packet", path_);
    return true;
  }
}

const AVFrame* VideoDecoder::next() {
  av_frame_unref(frame_.get());
  while (true) {
    const int ret = avcodec_receive_frame(codec_.get(), frame_.get());
    if (ret >= 0) {
      ++frames_decoded_;
      return frame_.get();
    }
    if (ret == AVERROR_EOF) return nullptr;
    if (ret != AVERROR(EAGAIN)) av_check(ret, "avcodec_receive_frame", path_);
    if (draining_) return nullptr;
    send_next_packet();
  }
}

}  // namespace ff::media
