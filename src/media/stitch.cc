#include "media/stitch.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"

namespace ff::media {
namespace {

int find_stream(AVFormatContext* input, AVMediaType type, const std::filesystem::path& path) {
  return av_check(av_find_best_stream(input, type, -1, -1, nullptr, 0),
                  std::string("av_find_best_stream(") + av_get_media_type_string(type) + ")", path);
}

// The video packets of the segments, in order, with timestamps rebased onto
// the output's frame grid: time base 1/fps, one tick per frame.
//
// Why decode timestamps stay strictly increasing across a join: with
// B-frames the encoder delays decoding by d frames (x264's B-pyramid: d = 2),
// so a segment of n frames starting at output frame s decodes at
// s - d, s - d + 1, ..., s + n - 1 - d while its frames show at s .. s+n-1.
// The next segment starts at s + n, so its first decode time s + n - d is one
// tick after the last one. That holds when every segment has the same delay
// d, which identical SPS (same B-frame and reorder settings) give. A segment
// with a larger delay would decode before its predecessor has finished: that
// is refused, not shifted, because moving decode times would change the
// decode delay mid-stream.
class SegmentChain {
 public:
  SegmentChain(const std::vector<std::filesystem::path>& paths, AVRational fps)
      : paths_(paths), fps_(fps) {
    open(0);
  }

  const AVCodecParameters* first_params() const { return first_params_.get(); }
  AVRational time_base() const { return AVRational{fps_.den, fps_.num}; }
  int64_t frames() const { return start_frame_ + segment_packets_; }

  // Fills `packet` with the next packet (time_base(), stream_index 0), or
  // returns false after the last segment.
  bool next(AVPacket* packet) {
    while (input_) {
      const int ret = av_read_frame(input_.get(), packet);
      if (ret == AVERROR_EOF) {
        end_segment();
        continue;
      }
      av_check(ret, "av_read_frame", path());
      if (packet->stream_index != stream_) {
        av_packet_unref(packet);
        continue;
      }
      rebase(packet);
      return true;
    }
    return false;
  }

 private:
  const std::filesystem::path& path() const { return paths_[index_]; }

  void open(size_t index) {
    index_ = index;
    input_ = open_input(path());
    stream_ = find_stream(input_.get(), AVMEDIA_TYPE_VIDEO, path());
    const AVStream* st = input_->streams[stream_];
    for (unsigned i = 0; i < input_->nb_streams; ++i) {
      input_->streams[i]->discard =
          static_cast<int>(i) == stream_ ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
    }
    const AVCodecParameters* par = st->codecpar;
    if (index == 0) {
      first_params_.reset(avcodec_parameters_alloc());
      av_check_alloc(first_params_.get(), "avcodec_parameters_alloc", path());
      av_check(avcodec_parameters_copy(first_params_.get(), par), "avcodec_parameters_copy",
               path());
    } else {
      check_same_headers(par);
    }
    // Ticks of the segment's time base per output frame; MP4 time scales are
    // whole multiples of the frame rate for the segments SegmentFile writes.
    const int64_t num = static_cast<int64_t>(st->time_base.den) * fps_.den;
    const int64_t den = static_cast<int64_t>(st->time_base.num) * fps_.num;
    if (den <= 0 || num % den != 0) {
      throw RuntimeError(path().string() + ": time base " + std::to_string(st->time_base.num) +
                         "/" + std::to_string(st->time_base.den) +
                         " does not hold whole frames at " + std::to_string(fps_.num) + "/" +
                         std::to_string(fps_.den) +
                         " fps; was the segment rendered at another frame rate?");
    }
    ticks_per_frame_ = num / den;
    segment_packets_ = 0;
    first_pts_ = AV_NOPTS_VALUE;
    max_frame_ = -1;
  }

  void check_same_headers(const AVCodecParameters* par) const {
    const AVCodecParameters* first = first_params_.get();
    const bool same = par->codec_id == first->codec_id &&
                      par->extradata_size == first->extradata_size &&
                      (first->extradata_size == 0 ||
                       std::memcmp(par->extradata, first->extradata,
                                   static_cast<size_t>(first->extradata_size)) == 0);
    if (!same) {
      const std::filesystem::path dir = path().parent_path();
      throw RuntimeError(path().string() + ": its H.264 parameter sets (SPS/PPS) differ from " +
                         paths_.front().string() +
                         "'s: the segments were encoded with different settings and cannot "
                         "be joined without re-encoding; delete the work directory's segments/ (" +
                         dir.string() + ") and run the job again to re-render them");
    }
  }

