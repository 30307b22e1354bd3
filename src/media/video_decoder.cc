#include "media/video_decoder.h"

#include <string>

namespace ff::media {

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
  av_check(avcodec_open2(codec_.get(), decoder, nullptr), "avcodec_open2", path);
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
