#pragma once
// The audio phase (DESIGN.md §1, phase 5) on rank 0: shot-level loudness
// matching, a true-peak limiter and one continuous AAC-LC track,
// `<workdir>/audio.m4a`, on the output video's timeline.
//
// Two steps, so that the decode overlaps the scan (it needs no plan) and
// only the cheap passes wait for the shots:
//   0. decode_audio (as soon as the probe is done): media::AudioReader
//      (48 kHz stereo float, aligned to the first video frame, 5.1 downmixed,
//      any rate resampled) to the end of the stream -> the audio spill,
//      `<workdir>/audio.spill.f32` (coordinator/audio_spill.h: raw float,
//      written under a temp name and renamed when complete; 1.04 GB for 45
//      minutes). The input is decoded once, here and nowhere else.
//   run_audio_phase(in, decoded) (once the plan's shots are known), reading
//   the spill with plain file reads, cut or padded to in.duration_s:
//   1. measure: spill -> media::EncoderBandFilter (the AAC encoder's
//      bandwidth, so what is measured is what gets delivered) -> ShotMeters
//      (coordinator/audio_shot_meters.h: one media::LoudnessMeter per shot,
//      integrated and momentary every 100 ms from 400 ms into the shot for
//      analysis::noise_floor_lufs, and one programme meter) ->
//      analysis::plan_shot_gains;
//   2. apply: spill -> the same band filter -> analysis::GainSchedule (ramps
//      of audio.ramp_ms across shot boundaries) -> analysis::TruePeakLimiter
//      (ceiling audio.true_peak_dbtp - kAacMarginDb) -> meters again
//      ("after", on the signal that is encoded) -> media::AudioWriter
//      (AAC-LC, output.audio_bitrate_kbps);
//   3. verify: audio.m4a decoded (media::AudioReader, edit list applied) and
//      measured the same way ("delivered"). When AAC's own overshoot puts
//      the delivered true peak over audio.true_peak_dbtp, passes 2 and 3 run
//      again with the ceiling lowered by the excess + 0.2 dB (at most
//      kMaxEncodeAttempts encodes in all; the result says how many).
// The spill is removed when audio.m4a is complete, and also on any exception
// (AudioDecodeResult owns it): a rerun decodes again, overlapped with its
// scan, rather than trusting a spill a crash may have left half-used.
//
// Memory stays bounded: fixed 100 ms blocks, one shot meter alive at a time.
// (The programme is one meter over the stream rather than
// LoudnessMeter::programme_lufs over the shot meters, which would keep every
// shot's meter alive, and libebur128 holds 3 s of audio per meter: 2.3 MB,
// so 1.2 GB for 500 shots.)
//
// No MPI, no per-frame logging (three INFO lines): it runs in a thread beside
// the scan and the render. Every resource is owned; audio.m4a is written to
// a temp name and renamed when complete, so an exception leaves no partial
// file (an audio.m4a from an earlier encode or run stays as it was).
//
// An input without an audio stream skips the phase: no spill, no audio.m4a,
// and the result says `skipped` with the reason.
//
// Example, two steps (the decode overlapping the scan):
//   AudioDecodeResult decoded = decode_audio({.input = "call.mp4", .audio_stream = -1,
//                                             .video_start_s = 0.0, .workdir = workdir});
//   ... scan and plan ...
//   AudioPhaseInput in{.input = "call.mp4", .audio_stream = -1, .video_start_s = 0.0,
//                      .shots = audio_shots_of(plan),
//                      .duration_s = plan.grid.time_s(plan.out_frames()),
//                      .audio = job.audio, .audio_bitrate_kbps = job.output.audio_bitrate_kbps,
//                      .workdir = workdir};
//   AudioResult result = run_audio_phase(in, std::move(decoded));
//   write_audio_result(store, result);        // /audio in analysis.h5
// or in one call, run_audio_phase(in), which decodes first.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "analysis/plan.h"
#include "coordinator/audio_spill.h"
#include "core/options.h"
#include "core/store.h"
#include "media/audio_reader.h"

