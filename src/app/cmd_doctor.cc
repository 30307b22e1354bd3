// `framefarm doctor [--job JOB]`: checks that this machine (every rank's node
// under mpirun/srun) has what a run needs, one line per check:
//
//   ranks 0,1 on node07:
//     OK    framefarm            0.1.0, CPU build (CUDA kernels not compiled in)
//     OK    encoder libx264      present, opens
//     WARN  srun                 'srun --mpi=list' has no pmix plugin (none, pmi2); ...
//     FAIL  cascade haar         /usr/share/.../haarcascade_frontalface_default.xml does not load
//   verdict: NOT ready: FAIL on 2 of 2 ranks (see FAIL lines); GPU path available on 0 of 2 ranks
//
// FAIL is what stops a CPU run (MPI, FFmpeg's h264 decoder and libx264, the
// face cascade, the job file); WARN is what degrades a run or the GPU path;
// everything a CPU-only node lacks by nature (no GPU, no NVENC) is OK with
// the reason. Each rank checks its own node; rank 0 gathers and prints ranks
// with identical results once. Exit 0 without FAIL, 2 when the job file is
// bad, 4 for any other FAIL.
#include <H5public.h>
#include <ebur128.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <opencv2/core/version.hpp>
#include <opencv2/objdetect.hpp>
#include <string>
#include <vector>

#include "app/args.h"
#include "app/commands.h"
#include "coordinator/mpi_env.h"
#include "core/build_config.h"
#include "core/error.h"
#include "core/log.h"
#include "core/options.h"
#include "kernels/device.h"
#include "media/hw_device.h"

namespace ff::app {
namespace {

struct Checks {
  std::string lines;  // "OK|WARN|FAIL <name padded> <detail>\n" each
  bool failed = false;
  bool job_failed = false;
  bool gpu_path = false;

  void add(const char* status, const std::string& name, std::string detail) {
    for (char& c : detail) {
      if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    }
    char head[64];
    std::snprintf(head, sizeof head, "  %-5s %-20s ", status, name.c_str());
    lines += head + detail + "\n";
    failed = failed || std::string(status) == "FAIL";
  }
  void ok(const std::string& name, const std::string& detail) { add("OK", name, detail); }
  void warn(const std::string& name, const std::string& detail) { add("WARN", name, detail); }
  void fail(const std::string& name, const std::string& detail) { add("FAIL", name, detail); }
};

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

std::string version_text(unsigned v) {
  return std::to_string(v >> 16) + "." + std::to_string((v >> 8) & 0xff) + "." +
         std::to_string(v & 0xff);
}

const char* thread_level_name(int level) {
  switch (level) {
    case MPI_THREAD_SINGLE: return "SINGLE";
    case MPI_THREAD_FUNNELED: return "FUNNELED";
    case MPI_THREAD_SERIALIZED: return "SERIALIZED";
    default: return "MULTIPLE";
  }
}

// Runs `command` through /bin/sh; its output (stdout and stderr) and exit status.
std::pair<std::string, int> capture(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen((command + " 2>&1").c_str(), "r"), &pclose);
  if (pipe == nullptr) return {"popen failed", -1};
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, pipe.get()) != nullptr) out += buf;
  const int status = pclose(pipe.release());
  return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

