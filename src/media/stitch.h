#pragma once
// The stitch (DESIGN.md §1 phase 6): render segments joined at the bitstream
// level into the delivered MP4, with the job's audio muxed in. No re-encode.
//
//   stitch({dir / "seg_00000.mp4", dir / "seg_00001.mp4"}, work / "audio.m4a",
//          "out.mp4", {.fps = {30, 1}, .expected_frames = 127});
//
// Inputs: the segments in output order (as SegmentFile writes them: one
// H.264 stream each, starting with an IDR, closed GOPs, constant frame rate
// `fps`), and optionally an .m4a/.mp4 holding one AAC stream whose timeline
// starts with the video's (the audio phase's output).
//
// Output: one MP4 whose video is the segments' packets in order on one
// continuous constant-frame-rate timeline: segment k's first frame becomes
// output frame start_k = frames of segments 0..k-1, so the output has the
// sum of the segments' frame counts. Audio packets are copied and
// interleaved by timestamp. `movflags=+faststart` puts the moov box before
// the media data. Written as `<output>.tmp-<host>-<pid>`, fsynced, then renamed, so
// `output` either does not exist or is complete. The video stream keeps the
// segments' SPS/PPS/VUI and is tagged BT.709 primaries/transfer/matrix,
// limited range.
//
// Errors (ff::RuntimeError, the temp file removed):
//   - a segment whose SPS/PPS (MP4 extradata) differ from the first
//     segment's: the segments were encoded with different settings; the
//     message says to delete the work directory's segments/ and re-render;
//   - a segment that does not start with a keyframe, whose timestamps are
//     not on the 1/fps grid, or whose frames are not one continuous run;
//   - decode timestamps that would not strictly increase across a join
//     (see stitch.cc for why they do when the segments match);
//   - an audio file without an AAC stream;
//   - a total frame count that differs from options.expected_frames.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

#include "media/av.h"

namespace ff::media {

struct StitchOptions {
  AVRational fps{0, 1};          // output frame rate (the plan's); required
  int64_t expected_frames = -1;  // the plan's output frame count; -1 = not checked
};

void stitch(const std::vector<std::filesystem::path>& segments_in_order,
            const std::optional<std::filesystem::path>& audio_file,
            const std::filesystem::path& output, const StitchOptions& options);

}  // namespace ff::media
