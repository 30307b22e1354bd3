// Step 0 of the audio phase: the input's audio decoded once into the spill
// (audio_phase.h, audio_spill.h).
#include <chrono>
#include <string>
#include <system_error>
#include <vector>

#include "coordinator/audio_phase.h"
#include "core/log.h"

extern "C" {
#include <libavformat/avformat.h>
}

namespace ff::coordinator {
namespace {

// 1 s per read and write: 384 KB, fixed, whatever the length.
constexpr size_t kDecodeBlockFrames = media::AudioReader::kSampleRateHz;

// Whether `path` has any audio stream. Throws AvError when it cannot be opened.
bool has_audio_stream(const std::filesystem::path& path) {
  const media::InputFormatPtr input = media::open_input(path);
  return av_find_best_stream(input.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0) >= 0;
}

// Removes a spill, or a spill's temp file, that a crashed earlier run of this
// job left in `workdir` (a workdir belongs to one job; 1 GB each for 45 min).
void remove_stale_spills(const std::filesystem::path& workdir) {
  std::error_code ec;
  const std::string prefix = std::string(kAudioSpillName) + ".tmp-";
  for (const auto& entry : std::filesystem::directory_iterator(workdir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name == kAudioSpillName || name.starts_with(prefix)) {
      std::error_code ignored;
      std::filesystem::remove(entry.path(), ignored);  // the writer reports what matters
    }
  }
}

}  // namespace

AudioDecodeInput decode_input_of(const AudioPhaseInput& in) {
  return {.input = in.input,
          .audio_stream = in.audio_stream,
          .video_start_s = in.video_start_s,
          .workdir = in.workdir};
}

AudioDecodeResult decode_audio(const AudioDecodeInput& in) {
  const auto start = std::chrono::steady_clock::now();
  AudioDecodeResult out;
  out.request = in;
  // A stream asked for by index must be audio (AudioReader says so when it
  // is not); with -1 an input without audio skips the phase.
  if (in.audio_stream < 0 && !has_audio_stream(in.input)) {
    out.skipped = true;
    out.skip_reason = "no audio stream in " + in.input.string();
    FF_INFO("audio: skipped, " << out.skip_reason);
    return out;
  }
  // To the end of the stream: the plan's duration is not known yet.
  media::AudioReader reader(
      in.input, {.stream_index = in.audio_stream, .start_s = in.video_start_s, .total_frames = -1});
  remove_stale_spills(in.workdir);
  AudioSpillWriter writer(in.workdir / kAudioSpillName);
  std::vector<float> block(kDecodeBlockFrames * media::AudioReader::kChannels);
  while (const size_t n = reader.read(block.data(), kDecodeBlockFrames)) {
    writer.write(block.data(), n);
  }
  out.spill = writer.commit();
  out.source = reader.stats();
  out.decode_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  FF_INFO("audio: decoded " << out.source.codec << " " << out.source.source_layout << " "
                            << out.source.source_rate_hz << " Hz, "
                            << static_cast<double>(out.spill.frames()) /
                                   media::AudioReader::kSampleRateHz
                            << " s to " << out.spill.path().string() << " in " << out.decode_s
                            << " s");
  return out;
}

}  // namespace ff::coordinator
