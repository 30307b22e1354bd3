#include "media/probe.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <string>
#include <system_error>

#include "core/error.h"
#include "core/log.h"
#include "media/av.h"
#include "media/probe_packets.h"

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/display.h>
#include <libavutil/pixdesc.h>
}

namespace ff::media {
namespace {

std::string or_unknown(const char* name) {
  return name != nullptr ? name : "unknown";
}

Rational to_rational(AVRational r) {
  return {r.num, r.den};
}

double to_seconds(int64_t ts, AVRational time_base) {
  return static_cast<double>(ts) * av_q2d(time_base);
}

std::string profile_name(const AVCodecParameters* par) {
  const char* name = avcodec_profile_name(par->codec_id, par->profile);
  return name != nullptr ? name : "";
}

// Rejects what is not a readable regular file before FFmpeg sees it, so the
// message says "no such file" rather than FFmpeg's wording. Returns the size.
uint64_t check_file(const std::filesystem::path& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) {
    throw InputError(path.string(), "no such file", "check the path");
  }
  if (std::filesystem::is_directory(status)) {
    throw InputError(path.string(), "is a directory, not a media file", "pass a video file");
  }
  if (!std::filesystem::is_regular_file(status)) {
    throw InputError(path.string(), "not a regular file (a pipe or device?)",
                     "pass a video file on disk; framefarm seeks in its input");
  }
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) {
    throw InputError(path.string(), "cannot read its size (" + ec.message() + ")",
                     "check the path and permissions");
  }
  if (size == 0) throw InputError(path.string(), "empty file (0 bytes)", "check the path");
  return size;
}

// The container format FFmpeg's probe recognises in the file's first bytes,
// or nullptr when none does.
const AVInputFormat* recognised_format(const std::filesystem::path& path) {
  AVIOContext* raw = nullptr;
  if (avio_open(&raw, path.c_str(), AVIO_FLAG_READ) < 0) return nullptr;
  AvioPtr pb(raw);
  const AVInputFormat* format = nullptr;
  if (av_probe_input_buffer2(pb.get(), &format, path.c_str(), nullptr, 0, 0) < 0) return nullptr;
  return format;
}

// open_input, with its failures turned into InputErrors that say what to do.
InputFormatPtr open_or_reject(const std::filesystem::path& path) {
  try {
    return open_input(path);
  } catch (const AvError& e) {
    if (e.av_code() == AVERROR(EACCES)) {
      throw InputError(path.string(), "cannot open (" + e.reason() + ")",
                       "check the file's permissions");
    }
    if (e.call() == "avformat_open_input") {
      const AVInputFormat* format = recognised_format(path);
      if (format == nullptr) {
        throw InputError(path.string(), "not a media file FFmpeg can read (" + e.reason() + ")",
                         "check the path");
      }
      throw InputError(path.string(),
                       std::string("truncated or damaged ") + or_unknown(format->long_name) +
                           " file: FFmpeg recognises the container but cannot open it (" +
                           e.reason() + ")",
                       "re-copy or re-download the complete file");
    }
    throw InputError(path.string(),
                     "unreadable: FFmpeg cannot read its stream headers (" + e.reason() + ")",
                     "re-copy the file, or re-encode it to H.264 MP4");
  }
}

std::string describe_streams(const AVFormatContext* input) {
  std::string list;
  for (unsigned i = 0; i < input->nb_streams; ++i) {
    const AVCodecParameters* par = input->streams[i]->codecpar;
    if (!list.empty()) list += ", ";
    list += "#" + std::to_string(i) + " " + or_unknown(av_get_media_type_string(par->codec_type)) +
            " " + avcodec_get_name(par->codec_id);
    if (input->streams[i]->disposition & AV_DISPOSITION_ATTACHED_PIC) list += " (cover art)";
  }
  return list.empty() ? "none" : list;
}

bool is_real_video(const AVStream* st) {
  return st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
         !(st->disposition & AV_DISPOSITION_ATTACHED_PIC);
}

