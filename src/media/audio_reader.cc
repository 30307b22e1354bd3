#include "media/audio_reader.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/samplefmt.h>
}

namespace ff::media {
namespace {

// Source frames of silence fed to the resampler per call when filling a hole.
constexpr int kSilenceChunk = 4096;

std::string layout_name(const AVChannelLayout& layout) {
  char buf[128] = {};
  if (av_channel_layout_describe(&layout, buf, sizeof buf) < 0) return "unknown";
  return buf;
}

int64_t frame_timestamp(const AVFrame* frame) {
  return frame->best_effort_timestamp != AV_NOPTS_VALUE ? frame->best_effort_timestamp : frame->pts;
}

}  // namespace

AudioReader::AudioReader(const std::filesystem::path& path, const AudioReaderOptions& options)
    : path_(path),
      options_(options),
      input_(open_input(path)),
      packet_(make_packet(path)),
      frame_(make_frame(path)) {
  int index = options.stream_index;
  if (index < 0) {
    index = av_find_best_stream(input_.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
    if (index < 0) {
      throw RuntimeError(path.string() +
                         ": no audio stream; the audio phase needs one (it is skipped for "
                         "inputs without audio)");
    }
  }
  if (index >= static_cast<int>(input_->nb_streams) ||
      input_->streams[index]->codecpar->codec_type != AVMEDIA_TYPE_AUDIO) {
    throw RuntimeError(path.string() + ": stream " + std::to_string(index) +
                       " is not an audio stream; set input.audio_stream to an audio stream's "
                       "index or -1");
  }
  stream_ = input_->streams[index];
  for (unsigned i = 0; i < input_->nb_streams; ++i) {
    input_->streams[i]->discard = static_cast<int>(i) == index ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
  }
  const AVCodec* decoder = avcodec_find_decoder(stream_->codecpar->codec_id);
  if (decoder == nullptr) {
    throw RuntimeError(path.string() + ": no decoder for audio codec " +
                       avcodec_get_name(stream_->codecpar->codec_id) +
                       "; install an FFmpeg build that has one");
  }
  codec_ = make_codec_context(decoder, path);
  av_check(avcodec_parameters_to_context(codec_.get(), stream_->codecpar),
           "avcodec_parameters_to_context", path);
  codec_->pkt_timebase = stream_->time_base;
  av_check(avcodec_open2(codec_.get(), decoder, nullptr), "avcodec_open2", path);

  stats_.codec = avcodec_get_name(stream_->codecpar->codec_id);
  stats_.source_rate_hz = stream_->codecpar->sample_rate;
  stats_.source_channels = stream_->codecpar->ch_layout.nb_channels;
  stats_.source_layout = layout_name(stream_->codecpar->ch_layout);
  stats_.first_pts_s = std::nan("");
}

size_t AudioReader::read(float* dst, size_t max_frames) {
  if (options_.total_frames >= 0) {
    max_frames = std::min(max_frames, static_cast<size_t>(options_.total_frames - frames_read_));
  }
  size_t done = 0;
  while (done < max_frames) {
    float* out = dst + done * kChannels;
    if (pending_silence_ > 0) {
      const auto n = std::min(max_frames - done, static_cast<size_t>(pending_silence_));
      std::fill(out, out + n * kChannels, 0.f);
      pending_silence_ -= static_cast<int64_t>(n);
      done += n;
      continue;
    }
    const size_t available = (pending_.size() - pending_pos_) / kChannels;
    if (available > 0) {
      const size_t n = std::min(max_frames - done, available);
      std::memcpy(out, pending_.data() + pending_pos_, n * kChannels * sizeof(float));
      pending_pos_ += n * kChannels;
      done += n;
      continue;
    }
    if (finished_ || !decode_more()) break;
  }
  if (done < max_frames && options_.total_frames >= 0) {
    // The stream ended early: silence up to total_frames.
    std::fill(dst + done * kChannels, dst + max_frames * kChannels, 0.f);
    stats_.tail_silence += static_cast<int64_t>(max_frames - done);
    done = max_frames;
  }
  frames_read_ += static_cast<int64_t>(done);
  if (options_.total_frames >= 0 && frames_read_ == options_.total_frames && !stats_.trimmed) {
    // Whatever the stream still holds is cut off; say so when there is some.
    while (pending_pos_ == pending_.size() && !finished_ && decode_more()) {
    }
    stats_.trimmed = pending_pos_ < pending_.size();
  }
  return done;
}

bool AudioReader::send_next_packet() {
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
    ++stats_.packets;
    const int sent = avcodec_send_packet(codec_.get(), packet_.get());
    if (sent == AVERROR_INVALIDDATA) {
      ++stats_.invalid_packets;  // its hole is filled from the next timestamp
      continue;
    }
    if (sent == AVERROR(EAGAIN)) {
      throw RuntimeError(path_.string() +
                         ": audio decoder refused a packet while frames were "
                         "pending");
    }
    av_check(sent, "avcodec_send_packet", path_);
    return true;
  }
}

bool AudioReader::decode_more() {
  while (true) {
    const int ret = avcodec_receive_frame(codec_.get(), frame_.get());
    if (ret >= 0) {
      FrameUnref unref(frame_.get());
      if (frame_->nb_samples > 0) convert(frame_.get());
      return true;
    }
    if (ret == AVERROR_EOF) {
      // Drain the resampler's buffered tail.
      if (swr_) {
        while (append_converted(nullptr, 0) > 0) {
        }
      }
      finished_ = true;
      return pending_pos_ < pending_.size();
    }
    if (ret == AVERROR_INVALIDDATA) {
      ++stats_.invalid_packets;
      continue;
    }
    if (ret != AVERROR(EAGAIN)) av_check(ret, "avcodec_receive_frame", path_);
    if (draining_) {
      throw RuntimeError(path_.string() +
                         ": audio decoder asked for input after the end of the stream");
    }
    send_next_packet();
  }
}

void AudioReader::configure_resampler(const AVFrame* frame) {
  if (swr_) {
    // A format change mid-stream: drain what the old configuration holds.
    while (append_converted(nullptr, 0) > 0) {
    }
  }
  av_channel_layout_uninit(&swr_layout_.layout);
  if (frame->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC || frame->ch_layout.nb_channels == 0) {
    const int channels = std::max(frame->ch_layout.nb_channels, 1);
    av_channel_layout_default(&swr_layout_.layout, channels);
  } else {
    av_check(av_channel_layout_copy(&swr_layout_.layout, &frame->ch_layout),
             "av_channel_layout_copy", path_);
  }
  swr_format_ = frame->format;
  swr_rate_ = frame->sample_rate;

  AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;  // swr_alloc_set_opts2 takes non-const
  SwrContext* raw = nullptr;
  av_check(swr_alloc_set_opts2(&raw, &stereo, AV_SAMPLE_FMT_FLT, kSampleRateHz, &swr_layout_.layout,
                               static_cast<AVSampleFormat>(frame->format), frame->sample_rate, 0,
                               nullptr),
           "swr_alloc_set_opts2", path_);
  swr_.reset(raw);
  if (swr_layout_.layout.nb_channels == 1) {
    // Dual mono: the mono sample on both sides at full level.
    const double matrix[2] = {1.0, 1.0};
    av_check(swr_set_matrix(swr_.get(), matrix, 1), "swr_set_matrix", path_);
  }
  av_check(swr_init(swr_.get()), "swr_init", path_);
  silence_.reset();
}

void AudioReader::place_first_frame(const AVFrame* frame) {
  placed_ = true;
  int64_t ts = frame_timestamp(frame);
  if (ts == AV_NOPTS_VALUE) ts = stream_->start_time != AV_NOPTS_VALUE ? stream_->start_time : 0;
  const double pts_s = static_cast<double>(ts) * av_q2d(stream_->time_base);
  stats_.first_pts_s = pts_s;
  next_pts_s_ = pts_s;
  const auto offset =
      static_cast<int64_t>(std::llround((pts_s - options_.start_s) * kSampleRateHz));
  if (offset > 0) {
    pending_silence_ = offset;
    stats_.lead_silence = offset;
  } else {
    drop_ = -offset;
  }
}

void AudioReader::fill_gap(const AVFrame* frame) {
  const int64_t ts = frame_timestamp(frame);
  if (ts == AV_NOPTS_VALUE) return;
  const double pts_s = static_cast<double>(ts) * av_q2d(stream_->time_base);
  const double gap_s = pts_s - next_pts_s_;
  next_pts_s_ = pts_s;
  if (!(gap_s > options_.gap_tolerance_s)) return;
  int64_t remaining = std::llround(gap_s * frame->sample_rate);
  stats_.gap_silence += remaining;
  if (!silence_) {
    silence_ = make_frame(path_);
    silence_->format = swr_format_;
    silence_->sample_rate = swr_rate_;
    silence_->nb_samples = kSilenceChunk;
    av_check(av_channel_layout_copy(&silence_->ch_layout, &swr_layout_.layout),
             "av_channel_layout_copy", path_);
    av_check(av_frame_get_buffer(silence_.get(), 0), "av_frame_get_buffer", path_);
    av_check(av_samples_set_silence(silence_->extended_data, 0, kSilenceChunk,
                                    swr_layout_.layout.nb_channels,
                                    static_cast<AVSampleFormat>(swr_format_)),
             "av_samples_set_silence", path_);
  }
  while (remaining > 0) {
    const auto n = static_cast<int>(std::min<int64_t>(remaining, kSilenceChunk));
    append_converted(const_cast<const uint8_t**>(silence_->extended_data), n);
    remaining -= n;
  }
}

void AudioReader::convert(const AVFrame* frame) {
  if (!swr_ || frame->format != swr_format_ || frame->sample_rate != swr_rate_ ||
      av_channel_layout_compare(&frame->ch_layout, &swr_layout_.layout) != 0) {
    // Unspecified layouts were replaced by a default one: same channel count is the same input.
    const bool same_unspec = swr_ && frame->format == swr_format_ &&
                             frame->sample_rate == swr_rate_ &&
                             frame->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC &&
                             frame->ch_layout.nb_channels == swr_layout_.layout.nb_channels;
    if (!same_unspec) configure_resampler(frame);
  }
  if (!placed_) {
    place_first_frame(frame);
  } else {
    fill_gap(frame);
  }
  append_converted(const_cast<const uint8_t**>(frame->extended_data), frame->nb_samples);
  next_pts_s_ += static_cast<double>(frame->nb_samples) / frame->sample_rate;
}

int AudioReader::append_converted(const uint8_t** in, int in_frames) {
  // Compact: drop what was read so the buffer stays one frame's worth.
  if (pending_pos_ > 0) {
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(pending_pos_));
    pending_pos_ = 0;
  }
  const int capacity =
      av_check(swr_get_out_samples(swr_.get(), in_frames), "swr_get_out_samples", path_);
  if (capacity <= 0) return 0;
  const size_t old_size = pending_.size();
  pending_.resize(old_size + static_cast<size_t>(capacity) * kChannels);
  auto* out = reinterpret_cast<uint8_t*>(pending_.data() + old_size);
  const int produced =
      av_check(swr_convert(swr_.get(), &out, capacity, in, in_frames), "swr_convert", path_);
  size_t kept = static_cast<size_t>(produced);
  size_t skip = 0;
  if (drop_ > 0) {
    skip = std::min(kept, static_cast<size_t>(drop_));
    drop_ -= static_cast<int64_t>(skip);
    stats_.lead_dropped += static_cast<int64_t>(skip);
    kept -= skip;
  }
  if (skip > 0 && kept > 0) {
    std::memmove(pending_.data() + old_size, pending_.data() + old_size + skip * kChannels,
                 kept * kChannels * sizeof(float));
  }
  pending_.resize(old_size + kept * kChannels);
  return produced;
}

}  // namespace ff::media
