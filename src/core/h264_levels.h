#pragma once
// H.264 level limits (ITU-T H.264, Annex A, Table A-1) and the arithmetic to
// check a frame size, frame rate and bit rate against them.
//
// A level caps the frame size in macroblocks (MaxFS), the macroblock rate
// (MaxMBPS) and the bit rate (MaxBR). Frame sizes are counted in 16x16
// macroblocks, rounded up: 1080x1920 is 68 x 120 = 8160 macroblocks.
//
//   const H264Level* l40 = find_h264_level("4.0");
//   frame_macroblocks(1080, 1920);               // 8160
//   fits_h264_level(*l40, 1080, 1920, 30.0);     // true  (244800 <= 245760 MB/s)
//   fits_h264_level(*l40, 1080, 1920, 60.0);     // false (489600 MB/s)
//   max_fps(*l40, 1080, 1920);                   // 30.117...
//
// Pure arithmetic: no FFmpeg, no encoder. The job file's output.level picks
// one of these rows (core/options.h).
#include <cstdint>
#include <span>
#include <string_view>

namespace ff::core {

// The profiles framefarm can deliver. The bit-rate limits of High are 1.25x
// those of Baseline and Main (Table A-2, cpbBrVclFactor 1250 vs 1000).
enum class H264Profile { kHigh, kMain, kBaseline };

// One row of Table A-1.
struct H264Level {
  std::string_view name;  // "4.0", "1b", "5.1"
  int level_idc;          // as coded in the SPS: 40 for 4.0 (1b: 9, as High codes it)
  int64_t max_mbps;       // MaxMBPS, macroblocks per second
  int64_t max_fs;         // MaxFS, macroblocks per frame
  int64_t max_br;         // MaxBR, in 1000 bit/s for Baseline/Main (VCL)
  int64_t max_cpb;        // MaxCPB, in 1000 bits for Baseline/Main (VCL)
};

// Every level of Table A-1, lowest first (1, 1b, 1.1, ..., 6.2).
std::span<const H264Level> h264_levels();

// The row named `name` ("4.0", "4.2", "1b"), or nullptr.
const H264Level* find_h264_level(std::string_view name);

// Macroblocks in one frame: ceil(width/16) * ceil(height/16).
int64_t frame_macroblocks(int width, int height);

// Whether the frame size fits the level: MaxFS, and each side at most
// sqrt(8 * MaxFS) macroblocks (A.3.1 f, g). Width and height must be > 0.
bool fits_h264_frame(const H264Level& level, int width, int height);

// Largest frame rate the level allows at this size: MaxMBPS / macroblocks.
double max_fps(const H264Level& level, int width, int height);

// Frame size fits, and frame_macroblocks * fps <= MaxMBPS. fps <= 0 skips
// the rate check (frame rate not known yet).
bool fits_h264_level(const H264Level& level, int width, int height, double fps);

// MaxBR for `profile` in kbit/s: max_br for Baseline/Main, 1.25x for High.
int64_t max_bitrate_kbps(const H264Level& level, H264Profile profile);

// MaxCPB for `profile` in kbit: max_cpb, 1.25x for High (a VBV buffer cap).
int64_t max_cpb_kbit(const H264Level& level, H264Profile profile);

}  // namespace ff::core
