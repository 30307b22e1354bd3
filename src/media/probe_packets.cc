#include "media/probe_packets.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/error.h"
#include "media/av.h"

namespace ff::media {
namespace {

constexpr const char* kRecopyHint = "re-copy or re-download the complete file";
// How far the last packet may end before the container's stated duration.
constexpr double kEndToleranceS = 0.5;

std::string stream_name(const AVStream* st) {
  const char* type = av_get_media_type_string(st->codecpar->codec_type);
  return "stream #" + std::to_string(st->index) + " (" + (type ? type : "unknown") + ")";
}

// A container whose header states its duration (Matroska's Info, MP4's
// mvhd) but whose packets stop well before it was cut short: Matroska keeps
// no per-packet index to compare the packet count with.
void check_reached_the_end(const AVFormatContext* input, const PacketScan& scan,
                           const std::filesystem::path& path) {
  if (input->duration == AV_NOPTS_VALUE || input->duration <= 0 ||
      input->duration_estimation_method == AVFMT_DURATION_FROM_BITRATE) {
    return;  // no duration, or only a guess from the bit rate
  }
  const double start_s = input->start_time != AV_NOPTS_VALUE
                             ? static_cast<double>(input->start_time) / AV_TIME_BASE
                             : 0.0;
  const double duration_s = static_cast<double>(input->duration) / AV_TIME_BASE;
  double reached_s = 0.0;
  for (unsigned i = 0; i < input->nb_streams; ++i) {
    const StreamPackets& sp = scan.streams[i];
    if (!sp.timed) continue;
    const double end_s =
        static_cast<double>(sp.end_pts) * av_q2d(input->streams[i]->time_base) - start_s;
    reached_s = std::max(reached_s, end_s);
  }
  if (reached_s < duration_s - kEndToleranceS) {
    char text[160];
    std::snprintf(text, sizeof text,
                  "truncated: the packets end at %.3f s but the container's header says it "
                  "lasts %.3f s",
                  reached_s, duration_s);
    throw InputError(path.string(), text, kRecopyHint);
  }
}

}  // namespace

FrameTiming classify_frame_timing(std::vector<int64_t> pts) {
  FrameTiming timing;
  if (pts.size() < 2) return timing;
  std::sort(pts.begin(), pts.end());
  std::vector<int64_t> deltas(pts.size() - 1);
  for (size_t i = 0; i + 1 < pts.size(); ++i) deltas[i] = pts[i + 1] - pts[i];

  std::vector<int64_t> sorted = deltas;
  const auto middle = sorted.begin() + static_cast<std::ptrdiff_t>((sorted.size() - 1) / 2);
  std::nth_element(sorted.begin(), middle, sorted.end());
  timing.reference_delta_pts = *middle;
  const auto [min_it, max_it] = std::minmax_element(deltas.begin(), deltas.end());
  timing.min_delta_pts = *min_it;
  timing.max_delta_pts = *max_it;

  const auto n = static_cast<int64_t>(deltas.size());
  for (int64_t i = 0; i < n; ++i) {
    const bool on_grid = std::llabs(deltas[i] - timing.reference_delta_pts) <= 1;
    if (on_grid) continue;
    ++timing.off_grid_deltas;
    const bool at_edge = i < kTimingEdgeDeltas || i >= n - kTimingEdgeDeltas;
    if (!at_edge) ++timing.off_grid_interior;
  }
  timing.vfr = timing.off_grid_interior > 0;
  return timing;
}

PacketScan scan_packets(AVFormatContext* input, int video_index, const std::filesystem::path& path,
                        uint64_t file_size_bytes) {
  PacketScan scan;
  scan.streams.resize(input->nb_streams);
  for (unsigned i = 0; i < input->nb_streams; ++i) {
    scan.streams[i].index_entries = avformat_index_get_entries_count(input->streams[i]);
  }

  AvLogCapture capture;
  PacketPtr pkt = make_packet(path);
  int64_t packets_read = 0;
  for (;;) {
    const int ret = av_read_frame(input, pkt.get());
    if (ret == AVERROR_EOF) break;
    if (ret < 0) {
      const std::string detail = capture.last();
      throw InputError(path.string(),
                       "truncated or damaged: reading packets failed after " +
                           std::to_string(packets_read) + " packets, near byte " +
                           std::to_string(avio_tell(input->pb)) + " of " +
                           std::to_string(file_size_bytes) + " (" + av_error_text(ret) +
                           (detail.empty() ? "" : ": " + detail) + ")",
                       kRecopyHint);
    }
    PacketUnref unref(pkt.get());
    ++packets_read;
    if (pkt->stream_index < 0 || pkt->stream_index >= static_cast<int>(scan.streams.size())) {
      continue;  // a stream that appeared after the headers; not ours to report
    }
    const AVStream* st = input->streams[pkt->stream_index];
    if (pkt->pos >= 0 &&
        static_cast<uint64_t>(pkt->pos) + static_cast<uint64_t>(pkt->size) > file_size_bytes) {
      throw InputError(path.string(),
                       "truncated: a packet of " + stream_name(st) + " at byte " +
                           std::to_string(pkt->pos) + " ends beyond the end of the file (" +
                           std::to_string(file_size_bytes) + " bytes)",
                       kRecopyHint);
    }
    StreamPackets& sp = scan.streams[pkt->stream_index];
    ++sp.packets;
    if (pkt->flags & AV_PKT_FLAG_DISCARD) continue;

    const int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
    if (ts == AV_NOPTS_VALUE) {
      if (pkt->stream_index == video_index) {
        throw InputError(path.string(),
                         "video packet " + std::to_string(sp.kept_packets) + " of " +
                             stream_name(st) + " has no timestamp",
                         "remux it into MP4 or MKV first (ffmpeg -i IN -c copy OUT.mp4)");
      }
      ++sp.kept_packets;
      continue;
    }
    const int64_t end = ts + std::max<int64_t>(pkt->duration, 0);
    if (!sp.timed) {
      sp.timed = true;
      sp.first_pts = ts;
      sp.end_pts = end;
    } else {
      sp.first_pts = std::min(sp.first_pts, ts);
      sp.end_pts = std::max(sp.end_pts, end);
    }
    ++sp.kept_packets;
    if (pkt->stream_index == video_index) {
      scan.video_pts.push_back(ts);
      if (pkt->flags & AV_PKT_FLAG_KEY) scan.keyframes.push_back({ts, pkt->pos});
    }
  }

  for (unsigned i = 0; i < input->nb_streams; ++i) {
    const StreamPackets& sp = scan.streams[i];
    if (sp.packets < sp.index_entries) {
      throw InputError(path.string(),
                       "truncated: " + stream_name(input->streams[i]) + " ends after " +
                           std::to_string(sp.packets) +
                           " packets but the container's index lists " +
                           std::to_string(sp.index_entries),
                       kRecopyHint);
    }
  }
  check_reached_the_end(input, scan, path);
  return scan;
}

}  // namespace ff::media
