#include "media/fingerprint.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "core/error.h"
#include "media/av.h"

namespace ff::media {
namespace {

// Reads `count` bytes at `offset`; throws InputError when the file is shorter
// or unreadable (it changed under us, or the disk failed).
std::vector<uint8_t> read_at(std::ifstream& in, const std::filesystem::path& path, uint64_t offset,
                             uint64_t count) {
  std::vector<uint8_t> bytes(count);
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(count));
  if (!in || static_cast<uint64_t>(in.gcount()) != count) {
    throw InputError(path.string(),
                     "cannot read " + std::to_string(count) + " bytes at offset " +
                         std::to_string(offset) + " for the fingerprint",
                     "check that the file is not being written or moved");
  }
  return bytes;
}

}  // namespace

std::string Fingerprint::key() const {
  return std::to_string(size_bytes) + ":" + std::to_string(mtime_ns) + ":" + head_tail_sha256;
}

Fingerprint fingerprint(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw InputError(path.string(), std::string("cannot stat (") + std::strerror(errno) + ")",
                     "check the path");
  }
  Fingerprint fp;
  fp.size_bytes = static_cast<uint64_t>(st.st_size);
  fp.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;

  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw InputError(path.string(), "cannot open for reading", "check the file's permissions");
  }
  const uint64_t edge = std::min(fp.size_bytes, kFingerprintEdgeBytes);
  HashContextPtr hash = make_hash("SHA256", path);
  av_hash_init(hash.get());
  const std::vector<uint8_t> head = read_at(in, path, 0, edge);
  av_hash_update(hash.get(), head.data(), head.size());
  const std::vector<uint8_t> tail = read_at(in, path, fp.size_bytes - edge, edge);
  av_hash_update(hash.get(), tail.data(), tail.size());
  fp.hashed_bytes = head.size() + tail.size();

  char hex[2 * AV_HASH_MAX_SIZE + 1] = {};
  av_hash_final_hex(hash.get(), reinterpret_cast<uint8_t*>(hex), sizeof hex);
  fp.head_tail_sha256 = hex;
  return fp;
}

}  // namespace ff::media
