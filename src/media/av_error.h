#pragma once
// Checking libav* calls, and keeping FFmpeg's own log off the terminal.
//
// Every libav call that can fail goes through av_check() (or av_check_alloc()
// for allocators that return nullptr). A failure throws ff::media::AvError, a
// ff::RuntimeError whose one-line message names the file, the call and
// av_strerror's text, plus the last error FFmpeg logged on this thread while
// an AvLogCapture was open (that line often says more than the code does):
//
//   install_ffmpeg_log_bridge();   // once; open_input() and probe() call it
//   AvLogCapture capture;          // collect FFmpeg's error lines from here on
//   av_check(avformat_find_stream_info(ctx, nullptr), "avformat_find_stream_info", path);
//   // throws: "clip.mp4: avformat_find_stream_info failed: Invalid data found when
//   //          processing input (FFmpeg: moov atom not found)"
//
// Callers that turn a failure into a different error (the probe turns open
// failures into ff::InputError) catch AvError and read av_code(), call(), detail().
//
// The log bridge routes FFmpeg's messages (warning level and worse) into
// ff::log at debug level, so a failing run prints only framefarm's one line;
// `--log-level debug` shows FFmpeg's own words.
#include <filesystem>
#include <source_location>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

extern "C" {
#include <libavutil/error.h>
}

namespace ff::media {

// av_strerror's text for an AVERROR code, e.g. "Invalid data found when processing input".
std::string av_error_text(int code);

// A failed libav call on one file.
class AvError : public ff::RuntimeError {
 public:
  AvError(std::string call, const std::filesystem::path& file, int code, std::string detail,
          std::source_location where);
  int av_code() const { return code_; }  // the AVERROR value (code() is the exit code)
  const std::string& call() const { return call_; }
  const std::filesystem::path& file() const { return file_; }
  // av_strerror's text, then FFmpeg's last logged error in brackets when there was one.
  const std::string& reason() const { return reason_; }
  // The last error line FFmpeg logged during the call, or "" (see AvLogCapture).
  const std::string& detail() const { return detail_; }
  // Where in framefarm the call was made, for debug logs.
  const std::source_location& where() const { return where_; }

 private:
  std::string call_;
  std::filesystem::path file_;
  int code_;
  std::string detail_;
  std::string reason_;
  std::source_location where_;
};

// Returns `ret` when it is >= 0; throws AvError naming `call` and `file` otherwise.
int av_check(int ret, std::string_view call, const std::filesystem::path& file,
             std::source_location where = std::source_location::current());

// Returns `ptr` when it is not null; throws AvError (ENOMEM) naming `call` otherwise.
template <typename T>
T* av_check_alloc(T* ptr, std::string_view call, const std::filesystem::path& file,
                  std::source_location where = std::source_location::current());

[[noreturn]] void throw_av_error(int code, std::string_view call, const std::filesystem::path& file,
                                 std::source_location where = std::source_location::current());

template <typename T>
T* av_check_alloc(T* ptr, std::string_view call, const std::filesystem::path& file,
                  std::source_location where) {
  if (ptr == nullptr) throw_av_error(AVERROR(ENOMEM), call, file, where);
  return ptr;
}

// Installs (once per process) the av_log callback that sends FFmpeg's messages to
// ff::log at debug level instead of stderr. Thread-safe; later calls do nothing.
void install_ffmpeg_log_bridge();

// While alive, collects the error lines FFmpeg logs on this thread (AV_LOG_ERROR
// and worse), so a failure can say what FFmpeg said. Scopes nest; the innermost
// one collects. Needs the log bridge.
class AvLogCapture {
 public:
  AvLogCapture();
  ~AvLogCapture();
  AvLogCapture(const AvLogCapture&) = delete;
  AvLogCapture& operator=(const AvLogCapture&) = delete;

  const std::vector<std::string>& lines() const { return lines_; }
  // The last line, or "" when FFmpeg logged no error.
  std::string last() const { return lines_.empty() ? std::string() : lines_.back(); }
  void clear() { lines_.clear(); }

  // The innermost capture open on this thread, or nullptr.
  static AvLogCapture* current();
  void add(std::string line) { lines_.push_back(std::move(line)); }

 private:
  std::vector<std::string> lines_;
  AvLogCapture* previous_;
};

}  // namespace ff::media
