#pragma once
// Internal to the job store (core/store.h): the HDF5 C++ API helpers shared
// by store.cc and store_writer.cc. Nothing outside src/core/store*.cc
// includes this header, so HDF5 types and exceptions stay inside the store.
//
// Every HDF5 call runs inside guard(), which turns an H5::Exception into one
// ff::RuntimeError line with HDF5's innermost error description, e.g.
// "analysis.h5: reading /scan/faces failed (HDF5: ...); delete the work
// directory's analysis.h5 to rescan".
#include <H5Cpp.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/store.h"

namespace ff::core::h5 {

inline constexpr const char* kRescanHint = "delete the work directory's analysis.h5 to rescan";
inline constexpr const char* kWriteHint = "check free space and permissions of the work directory";

// Switches off HDF5's automatic error printing on this thread (the error
// stack is per thread in a thread-safe build) and records the innermost
// error description instead. Cheap after the first call on a thread.
void quiet();

// The innermost HDF5 error description of this thread's last failed call.
std::string last_error();

// "<file>: <doing> failed (HDF5: <detail>); <hint>"
[[noreturn]] void rethrow(const std::filesystem::path& file, const std::string& doing,
                          const char* hint, const H5::Exception& e);

// Runs `fn`, turning HDF5 exceptions into ff::RuntimeError; ff errors pass.
template <typename Fn>
auto guard(const std::filesystem::path& file, const std::string& doing, const char* hint, Fn&& fn)
    -> decltype(fn()) {
  quiet();
  try {
    return std::forward<Fn>(fn)();
  } catch (const H5::Exception& e) {
    rethrow(file, doing, hint, e);
  }
}

// File access: no file locking (flock fails on some Lustre/NFS mounts and a
// commit never writes a file someone reads), strong close (closing the file
// closes every object still open in it).
H5::FileAccPropList file_access();

// Opens `file` read-only. Throws the documented ff::RuntimeError when it is
// missing, not HDF5, or damaged (e.g. truncated).
H5::H5File open_read(const std::filesystem::path& file);

// "/metrics/render" or "metrics/render" -> {"metrics", "render"}; "/" -> {}.
// Throws ff::RuntimeError naming `file` for empty, "." or ".." components.
std::vector<std::string> split_path(const std::filesystem::path& file, const std::string& path);
std::string join_path(const std::vector<std::string>& components);

// Whether `components` name an object in `file` (every ancestor a group).
bool object_exists(const H5::H5File& file, const std::vector<std::string>& components);

// Copies every object of `src` into `dst` except the one named by
// components[depth..]; ancestors of that object are recreated as groups with
// their attributes, so everything else is kept. Root attributes are copied
// when depth == 0.
void copy_except(const H5::Group& src, H5::Group& dst, const std::vector<std::string>& components,
                 size_t depth);

// A human name for a stored type: "int64", "uint8", "float32", "string".
std::string describe(const H5::DataType& type);

// Attributes.
void write_attr_string(H5::H5Object& object, const std::string& name, const std::string& value);
void write_attr_strings(H5::H5Object& object, const std::string& name,
                        const std::vector<std::string>& values);
std::string read_attr_string(const H5::Attribute& attr, const std::string& where);
std::vector<std::string> read_attr_strings(const H5::Attribute& attr, const std::string& where);

// The element types a dataset may hold.
template <typename T>
struct Traits;
template <>
struct Traits<int64_t> {
  static const H5::PredType& memory() { return H5::PredType::NATIVE_INT64; }
  static const H5::PredType& stored() { return H5::PredType::STD_I64LE; }
  static constexpr const char* kName = "int64";
};
template <>
struct Traits<int32_t> {
  static const H5::PredType& memory() { return H5::PredType::NATIVE_INT32; }
  static const H5::PredType& stored() { return H5::PredType::STD_I32LE; }
  static constexpr const char* kName = "int32";
};
template <>
struct Traits<double> {
  static const H5::PredType& memory() { return H5::PredType::NATIVE_DOUBLE; }
  static const H5::PredType& stored() { return H5::PredType::IEEE_F64LE; }
  static constexpr const char* kName = "float64";
};
template <>
struct Traits<float> {
  static const H5::PredType& memory() { return H5::PredType::NATIVE_FLOAT; }
  static const H5::PredType& stored() { return H5::PredType::IEEE_F32LE; }
  static constexpr const char* kName = "float32";
};

}  // namespace ff::core::h5

namespace ff::core {

// What a GroupWriter writes into: the open group of the commit's temp file.
struct GroupWriter::Impl {
  std::filesystem::path file;  // analysis.h5, for messages
  std::string path;            // "/scan"
  H5::Group group;
};

}  // namespace ff::core
