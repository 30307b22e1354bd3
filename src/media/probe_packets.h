#pragma once
// Internal to the probe: the packet scan. One pass of av_read_frame over the
// whole input, no decoding, collecting what the probe reports (video pts,
// keyframes, per-stream packet counts and time spans) and rejecting inputs
// whose packets end early or run past the end of the file.
//
//   PacketScan scan = scan_packets(input.get(), video_index, path, file_size_bytes);
//   scan.video_pts.size();  // frames; scan.keyframes: pts + byte offset of each keyframe
#include <cstdint>
#include <filesystem>
#include <vector>

#include "media/probe.h"

struct AVFormatContext;

namespace ff::media {

struct StreamPackets {
  int64_t packets = 0;        // every packet read, discard-flagged ones included
  int64_t kept_packets = 0;   // without AV_PKT_FLAG_DISCARD
  int64_t index_entries = 0;  // the container's index before the scan (0 when it has none)
  bool timed = false;         // a kept packet had a timestamp: first_pts and end_pts are valid
  int64_t first_pts = 0;      // smallest timestamp seen (pts, else dts)
  int64_t end_pts = 0;        // largest timestamp + duration seen
};

struct PacketScan {
  std::vector<StreamPackets> streams;  // by stream index
  std::vector<int64_t> video_pts;   // kept video packets' pts (dts when pts is missing), file order
  std::vector<Keyframe> keyframes;  // kept video keyframe packets, file order
};

// Reads every packet of `input`. Throws ff::InputError naming `path` when a
// read fails before the end, a packet lies beyond `file_size_bytes`, a stream
// yields fewer packets than the container's index lists, the packets end more
// than 0.5 s before the duration the container's header states (unless that
// duration is only a bit-rate estimate), or a video packet has neither pts
// nor dts.
PacketScan scan_packets(AVFormatContext* input, int video_index, const std::filesystem::path& path,
                        uint64_t file_size_bytes);

}  // namespace ff::media
