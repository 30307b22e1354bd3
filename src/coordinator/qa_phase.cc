#include "coordinator/qa_phase.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "coordinator/collective.h"
#include "coordinator/farm.h"
#include "coordinator/job_params.h"
#include "coordinator/mpi_env.h"
#include "core/bytes.h"
#include "core/error.h"
#include "core/log.h"
#include "core/store.h"
#include "media/probe.h"
#include "worker/qa_task.h"

namespace ff::coordinator {
namespace {

using Clock = std::chrono::steady_clock;
// What the job's analysis.h5 says the delivery should be.
struct Expectations {
  std::optional<int64_t> out_frames;
  int64_t fps_num = 0, fps_den = 0;
  std::vector<double> shot_bounds_s;  // shot i: [bounds[i], bounds[i + 1])
  std::vector<int32_t> speaker;       // per output frame
  std::optional<bool> input_has_audio;
  std::string input_path;
  std::string encoder;
  std::vector<double> lufs_before;  // per shot, /audio of the job's audio phase
};

Expectations read_expectations(const std::filesystem::path& workdir) {
  Expectations e;
  if (workdir.empty()) return e;
  const core::Store store(workdir / core::Store::kFileName);
  if (!store.exists()) {
    throw UsageError("framefarm qa: " + store.file().string() +
                     " does not exist; pass the job's work directory as --workdir, or leave "
                     "--workdir out to check the file on its own");
  }
  if (store.has("/plan") && store.has_attr("/plan", "out_frames")) {
    e.out_frames = store.read_attr_i64("/plan", "out_frames");
    e.fps_num = store.read_attr_i64("/plan", "fps_num");
    e.fps_den = store.read_attr_i64("/plan", "fps_den");
    if (store.has("/plan/shots") && e.fps_num > 0) {
      const auto shots = store.read_i64("/plan/shots");
      const int64_t begin = shots.column_index("begin"), end = shots.column_index("end");
      const double fps = static_cast<double>(e.fps_num) / static_cast<double>(e.fps_den);
      for (int64_t i = 0; i < shots.rows; ++i) {
        if (i == 0) e.shot_bounds_s.push_back(static_cast<double>(shots.at(i, begin)) / fps);
        e.shot_bounds_s.push_back(static_cast<double>(shots.at(i, end)) / fps);
      }
    }
    if (store.has("/plan/speaker")) e.speaker = store.read_i32("/plan/speaker").data;
  } else {
    FF_WARN("qa: " << store.file().string() << " has no plan; frame count and shots not checked");
  }
  if (store.has("/probe")) {
    if (store.has_attr("/probe", "has_audio")) {
      e.input_has_audio = store.read_attr_i64("/probe", "has_audio") != 0;
    }
    if (store.has_attr("/probe", "path")) e.input_path = store.read_attr_string("/probe", "path");
  }
  if (store.has("/audio/lufs_before")) e.lufs_before = store.read_f64("/audio/lufs_before").data;
  if (store.has("/metrics/render") && store.has_attr("/metrics/render", "encoder")) {
    e.encoder = store.read_attr_string("/metrics/render", "encoder");
  }
  return e;
}

worker::QaStream stream_of(const media::VideoInfo& v, const Expectations& e,
                           const std::filesystem::path& file) {
  worker::QaStream s;
  s.stream_index = v.stream_index;
  s.tb_num = v.time_base.num;
  s.tb_den = v.time_base.den;
  s.start_pts = v.start_pts;
  const media::Rational rate = v.r_frame_rate.num > 0 ? v.r_frame_rate : v.avg_frame_rate;
  if (e.fps_num > 0 && e.fps_den > 0) {
    s.fps_num = e.fps_num;
    s.fps_den = e.fps_den;
  } else if (rate.num > 0 && rate.den > 0) {
    s.fps_num = rate.num;
    s.fps_den = rate.den;
  } else {
    throw InputError(file.string(), "the video stream states no frame rate",
                     "remux it with a frame rate, or pass --workdir with the job's plan");
  }
  return s;
}

// Every sampled frame with its largest face and the plan's speaker; samples
// in a GOP with a decode error are marked damaged. `key_frames`: the output
// frames of the keyframes, sorted.
std::vector<analysis::QaFaceSample> face_samples(const std::vector<worker::QaRangeResult>& results,
                                                 const std::vector<int32_t>& speaker,
                                                 const std::vector<int64_t>& key_frames) {
  auto gop_of = [&](int64_t out_frame) {
    return std::upper_bound(key_frames.begin(), key_frames.end(), out_frame) - key_frames.begin();
  };
  std::set<std::ptrdiff_t> damaged_gops;
  for (const auto& r : results) {
    for (int64_t f : r.error_frames) damaged_gops.insert(gop_of(f));
  }
  std::map<int64_t, analysis::QaFaceSample> samples;
  std::map<int64_t, float> largest_area;
  for (const auto& r : results) {
    for (int64_t f : r.sampled) {
      analysis::QaFaceSample s;
      s.out_frame = f;
      s.damaged = damaged_gops.count(gop_of(f)) > 0;
      if (!speaker.empty()) {
        s.plan_speaker =
            f < static_cast<int64_t>(speaker.size()) ? speaker[static_cast<size_t>(f)] : -1;
      }
      samples.emplace(f, s);
    }
  }
  for (const auto& r : results) {
    for (const worker::QaFace& face : r.faces) {
      auto it = samples.find(face.out_frame);
      if (it == samples.end()) continue;
      ++it->second.faces;
      float& best = largest_area[face.out_frame];
      if (face.w * face.h > best) {
        best = face.w * face.h;
        it->second.largest_cx = face.x + face.w / 2;
      }
    }
  }
  std::vector<analysis::QaFaceSample> out;
  for (const auto& [frame, s] : samples) out.push_back(s);
  return out;
}

// What the checks judge, from the probe, the job's expectations, the ranges
// (sorted by id) and the audio measurement.
analysis::QaMeasurements measurements_of(const QaRequest& request, const media::ProbeResult& probe,
                                         const Expectations& expect, const worker::QaStream& stream,
                                         const std::vector<worker::QaRangeResult>& results,
                                         const std::optional<worker::QaAudioResult>& audio) {
  analysis::QaMeasurements m;
  for (const auto& res : results) {
    m.decoded_frames += res.frames;
    m.video_errors += res.video_errors;
    for (const auto& e : res.first_errors) {
      if (m.errors.size() < analysis::kMaxListedErrors) m.errors.push_back(e);
    }
  }
  const media::VideoInfo& v = probe.video;
  m.codec = v.codec;
  m.profile = v.profile;
  m.level_idc = v.level;
  m.pix_fmt = v.pix_fmt;
  m.width = v.width;
  m.height = v.height;
  m.rotation_deg = v.rotation_deg;
  m.color_primaries = v.color_primaries;
  m.color_transfer = v.color_transfer;
  m.color_space = v.color_space;
  m.color_range = v.color_range;
  m.vfr = v.timing.vfr;
  m.off_grid_deltas = v.timing.off_grid_interior;
  m.fps = stream.fps();
  if (request.expect_frames) {
    m.expected_frames = request.expect_frames;
    m.expected_frames_source = "--expect-frames";
  } else if (expect.out_frames) {
    m.expected_frames = expect.out_frames;
    m.expected_frames_source = "the plan (analysis.h5 /plan out_frames)";
  } else {
    m.expected_frames = v.frame_count;
    m.expected_frames_source = "the container's packet count";
  }
  m.video_duration_s = v.duration_s;
  m.file_bytes = static_cast<int64_t>(std::filesystem::file_size(request.file));
  m.has_audio = probe.audio.has_value();
  m.expects_audio = expect.input_has_audio.value_or(false);
  if (audio) {
    m.audio_errors = audio->invalid_packets;
    m.audio_duration_s = audio->duration_s;
    m.programme_lufs = audio->programme_lufs;
    m.true_peak_dbtp = audio->true_peak_dbtp;
    const std::vector<double>& b = expect.shot_bounds_s;
    for (size_t i = 0; i < audio->shot_lufs.size(); ++i) {
      const double begin_s = b.size() >= 2 ? b[i] : 0.0;
      const double end_s = b.size() >= 2 ? b[i + 1] : v.duration_s;
      m.shots.push_back({begin_s, end_s, audio->shot_lufs[i]});
    }
  }
  std::vector<int64_t> key_frames;
  for (const auto& k : v.keyframes) key_frames.push_back(stream.out_frame(k.pts));
  std::sort(key_frames.begin(), key_frames.end());
  m.face_samples = face_samples(results, expect.speaker, key_frames);

  return m;
}

}  // namespace

QaReport run_qa_phase(const QaRequest& request) {
  const auto start = Clock::now();
  const bool root = world_rank() == 0;
  QaReport report;
  report.output = request.file;
  report.workdir = request.workdir;
  report.ranks = world_size();
  report.audio = request.job.audio;

  std::optional<media::ProbeResult> probe;
  Expectations expect;
  worker::QaStream stream;
  std::vector<worker::QaRange> ranges;
  root_step([&] {
    probe = media::probe(request.file, {.reject_hdr = false});
    expect = read_expectations(request.workdir);
    stream = stream_of(probe->video, expect, request.file);
    const double min_range_s = std::max(0.5, probe->video.duration_s / (4.0 * world_size()));
    ranges = worker::plan_qa_ranges(probe->video, min_range_s);
    FF_INFO("qa: " << request.file.string() << ": " << probe->video.frame_count << " frames in "
                   << ranges.size() << " ranges over " << world_size() << " rank(s)");
  });
  ByteWriter w;
  if (root) {
    w.put(stream);
    w.put_vector(ranges);
  }
  const std::vector<std::byte> shared = broadcast_bytes(w.take());
  ByteReader r(shared);
  stream = r.get<worker::QaStream>();
  ranges = r.get_vector<worker::QaRange>();

  // The audio, once, on rank 0, beside the ranges.
  std::optional<worker::QaAudioResult> audio;
  std::exception_ptr audio_error;
  std::thread audio_thread;
  root_step([&] {
    if (!probe->audio) return;
    const int index = probe->audio->stream_index;
    const double video_start_s =  // the first frame's input time: output time 0
        static_cast<double>(stream.start_pts) * stream.tb_num / stream.tb_den;
    std::vector<double> bounds = expect.shot_bounds_s;
    audio_thread = std::thread([&audio, &audio_error, file = request.file, index, video_start_s,
                                bounds = std::move(bounds)] {
      try {
        audio = worker::measure_output_audio(file, index, video_start_s, bounds);
      } catch (...) {
        audio_error = std::current_exception();
      }
    });
  });
  struct Joiner {
    std::thread& t;
    ~Joiner() {
      if (t.joinable()) t.join();
    }
  } joiner{audio_thread};

  worker::QaTaskParams params;
  params.face_sample_fps = request.job.qa.face_sample_fps;
  params.analysis_width = request.job.reframe.analysis_width;
  params.detector.cascade_path = core::cascade_file(request.job.qa.detector).string();
  std::vector<worker::QaRangeResult> results;
  FarmConfig config = farm_config_of(request.job);
  config.name = "qa";
  auto range_start_s = [&](size_t i) { return stream.time_s(ranges[i].start_pts); };
  config.describe_task = [&](int32_t id) {
    return "qa range " + std::to_string(id) + " of " + request.file.string() + " from " +
           std::to_string(range_start_s(static_cast<size_t>(id))) + " s";
  };
  std::vector<Task> tasks;
  if (root) {
    for (size_t i = 0; i < ranges.size(); ++i) {
      const double end_s =
          i + 1 < ranges.size() ? range_start_s(i + 1) : std::max(probe->video.duration_s, 0.0);
      tasks.push_back({ranges[i].id, std::max(1e-3, end_s - range_start_s(i))});
    }
  }
  std::optional<log::Progress> progress;  // rank 0's: it sees every range finish
  if (root) progress.emplace("qa", static_cast<int64_t>(ranges.size()), "ranges");
  run_farm(
      config, tasks,
      [&](int32_t id) {
        return worker::serialize(
            worker::qa_range(request.file, stream, ranges[static_cast<size_t>(id)], params));
      },
      [&](int32_t id, int rank, std::span<const std::byte> payload, double seconds) {
        worker::QaRangeResult result = worker::deserialize_qa_range(payload);
        const auto i = static_cast<size_t>(id);
        report.ranges.push_back({id, rank, range_start_s(i),
                                 i + 1 < ranges.size() ? range_start_s(i + 1) : 0.0, result.frames,
                                 result.video_errors, static_cast<int64_t>(result.sampled.size()),
                                 seconds, result.decode_s, result.detect_s});
        results.push_back(std::move(result));
        progress->advance(1);
      });
  if (progress) progress->finish();

  root_step([&] {
    if (audio_thread.joinable()) audio_thread.join();
    if (audio_error) std::rethrow_exception(audio_error);
    std::sort(results.begin(), results.end(),
              [](const auto& a, const auto& b) { return a.range_id < b.range_id; });
    std::sort(report.ranges.begin(), report.ranges.end(),
              [](const auto& a, const auto& b) { return a.id < b.id; });
    if (!report.ranges.empty()) report.ranges.back().end_s = probe->video.duration_s;

    report.measurements = measurements_of(request, *probe, expect, stream, results, audio);
    if (audio) report.audio_s = audio->seconds;
    report.checks = analysis::run_qa_checks(report.measurements, request.job.qa, request.job.output,
                                            request.job.audio);
    report.passed = analysis::qa_passed(report.checks);
    if (expect.lufs_before.size() == report.measurements.shots.size()) {
      report.shot_lufs_before = expect.lufs_before;
    } else if (!expect.lufs_before.empty()) {
      FF_WARN("qa: analysis.h5 /audio has " << expect.lufs_before.size() << " shots, the plan "
                                            << report.measurements.shots.size()
                                            << "; loudness before the audio phase not reported");
    }
    report.input = request.input.empty() ? std::filesystem::path(expect.input_path) : request.input;
    report.encoder = expect.encoder.empty()
                         ? worker::sniff_encoder(request.file, probe->video.stream_index)
                         : expect.encoder;
    report.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  });
  report.passed = broadcast_flag(report.passed);
  return report;
}

}  // namespace ff::coordinator
