// The downscale twins: the CPU reference against a direct computation, and
// the CUDA twin element by element against the CPU one when a device exists.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <numeric>
#include <random>
#include <vector>

#include "kernels/device.h"
#include "kernels/downscale.h"

#if defined(FRAMEFARM_HAVE_CUDA)
#include <cuda_runtime_api.h>

#include "kernels/cuda_check.h"
#endif

namespace ff::kernels {
namespace {

[[maybe_unused]] std::vector<uint8_t> random_plane(int w, int h, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(0, 255);
  std::vector<uint8_t> v(static_cast<size_t>(w * h));
  for (auto& p : v) p = static_cast<uint8_t>(dist(rng));
  return v;
}

TEST(DownscaleCpu, IntegerFactorIsTheRoundedBoxMean) {
  const int w = 8, h = 4;
  std::vector<uint8_t> src(w * h);
  std::iota(src.begin(), src.end(), 0);  // row r: 8r .. 8r+7
  std::vector<uint8_t> dst(4 * 2);
  downscale_area_cpu({src.data(), w, h, w}, {dst.data(), 4, 2, 4});
  // Box (0..1, 0..1) = {0,1,8,9}: mean 4.5 rounds to 5 with (sum + n/2) / n.
  EXPECT_EQ(dst[0], 5);
  // Box (6..7, 2..3) = {22,23,30,31}: mean 26.5 -> 27.
  EXPECT_EQ(dst[7], 27);
}

TEST(DownscaleCpu, NonIntegerFactorCoversEverySourcePixelOnce) {
  // A constant plane stays constant whatever the factor.
  std::vector<uint8_t> src(1920 * 1080, 77);
  std::vector<uint8_t> dst(427 * 240);
  downscale_area_cpu({src.data(), 1920, 1080, 1920}, {dst.data(), 427, 240, 427});
  for (uint8_t p : dst) ASSERT_EQ(p, 77);
}

TEST(DownscaleCpu, RespectsStrides) {
  const int w = 6, h = 6, stride = 16;
  std::vector<uint8_t> src(stride * h, 255);  // padding is 255
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) src[y * stride + x] = 10;
  std::vector<uint8_t> dst(3 * 8, 0);  // dst stride 8
  downscale_area_cpu({src.data(), w, h, stride}, {dst.data(), 3, 3, 8});
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 3; ++x) EXPECT_EQ(dst[y * 8 + x], 10);
}

// The definition written out directly: the rounded mean of the source box
// [floor(i * S / D), max(floor((i + 1) * S / D), that + 1)) in each axis.
std::vector<uint8_t> box_mean_reference(const std::vector<uint8_t>& src, int w, int h, int stride,
                                        int dw, int dh) {
  std::vector<uint8_t> out(static_cast<size_t>(dw * dh));
  for (int oy = 0; oy < dh; ++oy) {
    const long long y0 = 1LL * oy * h / dh;
    const long long y1 = std::max(1LL * (oy + 1) * h / dh, y0 + 1);
    for (int ox = 0; ox < dw; ++ox) {
      const long long x0 = 1LL * ox * w / dw;
      const long long x1 = std::max(1LL * (ox + 1) * w / dw, x0 + 1);
      uint64_t sum = 0;
      for (long long y = y0; y < y1; ++y)
        for (long long x = x0; x < x1; ++x) sum += src[static_cast<size_t>(y * stride + x)];
      const auto n = static_cast<uint64_t>((y1 - y0) * (x1 - x0));
      out[static_cast<size_t>(oy * dw + ox)] = static_cast<uint8_t>((sum + n / 2) / n);
    }
  }
  return out;
}

TEST(DownscaleCpu, MatchesTheBoxMeanDefinitionOnRandomPlanes) {
  // Integer and fractional factors, odd sizes, widths that leave a scalar
  // tail after the 16-column SIMD strips, padded strides.
  struct Case {
    int w, h, stride, dw, dh;
  };
  const Case cases[] = {{1920, 1080, 1920, 480, 270},
                        {1920, 1080, 1984, 64, 36},
                        {960, 540, 960, 32, 18},
                        {640, 360, 672, 427, 240},
                        {37, 29, 40, 5, 7},
                        {33, 17, 33, 33, 17},
                        {1279, 719, 1280, 300, 101},
                        {18, 600, 32, 3, 2},
                        // width shrinks by exactly 2, 4, 8 (summed in registers), with
                        // columns left over after the 16-column strips
                        {200, 100, 208, 100, 50},
                        {1940, 90, 1940, 485, 30},
                        {1928, 64, 1928, 241, 8},
                        {64, 256, 64, 32, 2}};
  unsigned seed = 1;
  for (const Case& c : cases) {
    const auto src = random_plane(c.stride, c.h, seed++);
    std::vector<uint8_t> dst(static_cast<size_t>(c.dw * c.dh));
    downscale_area_cpu({src.data(), c.w, c.h, c.stride}, {dst.data(), c.dw, c.dh, c.dw});
    const auto want = box_mean_reference(src, c.w, c.h, c.stride, c.dw, c.dh);
    for (size_t i = 0; i < dst.size(); ++i) {
      ASSERT_EQ(dst[i], want[i]) << c.w << "x" << c.h << " -> " << c.dw << "x" << c.dh
                                 << " at index " << i;
    }
  }
}

