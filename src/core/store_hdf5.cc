#include "core/store_hdf5.h"

#include <algorithm>
#include <cstring>
#include <system_error>

namespace ff::core::h5 {
namespace {

thread_local std::string t_last_error;

herr_t keep_innermost(unsigned n, const H5E_error2_t* err, void* /*client*/) {
  // Walking upward, entry 0 is where the failure was detected: the most
  // specific description ("truncated file: eof = ...").
  if (n == 0 && err != nullptr && err->desc != nullptr) t_last_error = err->desc;
  return 0;
}

herr_t capture_error_stack(hid_t stack, void* /*client*/) {
  t_last_error.clear();
  H5Ewalk2(stack, H5E_WALK_UPWARD, keep_innermost, nullptr);
  return 0;
}

void check(herr_t rc, const char* call) {
  if (rc < 0) throw H5::Exception(call, "failed");
}

// Copies the attributes of `src` onto `dst` byte for byte, in their stored
// type (variable-length strings included).
void copy_attributes(const H5::H5Object& src, H5::H5Object& dst) {
  const int n = src.getNumAttrs();
  for (int i = 0; i < n; ++i) {
    const H5::Attribute from = src.openAttribute(static_cast<unsigned>(i));
    const H5::DataType type = from.getDataType();
    const H5::DataSpace space = from.getSpace();
    const auto points = static_cast<size_t>(space.getSimpleExtentNpoints());
    std::vector<unsigned char> buffer(points * type.getSize());
    from.read(type, buffer.data());
    try {
      H5::Attribute to = dst.createAttribute(from.getName(), type, space);
      to.write(type, buffer.data());
    } catch (...) {
      H5Dvlen_reclaim(type.getId(), space.getId(), H5P_DEFAULT, buffer.data());
      throw;
    }
    check(H5Dvlen_reclaim(type.getId(), space.getId(), H5P_DEFAULT, buffer.data()),
          "H5Dvlen_reclaim");
  }
}

H5::StrType utf8_string_type() {
  H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
  type.setCset(H5T_CSET_UTF8);
  return type;
}

void require_string(const H5::Attribute& attr, const std::string& where) {
  const H5::DataType type = attr.getDataType();
  if (type.getClass() != H5T_STRING) {
    throw RuntimeError(where + " holds " + describe(type) + ", not a string");
  }
}

}  // namespace

void quiet() {
  thread_local bool done = false;
  if (done) return;
  H5::Exception::dontPrint();
  H5Eset_auto2(H5E_DEFAULT, capture_error_stack, nullptr);
  done = true;
}

std::string last_error() {
  return t_last_error;
}

void rethrow(const std::filesystem::path& file, const std::string& doing, const char* hint,
             const H5::Exception& e) {
  std::string detail = t_last_error;
  if (detail.empty()) detail = e.getFuncName() + ": " + e.getDetailMsg();
  throw RuntimeError(file.string() + ": " + doing + " failed (HDF5: " + detail + "); " + hint);
}

H5::FileAccPropList file_access() {
  H5::FileAccPropList access;
  access.setFcloseDegree(H5F_CLOSE_STRONG);
  check(H5Pset_file_locking(access.getId(), false, true), "H5Pset_file_locking");
  return access;
}

H5::H5File open_read(const std::filesystem::path& file) {
  quiet();
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    throw RuntimeError(file.string() + ": does not exist; run the job to create it");
  }
  t_last_error.clear();
  const htri_t is_hdf5 = H5Fis_hdf5(file.c_str());
  if (is_hdf5 < 0) {
    throw RuntimeError(file.string() + ": cannot be read (" + t_last_error + "); " + kRescanHint);
  }
  if (is_hdf5 == 0) throw RuntimeError(file.string() + ": not an HDF5 file; " + kRescanHint);
  try {
    return H5::H5File(file.string(), H5F_ACC_RDONLY, H5::FileCreatPropList::DEFAULT, file_access());
  } catch (const H5::Exception&) {
    throw RuntimeError(file.string() + ": damaged HDF5 file (" + t_last_error + "); " +
                       kRescanHint);
  }
}

std::vector<std::string> split_path(const std::filesystem::path& file, const std::string& path) {
  std::vector<std::string> components;
  size_t begin = path.starts_with('/') ? 1 : 0;
  while (begin < path.size()) {
    const size_t end = std::min(path.find('/', begin), path.size());
    std::string component = path.substr(begin, end - begin);
    if (component.empty() || component == "." || component == "..") {
      throw RuntimeError(file.string() + ": invalid store path \"" + path +
                         "\"; use names separated by '/', e.g. /scan/faces");
    }
    components.push_back(std::move(component));
    begin = end + 1;
  }
  if (path.empty() || (path.ends_with('/') && path != "/")) {
    throw RuntimeError(file.string() + ": invalid store path \"" + path +
                       "\"; use names separated by '/', e.g. /scan/faces");
  }
  return components;
}

