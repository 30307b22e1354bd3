#include "worker/qa_task.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstring>
#include <optional>
#include <set>
#include <string_view>

#include "core/bytes.h"
#include "core/error.h"
#include "kernels/downscale.h"
#include "media/audio_reader.h"
#include "media/av.h"
#include "media/loudness_meter.h"
#include "worker/frame_planes.h"

namespace ff::worker {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// A consecutive-error guard while draining: a decoder that keeps failing
// without making progress ends the range instead of looping.
constexpr int kMaxConsecutiveErrors = 1000;

void put_string(ByteWriter& w, const std::string& s) {
  w.put_vector(std::vector<char>(s.begin(), s.end()));
}
std::string get_string(ByteReader& r) {
  const auto chars = r.get_vector<char>();
  return {chars.begin(), chars.end()};
}

// The header of a serialized QaRangeResult.
struct RangeHeader {
  int32_t range_id;
  int64_t frames;
  int64_t video_errors;
  double decode_s;
  double detect_s;
};

// Decodes one range and fills a QaRangeResult; see qa_range().
class RangeDecoder {
 public:
  RangeDecoder(const std::filesystem::path& file, const QaStream& stream, const QaRange& range,
               const QaTaskParams& params)
      : file_(file),
        stream_(stream),
        range_(range),
        params_(params),
        input_(media::open_input(file)),
        packet_(media::make_packet(file)),
        frame_(media::make_frame(file)) {
    const int index = stream.stream_index;
    if (index < 0 || index >= static_cast<int>(input_->nb_streams) ||
        input_->streams[index]->codecpar->codec_type != AVMEDIA_TYPE_VIDEO) {
      throw RuntimeError(file.string() + ": stream " + std::to_string(index) +
                         " is not a video stream; was the file replaced during QA?");
    }
    for (unsigned i = 0; i < input_->nb_streams; ++i) {
      input_->streams[i]->discard =
          static_cast<int>(i) == index ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
    }
    const AVStream* st = input_->streams[index];
    const AVCodec* decoder = avcodec_find_decoder(st->codecpar->codec_id);
    if (decoder == nullptr) {
      throw RuntimeError(file.string() + ": no decoder for codec " +
                         avcodec_get_name(st->codecpar->codec_id));
    }
    codec_ = media::make_codec_context(decoder, file);
    media::av_check(avcodec_parameters_to_context(codec_.get(), st->codecpar),
                    "avcodec_parameters_to_context", file);
    codec_->pkt_timebase = st->time_base;
    codec_->thread_count = 1;
    codec_->err_recognition |= AV_EF_EXPLODE | AV_EF_CRCCHECK | AV_EF_BITSTREAM;
    media::av_check(avcodec_open2(codec_.get(), decoder, nullptr), "avcodec_open2", file);
    if (params.face_sample_fps > 0) detector_.emplace(params.detector);
    result_.range_id = range.id;
  }

  QaRangeResult run() {
    auto t0 = Clock::now();
    media::av_check(
        av_seek_frame(input_.get(), stream_.stream_index, range_.start_pts, AVSEEK_FLAG_BACKWARD),
        "av_seek_frame", file_);
    bool flushing = false;
    bool done = false;
    while (!done) {
      if (!flushing) flushing = send_next_packet();
      done = drain(flushing);
    }
    result_.decode_s = seconds_since(t0) - result_.detect_s;
    return std::move(result_);
  }

 private:
  bool mine(int64_t pts) const {
    return pts != AV_NOPTS_VALUE && pts >= range_.start_pts && pts < range_.end_pts;
  }

  void record(int64_t pts, const std::string& what) {
    ++result_.video_errors;
    error_pts_.insert(pts);
    result_.error_frames.push_back(stream_.out_frame(pts));
    if (result_.first_errors.size() < analysis::kMaxListedErrors) {
      result_.first_errors.push_back({stream_.out_frame(pts), stream_.time_s(pts), what});
    }
  }

  static std::string error_text(int code, const media::AvLogCapture& capture) {
    std::string text = media::av_error_text(code);
    if (!capture.last().empty()) text += " (" + capture.last() + ")";
    return text;
  }

  // Reads and sends the next packet of the stream; true once the decoder
  // has been sent its flush packet (end of file or an unreadable file).
  bool send_next_packet() {
    while (true) {
      media::AvLogCapture capture;
      const int ret = av_read_frame(input_.get(), packet_.get());
      if (ret < 0) {
        if (ret != AVERROR_EOF && mine(last_pts_)) {
          record(last_pts_, "reading the file: " + error_text(ret, capture));
        }
        avcodec_send_packet(codec_.get(), nullptr);
        return true;
      }
      media::PacketUnref unref(packet_.get());
      if (packet_->stream_index != stream_.stream_index) continue;
      last_pts_ = packet_->pts != AV_NOPTS_VALUE ? packet_->pts : packet_->dts;
      capture.clear();
      const int sent = avcodec_send_packet(codec_.get(), packet_.get());
      if (sent == AVERROR(EAGAIN)) {
        throw RuntimeError(file_.string() + ": decoder refused a packet while frames were pending");
      }
      if (sent < 0 && mine(last_pts_)) record(last_pts_, error_text(sent, capture));
      return false;
    }
  }

