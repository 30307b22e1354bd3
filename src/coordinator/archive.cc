#include "coordinator/archive.h"

#include <cstdio>
#include <map>
#include <sstream>

#include "coordinator/archive_batch.h"
#include "coordinator/archive_manifest.h"
#include "coordinator/archive_status.h"
#include "coordinator/collective.h"
#include "coordinator/mpi_env.h"
#include "coordinator/video_farm.h"
#include "core/bytes.h"
#include "core/log.h"
#include "core/options.h"

namespace ff::coordinator {
namespace {

// Rank 0's entries to process reach every rank (QA needs their paths).
std::vector<ManifestEntry> share_entries(const std::vector<ManifestEntry>& entries) {
  ByteWriter w;
  if (world_rank() == 0) {
    w.put<uint64_t>(entries.size());
    for (const ManifestEntry& e : entries) {
      w.put<int32_t>(e.number);
      w.put<int32_t>(e.line);
      put_string(w, e.input.string());
      put_string(w, e.output.string());
      put_string(w, e.workdir.string());
    }
  }
  const std::vector<std::byte> bytes = broadcast_bytes(w.take());
  ByteReader r(bytes);
  std::vector<ManifestEntry> out(r.get<uint64_t>());
  for (ManifestEntry& e : out) {
    e.number = r.get<int32_t>();
    e.line = r.get<int32_t>();
    e.input = get_string(r);
    e.output = get_string(r);
    e.workdir = get_string(r);
  }
  return out;
}

int64_t broadcast_i64(int64_t value) {
  ByteWriter w;
  w.put(value);
  const std::vector<std::byte> bytes = broadcast_bytes(w.take());
  return ByteReader(bytes).get<int64_t>();
}

// Rank 0: which selected entries this run processes; logs the others.
std::vector<ManifestEntry> entries_to_run(const Manifest& manifest,
                                          const std::vector<ManifestEntry>& selected, int max_tries,
                                          std::map<int, int>& tries) {
  const ArchiveStatus status = update_status(manifest.status_file, manifest, {});
  std::vector<ManifestEntry> todo;
  for (const ManifestEntry& e : selected) {
    const EntryStatus* record = find_entry(status, e.number);
    const std::string head =
        "archive: entry " + std::to_string(e.number) + " (" + e.input.string() + ")";
    switch (decide_entry(record, std::filesystem::exists(e.output), max_tries)) {
      case EntryAction::kSkipDone:
        FF_INFO(head << " skipped: done, QA " << (record->qa == EntryQa::kPass ? "pass" : "fail")
                     << ", " << e.output.string());
        break;
      case EntryAction::kSkipExhausted:
        FF_WARN(head << " not retried: failed " << record->tries << " of farm.max_tries = "
                     << max_tries << " tries; last reason: " << record->reason);
        break;
      case EntryAction::kRun:
        if (record != nullptr && record->state == EntryState::kDone) {
          FF_INFO(head << " is done but its output is missing: running it again");
        }
        tries[e.number] = record != nullptr ? record->tries : 0;
        todo.push_back(e);
        break;
    }
  }
  return todo;
}

// Rank 0: the selected entries' records after the run, one line each on
// stdout, and the exit code they call for.
ExitCode summarize(const Manifest& manifest, const std::vector<ManifestEntry>& selected) {
  const ArchiveStatus status = read_status(manifest.status_file);
  int done = 0, qa_failed = 0, failed = 0;
  std::ostringstream out;
  for (const ManifestEntry& e : selected) {
    const EntryStatus* s = find_entry(status, e.number);
    const EntryState state = s != nullptr ? s->state : EntryState::kPending;
    out << "entry " << e.number << "  " << to_string(state);
    if (state == EntryState::kDone) {
      const bool pass = s->qa == EntryQa::kPass;
      (pass ? done : qa_failed) += 1;
      out << "  QA " << (pass ? "pass" : "fail") << "  " << e.output.string();
      if (!pass) out << "  (" << s->reason << ")";
    } else {
      ++failed;  // failed, or pending: another process reset it meanwhile
      out << "  " << (s != nullptr && !s->reason.empty() ? s->reason : "not finished");
    }
    out << "\n";
  }
  out << "archive: " << selected.size() << " of " << manifest.entries.size() << " entries: " << done
      << " passed QA, " << qa_failed << " failed QA, " << failed
      << " failed to process; status: " << manifest.status_file.string() << "\n";
  std::fputs(out.str().c_str(), stdout);
  std::fflush(stdout);
  if (failed > 0) return ExitCode::kRuntime;
  return qa_failed > 0 ? ExitCode::kQaFailed : ExitCode::kOk;
}

}  // namespace

ExitCode run_archive(const ArchiveRequest& request) {
  // Every rank reads the job file itself: the same file gives the same options.
  const core::JobOptions job = core::load_job(request.job_file, request.overrides);
  Manifest manifest;
  std::vector<ManifestEntry> selected;
  std::vector<ManifestEntry> todo;
  std::map<int, int> tries;
  root_step([&] {
    manifest = load_manifest(request.manifest, request.outdir);
    selected = select_entries(manifest, request.only);
    std::error_code ec;
    std::filesystem::create_directories(manifest.outdir, ec);
    if (ec) {
      throw RuntimeError(manifest.outdir.string() + ": cannot create the output directory: " +
                         ec.message() + "; pass --outdir on a writable disk");
    }
    todo = entries_to_run(manifest, selected, job.farm.max_tries, tries);
    FF_INFO("archive: " << manifest.path.string() << ": " << manifest.entries.size() << " entries, "
                        << selected.size() << " selected, " << todo.size()
                        << " to process; outputs in " << manifest.outdir.string());
  });
  todo = share_entries(todo);
  const ArchiveContext context{job, manifest, tries};
  for (size_t next = 0; next < todo.size();) {
    std::vector<EntryWork> works;
    int64_t end = 0;
    root_step([&] { end = static_cast<int64_t>(open_batch(context, todo, next, works)); });
    end = broadcast_i64(end);
    const std::vector<ManifestEntry> batch(todo.begin() + static_cast<std::ptrdiff_t>(next),
                                           todo.begin() + end);
    run_batch(context, batch, works);
    next = static_cast<size_t>(end);
  }
  int64_t code = 0;
  root_step([&] { code = static_cast<int64_t>(summarize(manifest, selected)); });
  return static_cast<ExitCode>(broadcast_i64(code));
}

}  // namespace ff::coordinator
