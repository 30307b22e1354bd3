#pragma once
// Rank-prefixed, levelled log lines on stderr, and per-phase progress.
//
//   ff::log::init(rank, ff::log::Level::kInfo);
//   FF_INFO("scan: " << n << " chunks");   // "[r0 12.3s INFO] scan: 8 chunks"
//
// Progress draws a bar with fps and ETA when stderr is a terminal, and plain
// lines every few seconds otherwise (Slurm logs), so logs stay readable.
// Only rank 0 draws: it sees every task's result.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <sstream>
#include <string>

namespace ff::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void init(int rank, Level level);
int rank();
Level level();
bool enabled(Level level);
// Parses "debug", "info", "warn" or "error"; throws UsageError otherwise.
Level parse_level(const std::string& name);
void write(Level level, const std::string& message);
// Seconds since init(), for log prefixes and phase timings.
double elapsed_s();

class Progress {
 public:
  // `total` is in `unit`s (frames, segments); 0 means unknown.
  Progress(std::string phase, int64_t total, std::string unit = "frames");
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void advance(int64_t done_delta);
  void set(int64_t done);
  void finish();

 private:
  void draw(bool final_line);

  std::string phase_;
  std::string unit_;
  int64_t total_;
  int64_t done_ = 0;
  bool tty_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  std::mutex mutex_;
};

}  // namespace ff::log

#define FF_LOG_AT(lvl, expr)                   \
  do {                                         \
    if (::ff::log::enabled(lvl)) {             \
      std::ostringstream ff_log_os_;           \
      ff_log_os_ << expr;                      \
      ::ff::log::write(lvl, ff_log_os_.str()); \
    }                                          \
  } while (0)
#define FF_DEBUG(expr) FF_LOG_AT(::ff::log::Level::kDebug, expr)
#define FF_INFO(expr) FF_LOG_AT(::ff::log::Level::kInfo, expr)
#define FF_WARN(expr) FF_LOG_AT(::ff::log::Level::kWarn, expr)
#define FF_ERROR(expr) FF_LOG_AT(::ff::log::Level::kError, expr)
