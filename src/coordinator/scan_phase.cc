#include "coordinator/scan_phase.h"

#include <algorithm>
#include <limits>
#include <map>
#include <string>
#include <utility>

#include "coordinator/collective.h"
#include "coordinator/mpi_env.h"
#include "coordinator/video_farm.h"
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

namespace {

// What every rank knows of one video: its input, geometry and chunk table.
struct SharedVideo {
  std::filesystem::path input;
  media::VideoInfo video;
  std::vector<worker::ScanChunk> table;
};

std::vector<SharedVideo> share_videos(const std::vector<ScanVideo>& videos) {
  ByteWriter w;
  if (world_rank() == 0) {
    w.put<uint64_t>(videos.size());
    for (const ScanVideo& v : videos) {
      put_string(w, v.input.string());
      w.put(scan_context_of(v.video));
      w.put_vector(v.chunks);
    }
  }
  const std::vector<std::byte> bytes = broadcast_bytes(w.take());
  ByteReader r(bytes);
  std::vector<SharedVideo> shared(r.get<uint64_t>());
  for (SharedVideo& v : shared) {
    v.input = get_string(r);
    v.video = video_info_of(r.get<ScanContext>());
    v.table = r.get_vector<worker::ScanChunk>();
  }
  return shared;
}

// A chunk's time span in seconds from the stream start; the last chunk
// (open-ended) ends at the stream's end.
std::pair<double, double> chunk_span_s(const worker::ScanChunk& c, const media::VideoInfo& video) {
  const double tb = video.time_base.value();
  const double start_s = static_cast<double>(c.start_pts - video.start_pts) * tb;
  const double end_s = c.end_pts == std::numeric_limits<int64_t>::max()
                           ? video.duration_s
                           : static_cast<double>(c.end_pts - video.start_pts) * tb;
  return {start_s, end_s};
}

}  // namespace

std::vector<ScanVideoOutcome> run_scan_videos(const std::vector<ScanVideo>& videos,
                                              const worker::ScanParams& params,
                                              const FarmConfig& farm, bool isolate_failures) {
  const bool root = world_rank() == 0;
  const std::vector<SharedVideo> shared = share_videos(videos);
  std::vector<size_t> sizes;
  for (const SharedVideo& v : shared) sizes.push_back(v.table.size());
  const VideoTaskIndex index(sizes);

  // Tasks are read on rank 0 only; a chunk costs its duration.
  std::vector<Task> tasks;
  if (root) {
    for (size_t v = 0; v < videos.size(); ++v) {
      for (size_t i = 0; i < shared[v].table.size(); ++i) {
        const auto [start_s, end_s] = chunk_span_s(shared[v].table[i], videos[v].video);
        tasks.push_back({index.id(v, i), std::max(1e-3, end_s - start_s)});
      }
    }
  }

  std::vector<ScanVideoOutcome> outcomes(shared.size());
  std::vector<std::vector<worker::ChunkScan>> scans(shared.size());
  FarmConfig config = farm;
  config.name = "scan";
  config.describe_task = [&](int32_t id) {
    const auto [v, i] = index.locate(id);
    const SharedVideo& s = shared[v];
    return "scan chunk " + std::to_string(s.table[i].id) + " of " + s.input.string() + " from " +
           std::to_string(chunk_span_s(s.table[i], s.video).first) + " s";
  };
  const Execute execute = [&](int32_t id) {
    const auto [v, i] = index.locate(id);
    const SharedVideo& s = shared[v];
    return worker::serialize(worker::scan_chunk(s.input, s.video, s.table[i], params));
  };
  log::Progress progress("scan", static_cast<int64_t>(index.total()), "chunks");
  const OnResult on_result = [&](int32_t id, int rank, std::span<const std::byte> payload,
                                 double seconds) {
    const size_t v = index.locate(id).first;
    worker::ChunkScan scan = worker::deserialize_chunk_scan(payload);
    ScanPhaseResult& result = outcomes[v].result;
    result.chunks.push_back({scan.chunk_id, rank, static_cast<int64_t>(scan.frames.size()), seconds,
                             scan.decode_s, scan.analysis_s});
    result.analysis_width = scan.analysis_width;
    result.analysis_height = scan.analysis_height;
    scans[v].push_back(std::move(scan));
    progress.advance(1);
  };
  if (isolate_failures) {
    const std::vector<std::string> failures =
        run_farm_per_video(config, std::move(tasks), index, execute, on_result);
    for (size_t v = 0; v < failures.size(); ++v) outcomes[v].failure = failures[v];
  } else {
    run_farm(config, std::move(tasks), execute, on_result);
  }
  progress.finish();
  // Merge on rank 0; a failed merge is reported to every rank (root_step)
  // unless it only fails its own video.
  root_step([&] {
    for (size_t v = 0; v < outcomes.size(); ++v) {
      ScanVideoOutcome& out = outcomes[v];
      if (!out.failure.empty()) continue;
      try {
        out.result.data = merge_chunk_scans(std::move(scans[v]), videos[v].video);
      } catch (const std::exception& e) {
        if (!isolate_failures) throw;
        out.failure = e.what();
      }
      std::sort(out.result.chunks.begin(), out.result.chunks.end(),
                [](const auto& a, const auto& b) { return a.chunk_id < b.chunk_id; });
    }
  });
  return outcomes;
}

ScanPhaseResult run_scan_phase(const std::filesystem::path& input, const media::VideoInfo& video,
                               const std::vector<worker::ScanChunk>& chunks,
                               const worker::ScanParams& params, const FarmConfig& farm) {
  std::vector<ScanVideo> videos;
  if (world_rank() == 0) videos.push_back({input, video, chunks});
  std::vector<ScanVideoOutcome> outcomes = run_scan_videos(videos, params, farm, false);
  return std::move(outcomes.front().result);
}

}  // namespace ff::coordinator
