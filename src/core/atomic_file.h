#pragma once
// Files that appear complete or not at all (DESIGN.md §2, §4, §6).
//
// A file with its final name is always whole: writers write to a temporary
// name in the same directory, fsync it, rename it over the final name (an
// atomic replace on POSIX file systems) and fsync the directory so the rename
// itself survives a power cut. A crash, `scancel` or a thrown error leaves at
// most a `<final>.tmp-<host>-<pid>` file behind, never a half-written final
// file. The host is in the name because ranks on several nodes share one
// file system, and pids repeat across nodes.
//
// Used by analysis.h5 commits (core/store.h), segments, the stitched output
// and the reports.
//
// Example, bytes already in memory:
//   ff::core::write_file_atomically(work_dir / "report.json", json.dump(2));
//
// Example, a writer that needs a path (FFmpeg muxer, HDF5):
//   ff::core::AtomicOutput out(segments_dir / "seg-0007.h264");
//   encode_segment_to(out.temp_path());   // may throw: the temp is removed
//   out.commit();                         // fsync, rename, fsync directory
//
// Errors are ff::RuntimeError naming the path, the failed call and errno's
// text, e.g. "/w/report.json.tmp-node7-42: write failed: No space left on device;
// check that the directory exists, is writable and has free space".
#include <filesystem>
#include <string_view>

namespace ff::core {

// Writes `bytes` to `final_path` through a temp file + fsync + rename + fsync
// of the directory. An existing file at `final_path` is replaced atomically.
void write_file_atomically(const std::filesystem::path& final_path, std::string_view bytes);

// ".tmp-<host>-<pid>": what AtomicOutput appends to a final name. <host> is
// this node's name with anything but letters, digits, '.', '_' and '-'
// replaced by '_', at most 64 characters.
std::string temp_suffix();

// fsyncs a file's data and metadata; throws ff::RuntimeError naming `path`.
void fsync_file(const std::filesystem::path& path);

// fsyncs a directory so renames and creations inside it are durable. File
// systems that cannot sync a directory (EINVAL, ENOTSUP) are accepted.
void fsync_directory(const std::filesystem::path& dir);

// A temp path to write to, renamed to the final path by commit(). If commit()
// is never reached (an exception, an early return), the destructor removes
// the temp file and the final path is untouched. Not copyable or movable: it
// lives in the scope that writes the file.
class AtomicOutput {
 public:
  // The temp path is `<final_path>` + temp_suffix(); a stale file there (a
  // crashed earlier process on this node that had the same pid) is removed now.
  explicit AtomicOutput(std::filesystem::path final_path);
  ~AtomicOutput();
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  const std::filesystem::path& final_path() const { return final_path_; }
  const std::filesystem::path& temp_path() const { return temp_path_; }
  bool committed() const { return committed_; }

  // fsyncs the temp file, renames it to the final path, fsyncs the directory.
  // Throws ff::RuntimeError if the temp file is missing or a call fails.
  void commit();

 private:
  std::filesystem::path final_path_;
  std::filesystem::path temp_path_;
  bool committed_ = false;
};

}  // namespace ff::core
