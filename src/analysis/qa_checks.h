#pragma once
// QA verdicts on a delivered file (DESIGN.md §1 phase 7, §6): pure functions
// from what was measured (QaMeasurements) and the job's limits (QaOptions,
// the delivery spec in OutputOptions, the loudness target in AudioOptions)
// to one QaCheck per rule. No FFmpeg, MPI or OpenCV: the qa phase measures
// (coordinator/qa_phase.h), this file judges.
//
// Checks, by name (docs/report-schema.md has the full table):
//   decode.errors           decode errors == 0 (the first kMaxListedErrors listed)
//   spec.codec .profile .level .pix_fmt .size .color_primaries .color_transfer
//   spec.color_matrix .color_range .frame_rate
//                           the stream's tags == the job's [output] table; frame_rate:
//                           constant (probe timing) and == output.fps when that is set
//   timing.frame_count      decoded frames == expected (plan, --expect-frames or container)
//   timing.duration         stream duration within half a frame of expected frames / fps,
//                           i.e. it rounds to the expected frame count
//   timing.av_diff          |audio - video duration| <= qa.max_av_diff_frames frames
//   timing.size_per_minute  file size per minute of video (info: no threshold)
//   audio.present           an audio stream, when the job's input had one
//   loudness.integrated     programme loudness within ±qa.loudness_tolerance_lu of target
//   loudness.true_peak      true peak <= qa.max_true_peak_dbtp
//   loudness.spread         max - min of per-shot loudness <= qa.max_spread_lu, over shots
//                           >= audio.min_shot_s long and louder than audio.silence_lufs
//   faces.centred           share of sampled frames with a face whose largest face centre
//                           is within qa.centre_tolerance x width of the centre (horizontally)
//                           >= qa.min_face_centred; frames in a GOP with a decode error are
//                           not judged (decode.errors already fails)
//   faces.missing           share of sampled frames where the plan expected a face and
//                           none was found (info: no threshold)
// Verdicts: pass, fail, na (the rule does not apply: no audio, no face seen),
// info (a value reported without a threshold). A file passes when no check fails.
//
// Example:
//   QaMeasurements m;  m.decoded_frames = 720;  m.expected_frames = 720;  ...
//   std::vector<QaCheck> checks = run_qa_checks(m, job.qa, job.output, job.audio);
//   bool ok = qa_passed(checks);     // false when any verdict is kFail
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/options.h"