  // Takes every frame the decoder has; true when the range is finished.
  bool drain(bool flushing) {
    int consecutive_errors = 0;
    while (true) {
      media::AvLogCapture capture;
      const int ret = avcodec_receive_frame(codec_.get(), frame_.get());
      if (ret == AVERROR(EAGAIN)) return flushing;  // flushing: nothing more will come
      if (ret == AVERROR_EOF) return true;
      if (ret < 0) {
        if (mine(last_pts_)) record(last_pts_, error_text(ret, capture));
        if (!flushing || ++consecutive_errors >= kMaxConsecutiveErrors) return flushing;
        continue;
      }
      consecutive_errors = 0;
      media::FrameUnref unref(frame_.get());
      if (!take_frame(*frame_)) return true;
    }
  }

  // False at the first frame past the range.
  bool take_frame(const AVFrame& frame) {
    const int64_t pts = frame.best_effort_timestamp;
    if (pts == AV_NOPTS_VALUE) {
      throw RuntimeError(file_.string() + ": a decoded frame has no timestamp; remux the file");
    }
    if (pts < range_.start_pts) return true;  // a leading picture: the previous range's
    if (pts >= range_.end_pts) return false;
    ++result_.frames;
    // A corrupt frame counts unless its packet was already counted.
    if ((frame.decode_error_flags != 0 || (frame.flags & AV_FRAME_FLAG_CORRUPT) != 0) &&
        error_pts_.count(pts) == 0) {
      record(pts, "frame decoded with errors (concealed)");
    }
    const int64_t out_frame = stream_.out_frame(pts);
    if (detector_ && analysis::is_face_sample(out_frame, stream_.fps(), params_.face_sample_fps)) {
      const auto t0 = Clock::now();
      detect_faces(frame, out_frame);
      result_.detect_s += seconds_since(t0);
    }
    return true;
  }

  void detect_faces(const AVFrame& frame, int64_t out_frame) {
    const YuvView yuv = planes_.view_of(frame, file_);
    const int aw = std::max(2, std::min(params_.analysis_width, frame.width) & ~1);
    const int ah = std::max(
        2,
        static_cast<int>(std::lround(static_cast<double>(aw) * frame.height / frame.width)) & ~1);
    cv::Mat gray(ah, aw, CV_8UC1);
    kernels::downscale_area_cpu(yuv.y, {gray.data, aw, ah, static_cast<int>(gray.step)});
    result_.sampled.push_back(out_frame);
    for (const analysis::FaceBox& box : detector_->detect(gray)) {
      result_.faces.push_back({out_frame, box.x, box.y, box.w, box.h, box.score});
    }
  }

  std::filesystem::path file_;
  QaStream stream_;
  QaRange range_;
  QaTaskParams params_;
  media::InputFormatPtr input_;
  media::CodecContextPtr codec_;
  media::PacketPtr packet_;
  media::FramePtr frame_;
  std::optional<analysis::FaceDetector> detector_;
  FramePlanes planes_;
  int64_t last_pts_ = AV_NOPTS_VALUE;
  std::set<int64_t> error_pts_;  // pts of the errors counted so far
  QaRangeResult result_;
};

}  // namespace

double QaStream::time_s(int64_t pts) const {
  return static_cast<double>(pts - start_pts) * tb_num / tb_den;
}

int64_t QaStream::out_frame(int64_t pts) const {
  const long double t = static_cast<long double>(pts - start_pts) * tb_num / tb_den;
  return static_cast<int64_t>(std::llround(t * fps_num / fps_den));
}

QaRangeResult qa_range(const std::filesystem::path& file, const QaStream& stream,
                       const QaRange& range, const QaTaskParams& params) {
  return RangeDecoder(file, stream, range, params).run();
}

std::vector<std::byte> serialize(const QaRangeResult& r) {
  ByteWriter w;
  w.put(RangeHeader{r.range_id, r.frames, r.video_errors, r.decode_s, r.detect_s});
  w.put_vector(r.sampled);
  w.put_vector(r.faces);
  w.put_vector(r.error_frames);
  w.put<uint64_t>(r.first_errors.size());
  for (const auto& e : r.first_errors) {
    w.put(e.out_frame);
    w.put(e.time_s);
    put_string(w, e.what);
  }
  return w.take();
}

QaRangeResult deserialize_qa_range(std::span<const std::byte> bytes) {
  ByteReader r(bytes);
  const auto h = r.get<RangeHeader>();
  QaRangeResult out;
  out.range_id = h.range_id;
  out.frames = h.frames;
  out.video_errors = h.video_errors;
  out.decode_s = h.decode_s;
  out.detect_s = h.detect_s;
  out.sampled = r.get_vector<int64_t>();
  out.faces = r.get_vector<QaFace>();
  out.error_frames = r.get_vector<int64_t>();
  const auto errors = r.get<uint64_t>();
  for (uint64_t i = 0; i < errors && i < analysis::kMaxListedErrors; ++i) {
    analysis::QaDecodeError e;
    e.out_frame = r.get<int64_t>();
    e.time_s = r.get<double>();
    e.what = get_string(r);
    out.first_errors.push_back(std::move(e));
  }
  if (!r.done()) throw RuntimeError("qa result: malformed range payload");
  return out;
}

