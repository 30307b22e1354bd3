#pragma once
// Which device a run uses (farm.device), and what the machine offers for the
// GPU path: CUDA devices, libavutil's CUDA device context, NVENC/NVDEC codecs.
//
// resolve_device() turns the job's farm.device into the device this process
// uses, once, before the scan:
//   "cpu"  -> cpu, nothing probed;
//   "cuda" -> cuda when a CUDA device works, else a ConfigError (exit 2):
//     "job.toml: farm.device = "cuda" but no CUDA device works here: <why>;
//      use farm.device = "auto" or "cpu"..."
//   "auto" -> cuda when a CUDA device works, else cpu with an INFO line saying why.
// "Works" means both halves the GPU path needs: framefarm's CUDA kernels see
// a device (kernels::probe_cuda_device) and libavutil opens CUDA device 0
// (av_hwdevice_ctx_create, which NVDEC/NVENC need). The choice is kept for
// the process: resolved_device() returns it later, e.g. to the render and
// the report.
//
//   const DeviceChoice choice = resolve_device(std::string(core::to_string(job.farm.device)),
//                                              job.source_file.string());
//   if (choice.device == core::Device::kCuda) {
//     CudaHwDevice cuda = CudaHwDevice::open();          // one per process
//     decoder_ctx->hw_device_ctx = cuda.new_ref().release();
//   }
//
// The probes below are also what `framefarm doctor` prints. None of them
// throws for "no GPU here": they return the reason as text.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/options.h"
#include "media/av.h"

namespace ff::media {

// --- farm.device ---------------------------------------------------------

struct DeviceChoice {
  core::Device requested = core::Device::kAuto;  // as the job asked
  core::Device device = core::Device::kCpu;      // kCpu or kCuda, never kAuto
  std::string reason;    // why this device, e.g. the reason CUDA does not work
  std::string gpu_name;  // CUDA device 0's name when device is kCuda
};

// `requested` is "auto", "cpu" or "cuda"; `where` (the job file, e.g.
// "jobs/x.toml") prefixes error messages. Throws ff::ConfigError for another
// name or for "cuda" where no CUDA device works. Stores the result for
// resolved_device().
DeviceChoice resolve_device(const std::string& requested, const std::string& where);

// The last resolve_device() result in this process; nullopt before the first.
std::optional<DeviceChoice> resolved_device();

// Why the GPU path cannot run here, or "" when CUDA device 0 works for both
// the kernels and libavutil. Fills `gpu_name` when it works.
std::string cuda_unusable_reason(std::string* gpu_name = nullptr);

// --- libavutil's CUDA device --------------------------------------------

// Owner of an AV_HWDEVICE_TYPE_CUDA device context (an AVBufferRef), opened
// on the device's primary CUDA context so frames decoded by NVDEC and
// framefarm's CUDA kernels (CUDA runtime, primary context) share one context.
class CudaHwDevice {
 public:
  // Throws AvError naming "CUDA device N", the call and FFmpeg's text, e.g.
  // "CUDA device 0: av_hwdevice_ctx_create failed: Operation not permitted
  //  (FFmpeg: Cannot load libcuda.so.1)".
  static CudaHwDevice open(int ordinal = 0);

  AVBufferRef* get() const { return ref_.get(); }
  // A new reference, for AVCodecContext::hw_device_ctx (the codec frees it).
  BufferRefPtr new_ref() const;

 private:
  explicit CudaHwDevice(BufferRefPtr ref) : ref_(std::move(ref)) {}
  BufferRefPtr ref_;
};

// The process's CUDA device 0 for NVDEC decode (video_decoder.h), NVENC's
// frames and the render's kernels: opened by the first call and then kept for
// the life of the process. It is deliberately never released: freeing it from
// a static destructor at exit would race the CUDA runtime's own teardown, and
// the driver frees everything at exit anyway. Throws AvError as open() does
// when it does not open; a later call tries again.
const CudaHwDevice& shared_cuda_device();

// Opens and releases CUDA device `ordinal` through libavutil; "" when it
// opened, else the one-line reason (FFmpeg's text included).
std::string probe_cuda_hwdevice(int ordinal = 0);

// --- codecs in this FFmpeg build ------------------------------------------

// Whether this FFmpeg build has the named encoder / decoder ("h264_nvenc",
// "libx264", "h264_cuvid"). Present is not the same as working: see
// try_open_encoder().
bool encoder_available(const char* name);
bool decoder_available(const char* name);

// Whether FFmpeg's native decoder for `codec` can decode on a CUDA device
// (NVDEC through the "cuda" hwaccel: avcodec_get_hw_config lists
// AV_HWDEVICE_TYPE_CUDA with a device context).
bool cuda_hwaccel_available(AVCodecID codec);

// Opens the named encoder for a 256x256 yuv420p 30 fps stream and closes it
// again: "" when it opened, else the reason (FFmpeg's text included), e.g.
// "h264_nvenc: avcodec_open2 failed: ... (FFmpeg: Cannot load libcuda.so.1)".
// This tells "present in the build" from "works on this machine".
std::string try_open_encoder(const char* name);

// --- CUDA devices as the driver reports them ------------------------------

struct CudaDeviceInfo {
  int ordinal = 0;
  std::string name;       // e.g. "NVIDIA H100 80GB HBM3"
  int compute_major = 0;  // compute capability, e.g. 9.0 -> 9, 0
  int compute_minor = 0;
  uint64_t memory_bytes = 0;  // total device memory
};

struct CudaDriverInfo {
  bool loaded = false;     // libcuda.so.1 loaded and cuInit(0) succeeded
  int driver_version = 0;  // CUDA version the driver supports, e.g. 12040 = 12.4
  std::string error;       // why not, when !loaded
  std::vector<CudaDeviceInfo> devices;
};

// Loads the NVIDIA driver library at run time (dlopen("libcuda.so.1"), the
// way FFmpeg does), so a CPU build of framefarm still reports the node's GPUs.
CudaDriverInfo query_cuda_driver();

// By product name: whether the GPU has an NVENC encoder. False for the
// data-centre compute parts (A100, A800, A30, H100, H800, H200, GH200), which
// have NVDEC but no NVENC; true otherwise (T4, A10, L4, L40S, RTX ...).
bool gpu_has_nvenc(std::string_view gpu_name);

}  // namespace ff::media
