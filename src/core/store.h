#pragma once
// analysis.h5, the job store (DESIGN.md §2): probe results, scan arrays, the
// plan and metrics of one job, readable with h5dump or h5py.
//
// Layout: one group per phase (`/probe`, `/scan`, `/audio`, `/plan`,
// `/metrics`, nested groups allowed, e.g. `/metrics/render`). Datasets are
// int64, int32, float64 or float32, 1-D or 2-D (row-major); a 2-D dataset
// names its columns in a string-array attribute `columns`. Every dataset has
// a string attribute `units` ("s", "frames", "LUFS", "normalised", "count").
// Groups and datasets may carry scalar attributes (string, int64, float64).
//
// Commits are copy-on-write. Store::commit(group, writer) builds a new file
// at `analysis.h5.tmp-<host>-<pid>`: it copies every object of the current
// analysis.h5 except `group` (H5Ocopy), creates `group` afresh, runs
// `writer`, closes, fsyncs and renames the temp over analysis.h5, then
// fsyncs the directory (core/atomic_file.h). So
//   - a phase's results appear only when its commit completes;
//   - a crash, kill or throwing writer leaves analysis.h5 byte-identical
//     (and at most a temp file behind, removed on the next commit by the
//     same pid, or by hand);
//   - replacing a group reclaims its space. HDF5 does not reuse the space of
//     deleted objects once a file is closed, so "copy, delete the group in
//     place, write" would grow the file by the old group on every commit.
// The cost is a full rewrite per commit: the file is a few MB even for a
// 45-minute input (the largest dataset, /plan/crop at 30 fps, is 81,000 rows
// of 4 doubles, 2.6 MB), about 10 commits per job, so well under a second of
// I/O per job. HDF5 file locking is switched off: each commit writes a new
// file and only rank 0 writes, and flock fails on some Lustre/NFS mounts.
//
// Reading opens the file read-only per call, so a Store sees every commit,
// including those of another Store on the same file. A file that is not HDF5
// or is damaged gives ff::RuntimeError naming the file and saying "delete the
// work directory's analysis.h5 to rescan"; HDF5's own error stack is never
// printed, and no HDF5 exception leaves this component.
//
// Thread safety: commits are serialised within the process (they share the
// temp name); reads may run from any thread (the Debian HDF5 build is
// thread-safe).
//
// Example:
//   ff::core::Store store(work_dir / ff::core::Store::kFileName);
//   store.commit("/scan", [&](ff::core::GroupWriter& g) {
//     g.write("frame_pts", pts, "stream time base ticks");
//     g.write_table("faces", face_values, {"frame", "x", "y", "w", "h"}, "normalised");
//     g.set_attr_i64("frame_count", n);
//   });
//   if (store.has("/scan")) {
//     auto faces = store.read_f32("/scan/faces");   // faces.rows, faces.column("x")
//   }
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ff::core {

// One dataset read back: values, shape, column names and units.
template <typename T>
struct StoredArray {
  std::string path;                  // "/scan/faces"
  std::vector<T> data;               // row-major, rows * cols values
  int ndim = 1;                      // 1 or 2
  int64_t rows = 0;                  // 1-D: the number of values
  int64_t cols = 1;                  // 1-D: 1
  std::vector<std::string> columns;  // 2-D: one name per column; 1-D: empty
  std::string units;

  T at(int64_t row, int64_t col) const { return data[static_cast<size_t>(row * cols + col)]; }
  // Index of column `name`; throws ff::RuntimeError naming the dataset and
  // the columns it has.
  int64_t column_index(std::string_view name) const;
  // A copy of one column of a 2-D dataset.
  std::vector<T> column(std::string_view name) const;
};

// Writes datasets and attributes into one group of a commit in progress.
// Only valid inside the writer callback of Store::commit. Names are single
// path components (no '/'); `object` names a dataset or subgroup of this
// group, "." is the group itself. Errors are ff::RuntimeError.
class GroupWriter {
 public:
  struct Impl;
  explicit GroupWriter(std::unique_ptr<Impl> impl);
  ~GroupWriter();
  GroupWriter(GroupWriter&&) noexcept;
  GroupWriter& operator=(GroupWriter&&) noexcept;

  // The group's absolute path, e.g. "/scan".
  const std::string& path() const;

  // 1-D datasets. `units` must not be empty.
  void write(const std::string& name, std::span<const int64_t> values, const std::string& units);
  void write(const std::string& name, std::span<const int32_t> values, const std::string& units);
  void write(const std::string& name, std::span<const double> values, const std::string& units);
  void write(const std::string& name, std::span<const float> values, const std::string& units);

  // 2-D datasets: `values` row-major with columns.size() values per row.
  void write_table(const std::string& name, std::span<const int64_t> values,
                   const std::vector<std::string>& columns, const std::string& units);
  void write_table(const std::string& name, std::span<const int32_t> values,
                   const std::vector<std::string>& columns, const std::string& units);
  void write_table(const std::string& name, std::span<const double> values,
                   const std::vector<std::string>& columns, const std::string& units);
  void write_table(const std::string& name, std::span<const float> values,
                   const std::vector<std::string>& columns, const std::string& units);

  // A subgroup, created now.
  GroupWriter group(const std::string& name);

  // Scalar attributes on this group ...
  void set_attr_string(const std::string& name, const std::string& value);
  void set_attr_i64(const std::string& name, int64_t value);
  void set_attr_f64(const std::string& name, double value);
  // ... or on a dataset or subgroup `object` written earlier.
  void set_attr_string(const std::string& object, const std::string& name,
                       const std::string& value);
  void set_attr_i64(const std::string& object, const std::string& name, int64_t value);
  void set_attr_f64(const std::string& object, const std::string& name, double value);

 private:
  std::unique_ptr<Impl> impl_;
};

class Store {
 public:
  static constexpr const char* kFileName = "analysis.h5";

  // `file` is the path of analysis.h5; it need not exist yet.
  explicit Store(std::filesystem::path file);

  const std::filesystem::path& file() const { return file_; }
  bool exists() const;

  // Replaces `group` ("/scan", "/metrics/render"; not "/") with what
  // `writer` writes, leaving every other object as it was. If `writer`
  // throws, its exception propagates and analysis.h5 is unchanged.
  void commit(const std::string& group, const std::function<void(GroupWriter&)>& writer);

  // Whether a group or dataset exists; false when the file does not exist.
  bool has(const std::string& path) const;
  bool has_attr(const std::string& path, const std::string& name) const;
  // Names of the groups and datasets directly inside `group`, sorted.
  std::vector<std::string> children(const std::string& group) const;

  // A dataset's values; its stored type must match exactly (read_f32 on a
  // float64 dataset is an error naming the stored type).
  StoredArray<int64_t> read_i64(const std::string& path) const;
  StoredArray<int32_t> read_i32(const std::string& path) const;
  StoredArray<double> read_f64(const std::string& path) const;
  StoredArray<float> read_f32(const std::string& path) const;

  // A scalar attribute of a group or dataset. read_attr_i64 accepts any
  // integer attribute; read_attr_f64 accepts floating-point ones only.
  std::string read_attr_string(const std::string& path, const std::string& name) const;
  int64_t read_attr_i64(const std::string& path, const std::string& name) const;
  double read_attr_f64(const std::string& path, const std::string& name) const;

 private:
  std::filesystem::path file_;
};

extern template struct StoredArray<int64_t>;
extern template struct StoredArray<int32_t>;
extern template struct StoredArray<double>;
extern template struct StoredArray<float>;

}  // namespace ff::core