TEST(DownscaleCpu, FullWhiteStaysWhiteUpToTheLargestBoxes) {
  // The largest sums per box: 255 everywhere, box areas from 1 to 2^21
  // (past the multiply-shift division's 2^20 limit, with 16- and 32-bit
  // column sums) and box heights on both sides of the 16-bit sums' 257 rows
  // and of the limits of the sums kept in signed 16-bit register lanes.
  const std::vector<std::array<int, 4>> sizes = {
      {1, 1, 1, 1},
      {64, 257, 1, 1},
      {64, 258, 1, 1},
      {8192, 200, 1, 1},
      {4096, 512, 1, 1},
      {2048, 1024, 2, 1},
      // register sums: 128 rows at 2x, 64 at 4x, 32 at 8x, then one box row more
      {64, 256, 32, 2},
      {64, 258, 32, 2},
      {64, 128, 16, 2},
      {64, 130, 16, 2},
      {128, 64, 16, 2},
      {128, 66, 16, 2}};
  for (const auto& [w, h, dw, dh] : sizes) {
    const std::vector<uint8_t> src(static_cast<size_t>(w * h), 255);
    std::vector<uint8_t> dst(static_cast<size_t>(dw * dh), 0);
    downscale_area_cpu({src.data(), w, h, w}, {dst.data(), dw, dh, dw});
    for (uint8_t p : dst) ASSERT_EQ(p, 255) << w << "x" << h << " -> " << dw << "x" << dh;
  }
}

TEST(DownscaleCpu, RoundsHalfUpAtEveryBoxSize) {
  // A box whose mean is exactly k + 1/2 rounds up, one just under stays.
  for (int n = 2; n <= 64; n += 2) {
    std::vector<uint8_t> src(static_cast<size_t>(n), 100);
    for (int i = 0; i < n / 2; ++i) src[static_cast<size_t>(i)] = 101;  // mean 100.5
    uint8_t out = 0;
    downscale_area_cpu({src.data(), n, 1, n}, {&out, 1, 1, 1});
    EXPECT_EQ(out, 101) << "box of " << n;
    src[0] = 100;  // mean 100.5 - 1/n
    downscale_area_cpu({src.data(), n, 1, n}, {&out, 1, 1, 1});
    EXPECT_EQ(out, 100) << "box of " << n;
  }
}

TEST(DownscaleCpu, RejectsUpscaleWithMessage) {
  std::vector<uint8_t> src(4), dst(16);
  try {
    downscale_area_cpu({src.data(), 2, 2, 2}, {dst.data(), 4, 4, 4});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "downscale_area: cannot downscale 2x2 to 4x4");
  }
}

TEST(DownscaleCuda, MatchesCpuElementByElement) {
  const DeviceInfo device = probe_cuda_device();
  if (device.device_count == 0) GTEST_SKIP() << "no CUDA device: " << device.reason;
#if defined(FRAMEFARM_HAVE_CUDA)
  const int w = 1920, h = 1080, dw = 427, dh = 240;
  const auto src = random_plane(w, h, 7);
  std::vector<uint8_t> cpu(static_cast<size_t>(dw * dh));
  downscale_area_cpu({src.data(), w, h, w}, {cpu.data(), dw, dh, dw});
  uint8_t* d_src = nullptr;
  uint8_t* d_dst = nullptr;
  FF_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&d_src), src.size()));
  FF_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&d_dst), cpu.size()));
  FF_CUDA_CHECK(cudaMemcpy(d_src, src.data(), src.size(), cudaMemcpyHostToDevice));
  downscale_area_cuda({d_src, w, h, w}, {d_dst, dw, dh, dw});
  std::vector<uint8_t> gpu(cpu.size());
  FF_CUDA_CHECK(cudaMemcpy(gpu.data(), d_dst, gpu.size(), cudaMemcpyDeviceToHost));
  FF_CUDA_CHECK(cudaFree(d_src));
  FF_CUDA_CHECK(cudaFree(d_dst));
  for (size_t i = 0; i < cpu.size(); ++i) ASSERT_EQ(gpu[i], cpu[i]) << "at index " << i;
#endif
}

}  // namespace
}  // namespace ff::kernels
