// The downscale twins: the CPU reference against a direct computation, and
// the CUDA twin element by element against the CPU one when a device exists.
#include <gtest/gtest.h>

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
