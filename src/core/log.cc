#include "core/log.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "core/error.h"

namespace ff::log {
namespace {

struct State {
  int rank = 0;
  Level level = Level::kInfo;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  std::mutex mutex;
};

State& state() {
  static State s;
  return s;
}

const char* level_name(Level level) {
  switch (level) {
    case Level::kDebug: return "DEBUG";
    case Level::kInfo: return "INFO";
    case Level::kWarn: return "WARN";
    case Level::kError: return "ERROR";
  }
  return "?";
}

std::string format_duration(double seconds) {
  if (seconds < 0) return "--:--";
  const auto total = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (total >= 3600) {
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", total / 3600, (total / 60) % 60, total % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%02ld:%02ld", total / 60, total % 60);
  }
  return buf;
}

}  // namespace

void init(int rank, Level level) {
  State& s = state();
  s.rank = rank;
  s.level = level;
  s.start = std::chrono::steady_clock::now();
}

int rank() {
  return state().rank;
}
Level level() {
  return state().level;
}
bool enabled(Level level) {
  return static_cast<int>(level) >= static_cast<int>(state().level);
}

Level parse_level(const std::string& name) {
  if (name == "debug") return Level::kDebug;
  if (name == "info") return Level::kInfo;
  if (name == "warn") return Level::kWarn;
  if (name == "error") return Level::kError;
  throw UsageError("--log-level " + name + " is not a level; allowed: debug, info, warn, error");
}

double elapsed_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - state().start).count();
}

void write(Level level, const std::string& message) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  std::fprintf(stderr, "[r%d %7.2fs %s] %s\n", s.rank, elapsed_s(), level_name(level),
               message.c_str());
  std::fflush(stderr);
}

Progress::Progress(std::string phase, int64_t total, std::string unit)
    : phase_(std::move(phase)),
      unit_(std::move(unit)),
      total_(total),
      tty_(isatty(STDERR_FILENO) == 1 && enabled(Level::kInfo)),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() {
  finish();
}

void Progress::advance(int64_t done_delta) {
  std::lock_guard lock(mutex_);
  done_ += done_delta;
  draw(false);
}

void Progress::set(int64_t done) {
  std::lock_guard lock(mutex_);
  done_ = done;
  draw(false);
}

void Progress::finish() {
  std::lock_guard lock(mutex_);
  if (finished_) return;
  finished_ = true;
  draw(true);
}

void Progress::draw(bool final_line) {
  if (rank() != 0) return;  // the coordinator speaks for the phase
  const auto now = std::chrono::steady_clock::now();
  const double since_draw = std::chrono::duration<double>(now - last_draw_).count();
  // A terminal redraws ten times a second; a log file gets a line every 10 s.
  if (!final_line && since_draw < (tty_ ? 0.1 : 10.0)) return;
  // In a log file the final line says it all; skip a periodic line at 100%.
  if (!final_line && !tty_ && total_ > 0 && done_ >= total_) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
  const double eta = (total_ > 0 && rate > 0) ? static_cast<double>(total_ - done_) / rate : -1.0;
  char line[256];
  if (total_ > 0) {
    const double frac = std::min(1.0, static_cast<double>(done_) / static_cast<double>(total_));
    constexpr int kWidth = 28;
    std::string bar(static_cast<size_t>(frac * kWidth), '#');
    bar.resize(kWidth, '.');
    std::snprintf(line, sizeof line, "%-8s [%s] %5.1f%% %lld/%lld %s  %.1f %s/s  ETA %s",
                  phase_.c_str(), bar.c_str(), 100.0 * frac, static_cast<long long>(done_),
                  static_cast<long long>(total_), unit_.c_str(), rate, unit_.c_str(),
                  final_line ? format_duration(elapsed).c_str() : format_duration(eta).c_str());
  } else {
    std::snprintf(line, sizeof line, "%-8s %lld %s  %.1f %s/s  %s", phase_.c_str(),
                  static_cast<long long>(done_), unit_.c_str(), rate, unit_.c_str(),
                  format_duration(elapsed).c_str());
  }
  if (tty_) {
    std::fprintf(stderr, "\r\033[K[r%d] %s%s", rank(), line, final_line ? "\n" : "");
    std::fflush(stderr);
  } else if (enabled(Level::kInfo)) {
    write(Level::kInfo, std::string(line) + (final_line ? " done" : ""));
  }
}

}  // namespace ff::log
