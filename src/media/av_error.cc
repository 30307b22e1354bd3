#include "media/av_error.h"

#include <cstdarg>
#include <cstdio>
#include <mutex>

#include "core/log.h"

extern "C" {
#include <libavutil/log.h>
}

namespace ff::media {
namespace {

thread_local AvLogCapture* t_capture = nullptr;

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  size_t start = 0;
  while (start < s.size() && s[start] == ' ') ++start;
  return s.substr(start);
}

// FFmpeg sometimes builds one line from several av_log calls; these hold the
// pieces until the newline arrives.
struct PendingLines {
  std::string debug;
  std::string capture;
  int print_prefix = 1;
};
thread_local PendingLines t_pending;

void log_callback(void* avcl, int level, const char* fmt, va_list vl) {
  if (level > AV_LOG_WARNING) return;  // info, verbose, debug, trace: dropped
  const bool to_debug = ff::log::enabled(ff::log::Level::kDebug);
  const bool to_capture = t_capture != nullptr && level <= AV_LOG_ERROR;
  if (!to_debug && !to_capture) return;

  if (to_capture) {
    char raw[1024];
    va_list copy;
    va_copy(copy, vl);
    std::vsnprintf(raw, sizeof raw, fmt, copy);
    va_end(copy);
    t_pending.capture += raw;
    if (!t_pending.capture.empty() && t_pending.capture.back() == '\n') {
      std::string line = trim(t_pending.capture);
      t_pending.capture.clear();
      if (!line.empty()) t_capture->add(std::move(line));
    }
  }
  if (to_debug) {
    char line[1024];
    av_log_format_line2(avcl, level, fmt, vl, line, sizeof line, &t_pending.print_prefix);
    t_pending.debug += line;
    if (!t_pending.debug.empty() && t_pending.debug.back() == '\n') {
      FF_DEBUG("ffmpeg: " << trim(t_pending.debug));
      t_pending.debug.clear();
    }
  }
}

}  // namespace

std::string av_error_text(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  if (av_strerror(code, buf, sizeof buf) < 0) {
    std::snprintf(buf, sizeof buf, "FFmpeg error %d", code);
  }
  return buf;
}

AvError::AvError(std::string call, const std::filesystem::path& file, int code, std::string detail,
                 std::source_location where)
    : ff::RuntimeError(file.string() + ": " + call + " failed: " + av_error_text(code) +
                       (detail.empty() ? "" : " (FFmpeg: " + detail + ")")),
      call_(std::move(call)),
      file_(file),
      code_(code),
      detail_(std::move(detail)),
      reason_(av_error_text(code) + (detail_.empty() ? "" : ": " + detail_)),
      where_(where) {}

void throw_av_error(int code, std::string_view call, const std::filesystem::path& file,
                    std::source_location where) {
  const AvLogCapture* capture = AvLogCapture::current();
  std::string detail = capture != nullptr ? capture->last() : std::string();
  FF_DEBUG(file.string() << ": " << call << " returned " << code << " at " << where.file_name()
                         << ":" << where.line());
  throw AvError(std::string(call), file, code, std::move(detail), where);
}

int av_check(int ret, std::string_view call, const std::filesystem::path& file,
             std::source_location where) {
  if (ret < 0) throw_av_error(ret, call, file, where);
  return ret;
}

void install_ffmpeg_log_bridge() {
  static std::once_flag once;
  std::call_once(once, [] {
    // The callback filters by level itself; the level also tells FFmpeg's code
    // not to format messages nobody reads.
    av_log_set_level(AV_LOG_WARNING);
    av_log_set_callback(log_callback);
  });
}

AvLogCapture::AvLogCapture() : previous_(t_capture) {
  t_capture = this;
}

AvLogCapture::~AvLogCapture() {
  t_capture = previous_;
}

AvLogCapture* AvLogCapture::current() {
  return t_capture;
}

}  // namespace ff::media
