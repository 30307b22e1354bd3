// The scene-score twins: the CPU reference against the definition written
// out directly, and the CUDA twin against the CPU one when a device exists.
#include "kernels/scene_score.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <stdexcept>
#include <vector>

#include "kernels/device.h"

#if defined(FRAMEFARM_HAVE_CUDA)
#include <cuda_runtime_api.h>

#include "kernels/cuda_check.h"
#include "kernels/device_buffer.h"
#endif

namespace ff::kernels {
namespace {

std::vector<uint8_t> random_plane(int stride, int h, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(0, 255);
  std::vector<uint8_t> v(static_cast<size_t>(stride * h));
  for (auto& p : v) p = static_cast<uint8_t>(dist(rng));
  return v;
}

uint64_t sad_by_definition(const std::vector<uint8_t>& a, int stride_a,
                           const std::vector<uint8_t>& b, int stride_b, int w, int h) {
  uint64_t sum = 0;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      sum += static_cast<uint64_t>(std::abs(a[static_cast<size_t>(y * stride_a + x)] -
                                            b[static_cast<size_t>(y * stride_b + x)]));
  return sum;
}

struct Case {
  int w, h, stride_a, stride_b;
};
// Thumbnail planes, widths below and between the 16-byte steps, padded and
// unequal strides, a full 1080p plane.
const Case kCases[] = {{64, 36, 64, 64},     {32, 18, 32, 32},        {1, 1, 1, 1},
                       {15, 3, 15, 15},      {17, 5, 32, 20},         {33, 7, 40, 48},
                       {480, 270, 512, 480}, {1920, 1080, 1920, 1984}};

TEST(PlaneSadCpu, MatchesTheDefinitionOnRandomPlanes) {
  unsigned seed = 1;
  for (const Case& c : kCases) {
    const auto a = random_plane(c.stride_a, c.h, seed++);
    const auto b = random_plane(c.stride_b, c.h, seed++);
    EXPECT_EQ(plane_sad_cpu({a.data(), c.w, c.h, c.stride_a}, {b.data(), c.w, c.h, c.stride_b}),
              sad_by_definition(a, c.stride_a, b, c.stride_b, c.w, c.h))
        << c.w << "x" << c.h;
  }
}

TEST(PlaneSadCpu, IdenticalPlanesScoreZeroAndBlackAgainstWhiteScoresTheMost) {
  const int w = 1920, h = 1080;
  const std::vector<uint8_t> black(static_cast<size_t>(w * h), 0);
  const std::vector<uint8_t> white(static_cast<size_t>(w * h), 255);
  EXPECT_EQ(plane_sad_cpu({white.data(), w, h, w}, {white.data(), w, h, w}), 0u);
  EXPECT_EQ(plane_sad_cpu({black.data(), w, h, w}, {white.data(), w, h, w}), 255ull * w * h);
  EXPECT_EQ(plane_sad_cpu({white.data(), w, h, w}, {black.data(), w, h, w}), 255ull * w * h);
}

TEST(PlaneSadCpu, StrideBytesAreNotCounted) {
  // Padding differs wildly between the planes; only the width counts.
  std::vector<uint8_t> a(8 * 4, 0), b(8 * 4, 255);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 5; ++x) a[y * 8 + x] = b[y * 8 + x] = 100;
  EXPECT_EQ(plane_sad_cpu({a.data(), 5, 4, 8}, {b.data(), 5, 4, 8}), 0u);
}

TEST(PlaneSadCpu, RejectsDifferentSizesWithMessage) {
  std::vector<uint8_t> a(64 * 36), b(32 * 18);
  try {
    plane_sad_cpu({a.data(), 64, 36, 64}, {b.data(), 32, 18, 32});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "plane_sad: planes differ in size or are empty (64x36 and 32x18)");
  }
  EXPECT_THROW(plane_sad_cpu({a.data(), 0, 36, 64}, {a.data(), 0, 36, 64}), std::invalid_argument);
}

TEST(PlaneSadCuda, MatchesCpuOnEveryCase) {
  const DeviceInfo device = probe_cuda_device();
  if (device.device_count == 0) GTEST_SKIP() << "no CUDA device: " << device.reason;
#if defined(FRAMEFARM_HAVE_CUDA)
  unsigned seed = 100;
  for (const Case& c : kCases) {
    const auto a = random_plane(c.stride_a, c.h, seed++);
    const auto b = random_plane(c.stride_b, c.h, seed++);
    DeviceBuffer da(a.size()), db(b.size());
    FF_CUDA_CHECK(cudaMemcpy(da.as<uint8_t>(), a.data(), a.size(), cudaMemcpyHostToDevice));
    FF_CUDA_CHECK(cudaMemcpy(db.as<uint8_t>(), b.data(), b.size(), cudaMemcpyHostToDevice));
    const uint64_t gpu = plane_sad_cuda({da.as<uint8_t>(), c.w, c.h, c.stride_a},
                                        {db.as<uint8_t>(), c.w, c.h, c.stride_b});
    EXPECT_EQ(gpu,
              plane_sad_cpu({a.data(), c.w, c.h, c.stride_a}, {b.data(), c.w, c.h, c.stride_b}))
        << c.w << "x" << c.h;
  }
#endif
}

}  // namespace
}  // namespace ff::kernels
