#pragma once
// The render's GPU path (docs/gpu.md, DESIGN.md §5): NVDEC frames in device
// memory, the NV12 chroma split and crop + scale on the device, then either
// NVENC straight from device frames or one copy down of the small output
// frame for x264. render_task.cc decides per segment which path runs:
//
//   path               decode             crop + scale              encode
//   nvdec+cuda+nvenc   NVDEC (cuda)       deinterleave_uv_cuda +    h264_nvenc, CUDA frames
//                                         crop_scale_cuda           (nothing through the host)
//   nvdec+cuda+x264    NVDEC (cuda)       the same                  libx264, after cudaMemcpy2D
//                                                                   of the output frame
//   cpu+x264           libavcodec (CPU)   crop_scale_cpu            libx264 (cpu+nvenc where
//                                                                   NVENC opens on host frames)
//
// The device path runs when this rank's farm.device resolves to CUDA, the
// input is not rotated (rotation is done with cv::rotate on host planes;
// there is no device rotation yet) and the segment's first frame comes from
// NVDEC as 8-bit 4:2:0; otherwise the CPU path, with one INFO line saying
// why. The kernels are bit-identical twins and NVDEC decodes H.264/HEVC
// exactly as libavcodec does, so nvdec+cuda+x264 is meant to give the same
// bytes as cpu+x264; none of this has run on a GPU yet. The scan's device
// half (DeviceAnalysis, used by scan_task.cc) is here too.
#include <cstddef>
#include <filesystem>
#include <string>

#include "analysis/frame_features.h"
#include "core/options.h"
#include "kernels/crop_scale.h"
#include "media/av.h"
#include "worker/frame_planes.h"

namespace ff::worker {

// Whether this process renders on CUDA. Rank 0 resolved farm.device before
// the scan (media::resolve_device); any other rank resolves `farm_device`
// for its own node on its first segment, so a failure ("cuda" where this
// node has no working device: ConfigError) fails that segment's task with
// resolve_device's line. Always false in a build without CUDA.
bool render_on_cuda(core::Device farm_device);

// Why a decoded frame cannot feed the device path, or "" when it can: an
// AV_PIX_FMT_CUDA frame whose frames context holds NV12 or yuv420p, with an
// even top/left crop.
std::string device_frame_problem(const AVFrame& frame);

// A device frame copied to host memory (`host`, reused), in its software
// format and cropped as the CPU decoder crops, for the CPU path.
const AVFrame* download_frame(const AVFrame& frame, media::FramePtr& host,
                              const std::filesystem::path& input);

#if defined(FRAMEFARM_HAVE_CUDA)
// One 8-bit plane in device memory (cudaMallocPitch), grown on demand and
// freed by the destructor (which never throws).
class DevicePlane {
 public:
  DevicePlane() = default;
  ~DevicePlane();
  DevicePlane(const DevicePlane&) = delete;
  DevicePlane& operator=(const DevicePlane&) = delete;

  // A width x height view of the buffer, reallocated when it is too small.
  // Throws kernels::CudaError.
  kernels::MutablePlane ensure(int width, int height);

 private:
  void release() noexcept;
  void* data_ = nullptr;
  size_t pitch_ = 0;
  int width_ = 0;
  int height_ = 0;
};

// A decoded frame as yuv420p planes in device memory: an NVDEC frame is
// used in place (its NV12 chroma split into two device planes); a frame in
// host memory (the decoder fell back to the CPU mid-stream) is uploaded.
class DeviceSource {
 public:
  // Throws RuntimeError for a device frame device_frame_problem() refuses,
  // kernels::CudaError when a CUDA call fails.
  void load(const AVFrame& frame, const std::filesystem::path& input);
  // The planes of the last load(), valid until the next one or until the
  // frame is unreferenced.
  const kernels::YuvPlanes& planes() const { return planes_; }

 private:
  kernels::YuvPlanes planes_{};
  DevicePlane y_, u_, v_;    // split chroma; all three for an uploaded frame
  FramePlanes host_planes_;  // yuv420p views of host frames to upload
};

// The scan's device half (scan_task.cc): a frame's planes area-averaged on
// the device (downscale_area_cuda, bit-identical to the CPU twin) to the
// analysis luma and the thumbnail's planes; only those small planes come
// down. The thumbnail is then made on the host from planes already at its
// size, where the area average is the identity, so it equals the CPU scan's
// thumbnail of the same picture.
class DeviceAnalysis {
 public:
  // Fills `small` (host memory: the analysis luma) and returns the
  // thumbnail, its luma from `small` when `thumb_from_small`.
  analysis::Thumbnail run(const AVFrame& frame, const std::filesystem::path& input,
                          kernels::MutablePlane small, bool thumb_from_small);

 private:
  DeviceSource source_;
  DevicePlane small_, thumb_y_, thumb_u_, thumb_v_;
};

// The device half of one segment's render: source planes on the device and
// the crop + scale into the encoder's frame.
class DeviceScaler {
 public:
  // Makes the CUDA frames context for NVENC (yuv420p, the output size) on
  // media::shared_cuda_device(). Throws media::AvError.
  DeviceScaler(int out_width, int out_height);

  // For media::VideoEncoder: frames NVENC can take from device memory.
  const AVBufferRef* frames() const { return frames_.get(); }

  // Makes `frame` the source of the next scale() calls (DeviceSource::load).
  void load(const AVFrame& frame, const std::filesystem::path& input) {
    source_.load(frame, input);
  }
  int source_width() const { return source_.planes().y.width; }
  int source_height() const { return source_.planes().y.height; }

  // Crops and scales the loaded source into the frame to encode: a new
  // device frame from frames() when `device_out` (NVENC), else `host` (a
  // yuv420p frame of the output size), filled by one copy down per plane.
  AVFrame* scale(const kernels::CropRect& window, const kernels::CropScaleOptions& options,
                 bool device_out, AVFrame* host);

 private:
  int out_width_;
  int out_height_;
  media::BufferRefPtr frames_;
  media::FramePtr device_out_;
  DeviceSource source_;
  DevicePlane out_y_, out_u_, out_v_;  // scaled output before the copy down (x264)
};
#endif

}  // namespace ff::worker
