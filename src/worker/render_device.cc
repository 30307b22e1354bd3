#include "worker/render_device.h"

#include <optional>
#include <string>

#include "core/error.h"
#include "media/hw_device.h"

extern "C" {
#include <libavutil/hwcontext.h>
}

#if defined(FRAMEFARM_HAVE_CUDA)
#include <array>

#include "kernels/cuda_check.h"
#include "kernels/downscale.h"
#include "kernels/nv12.h"
#endif

namespace ff::worker {
namespace {

std::string format_name(int format) {
  const char* name = av_get_pix_fmt_name(static_cast<AVPixelFormat>(format));
  return name != nullptr ? name : "unknown";
}

}  // namespace

bool render_on_cuda([[maybe_unused]] core::Device farm_device) {
#if defined(FRAMEFARM_HAVE_CUDA)
  if (farm_device == core::Device::kCpu) return false;
  std::optional<media::DeviceChoice> choice = media::resolved_device();
  if (!choice || choice->requested != farm_device) {
    choice = media::resolve_device(std::string(core::to_string(farm_device)), "");
  }
  return choice->device == core::Device::kCuda;
#else
  return false;
#endif
}

std::string device_frame_problem(const AVFrame& frame) {
  if (frame.format != AV_PIX_FMT_CUDA || frame.hw_frames_ctx == nullptr) {
    return "the decoder gave a " + format_name(frame.format) + " frame in host memory";
  }
  const auto* hw = reinterpret_cast<const AVHWFramesContext*>(frame.hw_frames_ctx->data);
  if (hw->sw_format != AV_PIX_FMT_NV12 && hw->sw_format != AV_PIX_FMT_YUV420P) {
    return "NVDEC gave " + format_name(hw->sw_format) +
           " frames; the device path takes 8-bit nv12 or yuv420p";
  }
  if (frame.crop_left % 2 != 0 || frame.crop_top % 2 != 0) {
    return "the stream crops an odd number of pixels at the top or left (" +
           std::to_string(frame.crop_left) + ", " + std::to_string(frame.crop_top) +
           "), which 4:2:0 chroma on the device cannot follow";
  }
  return "";
}

const AVFrame* download_frame(const AVFrame& frame, media::FramePtr& host,
                              const std::filesystem::path& input) {
  if (!host) host = media::make_frame(input);
  av_frame_unref(host.get());
  media::av_check(av_hwframe_transfer_data(host.get(), &frame, 0), "av_hwframe_transfer_data",
                  input);
  host->crop_left = frame.crop_left;
  host->crop_top = frame.crop_top;
  media::av_check(av_frame_apply_cropping(host.get(), AV_FRAME_CROP_UNALIGNED),
                  "av_frame_apply_cropping", input);
  return host.get();
}

#if defined(FRAMEFARM_HAVE_CUDA)

DevicePlane::~DevicePlane() {
  release();
}

void DevicePlane::release() noexcept {
  if (data_ != nullptr) FF_CUDA_CHECK_NOTHROW(cudaFree(data_));
  data_ = nullptr;
  pitch_ = 0;
  width_ = 0;
  height_ = 0;
}

kernels::MutablePlane DevicePlane::ensure(int width, int height) {
  if (width > width_ || height > height_) {
    release();
    FF_CUDA_CHECK(
        cudaMallocPitch(&data_, &pitch_, static_cast<size_t>(width), static_cast<size_t>(height)));
    width_ = width;
    height_ = height;
  }
  return {static_cast<uint8_t*>(data_), width, height, static_cast<int>(pitch_)};
}

DeviceScaler::DeviceScaler(int out_width, int out_height)
    : out_width_(out_width), out_height_(out_height), device_out_(media::make_frame()) {
  const media::CudaHwDevice& device = media::shared_cuda_device();
  frames_.reset(media::av_check_alloc(av_hwframe_ctx_alloc(device.get()), "av_hwframe_ctx_alloc",
                                      "CUDA device 0"));
  auto* ctx = reinterpret_cast<AVHWFramesContext*>(frames_->data);
  ctx->format = AV_PIX_FMT_CUDA;
  ctx->sw_format = AV_PIX_FMT_YUV420P;
  ctx->width = out_width;
  ctx->height = out_height;
  ctx->initial_pool_size = 0;  // CUDA pools grow as NVENC holds frames
  media::av_check(av_hwframe_ctx_init(frames_.get()), "av_hwframe_ctx_init", "CUDA device 0");
}

void DeviceSource::load(const AVFrame& frame, const std::filesystem::path& input) {
  if (frame.format != AV_PIX_FMT_CUDA) {
    // Host frame: yuv420p views (libswscale for other formats), one upload per plane.
    const YuvView yuv = host_planes_.view_of(frame, input);
    const kernels::PlaneView host[3] = {yuv.y, yuv.u, yuv.v};
    DevicePlane* device[3] = {&y_, &u_, &v_};
    kernels::PlaneView planes[3];
    for (int p = 0; p < 3; ++p) {
      const kernels::MutablePlane d = device[p]->ensure(host[p].width, host[p].height);
      FF_CUDA_CHECK(cudaMemcpy2D(d.data, static_cast<size_t>(d.stride), host[p].data,
                                 static_cast<size_t>(host[p].stride),
                                 static_cast<size_t>(host[p].width),
                                 static_cast<size_t>(host[p].height), cudaMemcpyHostToDevice));
      planes[p] = d.view();
    }
    planes_ = {planes[0], planes[1], planes[2]};
    return;
  }
  if (const std::string why = device_frame_problem(frame); !why.empty()) {
    throw RuntimeError(input.string() + ": a frame cannot stay on the device: " + why);
  }
  // Right and bottom crops are already in width/height; left and top are not
  // applied to device frames by libavutil (av_frame_apply_cropping).
  const int left = static_cast<int>(frame.crop_left);
  const int top = static_cast<int>(frame.crop_top);
  const int w = frame.width - left;
  const int h = frame.height - top;
  const int cw = (w + 1) / 2;
  const int ch = (h + 1) / 2;
  const kernels::PlaneView y{frame.data[0] + static_cast<ptrdiff_t>(top) * frame.linesize[0] + left,
                             w, h, frame.linesize[0]};
  const auto* hw = reinterpret_cast<const AVHWFramesContext*>(frame.hw_frames_ctx->data);
  if (hw->sw_format == AV_PIX_FMT_NV12) {
    const kernels::PlaneView uv{
        frame.data[1] + static_cast<ptrdiff_t>(top / 2) * frame.linesize[1] + left, cw, ch,
        frame.linesize[1]};
    const kernels::MutablePlane u = u_.ensure(cw, ch);
    const kernels::MutablePlane v = v_.ensure(cw, ch);
    kernels::deinterleave_uv_cuda(uv, u, v);
    planes_ = {y, u.view(), v.view()};
  } else {  // yuv420p on the device: the planes as they are
    const auto chroma = [&](int p) {
      return kernels::PlaneView{
          frame.data[p] + static_cast<ptrdiff_t>(top / 2) * frame.linesize[p] + left / 2, cw, ch,
          frame.linesize[p]};
    };
    planes_ = {y, chroma(1), chroma(2)};
  }
}

AVFrame* DeviceScaler::scale(const kernels::CropRect& window,
                             const kernels::CropScaleOptions& options, bool device_out,
                             AVFrame* host) {
  const int cw = (out_width_ + 1) / 2;
  const int ch = (out_height_ + 1) / 2;
  if (device_out) {
    // A fresh pool frame each time: NVENC may still hold the previous ones.
    AVFrame* out = device_out_.get();
    av_frame_unref(out);
    media::av_check(av_hwframe_get_buffer(frames_.get(), out, 0), "av_hwframe_get_buffer",
                    "CUDA frames");
    out->color_primaries = AVCOL_PRI_BT709;
    out->color_trc = AVCOL_TRC_BT709;
    out->colorspace = AVCOL_SPC_BT709;
    out->color_range = AVCOL_RANGE_MPEG;
    // data[1] is U and data[2] V whatever their order in memory (libavutil
    // lays CUDA yuv420p out as Y, V, U for NVENC).
    const kernels::MutableYuvPlanes dst{{out->data[0], out_width_, out_height_, out->linesize[0]},
                                        {out->data[1], cw, ch, out->linesize[1]},
                                        {out->data[2], cw, ch, out->linesize[2]}};
    kernels::crop_scale_cuda(source_.planes(), window, dst, options);
    return out;
  }
  const kernels::MutableYuvPlanes dst{out_y_.ensure(out_width_, out_height_), out_u_.ensure(cw, ch),
                                      out_v_.ensure(cw, ch)};
  kernels::crop_scale_cuda(source_.planes(), window, dst, options);
  media::av_check(av_frame_make_writable(host), "av_frame_make_writable", "render output frame");
  const kernels::MutablePlane planes[3] = {dst.y, dst.u, dst.v};
  for (int p = 0; p < 3; ++p) {
    FF_CUDA_CHECK(cudaMemcpy2D(host->data[p], static_cast<size_t>(host->linesize[p]),
                               planes[p].data, static_cast<size_t>(planes[p].stride),
                               static_cast<size_t>(planes[p].width),
                               static_cast<size_t>(planes[p].height), cudaMemcpyDeviceToHost));
  }
  return host;
}

namespace {

// `src` (device) area-averaged into `host` through the device plane `tmp`.
void downscale_down(kernels::PlaneView src, DevicePlane& tmp, kernels::MutablePlane host) {
  const kernels::MutablePlane d = tmp.ensure(host.width, host.height);
  kernels::downscale_area_cuda(src, d);
  FF_CUDA_CHECK(cudaMemcpy2D(host.data, static_cast<size_t>(host.stride), d.data,
                             static_cast<size_t>(d.stride), static_cast<size_t>(host.width),
                             static_cast<size_t>(host.height), cudaMemcpyDeviceToHost));
}

}  // namespace

analysis::Thumbnail DeviceAnalysis::run(const AVFrame& frame, const std::filesystem::path& input,
                                        kernels::MutablePlane small, bool thumb_from_small) {
  using analysis::Thumbnail;
  source_.load(frame, input);
  const kernels::YuvPlanes& src = source_.planes();
  downscale_down(src.y, small_, small);
  std::array<uint8_t, Thumbnail::kLumaW * Thumbnail::kLumaH> ty{};
  std::array<uint8_t, Thumbnail::kChromaW * Thumbnail::kChromaH> tu{}, tv{};
  const kernels::MutablePlane thumb_y{ty.data(), Thumbnail::kLumaW, Thumbnail::kLumaH,
                                      Thumbnail::kLumaW};
  const kernels::MutablePlane thumb_u{tu.data(), Thumbnail::kChromaW, Thumbnail::kChromaH,
                                      Thumbnail::kChromaW};
  const kernels::MutablePlane thumb_v{tv.data(), Thumbnail::kChromaW, Thumbnail::kChromaH,
                                      Thumbnail::kChromaW};
  if (!thumb_from_small) downscale_down(src.y, thumb_y_, thumb_y);
  downscale_down(src.u, thumb_u_, thumb_u);
  downscale_down(src.v, thumb_v_, thumb_v);
  return analysis::make_thumbnail(thumb_from_small ? small.view() : thumb_y.view(), thumb_u.view(),
                                  thumb_v.view());
}

#endif  // FRAMEFARM_HAVE_CUDA

}  // namespace ff::worker
