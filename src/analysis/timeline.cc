#include "analysis/timeline.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

namespace ff::analysis {
namespace {

template <typename T>
[[noreturn]] void bad_param(const char* field, T value, const char* allowed) {
  std::ostringstream os;
  os << "timeline params: " << field << " = " << value << " is out of range; must be " << allowed;
  throw std::invalid_argument(os.str());
}

[[noreturn]] void bad_input(const std::string& what) {
  throw std::invalid_argument("build_output_grid: " + what);
}

}  // namespace

void TimelineParams::validate() const {
  if (fps_num <= 0) bad_param("fps_num", fps_num, "> 0");
  if (fps_den <= 0) bad_param("fps_den", fps_den, "> 0");
  if (!(epsilon_out_frames >= 0.0 && epsilon_out_frames <= 0.5)) {
    bad_param("epsilon_out_frames", epsilon_out_frames, "in 0..0.5");
  }
}

double OutputGrid::time_s(int64_t out_frame) const {
  return static_cast<double>(out_frame) * static_cast<double>(fps_den) /
         static_cast<double>(fps_num);
}

OutputGrid build_output_grid(const std::vector<double>& src_time_s, double duration_s,
                             const TimelineParams& params) {
  params.validate();
  if (src_time_s.empty()) bad_input("no source frames");
  for (size_t i = 0; i < src_time_s.size(); ++i) {
    if (!std::isfinite(src_time_s[i])) {
      bad_input("time of src_frame " + std::to_string(i) + " is not finite");
    }
    if (i > 0 && src_time_s[i] < src_time_s[i - 1]) {
      bad_input("time of src_frame " + std::to_string(i) +
                " is earlier than the frame before; times must not decrease");
    }
  }
  const double num = static_cast<double>(params.fps_num);
  const double den = static_cast<double>(params.fps_den);
  if (!std::isfinite(duration_s) || duration_s <= 0.0) {
    std::ostringstream os;
    os << "duration_s = " << duration_s << " must be > 0 and finite";
    bad_input(os.str());
  }
  const double exact_frames = duration_s * num / den;
  if (exact_frames >= 9.0e15) {
    std::ostringstream os;
    os << "duration_s = " << duration_s << " gives too many output frames";
    bad_input(os.str());
  }
  const auto count = static_cast<int64_t>(std::floor(exact_frames + 0.5));
  if (count < 1) {
    std::ostringstream os;
    os << "duration_s = " << duration_s << " gives no output frame at " << params.fps_num << "/"
       << params.fps_den << " fps";
    bad_input(os.str());
  }

  OutputGrid grid;
  grid.fps_num = params.fps_num;
  grid.fps_den = params.fps_den;
  grid.src_frame.resize(static_cast<size_t>(count));
  // Two pointers: `src` is the latest source frame at or before the limit.
  size_t src = 0;
  for (int64_t n = 0; n < count; ++n) {
    const double limit_s = (static_cast<double>(n) + params.epsilon_out_frames) * den / num;
    while (src + 1 < src_time_s.size() && src_time_s[src + 1] <= limit_s) ++src;
    grid.src_frame[static_cast<size_t>(n)] = static_cast<int64_t>(src);
  }
  return grid;
}

int64_t out_frame_of_src(const OutputGrid& grid, int64_t src_frame) {
  const auto it = std::lower_bound(grid.src_frame.begin(), grid.src_frame.end(), src_frame);
  return static_cast<int64_t>(it - grid.src_frame.begin());
}

std::vector<int64_t> cuts_to_out_frames(const OutputGrid& grid,
                                        const std::vector<int64_t>& cut_src_frames) {
  std::vector<int64_t> out;
  out.reserve(cut_src_frames.size());
  for (int64_t src : cut_src_frames) {
    const int64_t n = out_frame_of_src(grid, src);
    if (n > 0 && n < grid.frames()) out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace ff::analysis
