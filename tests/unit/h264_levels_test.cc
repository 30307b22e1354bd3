// H.264 level limits (core/h264_levels.h). Expected numbers come from the
// spec's Table and from macroblock counts worked out by hand:
// 1080 px = 67.5 -> 68 macroblocks, 1920 px = 120, so 1080x1920 = 8160.
#include "core/h264_levels.h"

#include <gtest/gtest.h>

namespace ff::core {
namespace {

const H264Level& level(std::string_view name) {
  const H264Level* l = find_h264_level(name);
  if (l == nullptr) throw std::runtime_error("no level " + std::string(name));
  return *l;
}

TEST(H264Levels, TableIsOrderedAndComplete) {
  const auto levels = h264_levels();
  ASSERT_EQ(levels.size(), 20u);  // 1, 1b, 1.1-1.3, 2-2.2, 3-3.2, 4-4.2, 5-5.2, 6-6.2
  EXPECT_EQ(levels.front().name, "1");
  EXPECT_EQ(levels.back().name, "6.2");
  for (size_t i = 1; i < levels.size(); ++i) {
    SCOPED_TRACE(levels[i].name);
    // Each level allows at least what the one below allows.
    EXPECT_GE(levels[i].max_mbps, levels[i - 1].max_mbps);
    EXPECT_GE(levels[i].max_fs, levels[i - 1].max_fs);
    EXPECT_GE(levels[i].max_br, levels[i - 1].max_br);
    if (i >= 2) {  // 1b (idc 9) sits between 1 (10) and 1.1 (11)
      EXPECT_GT(levels[i].level_idc, levels[i - 1].level_idc);
    }
  }
}

TEST(H264Levels, RowsMatchTableA1) {
  // Spot checks against ITU-T H.264 Table A-1.
  EXPECT_EQ(level("3.1").max_mbps, 108000);
  EXPECT_EQ(level("3.1").max_fs, 3600);
  EXPECT_EQ(level("3.1").max_br, 14000);
  EXPECT_EQ(level("4.0").max_mbps, 245760);
  EXPECT_EQ(level("4.0").max_fs, 8192);
  EXPECT_EQ(level("4.0").max_br, 20000);
  EXPECT_EQ(level("4.0").max_cpb, 25000);
  EXPECT_EQ(level("4.1").max_br, 50000);
  EXPECT_EQ(level("4.2").max_mbps, 522240);
  EXPECT_EQ(level("4.2").max_fs, 8704);
  EXPECT_EQ(level("5.1").max_fs, 36864);
  EXPECT_EQ(level("4.0").level_idc, 40);
  EXPECT_EQ(level("4.2").level_idc, 42);
  EXPECT_EQ(level("1b").level_idc, 9);
  EXPECT_EQ(find_h264_level("4.3"), nullptr);
  EXPECT_EQ(find_h264_level("4"), nullptr);
}

TEST(H264Levels, MacroblocksRoundUp) {
  EXPECT_EQ(frame_macroblocks(1080, 1920), 68 * 120);
  EXPECT_EQ(frame_macroblocks(1920, 1080), 120 * 68);
  EXPECT_EQ(frame_macroblocks(1280, 720), 80 * 45);
  EXPECT_EQ(frame_macroblocks(16, 16), 1);
  EXPECT_EQ(frame_macroblocks(17, 16), 2);
}

TEST(H264Levels, VerticalHdFitsLevel40At30ButNot60) {
  EXPECT_TRUE(fits_h264_level(level("4.0"), 1080, 1920, 30.0));   // 244800 <= 245760
  EXPECT_FALSE(fits_h264_level(level("4.0"), 1080, 1920, 60.0));  // 489600
  EXPECT_FALSE(fits_h264_level(level("4.1"), 1080, 1920, 60.0));  // same MaxMBPS as 4.0
  EXPECT_TRUE(fits_h264_level(level("4.2"), 1080, 1920, 60.0));   // 489600 <= 522240
  EXPECT_TRUE(fits_h264_level(level("4.0"), 1920, 1080, 30.0));
  EXPECT_TRUE(fits_h264_level(level("4.0"), 1920, 1080, 29.97));
  EXPECT_FALSE(fits_h264_level(level("3.1"), 1920, 1080, 30.0));  // 8160 > MaxFS 3600
  EXPECT_TRUE(fits_h264_level(level("3.1"), 1280, 720, 30.0));    // 3600 * 30 = 108000
  EXPECT_FALSE(fits_h264_level(level("3.1"), 1280, 720, 31.0));
}

TEST(H264Levels, ZeroFpsChecksOnlyTheFrame) {
  EXPECT_TRUE(fits_h264_level(level("4.0"), 1080, 1920, 0.0));
  EXPECT_FALSE(fits_h264_level(level("4.0"), 3840, 2160, 0.0));  // 32400 > 8192
  EXPECT_TRUE(fits_h264_level(level("5.1"), 3840, 2160, 0.0));
}

TEST(H264Levels, SideLimitIsSqrtOf8MaxFs) {
  // Level 4.0: sqrt(8 * 8192) = 256 macroblocks = 4096 px per side.
  EXPECT_TRUE(fits_h264_frame(level("4.0"), 4096, 16));
  EXPECT_FALSE(fits_h264_frame(level("4.0"), 4112, 16));  // 257 wide, only 257 in total
  EXPECT_FALSE(fits_h264_frame(level("4.0"), 16, 4112));
}

TEST(H264Levels, MaxFps) {
  EXPECT_DOUBLE_EQ(max_fps(level("4.0"), 1080, 1920), 245760.0 / 8160.0);
  EXPECT_DOUBLE_EQ(max_fps(level("3.1"), 1280, 720), 30.0);
}

TEST(H264Levels, HighProfileBitRateIsOneAndAQuarterTimes) {
  // Table A-2: cpbBrVclFactor 1250 for High, 1000 for Baseline and Main.
  EXPECT_EQ(max_bitrate_kbps(level("4.0"), H264Profile::kMain), 20000);
  EXPECT_EQ(max_bitrate_kbps(level("4.0"), H264Profile::kBaseline), 20000);
  EXPECT_EQ(max_bitrate_kbps(level("4.0"), H264Profile::kHigh), 25000);
  EXPECT_EQ(max_bitrate_kbps(level("4.1"), H264Profile::kHigh), 62500);
  EXPECT_EQ(max_cpb_kbit(level("4.0"), H264Profile::kHigh), 31250);
}

}  // namespace
}  // namespace ff::core
