// The NV12 chroma split twins (kernels/nv12.h): the CPU half against the
// definition written out directly, and the CUDA half element by element
// against the CPU half when a device exists.
#include "kernels/nv12.h"

#include <gtest/gtest.h>

#include <random>
#include <stdexcept>
#include <vector>

#include "kernels/device.h"

#if defined(FRAMEFARM_HAVE_CUDA)
#include <cuda_runtime_api.h>

#include "kernels/cuda_check.h"
#endif

namespace ff::kernels {
namespace {

constexpr uint8_t kPad = 0xA5;  // padding bytes past each row; must stay untouched

// An NV12 chroma plane of w x h samples (2 w bytes a row) in rows of `stride`
// bytes, random samples and kPad padding.
std::vector<uint8_t> random_uv(int w, int h, int stride, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(0, 255);
  std::vector<uint8_t> uv(static_cast<size_t>(stride * h), kPad);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < 2 * w; ++x)
      uv[static_cast<size_t>(y * stride + x)] = static_cast<uint8_t>(dist(rng));
  return uv;
}

struct Split {
  std::vector<uint8_t> u, v;
};

Split run_cpu(const std::vector<uint8_t>& uv, int w, int h, int uv_stride, int out_stride) {
  Split out{std::vector<uint8_t>(static_cast<size_t>(out_stride * h), kPad),
            std::vector<uint8_t>(static_cast<size_t>(out_stride * h), kPad)};
  deinterleave_uv_cpu({uv.data(), w, h, uv_stride}, {out.u.data(), w, h, out_stride},
                      {out.v.data(), w, h, out_stride});
  return out;
}

struct Shape {
  int w, h, uv_pad, out_pad;
};
constexpr Shape kShapes[] = {{1, 1, 0, 0},   {3, 2, 0, 0},      {17, 5, 6, 3},
                             {33, 9, 62, 1}, {960, 540, 64, 0}, {961, 541, 30, 31}};

TEST(DeinterleaveUvCpu, MatchesTheDefinitionAndLeavesPaddingAlone) {
  for (const Shape& s : kShapes) {
    const int uv_stride = 2 * s.w + s.uv_pad;
    const int out_stride = s.w + s.out_pad;
    const auto uv = random_uv(s.w, s.h, uv_stride, static_cast<unsigned>(s.w * 31 + s.h));
    const Split out = run_cpu(uv, s.w, s.h, uv_stride, out_stride);
    for (int y = 0; y < s.h; ++y) {
      for (int x = 0; x < out_stride; ++x) {
        const auto at = static_cast<size_t>(y * out_stride + x);
        if (x < s.w) {
          ASSERT_EQ(out.u[at], uv[static_cast<size_t>(y * uv_stride + 2 * x)])
              << "u at " << x << "," << y << " of " << s.w << "x" << s.h;
          ASSERT_EQ(out.v[at], uv[static_cast<size_t>(y * uv_stride + 2 * x + 1)])
              << "v at " << x << "," << y << " of " << s.w << "x" << s.h;
        } else {
          ASSERT_EQ(out.u[at], kPad) << "u padding written at " << x << "," << y;
          ASSERT_EQ(out.v[at], kPad) << "v padding written at " << x << "," << y;
        }
      }
    }
  }
}

TEST(DeinterleaveUvCpu, RefusesPlanesThatDoNotFit) {
  std::vector<uint8_t> uv(64), u(32), v(32);
  const auto message = [&](PlaneView in, MutablePlane mu, MutablePlane mv) -> std::string {
    try {
      deinterleave_uv_cpu(in, mu, mv);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_EQ(message({uv.data(), 4, 2, 8}, {u.data(), 3, 2, 4}, {v.data(), 4, 2, 4}),
            "deinterleave_uv: u is 3x2 but the uv plane holds 4x2 chroma samples");
  EXPECT_EQ(message({uv.data(), 4, 2, 7}, {u.data(), 4, 2, 4}, {v.data(), 4, 2, 4}),
            "deinterleave_uv: uv stride 7 is shorter than its 8-byte row (4 U, V pairs)");
  EXPECT_EQ(message({uv.data(), 4, 2, 8}, {u.data(), 4, 2, 4}, {v.data(), 4, 2, 3}),
            "deinterleave_uv: v stride 3 is shorter than its 4-byte row");
  EXPECT_EQ(message({nullptr, 4, 2, 8}, {u.data(), 4, 2, 4}, {v.data(), 4, 2, 4}),
            "deinterleave_uv: a plane has no data");
  EXPECT_EQ(message({uv.data(), 0, 2, 8}, {u.data(), 0, 2, 4}, {v.data(), 0, 2, 4}),
            "deinterleave_uv: the uv plane is 0x2; it needs a positive size");
}

TEST(DeinterleaveUvCuda, MatchesCpuElementByElement) {
  const DeviceInfo device = probe_cuda_device();
  if (device.device_count == 0) GTEST_SKIP() << "no CUDA device: " << device.reason;
#if defined(FRAMEFARM_HAVE_CUDA)
  for (const Shape& s : kShapes) {
    const int uv_stride = 2 * s.w + s.uv_pad;
    const int out_stride = s.w + s.out_pad;
    const auto uv = random_uv(s.w, s.h, uv_stride, static_cast<unsigned>(s.w * 17 + s.h));
    const Split cpu = run_cpu(uv, s.w, s.h, uv_stride, out_stride);
    uint8_t* d_uv = nullptr;
    uint8_t* d_u = nullptr;
    uint8_t* d_v = nullptr;
    FF_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&d_uv), uv.size()));
    FF_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&d_u), cpu.u.size()));
    FF_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&d_v), cpu.v.size()));
    FF_CUDA_CHECK(cudaMemcpy(d_uv, uv.data(), uv.size(), cudaMemcpyHostToDevice));
    // The padding starts as kPad on the device too, so it is compared as well.
    FF_CUDA_CHECK(cudaMemset(d_u, kPad, cpu.u.size()));
    FF_CUDA_CHECK(cudaMemset(d_v, kPad, cpu.v.size()));
    deinterleave_uv_cuda({d_uv, s.w, s.h, uv_stride}, {d_u, s.w, s.h, out_stride},
                         {d_v, s.w, s.h, out_stride});
    Split gpu{std::vector<uint8_t>(cpu.u.size()), std::vector<uint8_t>(cpu.v.size())};
    FF_CUDA_CHECK(cudaMemcpy(gpu.u.data(), d_u, gpu.u.size(), cudaMemcpyDeviceToHost));
    FF_CUDA_CHECK(cudaMemcpy(gpu.v.data(), d_v, gpu.v.size(), cudaMemcpyDeviceToHost));
    FF_CUDA_CHECK(cudaFree(d_uv));
    FF_CUDA_CHECK(cudaFree(d_u));
    FF_CUDA_CHECK(cudaFree(d_v));
    for (size_t i = 0; i < cpu.u.size(); ++i) {
      ASSERT_EQ(gpu.u[i], cpu.u[i]) << "u index " << i << " for " << s.w << "x" << s.h;
      ASSERT_EQ(gpu.v[i], cpu.v[i]) << "v index " << i << " for " << s.w << "x" << s.h;
    }
  }
#endif
}

}  // namespace
}  // namespace ff::kernels
