#pragma once
// The status file of `framefarm archive` (docs/archive.md): one record per
// manifest entry, shared by every process that works on the manifest (one
// allocation, or the tasks of a Slurm array each with `--only N`).
//
//   {"schema": "framefarm.archive-status/1", "manifest": "/data/talks.txt",
//    "entries": [{"entry": 1, "input": "/data/a.mp4", "output": "/data/talks.out/a.mp4",
//                 "state": "done", "qa": "pass", "wall_s": 31.2, "tries": 1, "reason": ""}]}
//
// Updates are read-merge-write under an exclusive lock on `<status>.lock`
// (flock), and the file is replaced atomically (core/atomic_file.h), so
// concurrent processes never lose each other's entries and a reader never
// sees a partial file.
//
// Example:
//   EntryStatus done = ...;                        // state kDone, qa kPass
//   update_status(status_file, manifest, {done});  // merged by entry number
//   EntryAction a = decide_entry(find_entry(read_status(status_file), 1), entry, true, 3);
#include <filesystem>
#include <string>
#include <vector>

#include "coordinator/archive_manifest.h"

namespace ff::coordinator {

enum class EntryState { kPending, kDone, kFailed };
enum class EntryQa { kNone, kPass, kFail };  // JSON: null, "pass", "fail"

struct EntryStatus {
  int entry = 0;  // the manifest's entry number
  std::string input;
  std::string output;
  EntryState state = EntryState::kPending;
  EntryQa qa = EntryQa::kNone;
  double wall_s = 0.0;  // wall seconds of the last finished try
  int tries = 0;        // finished tries (done or failed); a killed try is not counted
  std::string reason;   // why it failed (one line); for a QA failure, the failed checks
  bool operator==(const EntryStatus&) const = default;
};

struct ArchiveStatus {
  std::string manifest;
  std::vector<EntryStatus> entries;  // sorted by entry number
};

inline constexpr const char* kStatusSchema = "framefarm.archive-status/1";

const char* to_string(EntryState state);

std::string status_json(const ArchiveStatus& status);
// Throws ff::RuntimeError naming `path` when the text is not a status file.
ArchiveStatus parse_status(const std::string& text, const std::filesystem::path& path);
// The file's status; an empty status (no entries) when it does not exist.
ArchiveStatus read_status(const std::filesystem::path& path);

// The manifest's entries as fresh pending records.
std::vector<EntryStatus> pending_entries(const Manifest& manifest);

// `current` brought in line with the manifest (`fresh`: pending_entries):
// entries the manifest lacks are dropped, entries it adds are pending, a
// record whose input differs from the manifest's (the manifest was edited)
// starts over as pending, and every kept record takes the manifest's output
// path (the output directory may have moved). Then each of `updates`
// replaces its entry's record.
ArchiveStatus merge_status(ArchiveStatus current, const std::string& manifest,
                           const std::vector<EntryStatus>& fresh,
                           const std::vector<EntryStatus>& updates);

// An exclusive lock on a file held for the object's lifetime (flock on an
// fd of its own, so it excludes other processes and other holders in this
// process). Throws ff::RuntimeError naming the file when it cannot lock.
class FileLock {
 public:
  explicit FileLock(const std::filesystem::path& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

// `<status>.lock`
std::filesystem::path lock_path_of(const std::filesystem::path& status_file);

// Under the lock: reads the file, merges (merge_status), writes it
// atomically; returns what was written.
ArchiveStatus update_status(const std::filesystem::path& status_file, const Manifest& manifest,
                            const std::vector<EntryStatus>& updates);

// The record of entry `number`, or nullptr.
const EntryStatus* find_entry(const ArchiveStatus& status, int number);

enum class EntryAction {
  kRun,            // no record, pending, failed with tries left, or done without its output
  kSkipDone,       // done and its output exists
  kSkipExhausted,  // failed max_tries times: not retried
};
EntryAction decide_entry(const EntryStatus* record, bool output_exists, int max_tries);

}  // namespace ff::coordinator
