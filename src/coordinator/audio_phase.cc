#include "coordinator/audio_phase.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <initializer_list>
#include <sstream>
#include <string>
#include <utility>

#include "analysis/gain_ramp.h"
#include "analysis/limiter.h"
#include "analysis/loudness_plan.h"
#include "analysis/param_check.h"
#include "core/error.h"
#include "core/log.h"
#include "media/audio_reader.h"
#include "media/audio_writer.h"
#include "media/loudness_meter.h"

extern "C" {
#include <libavformat/avformat.h>
}

namespace ff::coordinator {
namespace {

constexpr int kRate = media::AudioReader::kSampleRateHz;
constexpr int kChannels = media::AudioReader::kChannels;
constexpr int64_t kBlockFrames = kRate / 10;            // 100 ms: the momentary block step
constexpr int64_t kMomentaryFrames = 4 * kBlockFrames;  // 400 ms: one momentary window
constexpr double kShotTolerance_s = 1e-6;
constexpr double kRetryStepDb = 0.2;          // extra headroom per retry beyond the excess
constexpr double kLowestCeilingDbtp = -20.0;  // the limiter's lower bound

using analysis::format_number;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Whether `path` has any audio stream. Throws AvError when it cannot be opened.
bool has_audio_stream(const std::filesystem::path& path) {
  const media::InputFormatPtr input = media::open_input(path);
  return av_find_best_stream(input.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0) >= 0;
}

// Shot boundaries as 48 kHz frame indices: end_frame[i] is where shot i ends.
std::vector<int64_t> shot_end_frames(const AudioPhaseInput& in, int64_t total_frames) {
  if (!(in.duration_s > 0.0) || !std::isfinite(in.duration_s)) {
    throw RuntimeError("audio phase: duration_s = " + format_number(in.duration_s) +
                       "; pass the output video's duration (frames / fps), > 0");
  }
  if (in.shots.empty()) {
    throw RuntimeError("audio phase: no shots; pass at least one shot covering [0, duration_s)");
  }
  std::vector<int64_t> end_frame;
  double expected_start_s = 0.0;
  for (size_t i = 0; i < in.shots.size(); ++i) {
    const AudioShotSpan& shot = in.shots[i];
    if (std::abs(shot.start_s - expected_start_s) > kShotTolerance_s) {
      throw RuntimeError("audio phase: shot " + std::to_string(i) + " starts at " +
                         format_number(shot.start_s) + " s, expected " +
                         format_number(expected_start_s) +
                         " s; shots must tile [0, duration_s) in order");
    }
    const int64_t end = i + 1 == in.shots.size()
                            ? total_frames
                            : static_cast<int64_t>(std::llround(shot.end_s * kRate));
    const int64_t begin = end_frame.empty() ? 0 : end_frame.back();
    if (end <= begin) {
      throw RuntimeError("audio phase: shot " + std::to_string(i) + " [" +
                         format_number(shot.start_s) + ", " + format_number(shot.end_s) +
                         ") s holds no 48 kHz sample; shots must be non-empty and in order");
    }
    end_frame.push_back(end);
    expected_start_s = shot.end_s;
  }
  if (std::abs(in.shots.back().end_s - in.duration_s) > kShotTolerance_s) {
    throw RuntimeError("audio phase: the last shot ends at " +
                       format_number(in.shots.back().end_s) + " s but duration_s = " +
                       format_number(in.duration_s) + " s; shots must cover the whole output");
  }
  return end_frame;
}

analysis::LoudnessPlanParams plan_params_of(const core::AudioOptions& audio) {
  if (audio.sample_rate_hz != kRate || audio.channels != kChannels) {
    throw ConfigError("audio.sample_rate_hz = " + std::to_string(audio.sample_rate_hz) +
                      ", audio.channels = " + std::to_string(audio.channels) +
                      ": only 48000 Hz stereo is supported");
  }
  analysis::LoudnessPlanParams params;
  params.target_lufs = audio.target_lufs;
  params.max_gain_db = audio.max_gain_db;
  params.max_cut_db = audio.max_cut_db;
  params.min_shot_s = audio.min_shot_s;
  params.silence_lufs = audio.silence_lufs;
  params.max_floor_rise_db = audio.max_floor_rise_db;
  analysis::validate(params);
  return params;
}

media::LoudnessMeter make_meter(bool true_peak) {
  media::LoudnessMeter::Options options;
  options.loudness_range = false;
  options.true_peak = true_peak;
  return media::LoudnessMeter(options);
}

double to_db(double linear) {
  return linear > 0.0 ? 20.0 * std::log10(linear) : -HUGE_VAL;
}

// Meters one stream shot by shot: a LoudnessMeter per shot, one alive at a
// time (libebur128 keeps 3 s of audio per meter), plus one programme meter
// over the whole stream. Optionally momentary loudness every 100 ms from
// 400 ms into each shot, and per-shot true peak (ebur128_prev_true_peak of
// the programme meter, which then runs in true-peak mode).
class ShotMeters {
 public:
  struct Shot {
    double lufs = 0.0;
    double duration_s = 0.0;
    double true_peak_dbtp = -HUGE_VAL;
    size_t first_block = 0, end_block = 0;  // into block_lufs
  };

