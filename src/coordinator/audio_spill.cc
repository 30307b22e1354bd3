#include "coordinator/audio_spill.h"

#include <algorithm>
#include <cerrno>
#include <string>
#include <system_error>
#include <utility>

#include "core/error.h"

namespace ff::coordinator {
namespace {

[[noreturn]] void throw_errno(const std::filesystem::path& path, const std::string& what, int err,
                              const std::string& hint) {
  throw RuntimeError(path.string() + ": " + what + ": " + std::generic_category().message(err) +
                     "; " + hint);
}

constexpr const char* kWriteHint =
    "check that the work directory exists, is writable and has free space (the audio spill "
    "takes 8 bytes per 48 kHz frame, 1.04 GB per 45 minutes)";
constexpr const char* kReadHint =
    "the work directory changed while the audio phase ran; run the job again";

}  // namespace

// ---- AudioSpill ---------------------------------------------------------

AudioSpill::AudioSpill(std::filesystem::path path, int64_t frames)
    : path_(std::move(path)), frames_(frames) {}

AudioSpill::~AudioSpill() {
  remove();
}

AudioSpill::AudioSpill(AudioSpill&& other) noexcept
    : path_(std::exchange(other.path_, {})), frames_(std::exchange(other.frames_, 0)) {}

AudioSpill& AudioSpill::operator=(AudioSpill&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::exchange(other.path_, {});
    frames_ = std::exchange(other.frames_, 0);
  }
  return *this;
}

void AudioSpill::remove() noexcept {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove(path_, ec);  // scratch: nothing to do if it fails
  path_.clear();
  frames_ = 0;
}

// ---- AudioSpillWriter ---------------------------------------------------

AudioSpillWriter::AudioSpillWriter(std::filesystem::path final_path)
    : out_(std::move(final_path)), file_(std::fopen(out_.temp_path().c_str(), "wb")) {
  if (!file_) throw_errno(out_.temp_path(), "cannot create the audio spill", errno, kWriteHint);
}

void AudioSpillWriter::write(const float* interleaved, size_t frames) {
  if (frames == 0) return;
  const size_t floats = frames * 2;
  if (std::fwrite(interleaved, sizeof(float), floats, file_.get()) != floats) {
    throw_errno(out_.temp_path(), "write failed", errno, kWriteHint);
  }
  frames_ += static_cast<int64_t>(frames);
}

AudioSpill AudioSpillWriter::commit() {
  // fclose flushes stdio's buffer: a full disk may first show here.
  if (std::fclose(file_.release()) != 0) {
    throw_errno(out_.temp_path(), "write failed", errno, kWriteHint);
  }
  out_.commit();
  return AudioSpill(out_.final_path(), frames_);
}

// ---- AudioSpillReader ---------------------------------------------------

AudioSpillReader::AudioSpillReader(const AudioSpill& spill, int64_t total_frames)
    : path_(spill.path()),
      file_(std::fopen(spill.path().c_str(), "rb")),
      spill_frames_(spill.frames()),
      total_frames_(std::max<int64_t>(total_frames, 0)) {
  if (!file_) throw_errno(path_, "cannot open the audio spill", errno, kReadHint);
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(path_, ec);
  if (ec) throw_errno(path_, "cannot read the audio spill's size", ec.value(), kReadHint);
  if (static_cast<int64_t>(bytes) != spill_frames_ * kAudioSpillFrameBytes) {
    throw RuntimeError(path_.string() + ": the audio spill holds " + std::to_string(bytes) +
                       " bytes, expected " + std::to_string(spill_frames_) + " frames x 8 = " +
                       std::to_string(spill_frames_ * kAudioSpillFrameBytes) + "; " + kReadHint);
  }
}

size_t AudioSpillReader::read(float* dst, size_t max_frames) {
  const auto want = static_cast<size_t>(
      std::min<int64_t>(static_cast<int64_t>(max_frames), total_frames_ - frames_read_));
  const auto from_file = static_cast<size_t>(
      std::clamp<int64_t>(spill_frames_ - frames_read_, 0, static_cast<int64_t>(want)));
  if (from_file > 0) {
    const size_t floats = from_file * 2;
    if (std::fread(dst, sizeof(float), floats, file_.get()) != floats) {
      if (std::ferror(file_.get())) throw_errno(path_, "read failed", errno, kReadHint);
      throw RuntimeError(path_.string() + ": the audio spill ended at frame " +
                         std::to_string(frames_read_) + " of " + std::to_string(spill_frames_) +
                         "; " + kReadHint);
    }
  }
  std::fill(dst + from_file * 2, dst + want * 2, 0.f);  // past the spill's end: silence
  frames_read_ += static_cast<int64_t>(want);
  return want;
}

int64_t AudioSpillReader::tail_silence_frames() const {
  return std::max<int64_t>(0, total_frames_ - spill_frames_);
}

}  // namespace ff::coordinator