  void end_segment() {
    // Frames shown at output frames start .. start + n - 1, each once.
    if (segment_packets_ == 0 || max_frame_ != start_frame_ + segment_packets_ - 1) {
      throw RuntimeError(path().string() + ": its " + std::to_string(segment_packets_) +
                         " frames do not form one continuous run (last frame at +" +
                         std::to_string(max_frame_ - start_frame_) +
                         "); the segment is damaged; delete it and run the job again");
    }
    start_frame_ += segment_packets_;
    segment_packets_ = 0;
    if (index_ + 1 < paths_.size()) {
      open(index_ + 1);
    } else {
      input_.reset();
    }
  }

  // Segment ticks relative to its first frame -> output frame index.
  int64_t to_frame(int64_t ts, const char* what) const {
    const int64_t rel = ts - first_pts_;
    if (rel % ticks_per_frame_ != 0) {
      throw RuntimeError(path().string() + ": packet " + std::to_string(segment_packets_) +
                         " has " + what + " " + std::to_string(ts) +
                         ", off the constant frame-rate grid; the segment is not CFR at " +
                         std::to_string(fps_.num) + "/" + std::to_string(fps_.den) + " fps");
    }
    return start_frame_ + rel / ticks_per_frame_;
  }

  void rebase(AVPacket* packet) {
    if (packet->pts == AV_NOPTS_VALUE || packet->dts == AV_NOPTS_VALUE) {
      throw RuntimeError(path().string() + ": packet " + std::to_string(segment_packets_) +
                         " has no timestamp; the segment is damaged");
    }
    if (segment_packets_ == 0) {
      if (!(packet->flags & AV_PKT_FLAG_KEY)) {
        throw RuntimeError(path().string() +
                           ": does not start with a keyframe, so it cannot be joined; delete "
                           "it and run the job again");
      }
      first_pts_ = packet->pts;  // the IDR: first in decode and in presentation order
    }
    const int64_t pts = to_frame(packet->pts, "pts");
    const int64_t dts = to_frame(packet->dts, "dts");
    if (dts <= last_dts_) {
      throw RuntimeError(path().string() + ": packet " + std::to_string(segment_packets_) +
                         " would decode at output frame " + std::to_string(dts) +
                         ", not after the previous packet (" + std::to_string(last_dts_) +
                         "); the segments use different B-frame delays; delete the work "
                         "directory's segments/ and run the job again");
    }
    if (pts < dts || pts < start_frame_) {
      throw RuntimeError(path().string() + ": packet " + std::to_string(segment_packets_) +
                         " shows at frame " + std::to_string(pts) + " before it decodes (" +
                         std::to_string(dts) + ") or before the segment starts (" +
                         std::to_string(start_frame_) + "); the segment is damaged");
    }
    packet->pts = pts;
    packet->dts = dts;
    packet->duration = 1;
    packet->pos = -1;
    packet->stream_index = 0;
    last_dts_ = dts;
    max_frame_ = std::max(max_frame_, pts);
    ++segment_packets_;
  }

  struct ParamsDeleter {
    void operator()(AVCodecParameters* p) const noexcept { avcodec_parameters_free(&p); }
  };

  const std::vector<std::filesystem::path>& paths_;
  AVRational fps_;
  size_t index_ = 0;
  InputFormatPtr input_;
  int stream_ = -1;
  std::unique_ptr<AVCodecParameters, ParamsDeleter> first_params_;
  int64_t ticks_per_frame_ = 1;
  int64_t first_pts_ = AV_NOPTS_VALUE;
  int64_t start_frame_ = 0;      // output frame of the current segment's first frame
  int64_t segment_packets_ = 0;  // packets read from the current segment
  int64_t max_frame_ = -1;       // largest output frame shown so far in this segment
  int64_t last_dts_ = std::numeric_limits<int64_t>::min();
};

// The audio file's AAC packets, timestamps as they are (its timeline starts
// with the video's).
class AudioSource {
 public:
  explicit AudioSource(const std::filesystem::path& path) : path_(path), input_(open_input(path)) {
    stream_ = find_stream(input_.get(), AVMEDIA_TYPE_AUDIO, path);
    const AVCodecParameters* par = input_->streams[stream_]->codecpar;
    if (par->codec_id != AV_CODEC_ID_AAC) {
      throw RuntimeError(path.string() + ": the audio stream is " +
                         avcodec_get_name(par->codec_id) +
                         ", not AAC; pass the audio phase's .m4a output");
    }
  }
  const AVStream* stream() const { return input_->streams[stream_]; }

  bool next(AVPacket* packet) {
    while (true) {
      const int ret = av_read_frame(input_.get(), packet);
      if (ret == AVERROR_EOF) return false;
      av_check(ret, "av_read_frame", path_);
      if (packet->stream_index == stream_) {
        packet->stream_index = 1;
        packet->pos = -1;
        return true;
      }
      av_packet_unref(packet);
    }
  }