  ShotMeters(const std::vector<int64_t>& end_frame, bool true_peak, bool blocks)
      : end_frame_(end_frame),
        true_peak_(true_peak),
        blocks_(blocks),
        programme_(make_meter(true_peak)),
        meter_(make_meter(false)) {}

  void add(const float* data, size_t frames) {
    frames = std::min<size_t>(frames, static_cast<size_t>(end_frame_.back() - pos_));
    for (size_t offset = 0; offset < frames;) {
      int64_t take =
          std::min(static_cast<int64_t>(frames - offset), end_frame_[shots.size()] - pos_);
      if (blocks_) take = std::min(take, kBlockFrames - fed_ % kBlockFrames);
      const float* p = data + offset * kChannels;
      programme_.add_frames(p, static_cast<size_t>(take));
      if (true_peak_) peak_ = std::max(peak_, last_true_peak());
      meter_.add_frames(p, static_cast<size_t>(take));
      offset += static_cast<size_t>(take);
      pos_ += take;
      fed_ += take;
      if (blocks_ && fed_ % kBlockFrames == 0 && fed_ >= kMomentaryFrames) {
        block_end_s.push_back(static_cast<double>(pos_) / kRate);
        block_lufs.push_back(meter_.momentary_lufs());
      }
      if (pos_ == end_frame_[shots.size()]) {
        Shot& shot = shots.emplace_back();
        shot.lufs = meter_.integrated_lufs();
        shot.duration_s = static_cast<double>(fed_) / kRate;
        shot.true_peak_dbtp = to_db(peak_);
        shot.first_block = shots.size() > 1 ? shots[shots.size() - 2].end_block : 0;
        shot.end_block = block_lufs.size();
        meter_ = make_meter(false);
        fed_ = 0;
        peak_ = 0.0;
      }
    }
  }

  int64_t frames() const { return pos_; }
  double programme_lufs() const { return programme_.integrated_lufs(); }
  double true_peak_dbtp() const { return programme_.true_peak_dbtp(); }

  std::vector<Shot> shots;  // complete shots so far
  std::vector<double> block_end_s, block_lufs;

 private:
  // Largest true peak over the channels of the programme meter's last add_frames.
  double last_true_peak() const {
    double peak = 0.0;
    for (unsigned ch = 0; ch < static_cast<unsigned>(kChannels); ++ch) {
      double value = 0.0;
      if (ebur128_prev_true_peak(programme_.get(), ch, &value) != EBUR128_SUCCESS) {
        throw RuntimeError("ebur128_prev_true_peak failed on channel " + std::to_string(ch));
      }
      peak = std::max(peak, value);
    }
    return peak;
  }

