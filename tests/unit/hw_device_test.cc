// farm.device resolution and the GPU-path probes (media/hw_device.h). The
// development and CI machines have no GPU: the CUDA side is checked for the
// errors it gives there, and the cases that need a device skip with a reason.
#include "media/hw_device.h"

#include <gtest/gtest.h>

#include <functional>

#include "core/error.h"
#include "core/log.h"
#include "kernels/device.h"

namespace ff::media {
namespace {

std::string config_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
    return e.what();
  }
  return "(no ConfigError)";
}

bool cuda_works() {
  return cuda_unusable_reason().empty();
}

TEST(HwDevice, CpuIsChosenWithoutProbing) {
  const DeviceChoice choice = resolve_device("cpu", "jobs/x.toml");
  EXPECT_EQ(choice.requested, core::Device::kCpu);
  EXPECT_EQ(choice.device, core::Device::kCpu);
  EXPECT_EQ(choice.reason, "farm.device = \"cpu\"");
  EXPECT_EQ(choice.gpu_name, "");
  const auto stored = resolved_device();
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->device, core::Device::kCpu);
  EXPECT_EQ(stored->reason, choice.reason);
}

TEST(HwDevice, UnknownNameReadsLikeTheJobFileError) {
  const std::string message = config_error([] { resolve_device("gpu", "jobs/x.toml"); });
  EXPECT_EQ(message,
            "jobs/x.toml: farm.device = \"gpu\" is not allowed; allowed \"auto\", "
            "\"cpu\", \"cuda\"");
  // The job file parser says the same about the same value (plus the line).
  const std::string parsed =
      config_error([] { core::parse_job("[farm]\ndevice = \"gpu\"\n", "jobs/x.toml"); });
  EXPECT_EQ(parsed,
            "jobs/x.toml:2: farm.device = \"gpu\" is not allowed; allowed \"auto\", "
            "\"cpu\", \"cuda\"");
}