 private:
  std::filesystem::path path_;
  InputFormatPtr input_;
  int stream_ = -1;
};

}  // namespace

void stitch(const std::vector<std::filesystem::path>& segments_in_order,
            const std::optional<std::filesystem::path>& audio_file,
            const std::filesystem::path& output, const StitchOptions& options) {
  if (segments_in_order.empty()) {
    throw RuntimeError(output.string() + ": nothing to stitch: the segment list is empty");
  }
  if (options.fps.num <= 0 || options.fps.den <= 0) {
    throw RuntimeError(output.string() + ": stitch needs the output frame rate, got " +
                       std::to_string(options.fps.num) + "/" + std::to_string(options.fps.den));
  }
  install_ffmpeg_log_bridge();
  core::AtomicOutput out(output);
  const std::filesystem::path& temp = out.temp_path();

  SegmentChain video(segments_in_order, options.fps);
  std::optional<AudioSource> audio;
  if (audio_file) audio.emplace(*audio_file);

  AvLogCapture capture;
  OutputFormatPtr mux;
  {
    AVFormatContext* raw = nullptr;
    av_check(avformat_alloc_output_context2(&raw, nullptr, "mp4", temp.c_str()),
             "avformat_alloc_output_context2(mp4)", temp);
    mux.reset(raw);
  }
  AVStream* video_out =
      av_check_alloc(avformat_new_stream(mux.get(), nullptr), "avformat_new_stream", temp);
  av_check(avcodec_parameters_copy(video_out->codecpar, video.first_params()),
           "avcodec_parameters_copy", temp);
  AVCodecParameters* vpar = video_out->codecpar;
  vpar->codec_tag = 0;  // let the muxer choose (avc1)
  vpar->color_primaries = AVCOL_PRI_BT709;
  vpar->color_trc = AVCOL_TRC_BT709;
  vpar->color_space = AVCOL_SPC_BT709;
  vpar->color_range = AVCOL_RANGE_MPEG;
  video_out->time_base = video.time_base();
  video_out->avg_frame_rate = options.fps;
  AVStream* audio_out = nullptr;
  if (audio) {
    audio_out =
        av_check_alloc(avformat_new_stream(mux.get(), nullptr), "avformat_new_stream", temp);
    av_check(avcodec_parameters_copy(audio_out->codecpar, audio->stream()->codecpar),
             "avcodec_parameters_copy", temp);
    audio_out->codecpar->codec_tag = 0;
    audio_out->time_base = audio->stream()->time_base;
  }
  av_check(avio_open(&mux->pb, temp.c_str(), AVIO_FLAG_WRITE), "avio_open", temp);
  Dictionary mux_options;
  av_check(av_dict_set(mux_options.addr(), "movflags", "+faststart", 0), "av_dict_set", temp);
  av_check(avformat_write_header(mux.get(), mux_options.addr()), "avformat_write_header", temp);

  // Merge the two streams by decode time so the muxer's interleaving queue
  // stays short.
  const AVRational video_tb = video.time_base();
  const AVRational audio_tb = audio ? audio->stream()->time_base : AVRational{1, 1};
  PacketPtr vpkt = make_packet(temp);
  PacketPtr apkt = make_packet(temp);
  bool have_video = video.next(vpkt.get());
  bool have_audio = audio && audio->next(apkt.get());
  while (have_video || have_audio) {
    const bool take_video =
        have_video && (!have_audio || av_compare_ts(vpkt->dts, video_tb, apkt->dts, audio_tb) <= 0);
    if (take_video) {
      av_packet_rescale_ts(vpkt.get(), video_tb, video_out->time_base);
      vpkt->stream_index = video_out->index;
      av_check(av_interleaved_write_frame(mux.get(), vpkt.get()), "av_interleaved_write_frame",
               temp);
      have_video = video.next(vpkt.get());
    } else {
      av_packet_rescale_ts(apkt.get(), audio_tb, audio_out->time_base);
      apkt->stream_index = audio_out->index;
      av_check(av_interleaved_write_frame(mux.get(), apkt.get()), "av_interleaved_write_frame",
               temp);
      have_audio = audio->next(apkt.get());
    }
  }
  if (options.expected_frames >= 0 && video.frames() != options.expected_frames) {
    throw RuntimeError(output.string() + ": the segments hold " + std::to_string(video.frames()) +
                       " frames but the plan expects " + std::to_string(options.expected_frames) +
                       "; the output was not written");
  }
  av_check(av_write_trailer(mux.get()), "av_write_trailer", temp);  // faststart moves moov here
  av_check(avio_closep(&mux->pb), "avio_closep", temp);
  mux.reset();
  out.commit();  // fsync, rename, fsync the directory
  FF_INFO("stitch: " << segments_in_order.size() << " segments, " << video.frames() << " frames"
                     << (audio ? " + audio" : "") << " -> " << output.string());
}

}  // namespace ff::media
