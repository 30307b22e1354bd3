#include "coordinator/scan_phase.h"

#include <algorithm>
#include <limits>
#include <map>
#include <string>

#include "coordinator/mpi_env.h"
#include "core/bytes.h"
#include "core/error.h"
#include "core/log.h"

namespace ff::coordinator {

ScanContext scan_context_of(const media::VideoInfo& video) {
  return {video.stream_index,  video.width,         video.height,   video.rotation_deg,
          video.time_base.num, video.time_base.den, video.start_pts};
}

media::VideoInfo video_info_of(const ScanContext& c) {
  media::VideoInfo v;
  v.stream_index = c.stream_index;
  v.width = c.width;
  v.height = c.height;
  v.rotation_deg = c.rotation_deg;
  v.time_base = {c.tb_num, c.tb_den};
  v.start_pts = c.start_pts;
  const bool sideways = c.rotation_deg == 90 || c.rotation_deg == -90;
  v.display_width = sideways ? c.height : c.width;
  v.display_height = sideways ? c.width : c.height;
  return v;
}

analysis::ScanData merge_chunk_scans(std::vector<worker::ChunkScan> scans,
                                     const media::VideoInfo& video) {
  std::sort(scans.begin(), scans.end(),
            [](const auto& a, const auto& b) { return a.chunk_id < b.chunk_id; });
  analysis::ScanData data;
  data.display_width = video.display_width;
  data.display_height = video.display_height;
  data.duration_s = video.duration_s;
  const double tb = video.time_base.value();
  const worker::ChunkScan* previous = nullptr;
  for (const worker::ChunkScan& scan : scans) {
    const auto offset = static_cast<int64_t>(data.frames.size());
    for (size_t i = 0; i < scan.frames.size(); ++i) {
      const worker::ScannedFrame& f = scan.frames[i];
      analysis::ScanFrame out;
      out.src_frame = offset + static_cast<int64_t>(i);
      out.pts = f.pts;
      out.time_s = static_cast<double>(f.pts - video.start_pts) * tb;
      if (i > 0) {
        out.scene_score = f.scene_score;
      } else if (previous != nullptr) {
        out.scene_score = analysis::scene_score(previous->last, scan.first);
      }
      if (!data.frames.empty() && out.pts <= data.frames.back().pts) {
        throw RuntimeError("scan: frame timestamps are not increasing at pts " +
                           std::to_string(out.pts) + " (chunk " + std::to_string(scan.chunk_id) +
                           "); remux the input to repair its timestamps");
      }
      data.frames.push_back(out);
      data.signatures.push_back(f.signature);
    }
    for (analysis::FaceBox face : scan.faces) {
      face.src_frame += offset;
      data.faces.push_back(face);
    }
    previous = &scan;
  }
  return data;
}

ScanPhaseResult run_scan_phase(const std::filesystem::path& input, const media::VideoInfo& video,
                               const std::vector<worker::ScanChunk>& chunks,
                               const worker::ScanParams& params, const FarmConfig& farm) {
  const bool root = world_rank() == 0;
  // Every rank needs the video's geometry and the chunk table.
  ByteWriter w;
  if (root) {
    w.put(scan_context_of(video));
    w.put_vector(chunks);
  }
  const std::vector<std::byte> shared_bytes = broadcast_bytes(w.take());
  ByteReader r(shared_bytes);
  const media::VideoInfo worker_video = video_info_of(r.get<ScanContext>());
  const std::vector<worker::ScanChunk> table = r.get_vector<worker::ScanChunk>();

  // Tasks are read on rank 0 only; a chunk costs its duration, the last one
  // (open-ended) what is left of the stream.
  std::vector<Task> tasks;
  if (root) {
    const double tb = video.time_base.value();
    const double stream_end_s = video.duration_s;
    for (const auto& c : table) {
      const double start_s = static_cast<double>(c.start_pts - video.start_pts) * tb;
      const double end_s = c.end_pts == std::numeric_limits<int64_t>::max()
                               ? stream_end_s
                               : static_cast<double>(c.end_pts - video.start_pts) * tb;
      tasks.push_back({c.id, std::max(1e-3, end_s - start_s)});
    }
  }

  ScanPhaseResult result;
  std::vector<worker::ChunkScan> scans;
  FarmConfig config = farm;
  config.name = "scan";
  config.describe_task = [&](int32_t id) {
    const auto& c = table[static_cast<size_t>(id)];
    const double tb = worker_video.time_base.value();
    return "scan chunk " + std::to_string(id) + " of " + input.string() + " from " +
           std::to_string(static_cast<double>(c.start_pts - worker_video.start_pts) * tb) + " s";
  };
  log::Progress progress("scan", static_cast<int64_t>(table.size()), "chunks");
  run_farm(
      config, tasks,
      [&](int32_t id) {
        return worker::serialize(
            worker::scan_chunk(input, worker_video, table[static_cast<size_t>(id)], params));
      },
      [&](int32_t id, int rank, std::span<const std::byte> payload, double seconds) {
        worker::ChunkScan scan = worker::deserialize_chunk_scan(payload);
        result.chunks.push_back({id, rank, static_cast<int64_t>(scan.frames.size()), seconds,
                                 scan.decode_s, scan.analysis_s});
        result.analysis_width = scan.analysis_width;
        result.analysis_height = scan.analysis_height;
        scans.push_back(std::move(scan));
        progress.advance(1);
      });
  progress.finish();
  if (root) {
    result.data = merge_chunk_scans(std::move(scans), video);
    std::sort(result.chunks.begin(), result.chunks.end(),
              [](const auto& a, const auto& b) { return a.chunk_id < b.chunk_id; });
  }
  return result;
}

}  // namespace ff::coordinator