void check_mpi(Checks& c, const coordinator::MpiEnv& mpi) {
  char version[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int length = 0;
  MPI_Get_library_version(version, &length);
  std::string name(version, static_cast<size_t>(length));
  name = name.substr(0, name.find_first_of(",\n"));
  c.ok("mpi", name + ", " + std::to_string(mpi.size()) + (mpi.size() == 1 ? " rank" : " ranks") +
                  ", thread level " + thread_level_name(mpi.thread_level()));
}

void check_slurm(Checks& c, const coordinator::MpiEnv& mpi) {
  const std::string job_id = env("SLURM_JOB_ID");
  if (job_id.empty()) {
    c.ok("slurm", "not under Slurm (no SLURM_JOB_ID)");
  } else {
    const std::string step_tasks = env("SLURM_STEP_NUM_TASKS");
    const std::string where = "job " + job_id + ", SLURM_NTASKS=" + env("SLURM_NTASKS");
    if (step_tasks.empty()) {
      c.ok("slurm", where +
                        ", not in a job step: run 'srun framefarm doctor' to check MPI "
                        "across the allocation");
    } else if (step_tasks != std::to_string(mpi.size())) {
      c.fail("slurm", where + ": srun started " + step_tasks + " tasks but MPI sees " +
                          std::to_string(mpi.size()) +
                          " rank(s): MPI did not connect to Slurm's PMI; start with "
                          "'srun --mpi=pmix' (see 'srun --mpi=list')");
    } else {
      c.ok("slurm", where + ", step of " + step_tasks + " tasks = MPI ranks");
    }
  }
  if (capture("command -v srun").second != 0) {
    c.ok("srun", "not on PATH (no Slurm here; mpirun needs none)");
    return;
  }
  auto [out, status] = capture("timeout 10 srun --mpi=list");
  std::string plugins;
  bool pmix = false;
  size_t start = 0;
  std::string last_line;
  while (start < out.size()) {
    const size_t end = std::min(out.find('\n', start), out.size());
    std::string line = out.substr(start, end - start);
    start = end + 1;
    if (line.find_first_not_of(" \t") != std::string::npos) last_line = line;
    if (line.rfind("srun: ", 0) == 0) line = line.substr(6);
    const size_t b = line.find_first_not_of(" \t");
    if (b == std::string::npos) continue;
    line = line.substr(b);
    if (line.find(' ') != std::string::npos) continue;  // a sentence, not a plugin name
    plugins += (plugins.empty() ? "" : ", ") + line;
    if (line.rfind("pmix", 0) == 0) pmix = true;
  }
  if (status != 0) {
    c.warn("srun", "'srun --mpi=list' failed (exit " + std::to_string(status) +
                       "): " + (last_line.empty() ? "no output" : last_line));
  } else if (!pmix) {
    c.warn("srun", "'srun --mpi=list' has no pmix plugin (" + plugins +
                       "); Open MPI 4 under srun wants --mpi=pmix: ask for Slurm built with PMIx, "
                       "or use mpirun inside the allocation");
  } else {
    c.ok("srun", "MPI plugins: " + plugins);
  }
}

void check_ffmpeg(Checks& c) {
  struct Lib {
    const char* name;
    unsigned run;
    unsigned built;
  };
  const Lib libs[] = {{"libavutil", avutil_version(), LIBAVUTIL_VERSION_INT},
                      {"libavcodec", avcodec_version(), LIBAVCODEC_VERSION_INT},
                      {"libavformat", avformat_version(), LIBAVFORMAT_VERSION_INT},
                      {"libavfilter", avfilter_version(), LIBAVFILTER_VERSION_INT},
                      {"libswscale", swscale_version(), LIBSWSCALE_VERSION_INT},
                      {"libswresample", swresample_version(), LIBSWRESAMPLE_VERSION_INT}};
  std::string text = std::string("FFmpeg ") + av_version_info();
  std::string mismatch;
  for (const Lib& lib : libs) {
    text += std::string(", ") + lib.name + " " + version_text(lib.run);
    if ((lib.run >> 16) != (lib.built >> 16)) {
      mismatch += std::string(" ") + lib.name + " built against " + version_text(lib.built);
    }
  }
  if (mismatch.empty()) {
    c.ok("ffmpeg", text);
  } else {
    c.fail("ffmpeg", text + "; major version differs from the build:" + mismatch +
                         "; rebuild framefarm against the installed FFmpeg");
  }
}

// Encoders and decoders; `gpu_name` is device 0's name when the driver sees one.
void check_codecs(Checks& c, const std::string& gpu_name) {
  const std::string x264 = media::try_open_encoder("libx264");
  if (x264.empty()) {
    c.ok("encoder libx264", "present, opens");
  } else {
    c.fail("encoder libx264", x264 + "; install an FFmpeg built with --enable-libx264");
  }
  const bool gpu = !gpu_name.empty();
  const bool nvenc_expected = gpu && media::gpu_has_nvenc(gpu_name);
  if (!media::encoder_available("h264_nvenc")) {
    const std::string text = "not in this FFmpeg build; x264 encodes";
    nvenc_expected ? c.warn("encoder h264_nvenc", text) : c.ok("encoder h264_nvenc", text);
  } else if (const std::string why = media::try_open_encoder("h264_nvenc"); why.empty()) {
    c.ok("encoder h264_nvenc", "present, opens");
  } else if (nvenc_expected) {
    c.warn("encoder h264_nvenc", "present but does not open on " + gpu_name + ": " + why);
  } else {
    c.ok("encoder h264_nvenc",
         "present in the build, does not open here" +
             std::string(gpu ? " (" + gpu_name + " has no NVENC)" : " (no GPU)") +
             "; x264 encodes: " + why);
  }
  for (const char* name : {"h264", "hevc"}) {
    const std::string key = std::string("decoder ") + name;
    if (media::decoder_available(name)) {
      c.ok(key, "present");
    } else if (std::string(name) == "h264") {
      c.fail(key,
             "not in this FFmpeg build; framefarm needs it for its own output and most inputs");
    } else {
      c.warn(key, "not in this FFmpeg build; HEVC inputs will be rejected");
    }
  }
  const bool cuvid = media::decoder_available("h264_cuvid");
  const bool hwaccel = media::cuda_hwaccel_available(AV_CODEC_ID_H264);
  const std::string text = std::string("h264_cuvid ") + (cuvid ? "present" : "absent") +
                           ", cuda hwaccel for h264 " + (hwaccel ? "present" : "absent") +
                           " in this FFmpeg build";
  (gpu && !hwaccel) ? c.warn("decoder nvdec", text + "; frames will decode on the CPU")
                    : c.ok("decoder nvdec", text);
}

void check_cuda(Checks& c, std::string& gpu_name) {
  const kernels::DeviceInfo kernels_info = kernels::probe_cuda_device();
  c.ok("framefarm", std::string(kVersion) + (kernels_info.built_with_cuda
                                                 ? ", CUDA kernels compiled in"
                                                 : ", CPU build (CUDA kernels not compiled in)"));
  const media::CudaDriverInfo driver = media::query_cuda_driver();
  if (!driver.loaded || driver.devices.empty()) {
    c.ok("cuda devices",
         "none: " + (driver.error.empty() ? "the driver reports 0 devices" : driver.error));
  }
  for (const media::CudaDeviceInfo& d : driver.devices) {
    if (d.ordinal == 0) gpu_name = d.name;
    char text[256];
    std::snprintf(text, sizeof text, "%s, compute %d.%d, %.1f GiB, driver CUDA %d.%d, ",
                  d.name.c_str(), d.compute_major, d.compute_minor,
                  static_cast<double>(d.memory_bytes) / (1024.0 * 1024.0 * 1024.0),
                  driver.driver_version / 1000, (driver.driver_version % 1000) / 10);
    const bool nvenc = media::gpu_has_nvenc(d.name);
    c.ok("cuda device " + std::to_string(d.ordinal),
         text + std::string(nvenc ? "NVDEC + NVENC expected"
                                  : "NVDEC, no NVENC (x264 on the CPU after the frames come "
                                    "down)"));
  }
  const std::string hw = media::probe_cuda_hwdevice(0);
  (driver.devices.empty() || hw.empty())
      ? c.ok("cuda hwdevice", hw.empty() ? "libavutil opens CUDA device 0" : "does not open: " + hw)
      : c.warn("cuda hwdevice", "does not open although the driver sees a GPU: " + hw);
  if (!driver.devices.empty() && !kernels_info.built_with_cuda) {
    c.warn("cuda kernels",
           "this node has a GPU but framefarm was built without CUDA; rebuild "
           "with -DFRAMEFARM_CUDA=ON (docs/gpu.md)");
  }
}

void check_libraries(Checks& c) {
  unsigned major = 0, minor = 0, release = 0;
  H5get_libversion(&major, &minor, &release);
  c.ok("hdf5", "HDF5 " + std::to_string(major) + "." + std::to_string(minor) + "." +
                   std::to_string(release));
  int e_major = 0, e_minor = 0, e_patch = 0;
  ebur128_get_version(&e_major, &e_minor, &e_patch);
  c.ok("libebur128",
       std::to_string(e_major) + "." + std::to_string(e_minor) + "." + std::to_string(e_patch));
  c.ok("opencv", CV_VERSION);
}

// `fix`: what to do when it does not load.
void check_cascade(Checks& c, const std::string& name, const std::filesystem::path& file,
                   bool required,
                   const std::string& fix = "install opencv-data or set reframe.cascade") {
  bool loaded = false;
  std::string why;
  try {
    cv::CascadeClassifier cascade;
    loaded = cascade.load(file.string()) && !cascade.empty();
  } catch (const cv::Exception& e) {
    why = std::string(": ") + e.what();
  }
  if (loaded) {
    c.ok(name, file.string() + " loads");
  } else {
    const std::string text = file.string() + " does not load" + why + "; " + fix;
    required ? c.fail(name, text) : c.warn(name, text);
  }
}

Checks run_checks(const coordinator::MpiEnv& mpi, const Args& args) {
  Checks c;
  std::string gpu_name;
  const auto guarded = [&](const char* name, const auto& check) {
    try {
      check();
    } catch (const std::exception& e) {
      c.fail(name, std::string("check failed: ") + e.what());
    }
  };
  guarded("cuda", [&] { check_cuda(c, gpu_name); });
  guarded("mpi", [&] { check_mpi(c, mpi); });
  guarded("slurm", [&] { check_slurm(c, mpi); });
  guarded("ffmpeg", [&] { check_ffmpeg(c); });
  guarded("codecs", [&] { check_codecs(c, gpu_name); });
  guarded("libraries", [&] { check_libraries(c); });
  core::JobOptions job = core::default_job();
  if (const auto file = args.value("--job")) {
    try {
      job = core::load_job(*file, args.all("--set"));
      c.ok("job", *file + " is valid (" + std::to_string(job.output.width) + "x" +
                      std::to_string(job.output.height) + ", encoder " +
                      std::string(core::to_string(job.output.encoder)) + ", farm.device " +
                      std::string(core::to_string(job.farm.device)) + ")");
    } catch (const Error& e) {
      c.fail("job", e.what());
      c.job_failed = true;
    }
  }
  guarded("cascade", [&] {
    check_cascade(c, "cascade " + std::string(core::to_string(job.reframe.detector)),
                  core::cascade_file(job.reframe), true);
    const auto qa_cascade = core::cascade_file(job.qa.detector);
    if (qa_cascade != core::cascade_file(job.reframe)) {  // QA needs it for this job
      check_cascade(c, "qa cascade " + std::string(core::to_string(job.qa.detector)), qa_cascade,
                    true, "install opencv-data or set qa.detector");
    }
    if (job.reframe.cascade.empty() && job.reframe.detector == job.qa.detector) {
      // the other detector's default, for a later job
      const auto other = job.reframe.detector == core::FaceDetector::kHaar
                             ? core::FaceDetector::kLbp
                             : core::FaceDetector::kHaar;
      check_cascade(c, "cascade " + std::string(core::to_string(other)), core::cascade_file(other),
                    false);
    }
  });
  guarded("farm.device", [&] {
    const std::string requested(core::to_string(job.farm.device));
    std::string name;
    const std::string why_not = media::cuda_unusable_reason(&name);
    c.gpu_path = why_not.empty();
    if (c.gpu_path) {
      c.ok("farm.device",
           "\"" + requested + "\" -> " +
               (job.farm.device == core::Device::kCpu ? "cpu" : "cuda (" + name + ")"));
    } else if (job.farm.device == core::Device::kCuda) {
      c.fail("farm.device", "\"cuda\" but no CUDA device works here: " + why_not);
    } else {
      c.ok("farm.device", "\"" + requested + "\" -> cpu: " + why_not);
    }
  });
  return c;
}

}  // namespace

