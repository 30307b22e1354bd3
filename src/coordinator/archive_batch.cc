#include "coordinator/archive_batch.h"

#include <atomic>
#include <thread>
#include <utility>

#include "coordinator/archive.h"
#include "coordinator/collective.h"
#include "coordinator/job_params.h"
#include "coordinator/mpi_env.h"
#include "coordinator/plan_phase.h"
#include "coordinator/qa_phase.h"
#include "coordinator/scan_phase.h"
#include "coordinator/scan_store.h"
#include "core/log.h"
#include "worker/scan_task.h"

namespace ff::coordinator {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string what_of(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

// Runs one entry's step on rank 0; what it throws fails the entry (and only
// the entry). Errors of the status file itself propagate.
template <typename Step>
void attempt(const ArchiveContext& context, EntryWork& work, Step&& step) {
  if (work.failed) return;
  std::string failure;
  try {
    step();
    return;
  } catch (const std::exception& e) {
    failure = e.what();
  }
  record_entry(context, work, EntryState::kFailed, EntryQa::kNone, failure);
}

// The audio phases of a batch, one entry after another, in a thread on rank 0
// beside the render. Stops after the current entry when destroyed early.
class AudioThread {
 public:
  AudioThread() = default;
  ~AudioThread() {
    stop_ = true;
    join();
  }
  AudioThread(const AudioThread&) = delete;
  AudioThread& operator=(const AudioThread&) = delete;

  void start(std::vector<std::pair<EntryWork*, AudioPhaseInput>> jobs) {
    thread_ = std::thread([this, jobs = std::move(jobs)] {
      for (const auto& [work, in] : jobs) {
        if (stop_) return;
        try {
          work->audio = run_audio_phase(in);
        } catch (...) {
          work->audio_error = std::current_exception();
        }
      }
    });
  }
  void join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

void scan_batch(const ArchiveContext& context, std::vector<EntryWork>& works) {
  const worker::ScanParams params = scan_params_of(context.job);
  std::vector<ScanVideo> videos;
  std::vector<EntryWork*> owners;
  root_step([&] {
    for (EntryWork& w : works) {
      attempt(context, w, [&] {
        w.scan_key = scan_key(w.probe->fingerprint.key(), params);
        w.scan = read_scan(*w.store, w.scan_key);
        if (w.scan) {
          FF_INFO("scan: reusing " << w.store->file().string() << " (input and options match)");
          return;
        }
        videos.push_back(
            {w.entry.input, w.probe->video,
             worker::plan_scan_chunks(w.probe->video, context.job.split.scan_chunk_s)});
        owners.push_back(&w);
      });
    }
  });
  if (!broadcast_flag(!videos.empty())) return;
  const auto start = Clock::now();
  std::vector<ScanVideoOutcome> outcomes =
      run_scan_videos(videos, params, farm_config_of(context.job), true);
  const double scan_s = seconds_since(start);
  root_step([&] {
    for (size_t k = 0; k < owners.size(); ++k) {
      EntryWork& w = *owners[k];
      w.phases.emplace_back("scan", scan_s);
      ScanVideoOutcome& out = outcomes[k];
      if (!out.failure.empty()) {
        record_entry(context, w, EntryState::kFailed, EntryQa::kNone, out.failure);
        continue;
      }
      attempt(context, w, [&] {
        if (out.result.data.frames.size() != static_cast<size_t>(w.probe->video.frame_count)) {
          FF_WARN("scan: " << w.entry.input.string() << ": decoded "
                           << out.result.data.frames.size() << " frames, the container lists "
                           << w.probe->video.frame_count);
        }
        write_scan(*w.store, out.result, w.scan_key);
        w.scan = std::move(out.result.data);
      });
    }
  });
}

void plan_batch(const ArchiveContext& context, std::vector<EntryWork>& works) {
  root_step([&] {
    for (EntryWork& w : works) {
      attempt(context, w, [&] {
        PhaseTimer timer(w.phases, "plan");
        w.plan = run_plan_phase(*w.store, context.job, *w.probe, *w.scan, w.entry.workdir);
      });
    }
  });
}

void render_batch(const ArchiveContext& context, std::vector<EntryWork>& works) {
  std::vector<RenderVideo> videos;
  std::vector<EntryWork*> owners;
  AudioThread audio;
  root_step([&] {
    std::vector<std::pair<EntryWork*, AudioPhaseInput>> audio_jobs;
    for (EntryWork& w : works) {
      attempt(context, w, [&] {
        RenderVideo v{w.entry.input, make_render_context(*w.probe, *w.scan, *w.plan, context.job),
                      w.entry.workdir / "segments"};
        std::filesystem::create_directories(v.segments_dir);
        audio_jobs.emplace_back(
            &w, audio_input_of(w.entry.input, w.entry.workdir, *w.probe, *w.plan, context.job));
        videos.push_back(std::move(v));
        owners.push_back(&w);
      });
    }
    audio.start(std::move(audio_jobs));
  });
  if (!broadcast_flag(!videos.empty())) return;
  const auto start = Clock::now();
  std::vector<RenderVideoOutcome> outcomes =
      run_render_videos(videos, context.job, farm_config_of(context.job), true);
  const double render_s = seconds_since(start);
  root_step([&] {
    audio.join();
    for (size_t k = 0; k < owners.size(); ++k) {
      EntryWork& w = *owners[k];
      w.phases.emplace_back("render", render_s);
      if (!outcomes[k].failure.empty()) {
        record_entry(context, w, EntryState::kFailed, EntryQa::kNone, outcomes[k].failure);
        continue;
      }
      if (w.audio_error) {
        record_entry(context, w, EntryState::kFailed, EntryQa::kNone, what_of(w.audio_error));
        continue;
      }
      attempt(context, w, [&] {
        w.phases.emplace_back("audio (overlapped)", w.audio->total_s);
        write_audio_result(*w.store, *w.audio);
        w.render = std::move(outcomes[k].result);
        write_render_metrics(*w.store, w.render);
      });
    }
  });
}

// Stitch on rank 0, QA over every rank, then the entry's record.
void deliver_entry(const ArchiveContext& context, const ManifestEntry& entry,
                   const std::vector<ManifestEntry>& batch, EntryWork* work) {
  bool ready = false;
  root_step([&] {
    attempt(context, *work, [&] {
      stitch_delivery(entry.workdir / "segments", *work->plan, *work->audio, work->render,
                      context.job, entry.output, work->phases);
      ready = true;
    });
  });
  if (!broadcast_flag(ready)) return;
  QaRequest request;
  request.file = entry.output;
  request.job = context.job;
  request.workdir = entry.workdir;
  request.input = entry.input;
  nlohmann::json numbers = nlohmann::json::array();
  for (const ManifestEntry& e : batch) numbers.push_back(e.number);
  const nlohmann::json extra = {
      {"archive",
       {{"manifest", context.manifest.path.string()},
        {"entry", entry.number},
        {"batch", numbers},
        {"shared_phases",
         "scan and render ran over every entry of the batch in one farm run; "
         "their wall_s is that run's"}}}};
  PhaseTimes unused;
  std::optional<QaReport> report;
  std::string qa_failure;
  try {
    report = qa_and_report(request, work != nullptr ? work->phases : unused,
                           work != nullptr ? work->start : Clock::now(), extra);
  } catch (const std::exception& e) {
    qa_failure = e.what();  // every rank: QA failed to run for this entry only
  }
  root_step([&] {
    if (!qa_failure.empty()) {
      record_entry(context, *work, EntryState::kFailed, EntryQa::kNone, qa_failure);
      return;
    }
    write_phase_times(*work->store, work->phases);
    std::string failed_checks;
    for (const analysis::QaCheck& c : report->checks) {
      if (c.verdict == analysis::QaVerdict::kFail) {
        failed_checks += (failed_checks.empty() ? "" : ", ") + c.name;
      }
    }
    record_entry(context, *work, EntryState::kDone,
                 report->passed ? EntryQa::kPass : EntryQa::kFail,
                 report->passed ? "" : "QA failed: " + failed_checks);
  });
}

}  // namespace

void record_entry(const ArchiveContext& context, EntryWork& work, EntryState state, EntryQa qa,
                  const std::string& reason) {
  EntryStatus s;
  s.entry = work.entry.number;
  s.input = work.entry.input.string();
  s.output = work.entry.output.string();
  s.state = state;
  s.qa = qa;
  s.wall_s = seconds_since(work.start);
  const auto before = context.tries.find(work.entry.number);
  s.tries = (before == context.tries.end() ? 0 : before->second) + 1;
  s.reason = reason;
  update_status(context.manifest.status_file, context.manifest, {s});
  work.finished = true;
  work.failed = state == EntryState::kFailed;
  const std::string head = "archive: entry " + std::to_string(s.entry) + " (" + s.input + ")";
  if (work.failed) {
    FF_ERROR(head << " failed (try " << s.tries << "): " << reason);
  } else {
    FF_INFO(head << " done in " << s.wall_s << " s, QA " << (qa == EntryQa::kPass ? "pass" : "fail")
                 << ": " << s.output);
  }
}

size_t open_batch(const ArchiveContext& context, const std::vector<ManifestEntry>& todo,
                  size_t next, std::vector<EntryWork>& works) {
  int64_t frames = 0;
  size_t i = next;
  while (i < todo.size() && works.size() < kBatchMaxEntries && frames < kBatchMaxFrames) {
    EntryWork& w = works.emplace_back();
    w.entry = todo[i++];
    FF_INFO("archive: entry " << w.entry.number << ": " << w.entry.input.string());
    attempt(context, w, [&] {
      w.probe = open_job(w.entry.input, w.entry.workdir, context.job, w.store, w.phases);
      frames += w.probe->video.frame_count;
    });
  }
  return i;
}

void run_batch(const ArchiveContext& context, const std::vector<ManifestEntry>& entries,
               std::vector<EntryWork>& works) {
  scan_batch(context, works);
  plan_batch(context, works);
  render_batch(context, works);
  const bool root = world_rank() == 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!broadcast_flag(root && !works[i].failed)) continue;
    deliver_entry(context, entries[i], entries, root ? &works[i] : nullptr);
  }
}

}  // namespace ff::coordinator
