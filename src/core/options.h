#pragma once
// The job file (TOML) as typed options, validated when it is loaded.
//
// One struct per table of the job file ([input], [output], [split],
// [reframe], [audio], [qa], [farm]), gathered in JobOptions. Every key has a
// default (the member initialisers below), a range, and a unit in its name
// where it has one. docs/job-file.md documents each key.
//
//   ff::core::JobOptions job = ff::core::load_job("jobs/vertical.toml", {"output.crf=23"});
//   job.output.width;                        // 1080
//   ff::core::to_string(job.output.encoder); // "auto"
//   std::string effective = ff::core::to_toml(job);   // round-trips through load_job
//
// Every problem is an ff::ConfigError naming the file, the line, `table.key`,
// the bad value and what is allowed:
//   "jobs/x.toml:12: output.crf = 80 is out of range; allowed 0..51"
//   "jobs/x.toml:7: unknown key output.presett; did you mean output.preset?"
//   "--set output.crf=80: output.crf = 80 is out of range; allowed 0..51"
//
// Cross-field checks run after the whole file and every override are read:
// even output size, size and frame rate within the H.264 level, presets that
// cannot deliver the profile, limiter ceiling within the QA limit. When
// output.fps is 0 (follow the source) the rate check waits for the probe:
// call resolve_output_fps() and check_level_fits() then.
#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/h264_levels.h"