  const std::vector<int64_t>& end_frame_;
  bool true_peak_, blocks_;
  media::LoudnessMeter programme_, meter_;
  int64_t pos_ = 0, fed_ = 0;  // stream frame; frames in the current shot
  double peak_ = 0.0;          // linear true peak of the current shot so far
};

// Pass 1: the band-limited input, measured shot by shot.
ShotMeters measure(const AudioPhaseInput& in, const std::vector<int64_t>& end_frame,
                   AudioResult& out) {
  media::AudioReader reader(in.input, {.stream_index = in.audio_stream,
                                       .start_s = in.video_start_s,
                                       .total_frames = end_frame.back()});
  media::EncoderBandFilter band(out.band_limit_hz);
  ShotMeters meters(end_frame, false, true);
  std::vector<float> block(static_cast<size_t>(kBlockFrames) * kChannels);
  while (const size_t n = reader.read(block.data(), static_cast<size_t>(kBlockFrames))) {
    band.process(block.data(), n);
    meters.add(block.data(), n);
  }
  const media::AudioReaderStats& stats = reader.stats();
  out.source_codec = stats.codec;
  out.source_rate_hz = stats.source_rate_hz;
  out.source_channels = stats.source_channels;
  out.source_layout = stats.source_layout;
  out.lead_silence_frames = stats.lead_silence;
  out.lead_dropped_frames = stats.lead_dropped;
  out.tail_silence_frames = stats.tail_silence;
  out.gap_silence_frames = stats.gap_silence;
  out.invalid_packets = stats.invalid_packets;
  return meters;
}

// Pass 2: band filter -> gains with ramps -> limiter -> "after" meters and AAC.
void apply(const AudioPhaseInput& in, const std::vector<int64_t>& end_frame,
           const analysis::LoudnessPlan& plan, AudioResult& out) {
  const std::vector<int64_t> boundary(end_frame.begin(), end_frame.end() - 1);
  const analysis::GainSchedule schedule(boundary, plan.gain_db,
                                        {.channels = kChannels,
                                         .sample_rate_hz = kRate,
                                         .ramp_ms = static_cast<double>(in.audio.ramp_ms)});
  analysis::TruePeakLimiter limiter(
      {.channels = kChannels, .sample_rate_hz = kRate, .ceiling_dbtp = out.ceiling_dbtp});
  media::AudioReader reader(in.input, {.stream_index = in.audio_stream,
                                       .start_s = in.video_start_s,
                                       .total_frames = end_frame.back()});
  media::EncoderBandFilter band(out.band_limit_hz);
  media::AudioWriter writer(in.workdir / "audio.m4a", {.bitrate_kbps = in.audio_bitrate_kbps});
  ShotMeters after(end_frame, true, false);
  size_t delay = limiter.latency_frames();  // limiter output frames still to drop
  const auto emit = [&](const float* data, size_t frames) {
    const size_t skip = std::min(delay, frames);
    delay -= skip;
    frames =
        std::min<size_t>(frames - skip, static_cast<size_t>(end_frame.back() - after.frames()));
    writer.write(data + skip * kChannels, frames);
    after.add(data + skip * kChannels, frames);
  };

  std::vector<float> block(static_cast<size_t>(kBlockFrames) * kChannels);
  int64_t pos = 0;
  while (const size_t n = reader.read(block.data(), static_cast<size_t>(kBlockFrames))) {
    band.process(block.data(), n);
    schedule.apply(block.data(), n, pos);
    pos += static_cast<int64_t>(n);
    limiter.process(block.data(), n);
    emit(block.data(), n);
  }
  const std::vector<float> tail = limiter.flush();
  emit(tail.data(), tail.size() / kChannels);
  if (after.frames() != end_frame.back()) {
    throw RuntimeError("audio phase: wrote " + std::to_string(after.frames()) +
                       " frames, planned " + std::to_string(end_frame.back()) + "; this is a bug");
  }
  writer.finish();
  for (size_t i = 0; i < out.shots.size(); ++i) {
    out.shots[i].lufs_after = after.shots[i].lufs;
    out.shots[i].true_peak_after_dbtp = after.shots[i].true_peak_dbtp;
  }
  out.programme_after_lufs = after.programme_lufs();
  out.true_peak_after_dbtp = after.true_peak_dbtp();
  out.limiter_max_reduction_db = std::max(0.0, limiter.max_reduction_db());  // no -0
  out.frames = after.frames();
  out.m4a_path = writer.path();
}

// Pass 3: audio.m4a decoded (edit list applied) and measured: what is delivered.
void verify(const std::vector<int64_t>& end_frame, AudioResult& out) {
  media::AudioReader reader(out.m4a_path, {.total_frames = end_frame.back()});
  ShotMeters delivered(end_frame, true, false);
  std::vector<float> block(static_cast<size_t>(kBlockFrames) * kChannels);
  while (const size_t n = reader.read(block.data(), static_cast<size_t>(kBlockFrames))) {
    delivered.add(block.data(), n);
  }
  for (size_t i = 0; i < out.shots.size(); ++i) {
    out.shots[i].lufs_delivered = delivered.shots[i].lufs;
  }
  out.programme_delivered_lufs = delivered.programme_lufs();
  out.true_peak_delivered_dbtp = delivered.true_peak_dbtp();
}

}  // namespace

std::vector<AudioShotSpan> audio_shots_of(const analysis::Plan& plan) {
  std::vector<AudioShotSpan> spans;
  spans.reserve(plan.shots.size());
  for (const analysis::PlanShot& shot : plan.shots) {
    spans.push_back({plan.grid.time_s(shot.out.begin), plan.grid.time_s(shot.out.end)});
  }
  return spans;
}

AudioResult run_audio_phase(const AudioPhaseInput& in) {
  const Clock::time_point start = Clock::now();
  AudioResult out;
  out.target_lufs = in.audio.target_lufs;
  out.ceiling_dbtp = in.audio.true_peak_dbtp - kAacMarginDb;
  out.band_limit_hz = media::AudioWriter::cutoff_hz(in.audio_bitrate_kbps);
  out.duration_s = in.duration_s;
  const analysis::LoudnessPlanParams params = plan_params_of(in.audio);
  const auto total_frames = static_cast<int64_t>(std::llround(in.duration_s * kRate));
  const std::vector<int64_t> end_frame = shot_end_frames(in, total_frames);

  // A stream asked for by index must be audio (AudioReader says so when it
  // is not); with -1 an input without audio skips the phase.
  if (in.audio_stream < 0 && !has_audio_stream(in.input)) {
    out.skipped = true;
    out.skip_reason = "no audio stream in " + in.input.string();
    FF_INFO("audio: skipped, " << out.skip_reason);
    return out;
  }
  FF_INFO("audio: " << in.shots.size() << " shots, " << in.duration_s << " s, target "
                    << params.target_lufs << " LUFS, ceiling " << out.ceiling_dbtp << " dBTP");

  const ShotMeters before = measure(in, end_frame, out);
  out.block_end_s = before.block_end_s;
  out.block_lufs = before.block_lufs;
  out.programme_before_lufs = before.programme_lufs();
  std::vector<analysis::ShotLoudness> shots;
  for (const ShotMeters::Shot& shot : before.shots) {
    const std::span<const double> blocks(before.block_lufs.data() + shot.first_block,
                                         shot.end_block - shot.first_block);
    shots.emplace_back(shot.lufs, shot.duration_s, analysis::noise_floor_lufs(blocks));
  }
  out.measure_s = seconds_since(start);

  const analysis::LoudnessPlan plan = analysis::plan_shot_gains(shots, params);
  out.shots.resize(in.shots.size());
  for (size_t i = 0; i < in.shots.size(); ++i) {
    AudioShotResult& shot = out.shots[i];
    shot.start_s = in.shots[i].start_s;
    shot.end_s = in.shots[i].end_s;
    shot.lufs_before = shots[i].integrated_lufs;
    shot.noise_floor_lufs = shots[i].noise_floor_lufs.value_or(std::nan(""));
    shot.gain_db = plan.gain_db[i];
    shot.group = plan.group[i];
    shot.merged = plan.merged(i);
    shot.rule = analysis::to_string(plan.groups[plan.group[i]].rule);
  }

  // Encode, decode what was written, and encode again with a lower ceiling
  // while AAC's own overshoot takes the delivered true peak over the limit.
  const Clock::time_point encode_start = Clock::now();
  for (out.encode_attempts = 1;; ++out.encode_attempts) {
    apply(in, end_frame, plan, out);
    verify(end_frame, out);
    const double excess_db = out.true_peak_delivered_dbtp - in.audio.true_peak_dbtp;
    if (excess_db <= 0.0 || out.encode_attempts == kMaxEncodeAttempts) break;
    FF_INFO("audio: delivered true peak " << out.true_peak_delivered_dbtp << " dBTP is over "
                                          << in.audio.true_peak_dbtp << "; encoding again");
    out.ceiling_dbtp = std::max(kLowestCeilingDbtp, out.ceiling_dbtp - excess_db - kRetryStepDb);
  }
  if (out.true_peak_delivered_dbtp > in.audio.true_peak_dbtp) {
    FF_WARN("audio: delivered true peak " << out.true_peak_delivered_dbtp << " dBTP is over "
                                          << in.audio.true_peak_dbtp << " after "
                                          << out.encode_attempts << " encodes");
  }
  out.encode_s = seconds_since(encode_start);
  out.total_s = seconds_since(start);
  FF_INFO("audio: programme " << out.programme_before_lufs << " -> " << out.programme_delivered_lufs
                              << " LUFS, true peak " << out.true_peak_delivered_dbtp
                              << " dBTP, limiter up to " << out.limiter_max_reduction_db << " dB, "
                              << out.total_s << " s");
  return out;
}

void write_audio_result(core::Store& store, const AudioResult& result) {
  store.commit("/audio", [&](core::GroupWriter& g) {
    g.set_attr_i64("skipped", result.skipped ? 1 : 0);
    if (result.skipped) {
      g.set_attr_string("skip_reason", result.skip_reason);
      return;
    }
    // One float64 dataset per shot field.
    const auto per_shot = [&](const char* name, double AudioShotResult::*field, const char* units) {
      std::vector<double> values;
      for (const AudioShotResult& shot : result.shots) values.push_back(shot.*field);
      g.write(name, std::span<const double>(values), units);
    };
    per_shot("shot_start_s", &AudioShotResult::start_s, "s");
    per_shot("shot_end_s", &AudioShotResult::end_s, "s");
    per_shot("lufs_before", &AudioShotResult::lufs_before, "LUFS");
    per_shot("lufs_after", &AudioShotResult::lufs_after, "LUFS");
    per_shot("lufs_delivered", &AudioShotResult::lufs_delivered, "LUFS");
    per_shot("gain_db", &AudioShotResult::gain_db, "dB");
    per_shot("noise_floor_lufs", &AudioShotResult::noise_floor_lufs, "LUFS");
    per_shot("true_peak_after_dbtp", &AudioShotResult::true_peak_after_dbtp, "dBTP");
    std::vector<int64_t> group;
    std::vector<int32_t> merged;
    for (const AudioShotResult& shot : result.shots) {
      group.push_back(static_cast<int64_t>(shot.group));
      merged.push_back(shot.merged ? 1 : 0);
    }
    g.write("group", std::span<const int64_t>(group), "index");
    g.write("merged", std::span<const int32_t>(merged), "bool");
    g.write("block_end_s", std::span<const double>(result.block_end_s), "s");
    g.write("block_lufs", std::span<const double>(result.block_lufs), "LUFS");
    g.set_attr_string("lufs_before", "description",
                      "integrated loudness of the input per shot, in the AAC band");
    g.set_attr_string("lufs_after", "description",
                      "integrated loudness per shot after gain and limiter, before AAC");
    g.set_attr_string("lufs_delivered", "description",
                      "integrated loudness per shot of audio.m4a as decoded");
    g.set_attr_string("block_lufs", "description",
                      "momentary (400 ms) loudness of the input every 100 ms inside each shot");
    for (const auto& [name, value] : std::initializer_list<std::pair<const char*, double>>{
             {"target_lufs", result.target_lufs},
             {"programme_before_lufs", result.programme_before_lufs},
             {"programme_after_lufs", result.programme_after_lufs},
             {"programme_delivered_lufs", result.programme_delivered_lufs},
             {"true_peak_after_dbtp", result.true_peak_after_dbtp},
             {"true_peak_delivered_dbtp", result.true_peak_delivered_dbtp},
             {"ceiling_dbtp", result.ceiling_dbtp},
             {"band_limit_hz", result.band_limit_hz},
             {"limiter_max_reduction_db", result.limiter_max_reduction_db},
             {"duration_s", result.duration_s},
             {"measure_s", result.measure_s},
             {"encode_s", result.encode_s},
             {"total_s", result.total_s}}) {
      g.set_attr_f64(name, value);
    }
    for (const auto& [name, value] : std::initializer_list<std::pair<const char*, int64_t>>{
             {"encode_attempts", result.encode_attempts},
             {"frames", result.frames},
             {"sample_rate_hz", kRate},
             {"source_rate_hz", result.source_rate_hz},
             {"source_channels", result.source_channels},
             {"lead_silence_frames", result.lead_silence_frames},
             {"lead_dropped_frames", result.lead_dropped_frames},
             {"tail_silence_frames", result.tail_silence_frames},
             {"gap_silence_frames", result.gap_silence_frames},
             {"invalid_packets", result.invalid_packets}}) {
      g.set_attr_i64(name, value);
    }
    g.set_attr_string("m4a_path", result.m4a_path.string());
    g.set_attr_string("source_codec", result.source_codec);
    g.set_attr_string("source_layout", result.source_layout);
  });
}

}  // namespace ff::coordinator