int cmd_doctor(const std::vector<std::string>& argv) {
  const ArgSpec spec{
      "doctor",
      {},
      "Check that this machine can run framefarm: build (CUDA or not), MPI and Slurm,\n"
      "FFmpeg and its H.264 encoders (libx264, h264_nvenc) and decoders (h264, hevc,\n"
      "NVDEC), CUDA devices and libavutil's CUDA device, the face cascades, HDF5,\n"
      "libebur128 and, with --job, the job file. One line per check: OK, WARN or FAIL.\n"
      "Under mpirun or srun every rank checks its own node and rank 0 prints.\n"
      "Exit code 0: a CPU run can go ahead; 2: the job file is bad; 4: another FAIL.",
      {{"--job", "JOB", "also validate this job file (and its cascade, farm.device)"},
       {"--set", "TABLE.KEY=VALUE", "override a job file key", false, true},
       {"--log-level", "LEVEL", "debug, info, warn (default) or error"}}};
  const Args args = parse_args(spec, argv);
  if (args.help) {
    std::fputs(usage_text(spec).c_str(), stdout);
    return 0;
  }
  const log::Level level = log::parse_level(args.value("--log-level").value_or("warn"));
  coordinator::MpiEnv mpi(nullptr, nullptr);
  log::init(mpi.rank(), level);
  const Checks mine = run_checks(mpi, args);

  char host[256] = {};
  gethostname(host, sizeof host - 1);
  // One payload per rank: flags, then the host, then the lines.
  std::string payload;
  payload += !mine.failed ? '0' : (mine.job_failed ? 'J' : 'F');
  payload += mine.gpu_path ? '1' : '0';
  payload += std::string(host) + "\n" + mine.lines;
  const auto* data = reinterpret_cast<const std::byte*>(payload.data());
  const auto all = coordinator::gather_bytes({data, payload.size()});
  int exit_code = 0;
  if (mpi.rank() == 0) {
    // Ranks with the same host and lines print once.
    std::map<std::string, std::vector<int>> groups;
    std::vector<std::string> order;
    int failed = 0, gpu_ranks = 0;
    bool job_failed = false;
    for (size_t r = 0; r < all.size(); ++r) {
      const std::string text(reinterpret_cast<const char*>(all[r].data()), all[r].size());
      if (text.size() < 2) continue;
      failed += text[0] != '0' ? 1 : 0;
      job_failed = job_failed || text[0] == 'J';
      gpu_ranks += text[1] == '1' ? 1 : 0;
      const std::string body = text.substr(2);
      if (groups[body].empty()) order.push_back(body);
      groups[body].push_back(static_cast<int>(r));
    }
    std::string out;
    for (const std::string& body : order) {
      const std::vector<int>& ranks = groups[body];
      std::string label = ranks.size() == 1 ? "rank " : "ranks ";
      for (size_t i = 0; i < ranks.size(); ++i) label += (i ? "," : "") + std::to_string(ranks[i]);
      const size_t nl = body.find('\n');
      out += label + " on " + body.substr(0, nl) + ":\n" + body.substr(nl + 1);
    }
    std::string verdict = failed == 0 ? "ready for CPU runs"
                                      : "NOT ready: FAIL on " + std::to_string(failed) + " of " +
                                            std::to_string(all.size()) + " ranks (see FAIL lines)";
    verdict += "; GPU path available on " + std::to_string(gpu_ranks) + " of " +
               std::to_string(all.size()) + (all.size() == 1 ? " rank" : " ranks");
    out += "verdict: " + verdict + "\n";
    std::fputs(out.c_str(), stdout);
    std::fflush(stdout);
    exit_code = failed == 0  ? 0
                : job_failed ? static_cast<int>(ExitCode::kUsage)
                             : static_cast<int>(ExitCode::kRuntime);
  }
  std::byte code{static_cast<unsigned char>(exit_code)};
  const auto shared = coordinator::broadcast_bytes({&code, 1});
  return static_cast<int>(shared.at(0));
}

}  // namespace ff::app
