#include "coordinator/audio_phase.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <span>
#include <string>
#include <utility>

#include "analysis/gain_ramp.h"
#include "analysis/limiter.h"
#include "analysis/loudness_plan.h"
#include "analysis/param_check.h"
#include "coordinator/audio_shot_meters.h"
#include "core/error.h"
#include "core/log.h"
#include "media/audio_reader.h"
#include "media/audio_writer.h"

namespace ff::coordinator {
namespace {

constexpr int kRate = media::AudioReader::kSampleRateHz;
constexpr int kChannels = media::AudioReader::kChannels;
constexpr int64_t kBlockFrames = ShotMeters::kBlockFrames;  // 100 ms blocks through every pass
static_assert(ShotMeters::kRate == kRate && ShotMeters::kChannels == kChannels);
constexpr double kShotTolerance_s = 1e-6;
constexpr double kRetryStepDb = 0.2;          // extra headroom per retry beyond the excess
constexpr double kLowestCeilingDbtp = -20.0;  // the limiter's lower bound

using analysis::format_number;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
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

// The decode request must be this phase's: the same input, stream and start.
void check_decoded(const AudioPhaseInput& in, const AudioDecodeResult& decoded) {
  const AudioDecodeInput& d = decoded.request;
  if (d.input != in.input || d.audio_stream != in.audio_stream ||
      d.video_start_s != in.video_start_s) {
    throw RuntimeError("audio phase: the decoded audio is stream " +
                       std::to_string(d.audio_stream) + " of " + d.input.string() + " from " +
                       format_number(d.video_start_s) + " s, the phase input asks for stream " +
                       std::to_string(in.audio_stream) + " of " + in.input.string() + " from " +
                       format_number(in.video_start_s) +
                       " s; pass decode_audio(decode_input_of(in))'s result");
  }
  if (!decoded.skipped && decoded.spill.empty()) {
    throw RuntimeError("audio phase: the decoded audio of " + in.input.string() +
                       " has no spill (moved or removed already); decode again");
  }
}

// Pass 1: the band-limited input, measured shot by shot.
ShotMeters measure(const AudioSpill& spill, const std::vector<int64_t>& end_frame,
                   AudioResult& out) {
  AudioSpillReader reader(spill, end_frame.back());
  media::EncoderBandFilter band(out.band_limit_hz);
  ShotMeters meters(end_frame, false, true);
  std::vector<float> block(static_cast<size_t>(kBlockFrames) * kChannels);
  while (const size_t n = reader.read(block.data(), static_cast<size_t>(kBlockFrames))) {
    band.process(block.data(), n);
    meters.add(block.data(), n);
  }
  out.tail_silence_frames = reader.tail_silence_frames();
  return meters;
}

// Pass 2: band filter -> gains with ramps -> limiter -> "after" meters and AAC.
void apply(const AudioPhaseInput& in, const AudioSpill& spill,
           const std::vector<int64_t>& end_frame, const analysis::LoudnessPlan& plan,
           AudioResult& out) {
  const std::vector<int64_t> boundary(end_frame.begin(), end_frame.end() - 1);
  const analysis::GainSchedule schedule(boundary, plan.gain_db,
                                        {.channels = kChannels,
                                         .sample_rate_hz = kRate,
                                         .ramp_ms = static_cast<double>(in.audio.ramp_ms)});
  analysis::TruePeakLimiter limiter(
      {.channels = kChannels, .sample_rate_hz = kRate, .ceiling_dbtp = out.ceiling_dbtp});
  AudioSpillReader reader(spill, end_frame.back());
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

void copy_source(const AudioDecodeResult& decoded, AudioResult& out) {
  const media::AudioReaderStats& stats = decoded.source;
  out.source_codec = stats.codec;
  out.source_rate_hz = stats.source_rate_hz;
  out.source_channels = stats.source_channels;
  out.source_layout = stats.source_layout;
  out.lead_silence_frames = stats.lead_silence;
  out.lead_dropped_frames = stats.lead_dropped;
  out.gap_silence_frames = stats.gap_silence;
  out.invalid_packets = stats.invalid_packets;
  out.source_packets = stats.packets;
  out.decoded_frames = decoded.spill.frames();
  out.decode_s = decoded.decode_s;
}

}  // namespace

AudioResult run_audio_phase(const AudioPhaseInput& in) {
  // Options and shots are checked before the (long) decode.
  plan_params_of(in.audio);
  shot_end_frames(in, static_cast<int64_t>(std::llround(in.duration_s * kRate)));
  return run_audio_phase(in, decode_audio(decode_input_of(in)));
}

AudioResult run_audio_phase(const AudioPhaseInput& in, AudioDecodeResult decoded) {
  const Clock::time_point start = Clock::now();
  AudioResult out;
  out.target_lufs = in.audio.target_lufs;
  out.ceiling_dbtp = in.audio.true_peak_dbtp - kAacMarginDb;
  out.band_limit_hz = media::AudioWriter::cutoff_hz(in.audio_bitrate_kbps);
  out.duration_s = in.duration_s;
  const analysis::LoudnessPlanParams params = plan_params_of(in.audio);
  const auto total_frames = static_cast<int64_t>(std::llround(in.duration_s * kRate));
  const std::vector<int64_t> end_frame = shot_end_frames(in, total_frames);
  check_decoded(in, decoded);
  if (decoded.skipped) {
    out.skipped = true;
    out.skip_reason = decoded.skip_reason;
    return out;
  }
  copy_source(decoded, out);
  FF_INFO("audio: " << in.shots.size() << " shots, " << in.duration_s << " s, target "
                    << params.target_lufs << " LUFS, ceiling " << out.ceiling_dbtp << " dBTP");

  const ShotMeters before = measure(decoded.spill, end_frame, out);
  out.block_end_s = before.block_end_s;
  out.block_lufs = before.block_lufs;
  out.programme_before_lufs = before.programme_lufs();
  std::vector<analysis::ShotLoudness> shots;
  for (const ShotMeters::Shot& shot : before.shots) {
    const std::span<const double> blocks(before.block_lufs.data() + shot.first_block,
                                         shot.end_block - shot.first_block);
    shots.emplace_back(shot.lufs, shot.duration_s, analysis::noise_floor_lufs(blocks, shot.lufs));
  }

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
  out.measure_s = seconds_since(start);

  // Encode, decode what was written, and encode again with a lower ceiling
  // while AAC's own overshoot takes the delivered true peak over the limit.
  const Clock::time_point encode_start = Clock::now();
  for (out.encode_attempts = 1;; ++out.encode_attempts) {
    apply(in, decoded.spill, end_frame, plan, out);
    verify(end_frame, out);
    const double excess_db = out.true_peak_delivered_dbtp - in.audio.true_peak_dbtp;
    if (excess_db <= 0.0 || out.encode_attempts == kMaxEncodeAttempts) break;
    FF_INFO("audio: delivered true peak " << out.true_peak_delivered_dbtp << " dBTP is over "
                                          << in.audio.true_peak_dbtp << "; encoding again");
    out.ceiling_dbtp = std::max(kLowestCeilingDbtp, out.ceiling_dbtp - excess_db - kRetryStepDb);
  }
  decoded.spill.remove();  // audio.m4a is complete: the spill has served
  if (out.true_peak_delivered_dbtp > in.audio.true_peak_dbtp) {
    FF_WARN("audio: delivered true peak " << out.true_peak_delivered_dbtp << " dBTP is over "
                                          << in.audio.true_peak_dbtp << " after "
                                          << out.encode_attempts << " encodes");
  }
  out.encode_s = seconds_since(encode_start);
  out.total_s = out.decode_s + seconds_since(start);
  FF_INFO("audio: programme " << out.programme_before_lufs << " -> " << out.programme_delivered_lufs
                              << " LUFS, true peak " << out.true_peak_delivered_dbtp
                              << " dBTP, limiter up to " << out.limiter_max_reduction_db << " dB, "
                              << out.total_s << " s (decode " << out.decode_s << " s)");
  return out;
}

}  // namespace ff::coordinator