TEST(HwDevice, CudaWithoutAWorkingDeviceIsOneLineSayingWhatToDo) {
  if (cuda_works()) GTEST_SKIP() << "a CUDA device works here; the error needs none";
  const std::string message = config_error([] { resolve_device("cuda", "jobs/x.toml"); });
  if (!kernels::probe_cuda_device().built_with_cuda) {
    EXPECT_EQ(message,
              "jobs/x.toml: farm.device = \"cuda\" but no CUDA device works here: framefarm was "
              "built without CUDA (nvcc not found at configure time); use farm.device = \"auto\" "
              "or \"cpu\", or build framefarm with -DFRAMEFARM_CUDA=ON (docs/gpu.md)");
  } else {
    EXPECT_EQ(message, "jobs/x.toml: farm.device = \"cuda\" but no CUDA device works here: " +
                           cuda_unusable_reason() +
                           "; use farm.device = \"auto\" or \"cpu\", or run on a node with an "
                           "NVIDIA GPU and its driver");
  }
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

TEST(HwDevice, AutoFallsBackToCpuAndSaysWhy) {
  if (cuda_works()) {
    const DeviceChoice choice = resolve_device("auto", "jobs/x.toml");
    EXPECT_EQ(choice.device, core::Device::kCuda);
    EXPECT_FALSE(choice.gpu_name.empty());
    GTEST_SKIP() << "a CUDA device works here: auto chose " << choice.gpu_name;
  }
  log::init(0, log::Level::kInfo);
  testing::internal::CaptureStderr();
  const DeviceChoice choice = resolve_device("auto", "jobs/x.toml");
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(choice.requested, core::Device::kAuto);
  EXPECT_EQ(choice.device, core::Device::kCpu);
  EXPECT_EQ(choice.reason, cuda_unusable_reason());
  if (!kernels::probe_cuda_device().built_with_cuda) {
    EXPECT_EQ(choice.reason, "framefarm was built without CUDA (nvcc not found at configure time)");
  }
  EXPECT_NE(err.find("INFO] farm.device = \"auto\": using the CPU: " + choice.reason),
            std::string::npos)
      << err;
  EXPECT_EQ(resolved_device()->device, core::Device::kCpu);
}

TEST(HwDevice, EncodersAndDecodersOfThisFfmpegBuild) {
  EXPECT_TRUE(encoder_available("libx264"));
  EXPECT_FALSE(encoder_available("h264_framefarm_madeup"));
  EXPECT_TRUE(decoder_available("h264"));
  EXPECT_FALSE(decoder_available("h264_framefarm_madeup"));
  EXPECT_EQ(try_open_encoder("libx264"), "");
  EXPECT_EQ(try_open_encoder("h264_framefarm_madeup"),
            "h264_framefarm_madeup: not in this FFmpeg build");
  // PCM has no hardware decoder of any kind.
  EXPECT_FALSE(cuda_hwaccel_available(AV_CODEC_ID_PCM_S16LE));
  // Debian 12's FFmpeg 5.1 is built with nvdec: `ffmpeg -hwaccels` lists cuda.
  EXPECT_TRUE(cuda_hwaccel_available(AV_CODEC_ID_H264));
}

TEST(HwDevice, NoGpuMeansNvencAndTheCudaDeviceDoNotOpenAndSayWhy) {
  const CudaDriverInfo driver = query_cuda_driver();
  if (!driver.devices.empty()) GTEST_SKIP() << "the driver sees " << driver.devices[0].name;
  if (!driver.loaded) {
    EXPECT_FALSE(driver.error.empty());
  }
  if (encoder_available("h264_nvenc")) {
    const std::string why = try_open_encoder("h264_nvenc");
    EXPECT_EQ(why.rfind("h264_nvenc: avcodec_open2 failed: ", 0), 0u) << why;
  }
  const std::string hw = probe_cuda_hwdevice(0);
  EXPECT_EQ(hw.rfind("CUDA device 0: av_hwdevice_ctx_create failed: ", 0), 0u) << hw;
  try {
    CudaHwDevice::open(0);
    ADD_FAILURE() << "CudaHwDevice::open succeeded without a device";
  } catch (const AvError& e) {
    EXPECT_EQ(std::string(e.what()), hw);
    EXPECT_EQ(e.call(), "av_hwdevice_ctx_create");
  }
}

TEST(HwDevice, DriverQueryNamesTheMissingLibrary) {
  const CudaDriverInfo driver = query_cuda_driver();
  if (driver.loaded)
    GTEST_SKIP() << "libcuda.so.1 loads here (driver " << driver.driver_version << ")";
  EXPECT_EQ(driver.error.rfind("cannot load the NVIDIA driver (libcuda.so.1): ", 0), 0u)
      << driver.error;
  EXPECT_TRUE(driver.devices.empty());
}

TEST(HwDevice, NvencByGpuClass) {
  // NVIDIA's Video Encode and Decode GPU Support Matrix: the data-centre
  // compute parts have NVDEC but no NVENC.
  for (const char* name :
       {"NVIDIA A100-SXM4-40GB", "NVIDIA A100 80GB PCIe", "NVIDIA A30", "NVIDIA H100 80GB HBM3",
        "NVIDIA H100 NVL", "NVIDIA H200", "NVIDIA GH200 480GB", "NVIDIA H800"}) {
    EXPECT_FALSE(gpu_has_nvenc(name)) << name;
  }
  for (const char* name : {"Tesla T4", "NVIDIA A10", "NVIDIA A10G", "NVIDIA L4", "NVIDIA L40S",
                           "NVIDIA RTX A3000 Laptop GPU", "NVIDIA GeForce RTX 4090"}) {
    EXPECT_TRUE(gpu_has_nvenc(name)) << name;
  }
}

}  // namespace
}  // namespace ff::media
