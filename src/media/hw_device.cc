// farm.device resolution and the GPU-path probes of hw_device.h.
#include "media/hw_device.h"

#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <mutex>

#include "core/error.h"
#include "core/log.h"
#include "kernels/device.h"

extern "C" {
#include <libavutil/hwcontext.h>
}

namespace ff::media {
namespace {

// libavutil/hwcontext_cuda.h's AV_CUDA_USE_PRIMARY_CONTEXT. That header
// includes <cuda.h>, which a CPU build does not have, so the flag is repeated
// here: use the device's primary context instead of creating a new one.
constexpr int kCudaUsePrimaryContext = 1 << 0;

std::mutex g_choice_mutex;
std::optional<DeviceChoice> g_choice;

std::string in_quotes(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

// --- the CUDA driver API, loaded at run time -------------------------------
// Types and values from the driver API's cuda.h (stable ABI): CUresult and
// CUdevice are ints, CUDA_SUCCESS is 0.
using CuResult = int;
constexpr CuResult kCudaSuccess = 0;
constexpr int kAttrComputeMajor = 75;  // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
constexpr int kAttrComputeMinor = 76;  // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR

struct DriverApi {
  std::string error;  // why the library or a symbol is missing; "" when loaded
  CuResult (*init)(unsigned int) = nullptr;
  CuResult (*driver_get_version)(int*) = nullptr;
  CuResult (*device_get_count)(int*) = nullptr;
  CuResult (*device_get)(int*, int) = nullptr;
  CuResult (*device_get_name)(char*, int, int) = nullptr;
  CuResult (*device_get_attribute)(int*, int, int) = nullptr;
  CuResult (*device_total_mem)(size_t*, int) = nullptr;
  CuResult (*get_error_name)(CuResult, const char**) = nullptr;
  CuResult (*get_error_string)(CuResult, const char**) = nullptr;
};

template <class Fn>
bool bind(void* lib, const char* symbol, Fn& fn, std::string& error) {
  void* address = dlsym(lib, symbol);
  if (address == nullptr) {
    if (error.empty()) error = std::string("libcuda.so.1 has no ") + symbol;
    return false;
  }
  static_assert(sizeof(fn) == sizeof(address));
  std::memcpy(&fn, &address, sizeof fn);  // object pointer -> function pointer
  return true;
}

// Loaded once and never unloaded: the driver does not support being unloaded
// while the process may still hold contexts (FFmpeg keeps it loaded too).
const DriverApi& driver_api() {
  static const DriverApi kApi = [] {
    DriverApi api;
    void* lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      const char* why = dlerror();
      api.error = std::string("cannot load the NVIDIA driver (libcuda.so.1): ") +
                  (why != nullptr ? why : "not found");
      return api;
    }
    bind(lib, "cuInit", api.init, api.error);
    bind(lib, "cuDriverGetVersion", api.driver_get_version, api.error);
    bind(lib, "cuDeviceGetCount", api.device_get_count, api.error);
    bind(lib, "cuDeviceGet", api.device_get, api.error);
    bind(lib, "cuDeviceGetName", api.device_get_name, api.error);
    bind(lib, "cuDeviceGetAttribute", api.device_get_attribute, api.error);
    bind(lib, "cuDeviceTotalMem_v2", api.device_total_mem, api.error);
    bind(lib, "cuGetErrorName", api.get_error_name, api.error);
    bind(lib, "cuGetErrorString", api.get_error_string, api.error);
    return api;
  }();
  return kApi;
}

// "cuInit failed: CUDA_ERROR_NO_DEVICE (no CUDA-capable device is detected)"
std::string driver_failure(const DriverApi& api, const char* call, CuResult code) {
  const char* name = nullptr;
  const char* text = nullptr;
  api.get_error_name(code, &name);
  api.get_error_string(code, &text);
  return std::string(call) + " failed: " + (name != nullptr ? name : std::to_string(code)) +
         (text != nullptr ? " (" + std::string(text) + ")" : "");
}

// Whether `name` holds `token` as a whole word ("NVIDIA A100-SXM4" has A100,
// "RTX A3000" has no A30).
bool has_word(std::string_view name, std::string_view token) {
  const auto is_word_char = [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  };
  for (size_t at = name.find(token); at != std::string_view::npos; at = name.find(token, at + 1)) {
    const size_t end = at + token.size();
    const bool starts = at == 0 || !is_word_char(name[at - 1]);
    const bool ends = end == name.size() || !is_word_char(name[end]);
    if (starts && ends) return true;
  }
  return false;
}

}  // namespace

// --- farm.device -------------------------------------------------------------

std::string cuda_unusable_reason(std::string* gpu_name) {
  const kernels::DeviceInfo info = kernels::probe_cuda_device();
  if (!info.built_with_cuda || info.device_count == 0 || !info.reason.empty()) {
    return info.reason.empty() ? "no CUDA device present" : info.reason;
  }
  if (const std::string why = probe_cuda_hwdevice(0); !why.empty()) {
    return "the CUDA kernels see " + info.name +
           " but libavutil cannot open it for NVDEC/NVENC: " + why;
  }
  if (gpu_name != nullptr) *gpu_name = info.name;
  return "";
}

DeviceChoice resolve_device(const std::string& requested, const std::string& where) {
  const std::string prefix = where.empty() ? "" : where + ": ";
  const auto it = std::find(core::kDeviceNames.begin(), core::kDeviceNames.end(), requested);
  if (it == core::kDeviceNames.end()) {
    std::string allowed;
    for (const std::string_view name : core::kDeviceNames) {
      allowed += (allowed.empty() ? "" : ", ") + in_quotes(name);
    }
    throw ConfigError(prefix + "farm.device = " + in_quotes(requested) +
                      " is not allowed; allowed " + allowed);
  }
  DeviceChoice choice;
  choice.requested = static_cast<core::Device>(it - core::kDeviceNames.begin());
  if (choice.requested == core::Device::kCpu) {
    choice.reason = "farm.device = \"cpu\"";
  } else {
    std::string gpu_name;
    const std::string why_not = cuda_unusable_reason(&gpu_name);
    if (why_not.empty()) {
      choice.device = core::Device::kCuda;
      choice.gpu_name = gpu_name;
      choice.reason = "CUDA device 0 (" + gpu_name + ") works for the kernels and libavutil";
      FF_INFO("farm.device = " << in_quotes(requested) << ": using CUDA device 0 (" << gpu_name
                               << ")");
    } else if (choice.requested == core::Device::kCuda) {
      const bool built_with_cuda = kernels::probe_cuda_device().built_with_cuda;
      throw ConfigError(prefix + "farm.device = \"cuda\" but no CUDA device works here: " +
                        why_not + "; use farm.device = \"auto\" or \"cpu\"" +
                        (built_with_cuda ? ", or run on a node with an NVIDIA GPU and its driver"
                                         : ", or build framefarm with -DFRAMEFARM_CUDA=ON "
                                           "(docs/gpu.md)"));
    } else {
      choice.reason = why_not;
      FF_INFO("farm.device = \"auto\": using the CPU: " << why_not);
    }
  }
  std::lock_guard lock(g_choice_mutex);
  g_choice = choice;
  return choice;
}

std::optional<DeviceChoice> resolved_device() {
  std::lock_guard lock(g_choice_mutex);
  return g_choice;
}

// --- libavutil's CUDA device ---------------------------------------------------

CudaHwDevice CudaHwDevice::open(int ordinal) {
  install_ffmpeg_log_bridge();
  const std::string label = "CUDA device " + std::to_string(ordinal);
  AvLogCapture capture;
  AVBufferRef* raw = nullptr;
  av_check(av_hwdevice_ctx_create(&raw, AV_HWDEVICE_TYPE_CUDA, std::to_string(ordinal).c_str(),
                                  nullptr, kCudaUsePrimaryContext),
           "av_hwdevice_ctx_create", label);
  return CudaHwDevice(BufferRefPtr(raw));
}

BufferRefPtr CudaHwDevice::new_ref() const {
  return BufferRefPtr(av_check_alloc(av_buffer_ref(ref_.get()), "av_buffer_ref", "CUDA device"));
}

const CudaHwDevice& shared_cuda_device() {
  static std::mutex mutex;
  static const CudaHwDevice* device = nullptr;  // never deleted: see hw_device.h
  std::lock_guard lock(mutex);
  if (device == nullptr) device = new CudaHwDevice(CudaHwDevice::open(0));
  return *device;
}

std::string probe_cuda_hwdevice(int ordinal) {
  try {
    const CudaHwDevice device = CudaHwDevice::open(ordinal);
  } catch (const AvError& e) {
    return e.what();
  }
  return "";
}

// --- codecs in this FFmpeg build -----------------------------------------------

bool encoder_available(const char* name) {
  return avcodec_find_encoder_by_name(name) != nullptr;
}

bool decoder_available(const char* name) {
  return avcodec_find_decoder_by_name(name) != nullptr;
}

bool cuda_hwaccel_available(AVCodecID codec_id) {
  const AVCodec* codec = avcodec_find_decoder(codec_id);
  if (codec == nullptr) return false;
  for (int i = 0;; ++i) {
    const AVCodecHWConfig* config = avcodec_get_hw_config(codec, i);
    if (config == nullptr) return false;
    if (config->device_type == AV_HWDEVICE_TYPE_CUDA &&
        (config->methods & AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX) != 0) {
      return true;
    }
  }
}

std::string try_open_encoder(const char* name) {
  install_ffmpeg_log_bridge();
  const AVCodec* codec = avcodec_find_encoder_by_name(name);
  if (codec == nullptr) return std::string(name) + ": not in this FFmpeg build";
  try {
    AvLogCapture capture;
    CodecContextPtr ctx = make_codec_context(codec, name);
    ctx->width = 256;
    ctx->height = 256;
    ctx->pix_fmt = AV_PIX_FMT_YUV420P;
    ctx->time_base = AVRational{1, 30};
    ctx->framerate = AVRational{30, 1};
    ctx->thread_count = 1;
    av_check(avcodec_open2(ctx.get(), codec, nullptr), "avcodec_open2", name);
  } catch (const AvError& e) {
    return e.what();
  }
  return "";
}

// --- CUDA devices as the driver reports them ---------------------------------------

CudaDriverInfo query_cuda_driver() {
  CudaDriverInfo info;
  const DriverApi& api = driver_api();
  if (!api.error.empty()) {
    info.error = api.error;
    return info;
  }
  if (const CuResult rc = api.init(0); rc != kCudaSuccess) {
    info.error = driver_failure(api, "cuInit", rc);
    return info;
  }
  info.loaded = true;
  api.driver_get_version(&info.driver_version);
  int count = 0;
  if (const CuResult rc = api.device_get_count(&count); rc != kCudaSuccess) {
    info.error = driver_failure(api, "cuDeviceGetCount", rc);
    return info;
  }
  for (int ordinal = 0; ordinal < count; ++ordinal) {
    CudaDeviceInfo device;
    device.ordinal = ordinal;
    int handle = 0;
    if (const CuResult rc = api.device_get(&handle, ordinal); rc != kCudaSuccess) {
      info.error = driver_failure(api, "cuDeviceGet", rc);
      return info;
    }
    std::array<char, 256> name{};
    if (api.device_get_name(name.data(), static_cast<int>(name.size()), handle) == kCudaSuccess) {
      device.name = name.data();
    }
    api.device_get_attribute(&device.compute_major, kAttrComputeMajor, handle);
    api.device_get_attribute(&device.compute_minor, kAttrComputeMinor, handle);
    size_t bytes = 0;
    if (api.device_total_mem(&bytes, handle) == kCudaSuccess) device.memory_bytes = bytes;
    info.devices.push_back(std::move(device));
  }
  return info;
}

bool gpu_has_nvenc(std::string_view gpu_name) {
  // NVIDIA's video encode/decode support matrix: these have NVDEC, no NVENC.
  static constexpr std::array<std::string_view, 7> kNoNvenc{"A100", "A800", "A30",  "H100",
                                                            "H800", "H200", "GH200"};
  for (const std::string_view token : kNoNvenc) {
    if (has_word(gpu_name, token)) return false;
  }
  return true;
}

}  // namespace ff::media