std::vector<QaRange> plan_qa_ranges(const media::VideoInfo& video, double min_range_s) {
  std::vector<int64_t> keys;
  for (const auto& k : video.keyframes) keys.push_back(k.pts);
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  if (keys.empty() || keys[0] > video.start_pts) keys.insert(keys.begin(), video.start_pts);
  const double tb = video.time_base.value();
  std::vector<QaRange> ranges;
  QaRange current{0, keys[0]};
  for (size_t i = 1; i < keys.size(); ++i) {
    if (static_cast<double>(keys[i] - current.start_pts) * tb >= min_range_s) {
      current.end_pts = keys[i];
      ranges.push_back(current);
      current = QaRange{static_cast<int32_t>(ranges.size()), keys[i]};
    }
  }
  ranges.push_back(current);
  return ranges;
}

QaAudioResult measure_output_audio(const std::filesystem::path& file, int stream_index,
                                   double video_start_s, const std::vector<double>& shot_bounds_s) {
  const auto t0 = Clock::now();
  constexpr int kRate = media::AudioReader::kSampleRateHz;
  media::AudioReader reader(file, {.stream_index = stream_index, .start_s = video_start_s});
  media::LoudnessMeter programme(
      {.channels = 2, .sample_rate_hz = kRate, .loudness_range = false, .true_peak = true});
  const media::LoudnessMeter::Options shot_options{
      .channels = 2, .sample_rate_hz = kRate, .loudness_range = false, .true_peak = false};
  QaAudioResult result;
  const size_t shots = shot_bounds_s.size() < 2 ? 1 : shot_bounds_s.size() - 1;
  // Frame index where shot i ends (the last shot never ends).
  auto shot_end = [&](size_t i) {
    return i + 1 >= shots ? std::numeric_limits<int64_t>::max()
                          : static_cast<int64_t>(std::llround(shot_bounds_s[i + 1] * kRate));
  };
  std::optional<media::LoudnessMeter> meter(shot_options);
  size_t shot = 0;
  int64_t pos = 0;
  std::vector<float> block(2 * 4800);
  while (const size_t n = reader.read(block.data(), 4800)) {
    programme.add_frames(block.data(), n);
    size_t used = 0;
    while (used < n) {
      const int64_t room = std::max<int64_t>(0, shot_end(shot) - pos);
      const auto take =
          static_cast<size_t>(std::min<int64_t>(room, static_cast<int64_t>(n - used)));
      if (take > 0) meter->add_frames(block.data() + 2 * used, take);
      used += take;
      pos += static_cast<int64_t>(take);
      if (pos >= shot_end(shot)) {
        result.shot_lufs.push_back(meter->integrated_lufs());
        meter.emplace(shot_options);
        ++shot;
      }
    }
  }
  while (result.shot_lufs.size() < shots) {
    result.shot_lufs.push_back(result.shot_lufs.size() == shot
                                   ? meter->integrated_lufs()
                                   : -std::numeric_limits<double>::infinity());
  }
  const media::AudioReaderStats& stats = reader.stats();
  result.duration_s =
      static_cast<double>(reader.frames_read() - stats.lead_silence + stats.lead_dropped) / kRate;
  result.programme_lufs = programme.integrated_lufs();
  result.true_peak_dbtp = programme.true_peak_dbtp();
  result.invalid_packets = stats.invalid_packets;
  result.seconds = seconds_since(t0);
  return result;
}

std::string sniff_encoder(const std::filesystem::path& file, int stream_index) {
  media::InputFormatPtr input = media::open_input(file);
  if (stream_index < 0 || stream_index >= static_cast<int>(input->nb_streams)) return "";
  media::PacketPtr packet = media::make_packet(file);
  constexpr std::string_view kX264 = "x264 - core ";
  for (int seen = 0; seen < 8 && av_read_frame(input.get(), packet.get()) >= 0;) {
    media::PacketUnref unref(packet.get());
    if (packet->stream_index != stream_index) continue;
    ++seen;
    const std::string_view data(reinterpret_cast<const char*>(packet->data),
                                static_cast<size_t>(packet->size));
    if (const size_t at = data.find(kX264); at != std::string_view::npos) {
      std::string version;
      for (size_t i = at + kX264.size();
           i < data.size() && std::isdigit(static_cast<unsigned char>(data[i])); ++i) {
        version += data[i];
      }
      return "x264 core " + version;
    }
  }
  const AVDictionaryEntry* tag =
      av_dict_get(input->streams[stream_index]->metadata, "encoder", nullptr, 0);
  return tag != nullptr ? tag->value : "";
}

}  // namespace ff::worker
