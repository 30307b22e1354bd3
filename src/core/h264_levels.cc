#include "core/h264_levels.h"

#include <array>
#include <cmath>

namespace ff::core {
namespace {

// ITU-T H.264 (08/2021) Table A-1, columns MaxMBPS, MaxFS, MaxBR, MaxCPB.
// level_idc per 7.4.2.1.1; level 1b is coded as 9 in High profiles (and as
// 11 with constraint_set3_flag in Baseline/Main).
constexpr std::array<H264Level, 20> kLevels{{
    {"1", 10, 1485, 99, 64, 175},
    {"1b", 9, 1485, 99, 128, 350},
    {"1.1", 11, 3000, 396, 192, 500},
    {"1.2", 12, 6000, 396, 384, 1000},
    {"1.3", 13, 11880, 396, 768, 2000},
    {"2.0", 20, 11880, 396, 2000, 2000},
    {"2.1", 21, 19800, 792, 4000, 4000},
    {"2.2", 22, 20250, 1620, 4000, 4000},
    {"3.0", 30, 40500, 1620, 10000, 10000},
    {"3.1", 31, 108000, 3600, 14000, 14000},
    {"3.2", 32, 216000, 5120, 20000, 20000},
    {"4.0", 40, 245760, 8192, 20000, 25000},
    {"4.1", 41, 245760, 8192, 50000, 62500},
    {"4.2", 42, 522240, 8704, 50000, 62500},
    {"5.0", 50, 589824, 22080, 135000, 135000},
    {"5.1", 51, 983040, 36864, 240000, 240000},
    {"5.2", 52, 2073600, 36864, 240000, 240000},
    {"6.0", 60, 4177920, 139264, 240000, 240000},
    {"6.1", 61, 8355840, 139264, 480000, 480000},
    {"6.2", 62, 16711680, 139264, 800000, 800000},
}};

int64_t mbs(int pixels) {
  return (static_cast<int64_t>(pixels) + 15) / 16;
}

// High's factor over Baseline/Main: cpbBrVclFactor 1250 / 1000 (Table A-2).
int64_t scale_for(H264Profile profile, int64_t value) {
  return profile == H264Profile::kHigh ? value * 5 / 4 : value;
}

}  // namespace

std::span<const H264Level> h264_levels() {
  return kLevels;
}

const H264Level* find_h264_level(std::string_view name) {
  for (const H264Level& level : kLevels) {
    if (level.name == name) return &level;
  }
  return nullptr;
}

int64_t frame_macroblocks(int width, int height) {
  return mbs(width) * mbs(height);
}

bool fits_h264_frame(const H264Level& level, int width, int height) {
  // A.3.1 f/g: PicWidthInMbs and FrameHeightInMbs <= Sqrt(MaxFS * 8).
  const double max_side_mbs = std::sqrt(static_cast<double>(level.max_fs) * 8.0);
  return frame_macroblocks(width, height) <= level.max_fs &&
         static_cast<double>(mbs(width)) <= max_side_mbs &&
         static_cast<double>(mbs(height)) <= max_side_mbs;
}

double max_fps(const H264Level& level, int width, int height) {
  return static_cast<double>(level.max_mbps) /
         static_cast<double>(frame_macroblocks(width, height));
}

bool fits_h264_level(const H264Level& level, int width, int height, double fps) {
  if (!fits_h264_frame(level, width, height)) return false;
  if (fps <= 0.0) return true;
  return static_cast<double>(frame_macroblocks(width, height)) * fps <=
         static_cast<double>(level.max_mbps);
}

int64_t max_bitrate_kbps(const H264Level& level, H264Profile profile) {
  return scale_for(profile, level.max_br);
}

int64_t max_cpb_kbit(const H264Level& level, H264Profile profile) {
  return scale_for(profile, level.max_cpb);
}

}  // namespace ff::core
