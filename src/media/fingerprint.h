#pragma once
// The input fingerprint: cheap evidence that an input is the file a job
// already analysed, so a re-run can reuse its scan (DESIGN.md §2).
//
// It is the file's size, its modification time, and a SHA-256 over the first
// and the last MiB (libavutil's AVHashContext "SHA256", head bytes then tail
// bytes; a file under 2 MiB has its overlapping bytes hashed twice, which is
// fine since the rule is fixed). Hashing the whole of a 45-minute recording
// would cost seconds of I/O; head and tail catch re-encodes, truncation and
// most edits, and size + mtime catch the rest of the everyday cases.
//
//   Fingerprint fp = fingerprint("call.mp4");
//   fp.key();  // "104857600:1718000000123456789:9f86d0...": equal keys, same input
#include <cstdint>
#include <filesystem>
#include <string>

namespace ff::media {

struct Fingerprint {
  uint64_t size_bytes = 0;
  int64_t mtime_ns = 0;          // modification time, ns since the Unix epoch
  std::string head_tail_sha256;  // 64 lower-case hex digits
  uint64_t hashed_bytes = 0;     // bytes fed to the hash (head + tail)

  // "<size_bytes>:<mtime_ns>:<head_tail_sha256>"
  std::string key() const;
  bool operator==(const Fingerprint&) const = default;
};

// Bytes hashed at each end of the file.
inline constexpr uint64_t kFingerprintEdgeBytes = 1 << 20;

// Fingerprints `path`. Throws ff::InputError when the file cannot be read.
Fingerprint fingerprint(const std::filesystem::path& path);

}  // namespace ff::media
