// Store: copy-on-write commits and reads of analysis.h5 (see store.h).
#include "core/store.h"

#include <algorithm>
#include <mutex>
#include <system_error>
#include <type_traits>

#include "core/atomic_file.h"
#include "core/store_hdf5.h"

namespace ff::core {
namespace {

// Commits of one process share the temp name `<file>.tmp-<host>-<pid>`.
std::mutex& commit_mutex() {
  static std::mutex mutex;
  return mutex;
}

// Set while this thread runs a commit's writer.
thread_local bool t_in_commit = false;

// Creates the groups of components[depth..] that do not exist yet below
// `parent` (copy_except recreated the existing ancestors); returns the last.
H5::Group create_groups(const H5::Group& parent, const std::vector<std::string>& components,
                        size_t depth) {
  if (depth == components.size()) return parent;
  const std::string& name = components[depth];
  const H5::Group child =
      parent.nameExists(name) ? parent.openGroup(name) : parent.createGroup(name);
  return create_groups(child, components, depth + 1);
}

std::string where(const std::filesystem::path& file, const std::string& path) {
  return file.string() + ": " + path;
}

// Opens the group or dataset at `path` and runs `fn(H5::H5Object&)` on it.
template <typename Fn>
auto with_object(const std::filesystem::path& file, const std::string& path, Fn fn) {
  const auto components = h5::split_path(file, path);
  const std::string abs = h5::join_path(components);
  return h5::guard(file, "reading " + abs, h5::kRescanHint, [&] {
    H5::H5File f = h5::open_read(file);
    if (!h5::object_exists(f, components)) {
      throw RuntimeError(where(file, abs) +
                         " not found; the phase that writes it has not completed");
    }
    if (components.empty() || f.childObjType(abs) == H5O_TYPE_GROUP) {
      H5::Group group = f.openGroup(abs);
      return fn(group);
    }
    H5::DataSet dataset = f.openDataSet(abs);
    return fn(dataset);
  });
}

H5::Attribute open_attribute(const std::filesystem::path& file, const std::string& path,
                             const H5::H5Object& object, const std::string& name) {
  if (!object.attrExists(name)) {
    throw RuntimeError(where(file, path) + " has no attribute " + name +
                       "; the phase that writes it has not completed");
  }
  return object.openAttribute(name);
}

template <typename T>
StoredArray<T> read_array(const std::filesystem::path& file, const std::string& path) {
  const auto components = h5::split_path(file, path);
  const std::string abs = h5::join_path(components);
  return h5::guard(file, "reading " + abs, h5::kRescanHint, [&] {
    H5::H5File f = h5::open_read(file);
    if (!h5::object_exists(f, components)) {
      throw RuntimeError(where(file, abs) +
                         " not found; the phase that writes it has not completed");
    }
    if (components.empty() || f.childObjType(abs) != H5O_TYPE_DATASET) {
      throw RuntimeError(where(file, abs) + " is a group, not a dataset");
    }
    const H5::DataSet dataset = f.openDataSet(abs);
    const H5::DataType type = dataset.getDataType();
    const H5T_class_t want = std::is_integral_v<T> ? H5T_INTEGER : H5T_FLOAT;
    const bool sign_ok = !std::is_integral_v<T> || H5Tget_sign(type.getId()) == H5T_SGN_2;
    if (type.getClass() != want || type.getSize() != sizeof(T) || !sign_ok) {
      throw RuntimeError(where(file, abs) + " holds " + h5::describe(type) + " values, not " +
                         h5::Traits<T>::kName);
    }
    const H5::DataSpace space = dataset.getSpace();
    const int ndim = space.getSimpleExtentNdims();
    if (ndim != 1 && ndim != 2) {
      throw RuntimeError(where(file, abs) + " has " + std::to_string(ndim) +
                         " dimensions; the store holds 1-D and 2-D datasets");
    }
    hsize_t dims[2] = {0, 1};
    space.getSimpleExtentDims(dims);
    StoredArray<T> out;
    out.path = abs;
    out.ndim = ndim;
    out.rows = static_cast<int64_t>(dims[0]);
    out.cols = static_cast<int64_t>(dims[1]);
    out.data.resize(static_cast<size_t>(dims[0] * dims[1]));
    if (!out.data.empty()) dataset.read(out.data.data(), h5::Traits<T>::memory());
    if (dataset.attrExists("units")) {
      out.units = h5::read_attr_string(dataset.openAttribute("units"), where(file, abs) + " units");
    }
    if (dataset.attrExists("columns")) {
      out.columns =
          h5::read_attr_strings(dataset.openAttribute("columns"), where(file, abs) + " columns");
    }
    if (ndim == 2 && out.columns.size() != dims[1]) {
      throw RuntimeError(where(file, abs) + " has " + std::to_string(dims[1]) + " columns but " +
                         std::to_string(out.columns.size()) + " column names; " + h5::kRescanHint);
    }
    return out;
  });
}

}  // namespace

template <typename T>
int64_t StoredArray<T>::column_index(std::string_view name) const {
  const auto it = std::find(columns.begin(), columns.end(), name);
  if (it == columns.end()) {
    std::string names;
    for (const auto& c : columns) names += (names.empty() ? "" : ", ") + c;
    throw RuntimeError(path + " has no column \"" + std::string(name) +
                       "\"; its columns are: " + (names.empty() ? "none (1-D)" : names));
  }
  return it - columns.begin();
}

template <typename T>
std::vector<T> StoredArray<T>::column(std::string_view name) const {
  const int64_t col = column_index(name);
  std::vector<T> out;
  out.reserve(static_cast<size_t>(rows));
  for (int64_t row = 0; row < rows; ++row) out.push_back(at(row, col));
  return out;
}

template struct StoredArray<int64_t>;
template struct StoredArray<int32_t>;
template struct StoredArray<double>;
template struct StoredArray<float>;

Store::Store(std::filesystem::path file) : file_(std::move(file)) {}

bool Store::exists() const {
  std::error_code ec;
  return std::filesystem::exists(file_, ec);
}

void Store::commit(const std::string& group, const std::function<void(GroupWriter&)>& writer) {
  const auto components = h5::split_path(file_, group);
  if (components.empty()) {
    throw RuntimeError(file_.string() +
                       ": cannot commit the root group; commit one group such as /scan");
  }
  const std::string abs = h5::join_path(components);
  if (t_in_commit) {
    throw RuntimeError(file_.string() + ": commit of " + abs +
                       " started inside another commit's writer; commit groups one after another");
  }
  const std::lock_guard lock(commit_mutex());
  AtomicOutput out(file_);
  h5::guard(file_, "committing " + abs, h5::kWriteHint, [&] {
    H5::H5File temp(out.temp_path().string(), H5F_ACC_TRUNC, H5::FileCreatPropList::DEFAULT,
                    h5::file_access());
    if (exists()) {
      h5::guard(file_, "copying " + file_.filename().string() + " for the commit of " + abs,
                h5::kRescanHint, [&] {
                  const H5::H5File old = h5::open_read(file_);
                  H5::Group to = temp.openGroup("/");
                  h5::copy_except(old.openGroup("/"), to, components, 0);
                });
    }
    {
      GroupWriter group_writer(std::make_unique<GroupWriter::Impl>(
          GroupWriter::Impl{file_, abs, create_groups(temp.openGroup("/"), components, 0)}));
      t_in_commit = true;
      try {
        writer(group_writer);
      } catch (...) {
        t_in_commit = false;
        throw;
      }
      t_in_commit = false;
    }
    temp.close();  // flushes: a full disk shows up here
  });
  out.commit();
}

bool Store::has(const std::string& path) const {
  const auto components = h5::split_path(file_, path);
  if (!exists()) return false;
  return h5::guard(file_, "looking up " + h5::join_path(components), h5::kRescanHint,
                   [&] { return h5::object_exists(h5::open_read(file_), components); });
}

bool Store::has_attr(const std::string& path, const std::string& name) const {
  if (!has(path)) return false;
  return with_object(file_, path, [&](H5::H5Object& object) { return object.attrExists(name); });
}

std::vector<std::string> Store::children(const std::string& group) const {
  return with_object(file_, group, [&](H5::H5Object& object) {
    const std::string abs = h5::join_path(h5::split_path(file_, group));
    if (object.getId() < 0 || H5Iget_type(object.getId()) != H5I_GROUP) {
      throw RuntimeError(where(file_, abs) + " is a dataset, not a group");
    }
    std::vector<std::string> names;
    const hsize_t n = object.getNumObjs();
    for (hsize_t i = 0; i < n; ++i) names.push_back(object.getObjnameByIdx(i));
    std::sort(names.begin(), names.end());
    return names;
  });
}

StoredArray<int64_t> Store::read_i64(const std::string& path) const {
  return read_array<int64_t>(file_, path);
}
StoredArray<int32_t> Store::read_i32(const std::string& path) const {
  return read_array<int32_t>(file_, path);
}
StoredArray<double> Store::read_f64(const std::string& path) const {
  return read_array<double>(file_, path);
}
StoredArray<float> Store::read_f32(const std::string& path) const {
  return read_array<float>(file_, path);
}

std::string Store::read_attr_string(const std::string& path, const std::string& name) const {
  return with_object(file_, path, [&](H5::H5Object& object) {
    const std::string abs = h5::join_path(h5::split_path(file_, path));
    return h5::read_attr_string(open_attribute(file_, abs, object, name),
                                where(file_, abs) + " attribute " + name);
  });
}

int64_t Store::read_attr_i64(const std::string& path, const std::string& name) const {
  return with_object(file_, path, [&](H5::H5Object& object) {
    const std::string abs = h5::join_path(h5::split_path(file_, path));
    const H5::Attribute attr = open_attribute(file_, abs, object, name);
    const H5::DataType type = attr.getDataType();
    if (type.getClass() != H5T_INTEGER || attr.getSpace().getSimpleExtentNpoints() != 1) {
      throw RuntimeError(where(file_, abs) + " attribute " + name + " holds " + h5::describe(type) +
                         ", not a single integer");
    }
    int64_t value = 0;
    attr.read(H5::PredType::NATIVE_INT64, &value);
    return value;
  });
}

double Store::read_attr_f64(const std::string& path, const std::string& name) const {
  return with_object(file_, path, [&](H5::H5Object& object) {
    const std::string abs = h5::join_path(h5::split_path(file_, path));
    const H5::Attribute attr = open_attribute(file_, abs, object, name);
    const H5::DataType type = attr.getDataType();
    if (type.getClass() != H5T_FLOAT || attr.getSpace().getSimpleExtentNpoints() != 1) {
      throw RuntimeError(where(file_, abs) + " attribute " + name + " holds " + h5::describe(type) +
                         ", not a single float");
    }
    double value = 0;
    attr.read(H5::PredType::NATIVE_DOUBLE, &value);
    return value;
  });
}

}  // namespace ff::core