namespace ff::core {

// Choices. Each enum's names are listed in enum order: the job file spells
// the value as its name ("auto", "x264", ...).
enum class Encoder { kAuto, kX264, kNvenc };
inline constexpr std::array<std::string_view, 3> kEncoderNames{"auto", "x264", "nvenc"};
inline constexpr std::array<std::string_view, 3> kProfileNames{"high", "main", "baseline"};
enum class ReframeMode { kFace, kCentre };
inline constexpr std::array<std::string_view, 2> kReframeModeNames{"face", "centre"};
enum class FaceDetector { kHaar, kLbp };
inline constexpr std::array<std::string_view, 2> kFaceDetectorNames{"haar", "lbp"};
enum class NoFacePolicy { kHold, kCentre };
inline constexpr std::array<std::string_view, 2> kNoFacePolicyNames{"hold", "centre"};
enum class SpeakerSwitch { kCut, kPan };
inline constexpr std::array<std::string_view, 2> kSpeakerSwitchNames{"cut", "pan"};
enum class Device { kAuto, kCpu, kCuda };
inline constexpr std::array<std::string_view, 3> kDeviceNames{"auto", "cpu", "cuda"};
enum class Rank0Works { kAuto, kYes, kNo };
inline constexpr std::array<std::string_view, 3> kRank0WorksNames{"auto", "yes", "no"};

// x264's preset names, fastest first.
inline constexpr std::array<std::string_view, 10> kPresetNames{
    "ultrafast", "superfast", "veryfast", "faster",   "fast",
    "medium",    "slow",      "slower",   "veryslow", "placebo"};
// The levels a job may ask for (a subset of h264_levels()).
inline constexpr std::array<std::string_view, 6> kLevelNames{"3.1", "4.0", "4.1",
                                                             "4.2", "5.0", "5.1"};

std::string_view to_string(Encoder v);
std::string_view to_string(H264Profile v);
std::string_view to_string(ReframeMode v);
std::string_view to_string(FaceDetector v);
std::string_view to_string(NoFacePolicy v);
std::string_view to_string(SpeakerSwitch v);
std::string_view to_string(Device v);
std::string_view to_string(Rank0Works v);

// [input]: which streams of the input to use.
struct InputOptions {
  int video_stream = -1;   // stream index, -1 = FFmpeg's best video stream
  int audio_stream = -1;   // stream index, -1 = best audio stream
  bool reject_hdr = true;  // refuse PQ/HLG input (framefarm does no tone mapping)
  bool operator==(const InputOptions&) const = default;
};

// [output]: the delivered file's video and audio encoding.
struct OutputOptions {
  int width = 1280;                  // pixels, even
  int height = 720;                  // pixels, even
  double fps = 0.0;                  // frames/s, 0 = follow the source within the level
  std::string codec = "h264";        // only "h264"
  Encoder encoder = Encoder::kAuto;  // auto: NVENC where the GPU has it, else x264
  std::string preset = "medium";     // one of kPresetNames
  int crf = 20;                      // x264 CRF / NVENC CQ, used when bitrate_kbps = 0
  int bitrate_kbps = 0;              // video bit rate, 0 = constant quality (crf)
  H264Profile profile = H264Profile::kHigh;
  std::string level = "4.0";              // one of kLevelNames
  double gop_s = 2.0;                     // keyframe interval, seconds
  int max_lookahead = 20;                 // x264 rc-lookahead cap, frames (memory)
  std::string color_primaries = "bt709";  // only "bt709"
  std::string color_transfer = "bt709";   // only "bt709"
  std::string color_matrix = "bt709";     // only "bt709"
  std::string color_range = "tv";         // only "tv" (limited range)
  int audio_bitrate_kbps = 160;           // AAC-LC bit rate
  bool operator==(const OutputOptions&) const = default;
};

// [split]: scene cuts (adaptive detector) and render segments.
struct SplitOptions {
  double adaptive_ratio = 3.0;  // cut where score / mean of neighbours >= this
  double min_content = 15.0;    // ... and the score itself >= this (0..255)
  int window_frames = 2;        // neighbours on each side for that mean
  double min_scene_s = 0.5;     // shortest scene; closer cuts are dropped
  int flash_max_frames = 3;     // a change that reverts within this many frames is a flash
  double max_segment_s = 30.0;  // longest render segment; longer shots split inside
  int segments_per_rank = 4;    // aim for this many segments per rank
  int plan_ranks = 8;           // ranks the segments are planned for (not the ranks that run)
  double scan_chunk_s = 30.0;   // length of one scan task
  bool operator==(const SplitOptions&) const = default;
};

// [reframe]: face detection, tracking and the crop path.
struct ReframeOptions {
  ReframeMode mode = ReframeMode::kFace;
  // Haar: its 24 px window finds faces down to 9% of the height of a
  // 480-wide analysis frame; LBP's 45 px one only from 17% (docs/reframing.md).
  FaceDetector detector = FaceDetector::kHaar;
  std::string cascade;                  // cascade XML; "" = opencv-data's (cascade_file())
  int analysis_width = 480;             // pixels; frames are downscaled to this for detection
  double detect_fps = 5.0;              // face detections per second of video
  double full_detect_interval_s = 1.0;  // full-frame detection at least this often
  int min_track_hits = 3;               // detections before a track is confirmed
  double steady_max_motion = 0.05;      // fraction of source width: below it a shot is steady
  double dead_zone = 0.05;              // fraction of crop width the face moves before a pan
  double max_pan_width_per_s = 0.05;    // fastest pan, source widths per second
  double speaker_hold_s = 2.0;          // active-speaker hysteresis
  SpeakerSwitch speaker_switch = SpeakerSwitch::kCut;  // a new speaker: cut to them, or pan
  double min_take_s = 1.0;                             // shortest take between two speaker cuts
  NoFacePolicy no_face = NoFacePolicy::kHold;
  double smoothing_s = 0.5;  // crop path smoothing window
  double crop_scale = 1.0;   // crop = the largest window of the output's aspect x this
  bool operator==(const ReframeOptions&) const = default;
};

// [audio]: shot loudness matching, limiter, output format.
struct AudioOptions {
  double target_lufs = -16.0;      // integrated loudness target
  double true_peak_dbtp = -1.0;    // limiter ceiling
  double max_gain_db = 12.0;       // largest boost per shot
  double max_cut_db = 20.0;        // largest cut per shot
  double min_shot_s = 3.0;         // shorter shots merge with a neighbour
  double silence_lufs = -50.0;     // shots quieter than this are near-silent
  double max_floor_rise_db = 3.0;  // largest boost of a near-silent shot
  int ramp_ms = 50;                // gain ramp at shot boundaries
  int sample_rate_hz = 48000;      // only 48000
  int channels = 2;                // only 2
  bool operator==(const AudioOptions&) const = default;
};

// [qa]: what the delivered file must meet.
struct QaOptions {
  double max_spread_lu = 1.5;          // shot-to-shot loudness spread
  double loudness_tolerance_lu = 0.5;  // |integrated - audio.target_lufs|
  double max_true_peak_dbtp = -1.0;    // output true peak
  double min_face_centred = 0.9;       // fraction of frames with a face that have it centred
  double centre_tolerance = 0.10;      // fraction of output width from the centre
  double face_sample_fps = 3.0;        // output frames per second checked for faces
  int max_av_diff_frames = 1;          // |audio duration - video duration|, in frames
  // The cascade QA looks for faces with on the delivery, whatever cascade
  // the scan used (a job that scans with LBP for speed is still checked
  // with Haar).
  FaceDetector detector = FaceDetector::kHaar;
  bool operator==(const QaOptions&) const = default;
};

// [farm]: retries and where work runs.
struct FarmOptions {
  int max_tries = 3;                           // attempts per task before the job fails
  Device device = Device::kAuto;               // auto: CUDA kernels where a device is present
  Rank0Works rank0_works = Rank0Works::kAuto;  // auto: when ranks >= cores on rank 0's node
  bool operator==(const FarmOptions&) const = default;
};

struct JobOptions {
  std::filesystem::path source_file;  // the job file, as given; empty for default_job()
  InputOptions input;
  OutputOptions output;
  SplitOptions split;
  ReframeOptions reframe;
  AudioOptions audio;
  QaOptions qa;
  FarmOptions farm;
  bool operator==(const JobOptions&) const = default;
};

// Reads `file`, applies `overrides` ("table.key=value", each a TOML value or
// a bare string), validates. Throws ConfigError. A relative reframe.cascade
// in the file is resolved against the file's folder, one from --set against
// the working directory.
JobOptions load_job(const std::filesystem::path& file,
                    const std::vector<std::string>& overrides = {});

// As load_job, from TOML text; `label` names it in messages (e.g. "job.toml").
JobOptions parse_job(std::string_view toml_text, const std::string& label,
                     const std::vector<std::string>& overrides = {});

// The defaults, validated.
JobOptions default_job();

// Every key of every table, defaults included, as a job file that
// load_job reads back to an equal JobOptions (source_file aside).
std::string to_toml(const JobOptions& job);

// The level row output.level names (always one of kLevelNames once loaded).
const H264Level& output_level(const OutputOptions& output);

// Throws ConfigError unless output.width x output.height at `fps` fits
// output.level. `where` (e.g. the input's path) prefixes the message.
//   check_level_fits(out, 60.0, "call.mp4");
//   // "call.mp4: 60 fps at 1080x1920 needs 489600 macroblocks/s but H.264 level 4.0
//   //  allows 245760 (at most 30.11 fps); raise output.level to 4.2 or lower output.fps"
void check_level_fits(const OutputOptions& output, double fps, std::string_view where = {});

// The output frame rate for a source at `source_fps`: output.fps when set;
// else the source rate if it fits the level, else source_fps / k for the
// smallest whole k that fits (60 -> 30, 50 -> 25), so frames drop evenly.
double resolve_output_fps(const OutputOptions& output, double source_fps);

// The cascade file to load: reframe.cascade, or opencv-data's frontal-face
// cascade for reframe.detector when that is "".
std::filesystem::path cascade_file(const ReframeOptions& reframe);
// opencv-data's frontal-face cascade for `detector`.
std::filesystem::path cascade_file(FaceDetector detector);

}  // namespace ff::core
