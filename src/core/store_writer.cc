// GroupWriter: datasets and attributes of one group of a commit in progress.
#include <set>

#include "core/store.h"
#include "core/store_hdf5.h"

namespace ff::core {
namespace {

// A dataset or group name inside one group: one non-empty path component.
void check_name(const GroupWriter::Impl& g, const std::string& name, const char* what) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
    throw RuntimeError(g.file.string() + ": " + g.path + ": invalid " + what + " name \"" + name +
                       "\"; use one name without '/'");
  }
}

std::string child_path(const GroupWriter::Impl& g, const std::string& name) {
  return g.path == "/" ? "/" + name : g.path + "/" + name;
}

void check_new(const GroupWriter::Impl& g, const std::string& name, const char* what) {
  check_name(g, name, what);
  if (g.group.nameExists(name)) {
    throw RuntimeError(g.file.string() + ": " + child_path(g, name) +
                       " is written twice in one commit; write each name once");
  }
}

template <typename T>
void write_dataset(GroupWriter::Impl& g, const std::string& name, std::span<const T> values,
                   const std::vector<std::string>* columns, const std::string& units) {
  const std::string path = child_path(g, name);
  h5::guard(g.file, "writing " + path, h5::kWriteHint, [&] {
    check_new(g, name, "dataset");
    const std::string where = g.file.string() + ": " + path;
    if (units.empty()) {
      throw RuntimeError(where + ": units are empty; every dataset names its units, e.g. \"s\"");
    }
    hsize_t dims[2] = {values.size(), 1};
    int ndim = 1;
    if (columns != nullptr) {
      if (columns->empty()) throw RuntimeError(where + ": a table needs at least one column");
      std::set<std::string> seen;
      for (const auto& c : *columns) {
        if (c.empty() || !seen.insert(c).second) {
          throw RuntimeError(where + ": column names must be unique and non-empty, got \"" + c +
                             "\"");
        }
      }
      if (values.size() % columns->size() != 0) {
        throw RuntimeError(where + ": " + std::to_string(values.size()) +
                           " values do not fill rows of " + std::to_string(columns->size()) +
                           " columns");
      }
      dims[0] = values.size() / columns->size();
      dims[1] = columns->size();
      ndim = 2;
    }
    const H5::DataSpace space(ndim, dims);
    H5::DataSet dataset = g.group.createDataSet(name, h5::Traits<T>::stored(), space);
    if (!values.empty()) dataset.write(values.data(), h5::Traits<T>::memory());
    h5::write_attr_string(dataset, "units", units);
    if (columns != nullptr) h5::write_attr_strings(dataset, "columns", *columns);
  });
}

// Runs `fn(object)` on this group (object ".") or a child written earlier.
template <typename Fn>
void on_object(GroupWriter::Impl& g, const std::string& object, const std::string& name, Fn fn) {
  const std::string path = object == "." ? g.path : child_path(g, object);
  h5::guard(g.file, "writing attribute " + name + " of " + path, h5::kWriteHint, [&] {
    if (object != ".") check_name(g, object, "object");
    if (name.empty()) throw RuntimeError(g.file.string() + ": " + path + ": empty attribute name");
    if (object != "." && !g.group.nameExists(object)) {
      throw RuntimeError(g.file.string() + ": " + path +
                         " does not exist yet; write it before its attributes");
    }
    auto set = [&](H5::H5Object& target) {
      if (target.attrExists(name)) {
        throw RuntimeError(g.file.string() + ": " + path + ": attribute " + name +
                           " is set twice; set each attribute once");
      }
      fn(target);
    };
    if (object == ".") {
      set(g.group);
    } else if (g.group.childObjType(object) == H5O_TYPE_GROUP) {
      H5::Group child = g.group.openGroup(object);
      set(child);
    } else {
      H5::DataSet child = g.group.openDataSet(object);
      set(child);
    }
  });
}

}  // namespace

GroupWriter::GroupWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GroupWriter::~GroupWriter() = default;
GroupWriter::GroupWriter(GroupWriter&&) noexcept = default;
GroupWriter& GroupWriter::operator=(GroupWriter&&) noexcept = default;

const std::string& GroupWriter::path() const {
  return impl_->path;
}

void GroupWriter::write(const std::string& name, std::span<const int64_t> values,
                        const std::string& units) {
  write_dataset<int64_t>(*impl_, name, values, nullptr, units);
}
void GroupWriter::write(const std::string& name, std::span<const int32_t> values,
                        const std::string& units) {
  write_dataset<int32_t>(*impl_, name, values, nullptr, units);
}
void GroupWriter::write(const std::string& name, std::span<const double> values,
                        const std::string& units) {
  write_dataset<double>(*impl_, name, values, nullptr, units);
}
void GroupWriter::write(const std::string& name, std::span<const float> values,
                        const std::string& units) {
  write_dataset<float>(*impl_, name, values, nullptr, units);
}

void GroupWriter::write_table(const std::string& name, std::span<const int64_t> values,
                              const std::vector<std::string>& columns, const std::string& units) {
  write_dataset<int64_t>(*impl_, name, values, &columns, units);
}
void GroupWriter::write_table(const std::string& name, std::span<const int32_t> values,
                              const std::vector<std::string>& columns, const std::string& units) {
  write_dataset<int32_t>(*impl_, name, values, &columns, units);
}
void GroupWriter::write_table(const std::string& name, std::span<const double> values,
                              const std::vector<std::string>& columns, const std::string& units) {
  write_dataset<double>(*impl_, name, values, &columns, units);
}
void GroupWriter::write_table(const std::string& name, std::span<const float> values,
                              const std::vector<std::string>& columns, const std::string& units) {
  write_dataset<float>(*impl_, name, values, &columns, units);
}

GroupWriter GroupWriter::group(const std::string& name) {
  Impl& g = *impl_;
  const std::string path = child_path(g, name);
  return h5::guard(g.file, "creating group " + path, h5::kWriteHint, [&] {
    check_new(g, name, "group");
    return GroupWriter(std::make_unique<Impl>(Impl{g.file, path, g.group.createGroup(name)}));
  });
}

void GroupWriter::set_attr_string(const std::string& name, const std::string& value) {
  set_attr_string(".", name, value);
}
void GroupWriter::set_attr_i64(const std::string& name, int64_t value) {
  set_attr_i64(".", name, value);
}
void GroupWriter::set_attr_f64(const std::string& name, double value) {
  set_attr_f64(".", name, value);
}

void GroupWriter::set_attr_string(const std::string& object, const std::string& name,
                                  const std::string& value) {
  on_object(*impl_, object, name,
            [&](H5::H5Object& target) { h5::write_attr_string(target, name, value); });
}

void GroupWriter::set_attr_i64(const std::string& object, const std::string& name, int64_t value) {
  on_object(*impl_, object, name, [&](H5::H5Object& target) {
    target.createAttribute(name, H5::PredType::STD_I64LE, H5::DataSpace(H5S_SCALAR))
        .write(H5::PredType::NATIVE_INT64, &value);
  });
}

void GroupWriter::set_attr_f64(const std::string& object, const std::string& name, double value) {
  on_object(*impl_, object, name, [&](H5::H5Object& target) {
    target.createAttribute(name, H5::PredType::IEEE_F64LE, H5::DataSpace(H5S_SCALAR))
        .write(H5::PredType::NATIVE_DOUBLE, &value);
  });
}

}  // namespace ff::core
