#include "media/audio_writer.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "core/error.h"

extern "C" {
#include <libavutil/channel_layout.h>
}

namespace ff::media {
namespace {

void check_bitrate(int bitrate_kbps) {
  if (bitrate_kbps < 16 || bitrate_kbps > 512) {
    throw ConfigError("output.audio_bitrate_kbps = " + std::to_string(bitrate_kbps) +
                      " is out of range; allowed 16..512");
  }
}

}  // namespace

AudioWriter::AudioWriter(const std::filesystem::path& final_path, const AudioWriterOptions& options)
    : out_(final_path), packet_(make_packet(final_path)) {
  check_bitrate(options.bitrate_kbps);
  install_ffmpeg_log_bridge();
  AvLogCapture capture;
  const std::filesystem::path& path = out_.temp_path();

  const AVCodec* encoder = avcodec_find_encoder_by_name("aac");
  if (encoder == nullptr) {
    throw RuntimeError(path.string() +
                       ": FFmpeg's aac encoder is missing; install an FFmpeg build with it");
  }
  codec_ = make_codec_context(encoder, path);
  codec_->sample_fmt = AV_SAMPLE_FMT_FLTP;
  codec_->sample_rate = kSampleRateHz;
  const AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;
  av_check(av_channel_layout_copy(&codec_->ch_layout, &stereo), "av_channel_layout_copy", path);
  codec_->bit_rate = static_cast<int64_t>(options.bitrate_kbps) * 1000;
  codec_->profile = FF_PROFILE_AAC_LOW;
  codec_->cutoff = cutoff_hz(options.bitrate_kbps);
  codec_->time_base = AVRational{1, kSampleRateHz};

  AVFormatContext* raw = nullptr;
  av_check(avformat_alloc_output_context2(&raw, nullptr, "ipod", path.c_str()),
           "avformat_alloc_output_context2(ipod)", path);
  mux_.reset(raw);
  if (mux_->oformat->flags & AVFMT_GLOBALHEADER) codec_->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  av_check(avcodec_open2(codec_.get(), encoder, nullptr), "avcodec_open2(aac)", path);
  frame_size_ = codec_->frame_size > 0 ? static_cast<size_t>(codec_->frame_size) : 1024;

  stream_ = av_check_alloc(avformat_new_stream(mux_.get(), nullptr), "avformat_new_stream", path);
  stream_->time_base = AVRational{1, kSampleRateHz};
  av_check(avcodec_parameters_from_context(stream_->codecpar, codec_.get()),
           "avcodec_parameters_from_context", path);
  av_check(avio_open(&mux_->pb, path.c_str(), AVIO_FLAG_WRITE), "avio_open", path);
  av_check(avformat_write_header(mux_.get(), nullptr), "avformat_write_header", path);

  frame_ = make_frame(path);
  frame_->format = AV_SAMPLE_FMT_FLTP;
  frame_->sample_rate = kSampleRateHz;
  av_check(av_channel_layout_copy(&frame_->ch_layout, &stereo), "av_channel_layout_copy", path);
  frame_->nb_samples = static_cast<int>(frame_size_);
  av_check(av_frame_get_buffer(frame_.get(), 0), "av_frame_get_buffer", path);
  buffer_.resize(frame_size_ * kChannels);
}

int AudioWriter::cutoff_hz(int bitrate_kbps) {
  check_bitrate(bitrate_kbps);
  const int b = bitrate_kbps * 1000 / kChannels;
  return std::min({std::max(b / 5, b * 15 / 32 - 5500), 3000 + b / 4, 12000 + b / 16, 22000,
                   kSampleRateHz / 2});
}

void AudioWriter::write(const float* interleaved, size_t frames) {
  if (finished_) {
    throw RuntimeError(out_.final_path().string() + ": AudioWriter::write after finish()");
  }
  while (frames > 0) {
    const size_t n = std::min(frames, frame_size_ - buffered_);
    std::copy(interleaved, interleaved + n * kChannels, buffer_.data() + buffered_ * kChannels);
    buffered_ += n;
    interleaved += n * kChannels;
    frames -= n;
    frames_in_ += static_cast<int64_t>(n);
    if (buffered_ == frame_size_) encode_buffer(frame_size_);
  }
}

void AudioWriter::encode_buffer(size_t frames) {
  const std::filesystem::path& path = out_.temp_path();
  // The encoder may still hold a reference to the previous frame's buffers.
  av_check(av_frame_make_writable(frame_.get()), "av_frame_make_writable", path);
  frame_->nb_samples = static_cast<int>(frames);
  auto* left = reinterpret_cast<float*>(frame_->data[0]);
  auto* right = reinterpret_cast<float*>(frame_->data[1]);
  for (size_t i = 0; i < frames; ++i) {
    left[i] = buffer_[2 * i];
    right[i] = buffer_[2 * i + 1];
  }
  frame_->pts = next_pts_;
  next_pts_ += static_cast<int64_t>(frames);
  buffered_ = 0;
  send(frame_.get());
}

void AudioWriter::send(const AVFrame* frame) {
  AvLogCapture capture;
  av_check(avcodec_send_frame(codec_.get(), frame),
           frame ? "avcodec_send_frame" : "avcodec_send_frame(flush)", out_.temp_path());
  drain();
}

void AudioWriter::drain() {
  const std::filesystem::path& path = out_.temp_path();
  while (true) {
    const int ret = avcodec_receive_packet(codec_.get(), packet_.get());
    if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return;
    av_check(ret, "avcodec_receive_packet", path);
    PacketUnref unref(packet_.get());
    av_packet_rescale_ts(packet_.get(), codec_->time_base, stream_->time_base);
    packet_->stream_index = stream_->index;
    ++packets_;
    bytes_ += packet_->size;
    av_check(av_write_frame(mux_.get(), packet_.get()), "av_write_frame", path);
  }
}

void AudioWriter::finish() {
  if (finished_) {
    throw RuntimeError(out_.final_path().string() + ": AudioWriter::finish called twice");
  }
  finished_ = true;
  const std::filesystem::path& path = out_.temp_path();
  if (buffered_ > 0) encode_buffer(buffered_);  // a short last frame (the encoder allows it)
  send(nullptr);
  AvLogCapture capture;
  av_check(av_write_trailer(mux_.get()), "av_write_trailer", path);
  // Close now, checked: a failed final flush (disk full) must not pass as a
  // complete file. The owner then has nothing left to close.
  av_check(avio_closep(&mux_->pb), "avio_closep", path);
  mux_.reset();
  out_.commit();
}

EncoderBandFilter::EncoderBandFilter(double cutoff_hz, int sample_rate_hz, int channels)
    : channels_(static_cast<size_t>(channels)) {
  if (!(cutoff_hz > 0.0 && cutoff_hz < sample_rate_hz / 2.0) || channels < 1) {
    throw ConfigError("EncoderBandFilter: cutoff_hz = " + std::to_string(cutoff_hz) +
                      " must lie in (0, sample_rate_hz / 2) and channels >= 1");
  }
  // RBJ low-pass biquads with the Q of each pole pair of an 8th-order
  // Butterworth: Q_k = 1 / (2 sin((2k - 1) pi / 16)).
  const double w0 = 2.0 * std::numbers::pi * cutoff_hz / sample_rate_hz;
  const double cos_w0 = std::cos(w0), sin_w0 = std::sin(w0);
  for (size_t k = 0; k < kSections; ++k) {
    const double q = 1.0 / (2.0 * std::sin(static_cast<double>(2 * k + 1) * std::numbers::pi /
                                           static_cast<double>(4 * kSections)));
    const double alpha = sin_w0 / (2.0 * q), a0 = 1.0 + alpha;
    sections_[k] = {(1.0 - cos_w0) / 2.0 / a0, (1.0 - cos_w0) / a0, (1.0 - cos_w0) / 2.0 / a0,
                    -2.0 * cos_w0 / a0, (1.0 - alpha) / a0};
  }
  state_.assign(channels_ * kSections * 2, 0.0);
}

void EncoderBandFilter::process(float* interleaved, size_t frames) {
  for (size_t f = 0; f < frames; ++f) {
    for (size_t c = 0; c < channels_; ++c) {
      double x = interleaved[f * channels_ + c];
      double* s = state_.data() + c * kSections * 2;
      for (size_t k = 0; k < kSections; ++k, s += 2) {
        const Section& q = sections_[k];
        const double y = q.b0 * x + s[0];
        s[0] = q.b1 * x - q.a1 * y + s[1];
        s[1] = q.b2 * x - q.a2 * y;
        x = y;
      }
      interleaved[f * channels_ + c] = static_cast<float>(x);
    }
  }
}

}  // namespace ff::media
