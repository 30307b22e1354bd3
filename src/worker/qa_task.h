#pragma once
// The qa task (DESIGN.md §1 phase 7): decode one time range of a delivered
// file with error detection, count its frames, and find faces on the frames
// sampled for the face check. Plus the two rank-0 helpers of the qa phase
// that read the file once: the audio measurement and the encoder sniff.
//
// A range is [start_pts, end_pts) in presentation time, starting at a
// keyframe. Every decode error is counted, never thrown: a packet the
// decoder rejects (AV_EF_EXPLODE, CRC and bitstream checks on), a frame
// that comes out flagged corrupt, a read error. An error belongs to the
// range whose [start_pts, end_pts) holds the failing packet's (or frame's)
// pts, so the counts add up to the same total however the file is cut.
// Decoding is single-threaded so every error is reported by the call that
// sent its packet (ranks give the parallelism).
//
// Faces: on output frames where analysis::is_face_sample() holds, the luma is
// area-downscaled to `analysis_width` and the face detector runs on the
// whole frame; every box is recorded, normalised to the frame.
//
//   QaRangeResult r = qa_range(file, stream, {.id = 2, .start_pts = a, .end_pts = b}, params);
//   r.frames;          // frames with pts in [a, b)
//   r.video_errors;    // errors in the range; r.first_errors: the first kMaxListedErrors
//   r.faces;           // out_frame, box: every face on the sampled frames
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "analysis/face_detector.h"
#include "analysis/qa_checks.h"
#include "media/probe.h"

namespace ff::worker {

// What every rank needs to know about the file's video stream.
struct QaStream {
  int32_t stream_index = -1;
  int32_t tb_num = 1, tb_den = 1;
  int64_t start_pts = 0;                 // the first frame's pts: output frame 0
  int64_t fps_num = 30, fps_den = 1;     // the output grid: frame n shows at n * fps_den / fps_num
  double time_s(int64_t pts) const;      // seconds from the first frame
  int64_t out_frame(int64_t pts) const;  // nearest output frame
  double fps() const { return static_cast<double>(fps_num) / static_cast<double>(fps_den); }
};

struct QaRange {
  int32_t id = 0;
  int64_t start_pts = 0;                                  // a keyframe's pts
  int64_t end_pts = std::numeric_limits<int64_t>::max();  // the next range's start
};

struct QaTaskParams {
  double face_sample_fps = 3.0;  // qa.face_sample_fps
  int analysis_width = 480;      // gray copy width for the detector, px (never upscaled)
  analysis::FaceDetectorParams detector;
};

// One face on one sampled output frame, normalised to the frame.
struct QaFace {
  int64_t out_frame = 0;
  float x = 0.f, y = 0.f, w = 0.f, h = 0.f;
  float score = 0.f;
};

struct QaRangeResult {
  int32_t range_id = 0;
  int64_t frames = 0;  // decoded frames with pts in the range
  int64_t video_errors = 0;
  std::vector<analysis::QaDecodeError> first_errors;  // at most kMaxListedErrors, in decode order
  std::vector<int64_t> error_frames;                  // output frame of every error counted
  std::vector<int64_t> sampled;                       // output frames sampled for faces
  std::vector<QaFace> faces;
  double decode_s = 0.0;  // time in the demuxer and decoder
  double detect_s = 0.0;  // time downscaling and detecting faces
};

// Decodes `range` of `file`; throws only for what stops decoding altogether
// (the file cannot be opened, no decoder, the cascade cannot be loaded).
QaRangeResult qa_range(const std::filesystem::path& file, const QaStream& stream,
                       const QaRange& range, const QaTaskParams& params);

std::vector<std::byte> serialize(const QaRangeResult& result);
QaRangeResult deserialize_qa_range(std::span<const std::byte> bytes);

// Ranges cut at the video's keyframes, each at least `min_range_s` long
// where the keyframes allow (the last may be shorter); ids count from 0.
std::vector<QaRange> plan_qa_ranges(const media::VideoInfo& video, double min_range_s);

// The delivered audio measured once (rank 0): decoded, resampled to 48 kHz
// stereo float (media::AudioReader) on the video's timeline, through one
// programme meter (integrated loudness, true peak) and one meter per shot.
// Shot i covers [shot_bounds_s[i], shot_bounds_s[i + 1]) of the output
// timeline; audio past the last bound counts to the last shot.
struct QaAudioResult {
  double duration_s = 0.0;  // the decoded stream's own length
  double programme_lufs = 0.0;
  double true_peak_dbtp = 0.0;
  std::vector<double> shot_lufs;  // one per shot; -inf for silence or under 400 ms
  int64_t invalid_packets = 0;    // audio packets the decoder rejected
  double seconds = 0.0;           // wall time of the measurement
};
QaAudioResult measure_output_audio(const std::filesystem::path& file, int stream_index,
                                   double video_start_s, const std::vector<double>& shot_bounds_s);

// The encoder named in the file: x264's version SEI ("x264 core 164") in the
// first video packets, else the stream's "encoder" tag, else "".
std::string sniff_encoder(const std::filesystem::path& file, int stream_index);

}  // namespace ff::worker