// The main video stream: FFmpeg's choice unless that is cover art, else the
// first real video stream. Rejects inputs without one.
int pick_video(AVFormatContext* input, const std::filesystem::path& path) {
  const int best = av_find_best_stream(input, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (best >= 0 && is_real_video(input->streams[best])) return best;
  for (unsigned i = 0; i < input->nb_streams; ++i) {
    if (is_real_video(input->streams[i])) return static_cast<int>(i);
  }
  throw InputError(path.string(), "no video stream (streams: " + describe_streams(input) + ")",
                   "framefarm reframes video; pass a file with a video track");
}

// Degrees counter-clockwise from the display matrix, in (-180, 180]; 0 without one.
int rotation_deg(const AVStream* st, const std::filesystem::path& path) {
  size_t size = 0;
  const uint8_t* data = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size);
  if (data == nullptr || size < 9 * sizeof(int32_t)) return 0;
  const double angle = av_display_rotation_get(reinterpret_cast<const int32_t*>(data));
  if (std::isnan(angle)) {
    throw InputError(path.string(), "the video's display matrix is degenerate (zero scale)",
                     "remux without it: ffmpeg -i IN -c copy -metadata:s:v:0 rotate=0 OUT.mp4");
  }
  int deg = static_cast<int>(std::lround(angle)) % 360;
  if (deg <= -180) deg += 360;
  if (deg > 180) deg -= 360;
  if (deg % 90 != 0) {
    throw InputError(path.string(),
                     "display rotation of " + std::to_string(deg) +
                         " degrees; only multiples of 90 are supported",
                     "re-encode with the rotation applied (ffmpeg applies it by default)");
  }
  return deg;
}

VideoInfo read_video_header(const AVFormatContext* input, int index,
                            const std::filesystem::path& path) {
  const AVStream* st = input->streams[index];
  const AVCodecParameters* par = st->codecpar;
  VideoInfo v;
  v.stream_index = index;
  v.codec = avcodec_get_name(par->codec_id);
  if (avcodec_find_decoder(par->codec_id) == nullptr) {
    throw InputError(path.string(), "no decoder for video codec " + v.codec + " in this FFmpeg",
                     "re-encode the input to H.264");
  }
  v.profile = profile_name(par);
  v.level = par->level;
  v.width = par->width;
  v.height = par->height;
  if (v.width <= 0 || v.height <= 0) {
    throw InputError(path.string(),
                     "video stream #" + std::to_string(index) + " (" + v.codec +
                         ") has no picture size; FFmpeg could not parse its headers",
                     "re-copy the file, or re-encode it to H.264 MP4");
  }
  v.rotation_deg = rotation_deg(st, path);
  const bool sideways = v.rotation_deg == 90 || v.rotation_deg == -90;
  v.display_width = sideways ? v.height : v.width;
  v.display_height = sideways ? v.width : v.height;
  const AVRational sar = av_guess_sample_aspect_ratio(const_cast<AVFormatContext*>(input),
                                                      const_cast<AVStream*>(st), nullptr);
  v.sample_aspect_ratio = sar.num > 0 && sar.den > 0 ? to_rational(sar) : Rational{1, 1};
  v.pix_fmt = or_unknown(av_get_pix_fmt_name(static_cast<AVPixelFormat>(par->format)));
  v.color_primaries = or_unknown(av_color_primaries_name(par->color_primaries));
  v.color_transfer = or_unknown(av_color_transfer_name(par->color_trc));
  v.color_space = or_unknown(av_color_space_name(par->color_space));
  v.color_range = or_unknown(av_color_range_name(par->color_range));
  v.hdr = par->color_trc == AVCOL_TRC_SMPTE2084 || par->color_trc == AVCOL_TRC_ARIB_STD_B67;
  v.r_frame_rate = to_rational(st->r_frame_rate);
  v.avg_frame_rate = to_rational(st->avg_frame_rate);
  v.time_base = to_rational(st->time_base);
  return v;
}

[[noreturn]] void throw_hdr_rejection(const VideoInfo& v, const std::filesystem::path& path) {
  const char* kind = v.color_transfer == "smpte2084" ? "PQ" : "HLG";
  throw InputError(
      path.string(),
      "HDR video (transfer " + v.color_transfer + " " + kind + ", primaries " + v.color_primaries +
          ") cannot be delivered as SDR BT.709 without tone mapping",
      "tone-map it to SDR first (e.g. ffmpeg -vf "
      "zscale=t=linear:npl=100,tonemap=hable,zscale=t=bt709:m=bt709:p=bt709,"
      "format=yuv420p), or set input.reject_hdr = false to process it with wrong colours");
}

