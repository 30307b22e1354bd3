#pragma once
// The probe (DESIGN.md §1, phase 1): what an input is, read from its headers
// and one packet scan (av_read_frame, no decoding), and whether framefarm can
// deliver it.
//
//   ProbeResult p = probe("call.mp4", ProbeOptions{.reject_hdr = true});
//   p.video.display_width;      // 1080 for a portrait phone clip stored 1920x1080
//   p.video.keyframes.size();   // where scan chunks and render seeks may start
//   std::cout << to_json(p);    // what `framefarm probe FILE` prints
//
// Rejections throw ff::InputError, one line naming the file, the reason and
// what to do, e.g.
//   "notes.txt: input rejected: not a media file FFmpeg can read (Invalid data
//    found when processing input); check the path"
// for: a missing or unreadable file, content no FFmpeg demuxer recognises, a
// recognised container that cannot be opened or whose packets end early
// (truncated: moov atom missing, a read error during the scan, fewer packets
// than the container's index lists, packets beyond the end of the file, the
// last packet ending over 0.5 s before the duration the header states), no
// video stream, a video stream without packets or timestamps, a display
// rotation that is not a multiple of 90 degrees, and an HDR transfer (SMPTE
// 2084 PQ or ARIB STD-B67 HLG) unless ProbeOptions::reject_hdr is false.
// FFmpeg's own log stays quiet (see media/av_error.h); `--log-level debug`
// shows it.
//
// Frame timing (VFR or CFR), decided by classify_frame_timing() from the
// presentation timestamps of the video packets:
//   1. sort the pts and take the n-1 deltas between neighbours;
//   2. the reference delta is the median delta (the lower middle one);
//   3. a delta is on the grid when it is within ±1 tick of the reference (a
//      rate like 30000/1001 in a 1/1000 time base gives 33 and 34);
//   4. off-grid deltas among the first kTimingEdgeDeltas and the last
//      kTimingEdgeDeltas are tolerated (encoder start-up, edit lists, a cut
//      last frame);
//   5. the stream is CFR when every other delta is on the grid, VFR otherwise
//      (a single dropped frame inside the stream makes it VFR).
// Later phases map frames to the output grid by timestamp either way; the
// flag and the counts are for the report and for choosing chunk sizes.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "media/fingerprint.h"

namespace ff::media {

struct ProbeOptions {
  bool reject_hdr = true;  // PQ/HLG transfer: throw InputError (the delivery is SDR BT.709)
};

struct Rational {
  int num = 0;
  int den = 1;
  double value() const { return den == 0 ? 0.0 : static_cast<double>(num) / den; }
  bool operator==(const Rational&) const = default;
};

// Every stream of the container, as FFmpeg names it.
struct StreamInfo {
  int index = 0;
  std::string type;     // "video", "audio", "subtitle", "data", "attachment", "unknown"
  std::string codec;    // avcodec_get_name: "h264", "hevc", "aac"
  std::string profile;  // avcodec_profile_name: "High", "Main", "LC"; "" when unknown
  int level = -99;      // codec's level_idc as stored (H.264 40 = 4.0, HEVC 120 = 4.0); -99 unknown
  bool attached_picture = false;  // cover art: a "video" stream that is not a video
};

// A keyframe packet: where decoding can start.
struct Keyframe {
  int64_t pts = 0;        // in the video stream's time base
  int64_t pos_bytes = 0;  // byte offset of the packet in the file; -1 when the demuxer does not say
  bool operator==(const Keyframe&) const = default;
};

inline constexpr int kTimingEdgeDeltas = 2;

// The outcome of classify_frame_timing() (rule in the header comment).
struct FrameTiming {
  bool vfr = false;
  int64_t reference_delta_pts = 0;  // median delta between sorted pts
  int64_t min_delta_pts = 0;
  int64_t max_delta_pts = 0;
  int64_t off_grid_deltas = 0;    // off the grid anywhere, the tolerated edges included
  int64_t off_grid_interior = 0;  // off the grid outside the edges: > 0 means VFR
};

// Classifies presentation timestamps (any order) as CFR or VFR. Fewer than
// three timestamps are CFR with whatever delta there is.
FrameTiming classify_frame_timing(std::vector<int64_t> pts);

struct VideoInfo {
  int stream_index = -1;
  std::string codec;
  std::string profile;
  int level = -99;
  int width = 0;  // coded picture size
  int height = 0;
  // Size as shown: width and height swapped for a 90 or 270 degree rotation.
  // Sample aspect ratio is not applied (see sample_aspect_ratio).
  int display_width = 0;
  int display_height = 0;
  // Rotation from the display matrix, as av_display_rotation_get and ffprobe's
  // `rotation` give it: degrees counter-clockwise, rounded, in (-180, 180];
  // always 0, 90, -90 or 180 (other angles are rejected). To show the picture
  // upright rotate the decoded frame by this much counter-clockwise (ffmpeg's
  // autorotate applies transpose=cclock for 90).
  int rotation_deg = 0;
  Rational sample_aspect_ratio{1, 1};
  std::string pix_fmt;  // av_get_pix_fmt_name: "yuv420p"
  // av_color_*_name; "unknown" when the stream does not say (ffprobe's words).
  std::string color_primaries;
  std::string color_transfer;
  std::string color_space;  // matrix coefficients
  std::string color_range;  // "tv" (limited), "pc" (full)
  bool hdr = false;         // transfer is smpte2084 (PQ) or arib-std-b67 (HLG)
  Rational r_frame_rate;    // nominal rate (AVStream::r_frame_rate)
  Rational avg_frame_rate;  // average rate (AVStream::avg_frame_rate)
  Rational time_base;
  int64_t start_pts = 0;    // first presentation timestamp, in time_base
  double duration_s = 0.0;  // stream header's duration; from the packets when it has none
  // Packets read for this stream, not counting those the demuxer marks for
  // discarding (edit lists): one per coded frame.
  int64_t frame_count = 0;
  FrameTiming timing;
  std::vector<Keyframe> keyframes;  // in file order
};

struct AudioInfo {
  int stream_index = -1;
  std::string codec;
  std::string profile;
  int sample_rate = 0;
  int channels = 0;
  std::string channel_layout;  // av_channel_layout_describe: "stereo", "5.1(side)"
  Rational time_base;
  double duration_s = 0.0;  // stream header's duration; from the packets when it has none
  int64_t packet_count = 0;
};

struct ProbeResult {
  std::filesystem::path path;
  std::string format;       // demuxer names: "mov,mp4,m4a,3gp,3g2,mj2"
  std::string format_long;  // "QuickTime / MOV"
  double duration_s = 0.0;  // container duration; the longest stream when it has none
  int64_t bit_rate = 0;     // container bit rate, bits per second; 0 unknown
  std::vector<StreamInfo> streams;
  VideoInfo video;                 // the main video stream
  std::optional<AudioInfo> audio;  // the main audio stream, when there is one
  Fingerprint fingerprint;
};

// Probes `path`; throws ff::InputError when framefarm cannot deliver it (see
// the header comment), ff::media::AvError for other FFmpeg failures.
ProbeResult probe(const std::filesystem::path& path, const ProbeOptions& options = {});

// The probe as pretty-printed JSON (2-space indent), the keys named like the fields.
std::string to_json(const ProbeResult& result);

}  // namespace ff::media