namespace ff::coordinator {

// First-encode headroom under audio.true_peak_dbtp for the true-peak
// overshoot AAC adds to a limited signal; pass 3 lowers the ceiling further
// where the delivered file needs it (figures in docs/audio.md).
inline constexpr double kAacMarginDb = 0.5;
// Encodes at most (pass 2 + 3), see the header comment.
inline constexpr int kMaxEncodeAttempts = 3;

// One shot on the output timeline: [start_s, end_s).
struct AudioShotSpan {
  double start_s = 0.0;
  double end_s = 0.0;
};

// What to decode: the audio of `input` on the output timeline.
struct AudioDecodeInput {
  std::filesystem::path input;
  int audio_stream = -1;          // stream index; -1: the best audio stream, if any
  double video_start_s = 0.0;     // input time of the first video frame = output time 0
  std::filesystem::path workdir;  // the spill goes to <workdir>/audio.spill.f32
};

// The decoded audio: owns the spill, which is removed when this goes away
// (move-only).
struct AudioDecodeResult {
  AudioDecodeInput request;  // what was decoded; run_audio_phase checks it against its input
  bool skipped = false;
  std::string skip_reason;         // "no audio stream in <input>"
  AudioSpill spill;                // the whole stream from video_start_s on, 48 kHz stereo float
  media::AudioReaderStats source;  // codec, layout, lead silence/dropped, gaps, packets read
  double decode_s = 0.0;           // wall clock
};

struct AudioPhaseInput {
  std::filesystem::path input;
  int audio_stream = -1;       // stream index; -1: the best audio stream, if any
  double video_start_s = 0.0;  // input time of the first video frame = output time 0
  // Shots in order, tiling [0, duration_s): the first starts at 0, each
  // starts where the previous ends (within 1 µs), the last ends at duration_s.
  std::vector<AudioShotSpan> shots;
  double duration_s = 0.0;  // output video duration (frames / fps), > 0
  core::AudioOptions audio;
  int audio_bitrate_kbps = 160;
  std::filesystem::path workdir;
};

struct AudioShotResult {
  double start_s = 0.0;
  double end_s = 0.0;
  double lufs_before = 0.0;       // integrated; -inf for silence or < 400 ms
  double noise_floor_lufs = 0.0;  // NaN when the shot gives none
  double gain_db = 0.0;
  size_t group = 0;                   // index of the shot's gain group (loudness_plan.h)
  bool merged = false;                // the group holds more than this shot
  std::string rule;                   // analysis::to_string(GainRule): "to_target", "silent", ...
  double lufs_after = 0.0;            // after gain and limiter, before AAC
  double true_peak_after_dbtp = 0.0;  // before AAC
  double lufs_delivered = 0.0;        // audio.m4a decoded
};

struct AudioResult {
  bool skipped = false;
  std::string skip_reason;  // "no audio stream in <input>"
  std::vector<AudioShotResult> shots;
  // Momentary loudness of the input every 100 ms inside each shot (from
  // 400 ms into the shot), and the output time each block ends at.
  std::vector<double> block_end_s;
  std::vector<double> block_lufs;
  double programme_before_lufs = 0.0;
  double programme_after_lufs = 0.0;      // before AAC
  double true_peak_after_dbtp = 0.0;      // before AAC
  double programme_delivered_lufs = 0.0;  // audio.m4a decoded
  double true_peak_delivered_dbtp = 0.0;  // audio.m4a decoded
  int encode_attempts = 0;                // 1, or more when AAC overshot the limit
  double target_lufs = 0.0;
  double ceiling_dbtp = 0.0;              // the limiter's
  double band_limit_hz = 0.0;             // AAC bandwidth, applied before measuring
  double limiter_max_reduction_db = 0.0;  // deepest gain reduction
  int64_t frames = 0;                     // 48 kHz frames in audio.m4a
  double duration_s = 0.0;
  std::filesystem::path m4a_path;
  // Source and alignment (media::AudioReaderStats).
  std::string source_codec;
  int source_rate_hz = 0;
  int source_channels = 0;
  std::string source_layout;
  int64_t lead_silence_frames = 0;  // audio starts after the video
  int64_t lead_dropped_frames = 0;  // audio starts before the video
  int64_t tail_silence_frames = 0;  // audio ends before the video
  int64_t gap_silence_frames = 0;   // source frames filled into holes
  int64_t invalid_packets = 0;
  int64_t source_packets = 0;  // packets of the audio stream read (once) from the input
  int64_t decoded_frames = 0;  // 48 kHz frames in the spill (the stream from video_start_s on)
  // Timings, wall clock seconds: decode_audio, pass 1 + plan, passes 2-3 with
  // retries; total_s is their sum (the decode may have run long before the rest).
  double decode_s = 0.0;
  double measure_s = 0.0;
  double encode_s = 0.0;
  double total_s = 0.0;
};

// Shot spans of a plan on its output grid: shot i covers
// [grid.time_s(out.begin), grid.time_s(out.end)).
std::vector<AudioShotSpan> audio_shots_of(const analysis::Plan& plan);

// Step 0: decodes the input's audio once into the spill; needs no plan.
// Skips (no spill) when audio_stream is -1 and the input has no audio.
// Throws media::AvError for FFmpeg failures, ff::RuntimeError naming the
// spill's path when it cannot be written (nothing is left under its final
// name then). A spill left in workdir by a crashed earlier run is removed.
AudioDecodeResult decode_audio(const AudioDecodeInput& in);

// The decode request of a phase input.
AudioDecodeInput decode_input_of(const AudioPhaseInput& in);

// Steps 1-3 over `decoded`, which must be of the same input, stream and
// video start as `in` (decode_input_of(in); the spill may be in another
// directory; an ff::RuntimeError says when they differ); the spill is removed when audio.m4a is
// complete, or on an exception. Throws ff::ConfigError for bad audio options,
// ff::RuntimeError for inconsistent shots or duration, and media::AvError
// for FFmpeg failures.
AudioResult run_audio_phase(const AudioPhaseInput& in, AudioDecodeResult decoded);

// The one-call form: checks the options and shots, decode_audio, then the
// above.
AudioResult run_audio_phase(const AudioPhaseInput& in);

// Replaces /audio in analysis.h5: datasets shot_start_s, shot_end_s,
// lufs_before, lufs_after, gain_db, group, merged, noise_floor_lufs,
// true_peak_after_dbtp, block_end_s, block_lufs (each with units);
// attributes for the programme, peak, limiter, source and timings. A skipped
// phase writes the group with skipped = 1 and skip_reason only.
void write_audio_result(core::Store& store, const AudioResult& result);

}  // namespace ff::coordinator