std::string join_path(const std::vector<std::string>& components) {
  std::string path;
  for (const auto& c : components) path += "/" + c;
  return path.empty() ? "/" : path;
}

bool object_exists(const H5::H5File& file, const std::vector<std::string>& components) {
  std::string path;
  for (size_t i = 0; i < components.size(); ++i) {
    path += "/" + components[i];
    if (!file.nameExists(path)) return false;
    if (i + 1 < components.size() && file.childObjType(path) != H5O_TYPE_GROUP) return false;
  }
  return true;
}

void copy_except(const H5::Group& src, H5::Group& dst, const std::vector<std::string>& components,
                 size_t depth) {
  if (depth == 0) copy_attributes(src, dst);
  const hsize_t n = src.getNumObjs();
  for (hsize_t i = 0; i < n; ++i) {
    const std::string name = src.getObjnameByIdx(i);
    if (depth < components.size() && name == components[depth]) {
      // The object being replaced, or something in its place that is not a
      // group (the new group replaces it): not copied.
      if (depth + 1 == components.size() || src.childObjType(name) != H5O_TYPE_GROUP) continue;
      const H5::Group from = src.openGroup(name);
      H5::Group to = dst.createGroup(name);
      copy_attributes(from, to);
      copy_except(from, to, components, depth + 1);
    } else {
      check(H5Ocopy(src.getId(), name.c_str(), dst.getId(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT),
            "H5Ocopy");
    }
  }
}

std::string describe(const H5::DataType& type) {
  const size_t bits = type.getSize() * 8;
  switch (type.getClass()) {
    case H5T_INTEGER: {
      const bool is_signed = H5Tget_sign(type.getId()) == H5T_SGN_2;
      return (is_signed ? "int" : "uint") + std::to_string(bits);
    }
    case H5T_FLOAT: return "float" + std::to_string(bits);
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    case H5T_ENUM: return "enum";
    default: return "an unsupported type";
  }
}

void write_attr_string(H5::H5Object& object, const std::string& name, const std::string& value) {
  const H5::StrType type = utf8_string_type();
  H5::Attribute attr = object.createAttribute(name, type, H5::DataSpace(H5S_SCALAR));
  attr.write(type, value);
}

void write_attr_strings(H5::H5Object& object, const std::string& name,
                        const std::vector<std::string>& values) {
  const H5::StrType type = utf8_string_type();
  const hsize_t count = values.size();
  H5::Attribute attr = object.createAttribute(name, type, H5::DataSpace(1, &count));
  std::vector<const char*> pointers;
  for (const auto& v : values) pointers.push_back(v.c_str());
  attr.write(type, pointers.data());
}

std::string read_attr_string(const H5::Attribute& attr, const std::string& where) {
  require_string(attr, where);
  if (attr.getSpace().getSimpleExtentNpoints() != 1) {
    throw RuntimeError(where + " is an array, not a single string");
  }
  std::string value;
  attr.read(attr.getStrType(), value);
  return value;
}

std::vector<std::string> read_attr_strings(const H5::Attribute& attr, const std::string& where) {
  require_string(attr, where);
  const H5::StrType type = attr.getStrType();
  const H5::DataSpace space = attr.getSpace();
  const auto count = static_cast<size_t>(space.getSimpleExtentNpoints());
  std::vector<std::string> values;
  if (type.isVariableStr()) {
    std::vector<char*> pointers(count, nullptr);
    attr.read(type, pointers.data());
    for (const char* p : pointers) values.emplace_back(p != nullptr ? p : "");
    check(H5Dvlen_reclaim(type.getId(), space.getId(), H5P_DEFAULT, pointers.data()),
          "H5Dvlen_reclaim");
  } else {
    const size_t size = type.getSize();
    std::vector<char> buffer(count * size);
    attr.read(type, buffer.data());
    for (size_t i = 0; i < count; ++i) {
      std::string v(buffer.data() + i * size, strnlen(buffer.data() + i * size, size));
      if (type.getStrpad() == H5T_STR_SPACEPAD) v.erase(v.find_last_not_of(' ') + 1);
      values.push_back(std::move(v));
    }
  }
  return values;
}

}  // namespace ff::core::h5
