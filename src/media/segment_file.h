#pragma once
// One render segment on disk (DESIGN.md §1 phase 4, §2): an MP4 holding one
// H.264 stream (no audio) at `<dir>/seg_<id, 5 digits>.mp4`, and its sidecar
// `seg_<id>.json` saying what the file holds and what it was made from.
//
//   VideoEncoder enc(settings);
//   SegmentFile seg({.dir = work / "segments", .id = 7, .frames = 150, .plan_key = key}, enc);
//   for (...) { enc.encode(frame); seg.write_ready(enc); }
//   enc.flush();
//   seg.write_ready(enc);
//   SegmentRecord rec = seg.finish();   // rec.bytes, rec.sha256, rec.path
//
// A file with the final name is always complete and checked. finish():
//   1. writes the MP4 trailer and closes `<final>.tmp-<host>-<pid>`;
//   2. re-opens it and counts its video packets against spec.frames; a
//      mismatch is a RuntimeError naming the segment, the expected and the
//      actual count, and the temp file is removed;
//   3. hashes it (SHA-256) and writes the sidecar atomically;
//   4. fsyncs the segment and renames it to the final name.
// The sidecar goes first: a crash between 3 and 4 leaves a sidecar without a
// segment, which segment_is_done() treats as not done. A SegmentFile
// destroyed before finish() (an exception while encoding) removes its temp.
//
// The sidecar (JSON): {"segment": 7, "frames": 150, "bytes": 812345,
// "sha256": "<64 hex digits>", "plan_key": "<caller's key>", "encoder":
// "libx264"}. plan_key is whatever the segment's content depends on (input
// fingerprint, plan, output settings), built by the caller; a resumed job
// reuses a segment only when its key is unchanged.
//
// Packets are muxed with their encoder timestamps (frame index within the
// segment, from 0); the MP4 stream's frame rate is the encoder's. The muxer
// runs with AVFMT_FLAG_BITEXACT, so equal packets give a byte-identical file.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "core/atomic_file.h"
#include "media/av.h"
#include "media/video_encoder.h"

namespace ff::media {

struct SegmentSpec {
  std::filesystem::path dir;  // the job's segments/ directory; created when missing
  int id = 0;                 // 0..99999
  int64_t frames = 0;         // the plan's frame count for this segment
  std::string plan_key;       // what the segment's content depends on
};

// What a finished segment holds: the sidecar's fields.
struct SegmentRecord {
  int id = 0;
  int64_t frames = 0;
  uint64_t bytes = 0;
  std::string sha256;  // of the whole MP4, 64 lower-case hex digits
  std::string plan_key;
  std::string encoder;  // "libx264" or "h264_nvenc"
  std::filesystem::path path;
};

// <dir>/seg_00007.mp4 and <dir>/seg_00007.json for id 7.
std::filesystem::path segment_path(const std::filesystem::path& dir, int id);
std::filesystem::path segment_sidecar_path(const std::filesystem::path& dir, int id);

// SHA-256 of a whole file (libavutil), lower-case hex. Throws RuntimeError.
std::string sha256_file(const std::filesystem::path& path);

// Video packets in a media file's first video stream (no decoding). Throws
// AvError when the file does not open.
int64_t count_video_packets(const std::filesystem::path& path);

class SegmentFile {
 public:
  // Opens the temp file and writes the MP4 header with `encoder`'s stream
  // parameters (size, SPS/PPS, colour tags, time base).
  SegmentFile(SegmentSpec spec, const VideoEncoder& encoder);
  SegmentFile(const SegmentFile&) = delete;
  SegmentFile& operator=(const SegmentFile&) = delete;

  // Writes one packet from the encoder (timestamps in the encoder's time base).
  void write(AVPacket* packet);
  // Writes every packet `encoder` has ready.
  void write_ready(VideoEncoder& encoder);

  // Closes, verifies, records and renames (see the header comment).
  SegmentRecord finish();

  const std::filesystem::path& temp_path() const { return out_.temp_path(); }
  int64_t packets_written() const { return packets_written_; }

 private:
  SegmentSpec spec_;
  std::string encoder_name_;
  AVRational encoder_time_base_;
  core::AtomicOutput out_;  // declared before the muxer: the file closes before the temp goes
  OutputFormatPtr mux_;
  AVStream* stream_ = nullptr;
  int64_t packets_written_ = 0;
  bool finished_ = false;
};

// The segment's sidecar, or nullopt when it is missing or unreadable.
std::optional<SegmentRecord> read_segment_record(const std::filesystem::path& dir, int id);

// Whether segment `id` in `dir` is finished and can be reused by a resumed
// job: the segment and its sidecar exist, the sidecar's plan_key equals
// `plan_key` and its frames equal `expected_frames`, the file size and
// SHA-256 match the sidecar, and the file holds `expected_frames` video
// packets. Logs the reason at info level when a present segment is not
// reused. Never throws for a bad or unreadable segment: it is just not done.
// Removes what an interrupted earlier run left half-written in `dir`: files
// whose name holds ".tmp-" (core::AtomicOutput's temp names). Call it only
// while no process writes there (rank 0, before the render starts). Returns
// how many it removed; a missing `dir` removes none. Throws ff::RuntimeError
// naming a file it cannot remove.
int remove_partial_files(const std::filesystem::path& dir);

bool segment_is_done(const std::filesystem::path& dir, int id, int64_t expected_frames,
                     const std::string& plan_key);

}  // namespace ff::media
