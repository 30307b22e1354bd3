#pragma once
// The render task (DESIGN.md §1 phase 4): one segment of the plan, decoded
// frame-exactly, cropped and scaled by the planned window, encoded, and
// written as segments/seg_<id>.mp4 (complete or absent: media/segment_file.h).
//
// Frame-exact decode: seek to the keyframe at or before the segment's first
// source frame, decode forward, drop frames before it; output frame n shows
// source frame grid_src[n] (a source frame repeats when the output rate is
// higher, is skipped when it is lower). Every output frame is encoded with
// pts = n - segment begin, so the stitch can rebase segments exactly.
//
//   RenderContext ctx = ...;                // broadcast once to every rank
//   RenderResult r = render_segment(input, ctx, 7, segments_dir, settings);
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "analysis/segments.h"
#include "analysis/types.h"
#include "core/options.h"
#include "kernels/crop_scale.h"
#include "media/probe.h"
#include "media/video_encoder.h"

namespace ff::worker {

// What every rank needs to render any segment; plain data, sent once.
struct RenderContext {
  media::VideoInfo video;                  // stream_index, size, rotation, time base, start_pts
  std::vector<int64_t> src_pts;            // pts of each source frame, increasing
  std::vector<int64_t> keyframe_pts;       // sorted
  std::vector<int64_t> grid_src;           // per output frame: the source frame shown
  std::vector<analysis::CropWindow> crop;  // per output frame, displayed source pixels
  std::vector<analysis::Segment> segments;
  int64_t fps_num = 30;  // output frame rate, the plan's grid
  int64_t fps_den = 1;
  kernels::ColorConversion conversion = kernels::ColorConversion::kNone;
  std::string plan_key;  // input fingerprint + plan + output settings
};

struct RenderResult {
  int32_t segment = 0;
  int64_t frames = 0;
  uint64_t bytes = 0;
  bool reused = false;  // a verified segment from an earlier run was kept
  double decode_s = 0.0;
  double scale_s = 0.0;
  double encode_s = 0.0;
  char encoder[16] = {};  // "libx264", "h264_nvenc"
  // Where it ran (render_device.h): "nvdec+cuda+nvenc", "nvdec+cuda+x264",
  // "cpu+x264", "cpu+nvenc"; "reused" for a kept segment.
  char path[24] = {};
};

// `farm_device` is the job's farm.device; the device path runs where it
// resolves to CUDA on this rank (render_device.h), the CPU path otherwise.
RenderResult render_segment(const std::filesystem::path& input, const RenderContext& context,
                            int32_t segment_index, const std::filesystem::path& segments_dir,
                            const media::EncoderSettings& settings,
                            core::Device farm_device = core::Device::kCpu);

// The conversion a source's colour tags call for: BT.601 matrices (bt470bg,
// smpte170m, or unspecified below 720 lines) are converted to BT.709.
kernels::ColorConversion conversion_for(const media::VideoInfo& video);

// The segment's key: plan_key plus its own range and windows, so a changed
// plan never reuses a stale segment.
std::string segment_key(const RenderContext& context, int32_t segment_index);

}  // namespace ff::worker
