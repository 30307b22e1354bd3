#pragma once
// Flat binary encoding of plain structs and vectors of them, for task
// results that travel between ranks (MPI payloads) on one machine type.
// Not a file format: both ends run the same binary.
//
//   ByteWriter w;  w.put(header);  w.put_vector(frames);
//   ByteReader r(bytes);  auto h = r.get<Header>();  auto f = r.get_vector<Frame>();
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace ff {

class ByteWriter {
 public:
  template <typename T>
  void put(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto* p = reinterpret_cast<const std::byte*>(&value);
    bytes_.insert(bytes_.end(), p, p + sizeof(T));
  }
  template <typename T>
  void put_vector(const std::vector<T>& values) {
    static_assert(std::is_trivially_copyable_v<T>);
    put<uint64_t>(values.size());
    if (values.empty()) return;  // data() may be null: no pointer arithmetic on it
    const auto* p = reinterpret_cast<const std::byte*>(values.data());
    bytes_.insert(bytes_.end(), p, p + values.size() * sizeof(T));
  }
  std::vector<std::byte> take() { return std::move(bytes_); }

 private:
  std::vector<std::byte> bytes_;
};

class ByteReader {
 public:
  explicit ByteReader(std::span<const std::byte> bytes) : bytes_(bytes) {}
  template <typename T>
  T get() {
    static_assert(std::is_trivially_copyable_v<T>);
    need(sizeof(T));
    T value;
    std::memcpy(&value, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return value;
  }
  template <typename T>
  std::vector<T> get_vector() {
    const auto n = get<uint64_t>();
    if (n > (bytes_.size() - pos_) / sizeof(T))
      throw std::runtime_error("ByteReader: truncated payload");
    std::vector<T> values(n);
    if (n == 0) return values;  // memcpy from/to a null data() is undefined
    std::memcpy(values.data(), bytes_.data() + pos_, n * sizeof(T));
    pos_ += n * sizeof(T);
    return values;
  }
  bool done() const { return pos_ == bytes_.size(); }

 private:
  void need(size_t n) const {
    if (bytes_.size() - pos_ < n) throw std::runtime_error("ByteReader: truncated payload");
  }
  std::span<const std::byte> bytes_;
  size_t pos_ = 0;
};

}  // namespace ff
