#pragma once
// The audio spill: the input's audio decoded once (media::AudioReader, 48 kHz
// stereo float on the output video's timeline) and kept in the work
// directory, so that the audio phase's measure and apply passes read it back
// with plain file reads instead of decoding the input again (DESIGN.md §1,
// phase 5; docs/audio.md). The decode needs no plan, so it runs while the
// scan does; the passes that need the shots run later.
//
// Format: raw 32-bit float, interleaved L R, native byte order
// (little-endian on every platform framefarm builds for), no header: frame n
// starts at byte 8 n, and the length in frames is the file size / 8. Lossless
// by construction: the passes see the decoder's floats bit for bit. 45
// minutes are 2700 s x 48000 x 8 B = 1.04 GB on disk.
//
// - AudioSpillWriter writes to `<final>.tmp-<host>-<pid>` (core::AtomicOutput) and
//   renames it to the final name in commit(); an exception before that
//   removes the temp file, so a file under the final name is always complete.
// - AudioSpill owns a complete spill file and removes it when it goes away
//   (move-only), so a spill does not outlive the phase, whether it ends in a
//   delivered audio.m4a or in an exception.
// - AudioSpillReader reads a spill back in blocks of any size, cut to or
//   padded with silence up to a requested length (the plan's duration).
//
// Memory: the writer and the reader hold only stdio's buffer; blocks are the
// caller's.
//
// Example:
//   AudioSpillWriter writer(workdir / kAudioSpillName);
//   writer.write(block.data(), frames);          // any block sizes
//   AudioSpill spill = writer.commit();          // renamed; spill.frames() frames
//   AudioSpillReader reader(spill, 48000 * 60);  // exactly 60 s
//   while (size_t n = reader.read(block.data(), 4800)) { ... n frames, L R L R ... }
//
// Errors: ff::RuntimeError naming the file, the failed call and errno's text.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "core/atomic_file.h"

namespace ff::coordinator {

// The spill's file name in the work directory.
inline constexpr const char* kAudioSpillName = "audio.spill.f32";
// Bytes per 48 kHz stereo float frame in a spill.
inline constexpr int64_t kAudioSpillFrameBytes = 2 * static_cast<int64_t>(sizeof(float));

namespace detail {
struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;
}  // namespace detail

// A complete spill file, removed when the object goes away. Default: none.
class AudioSpill {
 public:
  AudioSpill() = default;
  AudioSpill(std::filesystem::path path, int64_t frames);
  ~AudioSpill();
  AudioSpill(AudioSpill&& other) noexcept;
  AudioSpill& operator=(AudioSpill&& other) noexcept;
  AudioSpill(const AudioSpill&) = delete;
  AudioSpill& operator=(const AudioSpill&) = delete;

  const std::filesystem::path& path() const { return path_; }
  int64_t frames() const { return frames_; }
  bool empty() const { return path_.empty(); }
  // Removes the file now (errors ignored: it is scratch) and becomes empty.
  void remove() noexcept;

 private:
  std::filesystem::path path_;
  int64_t frames_ = 0;
};

class AudioSpillWriter {
 public:
  // Creates `<final_path>.tmp-<host>-<pid>`; throws RuntimeError naming it when it
  // cannot be created (a missing or read-only work directory).
  explicit AudioSpillWriter(std::filesystem::path final_path);
  AudioSpillWriter(const AudioSpillWriter&) = delete;
  AudioSpillWriter& operator=(const AudioSpillWriter&) = delete;

  // Appends `frames` interleaved stereo frames.
  void write(const float* interleaved, size_t frames);
  int64_t frames() const { return frames_; }
  // Closes, fsyncs and renames the file to the final name; the spill owns it.
  AudioSpill commit();

 private:
  core::AtomicOutput out_;
  detail::FilePtr file_;
  int64_t frames_ = 0;
};

class AudioSpillReader {
 public:
  // Reads `spill` as exactly `total_frames` frames: its first total_frames,
  // then silence where it is shorter. Throws RuntimeError when the file is
  // missing or its size is not spill.frames() x 8 bytes.
  AudioSpillReader(const AudioSpill& spill, int64_t total_frames);
  AudioSpillReader(const AudioSpillReader&) = delete;
  AudioSpillReader& operator=(const AudioSpillReader&) = delete;

  // Writes up to `max_frames` frames to `dst`; returns how many, 0 only at
  // the end (total_frames delivered).
  size_t read(float* dst, size_t max_frames);
  int64_t frames_read() const { return frames_read_; }
  // Frames of silence after the spill's end: max(0, total - spill frames).
  int64_t tail_silence_frames() const;

 private:
  std::filesystem::path path_;
  detail::FilePtr file_;
  int64_t spill_frames_ = 0;
  int64_t total_frames_ = 0;
  int64_t frames_read_ = 0;
};

}  // namespace ff::coordinator