namespace ff::analysis {

inline constexpr size_t kMaxListedErrors = 10;

enum class QaVerdict { kPass, kFail, kNa, kInfo };
std::string_view to_string(QaVerdict verdict);  // "pass", "fail", "na", "info"

// A measured value or threshold: a number, a word, or nothing (null).
using QaValue = std::variant<std::monostate, double, std::string>;

struct QaCheck {
  std::string name;  // "loudness.integrated"
  QaValue value;     // what was measured
  // How value is held against threshold: "==", "<=", ">=", "within"
  // (|value - threshold| <= tolerance), or "" (info and na without a rule).
  std::string op;
  QaValue threshold;
  double tolerance = 0.0;  // op "within" only
  std::string unit;        // "LUFS", "frames", "" for words
  QaVerdict verdict = QaVerdict::kNa;
  std::string detail;  // one line: what was found, and why it failed
};

// One decode error, on the output timeline.
struct QaDecodeError {
  int64_t out_frame = 0;  // the frame the failing packet or frame presents at
  double time_s = 0.0;
  std::string what;  // FFmpeg's words
  bool operator==(const QaDecodeError&) const = default;
};

// Loudness of one shot of the output timeline, [start_s, end_s).
struct QaShotLoudness {
  double start_s = 0.0;
  double end_s = 0.0;
  double lufs = 0.0;  // integrated; -inf for silence or under 400 ms
};

// Plan speaker value meaning "no plan to compare with".
inline constexpr int kNoPlan = -2;

// One frame sampled for faces (qa.face_sample_fps per second).
struct QaFaceSample {
  int64_t out_frame = 0;
  int faces = 0;               // faces detected on the output frame
  double largest_cx = 0.5;     // centre x of the largest face, 0..1 of the width
  int plan_speaker = kNoPlan;  // the plan's speaker at this frame: >= 0, -1 none, kNoPlan
  // In a GOP (keyframe to keyframe) with a decode error: the picture depends
  // on error concealment, so the sample is not judged.
  bool damaged = false;
};

struct QaMeasurements {
  // Decode: every video frame, with error detection.
  int64_t decoded_frames = 0;
  int64_t video_errors = 0;
  int64_t audio_errors = 0;           // audio packets the decoder rejected
  std::vector<QaDecodeError> errors;  // the first ones by output frame (up to kMaxListedErrors)
  // Spec, from the probe of the file.
  std::string codec;    // "h264"
  std::string profile;  // "High"
  int level_idc = -99;  // 40 for 4.0
  std::string pix_fmt;  // "yuv420p"
  int width = 0;        // coded size
  int height = 0;
  int rotation_deg = 0;         // display matrix rotation
  std::string color_primaries;  // FFmpeg's names: "bt709"
  std::string color_transfer;
  std::string color_space;      // matrix coefficients
  std::string color_range;      // "tv"
  bool vfr = false;             // probe's frame timing verdict
  int64_t off_grid_deltas = 0;  // probe: timestamp steps off the frame grid (interior)
  double fps = 0.0;             // output frame rate (the plan's, else the stream's)
  // Timing.
  std::optional<int64_t> expected_frames;
  std::string expected_frames_source;  // "plan", "--expect-frames", "container"
  double video_duration_s = 0.0;       // the video stream's duration
  int64_t file_bytes = 0;
  // Audio.
  bool has_audio = false;
  bool expects_audio = false;     // the job's input had audio
  double audio_duration_s = 0.0;  // decoded audio
  double programme_lufs = 0.0;
  double true_peak_dbtp = 0.0;
  std::vector<QaShotLoudness> shots;  // the plan's shots, or one for the whole file
  // Faces.
  std::vector<QaFaceSample> face_samples;  // in output frame order
};

// Every check, in the order of the header comment.
std::vector<QaCheck> run_qa_checks(const QaMeasurements& m, const core::QaOptions& qa,
                                   const core::OutputOptions& output,
                                   const core::AudioOptions& audio);

// The groups, for callers and tests that want one.
QaCheck check_decode(const QaMeasurements& m);
std::vector<QaCheck> check_spec(const QaMeasurements& m, const core::OutputOptions& output);
std::vector<QaCheck> check_timing(const QaMeasurements& m, const core::QaOptions& qa);
std::vector<QaCheck> check_loudness(const QaMeasurements& m, const core::QaOptions& qa,
                                    const core::AudioOptions& audio);
std::vector<QaCheck> check_faces(const QaMeasurements& m, const core::QaOptions& qa);

// No check failed.
bool qa_passed(const std::vector<QaCheck>& checks);
// Names of the failed checks, in order.
std::vector<std::string> failed_checks(const std::vector<QaCheck>& checks);

// Whether output frame `out_frame` is one of the frames sampled for faces:
// frame n is sampled when floor(n * sample_fps / fps) steps up at n (and
// frame 0 always), so about sample_fps frames per second are taken at
// positions that depend only on n, never on how the file was split.
bool is_face_sample(int64_t out_frame, double fps, double sample_fps);

// The profile name a stream signals for output.profile: "High", "Main",
// "Constrained Baseline" (what x264 writes for baseline; plain "Baseline"
// is accepted too).
std::string expected_profile_name(core::H264Profile profile);

// Whether the shot counts for the spread: long enough and not near-silent.
bool shot_counts_for_spread(const QaShotLoudness& shot, const core::AudioOptions& audio);

// "-16.2 LUFS", "High", "-": a value for humans (the terminal summary).
std::string format_value(const QaValue& value, std::string_view unit = {});
// The rule for humans: "<= -1 dBTP", "-16 +/- 0.5 LUFS", "== High", "".
std::string format_rule(const QaCheck& check);

}  // namespace ff::analysis
