// VideoDecoder's NVDEC option (DecoderOptions::cuda): where no CUDA device
// opens it decodes on the CPU, frame for frame as without the option, and
// says why; where one opens, frames stay in device memory and hold the same
// pictures as the CPU decoder's.
#include "media/video_decoder.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "media/hw_device.h"
#include "support/testenv.h"

extern "C" {
#include <libavutil/hwcontext.h>
}

namespace ff::media {
namespace {

constexpr size_t kFrames = 12;

// The visible bytes of one plane, row by row.
std::vector<uint8_t> plane_bytes(const AVFrame& f, int plane, int width, int height) {
  std::vector<uint8_t> out;
  for (int y = 0; y < height; ++y) {
    const uint8_t* row = f.data[plane] + static_cast<ptrdiff_t>(y) * f.linesize[plane];
    out.insert(out.end(), row, row + width);
  }
  return out;
}

struct Picture {
  int64_t pts = 0;
  std::vector<uint8_t> y, u, v;
};

// yuv420p or nv12 (host memory) to three planes.
Picture picture_of(const AVFrame& f) {
  Picture p;
  p.pts = f.best_effort_timestamp;
  const int cw = (f.width + 1) / 2;
  const int ch = (f.height + 1) / 2;
  p.y = plane_bytes(f, 0, f.width, f.height);
  if (f.format == AV_PIX_FMT_NV12) {
    const std::vector<uint8_t> uv = plane_bytes(f, 1, 2 * cw, ch);
    for (size_t i = 0; i < uv.size(); i += 2) {
      p.u.push_back(uv[i]);
      p.v.push_back(uv[i + 1]);
    }
  } else {
    p.u = plane_bytes(f, 1, cw, ch);
    p.v = plane_bytes(f, 2, cw, ch);
  }
  return p;
}

std::vector<Picture> cpu_pictures(const std::filesystem::path& path) {
  VideoDecoder decoder(path, 0, {.threads = 1});
  std::vector<Picture> out;
  while (out.size() < kFrames) {
    const AVFrame* f = decoder.next();
    if (f == nullptr) break;
    EXPECT_EQ(f->format, AV_PIX_FMT_YUV420P);
    out.push_back(picture_of(*f));
  }
  EXPECT_EQ(decoder.hw_fallback_reason(), "");
  return out;
}

void expect_same(const Picture& a, const Picture& b, size_t index) {
  EXPECT_EQ(a.pts, b.pts) << "frame " << index;
  EXPECT_TRUE(a.y == b.y) << "luma differs in frame " << index;
  EXPECT_TRUE(a.u == b.u) << "u differs in frame " << index;
  EXPECT_TRUE(a.v == b.v) << "v differs in frame " << index;
}

TEST(VideoDecoderCuda, WithoutADeviceDecodesOnTheCpuAndSaysWhy) {
  const std::string why_no_device = probe_cuda_hwdevice(0);
  if (why_no_device.empty()) GTEST_SKIP() << "a CUDA device opens here: see the device test";
  const auto path = test::recording("call.mp4");
  const std::vector<Picture> cpu = cpu_pictures(path);
  ASSERT_EQ(cpu.size(), kFrames);

  VideoDecoder decoder(path, 0, {.threads = 1, .cuda = true});
  // The device is asked for when the decoder opens: the reason is there at
  // once, libavutil's own line (as doctor's "cuda hwdevice" shows it).
  const std::string reason = decoder.hw_fallback_reason();
  EXPECT_EQ(reason.rfind("CUDA device 0: av_hwdevice_ctx_create failed: ", 0), 0u) << reason;
  for (size_t i = 0; i < cpu.size(); ++i) {
    const AVFrame* f = decoder.next();
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->format, AV_PIX_FMT_YUV420P);
    EXPECT_EQ(f->hw_frames_ctx, nullptr);
    expect_same(picture_of(*f), cpu[i], i);
  }
  EXPECT_EQ(decoder.hw_fallback_reason(), reason);
}

TEST(VideoDecoderCuda, OnADeviceFramesStayThereAndMatchTheCpuDecoder) {
  const std::string why_no_device = probe_cuda_hwdevice(0);
  if (!why_no_device.empty()) GTEST_SKIP() << "no CUDA device opens here: " << why_no_device;
  const auto path = test::recording("call.mp4");
  const std::vector<Picture> cpu = cpu_pictures(path);
  ASSERT_EQ(cpu.size(), kFrames);

  VideoDecoder decoder(path, 0, {.threads = 1, .cuda = true});
  FramePtr host = make_frame();
  for (size_t i = 0; i < cpu.size(); ++i) {
    const AVFrame* f = decoder.next();
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(decoder.hw_fallback_reason(), "");
    ASSERT_EQ(f->format, AV_PIX_FMT_CUDA);
    ASSERT_NE(f->hw_frames_ctx, nullptr);
    const auto* frames = reinterpret_cast<const AVHWFramesContext*>(f->hw_frames_ctx->data);
    EXPECT_EQ(frames->sw_format, AV_PIX_FMT_NV12);
    av_frame_unref(host.get());
    ASSERT_GE(av_hwframe_transfer_data(host.get(), f, 0), 0);
    host->best_effort_timestamp = f->best_effort_timestamp;
    expect_same(picture_of(*host), cpu[i], i);
  }
}

TEST(VideoDecoder, WithoutTheOptionThereIsNoReason) {
  VideoDecoder decoder(test::recording("call.mp4"), 0, {.threads = 1});
  ASSERT_NE(decoder.next(), nullptr);
  EXPECT_EQ(decoder.hw_fallback_reason(), "");
}

}  // namespace
}  // namespace ff::media