AudioInfo read_audio_header(const AVStream* st) {
  const AVCodecParameters* par = st->codecpar;
  AudioInfo a;
  a.stream_index = st->index;
  a.codec = avcodec_get_name(par->codec_id);
  a.profile = profile_name(par);
  a.sample_rate = par->sample_rate;
  a.channels = par->ch_layout.nb_channels;
  char layout[128] = {};
  if (av_channel_layout_describe(&par->ch_layout, layout, sizeof layout) < 0) layout[0] = '\0';
  a.channel_layout = layout;
  a.time_base = to_rational(st->time_base);
  return a;
}

// The stream header's duration, or the span its packets covered.
double stream_duration_s(const AVStream* st, const StreamPackets& packets) {
  if (st->duration != AV_NOPTS_VALUE && st->duration > 0) {
    return to_seconds(st->duration, st->time_base);
  }
  if (!packets.timed) return 0.0;
  return to_seconds(packets.end_pts - packets.first_pts, st->time_base);
}

}  // namespace

ProbeResult probe(const std::filesystem::path& path, const ProbeOptions& options) {
  install_ffmpeg_log_bridge();
  const uint64_t file_size = check_file(path);
  InputFormatPtr input = open_or_reject(path);

  ProbeResult result;
  result.path = path;
  result.format = or_unknown(input->iformat->name);
  result.format_long = or_unknown(input->iformat->long_name);
  result.bit_rate = input->bit_rate;
  for (unsigned i = 0; i < input->nb_streams; ++i) {
    const AVStream* st = input->streams[i];
    StreamInfo info;
    info.index = static_cast<int>(i);
    info.type = or_unknown(av_get_media_type_string(st->codecpar->codec_type));
    info.codec = avcodec_get_name(st->codecpar->codec_id);
    info.profile = profile_name(st->codecpar);
    info.level = st->codecpar->level;
    info.attached_picture = (st->disposition & AV_DISPOSITION_ATTACHED_PIC) != 0;
    result.streams.push_back(info);
  }

  const int video_index = pick_video(input.get(), path);
  result.video = read_video_header(input.get(), video_index, path);
  if (result.video.hdr && options.reject_hdr) throw_hdr_rejection(result.video, path);
  const int audio_index =
      av_find_best_stream(input.get(), AVMEDIA_TYPE_AUDIO, -1, video_index, nullptr, 0);
  if (audio_index >= 0) result.audio = read_audio_header(input->streams[audio_index]);

  const PacketScan scan = scan_packets(input.get(), video_index, path, file_size);
  VideoInfo& v = result.video;
  const AVStream* vst = input->streams[video_index];
  const StreamPackets& vpackets = scan.streams[video_index];
  v.frame_count = static_cast<int64_t>(scan.video_pts.size());
  if (v.frame_count == 0) {
    throw InputError(path.string(),
                     "video stream #" + std::to_string(video_index) + " has no packets",
                     "re-copy the file, or pass one whose video track has frames");
  }
  v.start_pts = vst->start_time != AV_NOPTS_VALUE ? vst->start_time : vpackets.first_pts;
  v.duration_s = stream_duration_s(vst, vpackets);
  v.timing = classify_frame_timing(scan.video_pts);
  v.keyframes = scan.keyframes;
  if (result.audio) {
    const AVStream* ast = input->streams[result.audio->stream_index];
    result.audio->packet_count = scan.streams[ast->index].kept_packets;
    result.audio->duration_s = stream_duration_s(ast, scan.streams[ast->index]);
  }
  if (input->duration != AV_NOPTS_VALUE && input->duration > 0) {
    result.duration_s = static_cast<double>(input->duration) / AV_TIME_BASE;
  } else {
    result.duration_s = std::max(v.duration_s, result.audio ? result.audio->duration_s : 0.0);
  }

  result.fingerprint = fingerprint(path);
  FF_DEBUG("probe " << path.string() << ": " << v.frame_count << " frames, " << v.keyframes.size()
                    << " keyframes, " << (v.timing.vfr ? "VFR" : "CFR"));
  return result;
}

}  // namespace ff::media
