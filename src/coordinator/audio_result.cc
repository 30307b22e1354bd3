// The audio phase's record in analysis.h5 (/audio) and the shot spans of a
// plan; see audio_phase.h.
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "coordinator/audio_phase.h"

namespace ff::coordinator {

std::vector<AudioShotSpan> audio_shots_of(const analysis::Plan& plan) {
  std::vector<AudioShotSpan> spans;
  spans.reserve(plan.shots.size());
  for (const analysis::PlanShot& shot : plan.shots) {
    spans.push_back({plan.grid.time_s(shot.out.begin), plan.grid.time_s(shot.out.end)});
  }
  return spans;
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
             {"decode_s", result.decode_s},
             {"measure_s", result.measure_s},
             {"encode_s", result.encode_s},
             {"total_s", result.total_s}}) {
      g.set_attr_f64(name, value);
    }
    for (const auto& [name, value] : std::initializer_list<std::pair<const char*, int64_t>>{
             {"encode_attempts", result.encode_attempts},
             {"frames", result.frames},
             {"sample_rate_hz", media::AudioReader::kSampleRateHz},
             {"source_rate_hz", result.source_rate_hz},
             {"source_channels", result.source_channels},
             {"lead_silence_frames", result.lead_silence_frames},
             {"lead_dropped_frames", result.lead_dropped_frames},
             {"tail_silence_frames", result.tail_silence_frames},
             {"gap_silence_frames", result.gap_silence_frames},
             {"invalid_packets", result.invalid_packets},
             {"source_packets", result.source_packets},
             {"decoded_frames", result.decoded_frames}}) {
      g.set_attr_i64(name, value);
    }
    g.set_attr_string("m4a_path", result.m4a_path.string());
    g.set_attr_string("source_codec", result.source_codec);
    g.set_attr_string("source_layout", result.source_layout);
  });
}

}  // namespace ff::coordinator
