#pragma once
// The scan phase over the farm: cut the input into keyframe chunks, scan
// them on every rank (worker/scan_task.h), and merge the results on rank 0
// into one ScanData in source order. Several videos can share one farm run
// (run_scan_videos, for `framefarm archive`).
//
// Chunk boundaries: the first frame of every chunk but the first is scored
// here against the last frame of the chunk before, from their thumbnails,
// with the same arithmetic as inside a chunk, so the merged scores do not
// depend on how many ranks or chunks there were.
#include <filesystem>
#include <string>
#include <vector>

#include "analysis/scan_data.h"
#include "coordinator/farm.h"
#include "media/probe.h"
#include "worker/scan_task.h"

namespace ff::coordinator {

struct ScanChunkMetrics {
  int32_t chunk_id = 0;
  int rank = -1;
  int64_t frames = 0;
  double seconds = 0.0;
  double decode_s = 0.0;
  double analysis_s = 0.0;
};

struct ScanPhaseResult {
  analysis::ScanData data;  // rank 0 only
  std::vector<ScanChunkMetrics> chunks;
  int analysis_width = 0;
  int analysis_height = 0;
};

// The probe fields every rank needs to scan, broadcast from rank 0.
struct ScanContext {
  int32_t stream_index = -1;
  int32_t width = 0, height = 0;
  int32_t rotation_deg = 0;
  int32_t tb_num = 0, tb_den = 1;
  int64_t start_pts = 0;
};
ScanContext scan_context_of(const media::VideoInfo& video);
media::VideoInfo video_info_of(const ScanContext& context);

// Collective: every rank calls it. `video` and `chunks` are read on rank 0.
// One video of run_scan_videos, with the farm's failures thrown as they are.
ScanPhaseResult run_scan_phase(const std::filesystem::path& input, const media::VideoInfo& video,
                               const std::vector<worker::ScanChunk>& chunks,
                               const worker::ScanParams& params, const FarmConfig& farm);

// One video of a multi-video scan (filled on rank 0).
struct ScanVideo {
  std::filesystem::path input;
  media::VideoInfo video;
  std::vector<worker::ScanChunk> chunks;  // plan_scan_chunks(video, ...)
};

struct ScanVideoOutcome {
  ScanPhaseResult result;  // rank 0, when failure is empty
  std::string failure;     // rank 0: one line, why this video's scan failed
};

// Collective: the chunks of every video in one farm run, one pull queue,
// longest chunk first across videos (video_farm.h). `videos` is read on rank
// 0; every rank gets one outcome per video. Each video's ScanData is what
// run_scan_phase gives for it alone. With `isolate_failures`, a chunk out of
// tries (or a merge that fails) fails only its video; without, it throws
// FarmError (or the merge's error) as run_scan_phase does.
std::vector<ScanVideoOutcome> run_scan_videos(const std::vector<ScanVideo>& videos,
                                              const worker::ScanParams& params,
                                              const FarmConfig& farm, bool isolate_failures);

// Merges chunk results (any order) into ScanData; exposed for tests.
analysis::ScanData merge_chunk_scans(std::vector<worker::ChunkScan> scans,
                                     const media::VideoInfo& video);

}  // namespace ff::coordinator
