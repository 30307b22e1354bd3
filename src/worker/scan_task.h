#pragma once
// The scan task (DESIGN.md §1 phase 2): decode one chunk of the input once,
// at full size, and keep only analysis data: per frame a thumbnail-based
// scene score and the mean luma, and on detection frames the confirmed face
// tracks with their lower-face activity. No full-size frame outlives its
// decode; memory is the decoder's (a few frames per decoder thread) plus six
// analysis-size gray frames, allocated once per chunk.
//
// Cost per frame (docs/performance.md, "Scan"): the decode, two area
// downscales of the decoded planes (64x36 thumbnail, analysis frame) and,
// about detect_fps times a second, the cascade: over the whole analysis
// frame after a cut and every full_detect_interval_s (backing off to
// max_full_detect_interval_s while nothing new turns up), else only in
// windows around tracks, for faces of about the track's size.
//
// A chunk is [start_pts, end_pts) in presentation time, starting at a
// keyframe. Frames before start_pts (leading pictures of an open GOP) belong
// to the previous chunk; the decoder runs until the first frame at or past
// end_pts, so every frame of the file is scanned exactly once.
//
//   ChunkScan r = scan_chunk(input, probe.video, {.id = 3, .start_pts = a, .end_pts = b}, params);
//   // r.frames[i]: i-th frame of the chunk; r.faces[j].src_frame: index into r.frames
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "analysis/face_detector.h"
#include "analysis/face_tracker.h"
#include "analysis/frame_features.h"
#include "analysis/scan_data.h"
#include "analysis/types.h"
#include "core/options.h"
#include "media/probe.h"

namespace ff::worker {

struct ScanChunk {
  int32_t id = 0;
  int64_t start_pts = 0;                                  // a keyframe's pts
  int64_t end_pts = std::numeric_limits<int64_t>::max();  // the next chunk's start
};

struct ScanParams {
  int analysis_width = 480;           // gray analysis frame width, px (never upscaled)
  double detect_fps = 5.0;            // detections per second around tracks
  double full_detect_interval_s = 1;  // whole-frame detection this often after a change
  // ... backing off (doubling) to this while whole-frame searches find no new
  // face and no track is lost; cuts and changes go back to the interval above.
  double max_full_detect_interval_s = 4;
  float cut_hint_score = 30.f;  // a frame scoring this much restarts tracking
  // A coarser pyramid than the detector's default (1.2 against 1.1): the
  // tracks come out the same on the project's recordings and the scan costs
  // a sixth less (docs/performance.md, "Scan"). Tracks are confirmed over
  // several detections 0.2 s apart, so a face that falls between two pyramid
  // levels on one frame is found on the next.
  analysis::FaceDetectorParams detector{.cascade_path = "", .scale_factor = 1.2};
  analysis::FaceTrackerParams tracker;
  bool detect_faces = true;  // false for reframe.mode = "centre"
  // Decoder and OpenCV threads of this rank; 0 = cores_for_this_rank(). The
  // results do not depend on it.
  int threads = 0;
  // farm.device: where it resolves to CUDA (worker/render_device.h) frames
  // decode on NVDEC and are downscaled on the device, and only the analysis
  // planes come down. NVDEC cannot skip the loop filter, so the pictures (and
  // the scores and boxes from them) differ slightly from a CPU scan's.
  core::Device farm_device = core::Device::kCpu;
};

struct ScannedFrame {
  int64_t pts = 0;
  float scene_score = 0.f;  // vs the previous frame of the chunk; NaN for its first frame
  float mean_luma = 0.f;
  analysis::LumaSignature signature{};  // 8x8 luma, for the flash filter
};

struct ChunkScan {
  int32_t chunk_id = 0;
  int analysis_width = 0;  // size the face boxes were found at (display orientation)
  int analysis_height = 0;
  std::vector<ScannedFrame> frames;
  std::vector<analysis::FaceBox> faces;  // src_frame = index into frames
  analysis::Thumbnail first;             // thumbnails of the chunk's first and last frame,
  analysis::Thumbnail last;              // for scoring the frame after a chunk boundary
  double decode_s = 0.0;                 // time in the decoder
  double analysis_s = 0.0;               // time in features and face detection
};

ChunkScan scan_chunk(const std::filesystem::path& input, const media::VideoInfo& video,
                     const ScanChunk& chunk, const ScanParams& params);

std::vector<std::byte> serialize(const ChunkScan& scan);
ChunkScan deserialize_chunk_scan(std::span<const std::byte> bytes);

// The cores one rank may use: the CPUs of its affinity mask, at most the
// node's online CPUs divided by the ranks on the node (from the MPI
// launcher's or Slurm's environment), at least 1. One process on a 16-core
// node: 16; `mpirun -n 16` there: 1 each.
int cores_for_this_rank();

// Chunks cut at keyframes, each at least `min_chunk_s` long where the
// keyframes allow (the last one may be shorter); ids count from 0.
std::vector<ScanChunk> plan_scan_chunks(const media::VideoInfo& video, double min_chunk_s);

}  // namespace ff::worker
