#include "core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>

#include "core/error.h"

namespace ff::core {
namespace {

constexpr const char* kHint = "check that the directory exists, is writable and has free space";

[[noreturn]] void throw_errno(const std::filesystem::path& path, const std::string& call, int err) {
  throw RuntimeError(path.string() + ": " + call +
                     " failed: " + std::generic_category().message(err) + "; " + kHint);
}

// Closes a file descriptor when it goes out of scope, unless release()d.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now and reports close()'s result (NFS reports write errors here).
  int close_now() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

std::filesystem::path directory_of(const std::filesystem::path& path) {
  const auto dir = path.parent_path();
  return dir.empty() ? std::filesystem::path(".") : dir;
}

}  // namespace

void fsync_file(const std::filesystem::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) throw_errno(path, "open for fsync", errno);
  if (::fsync(fd.get()) != 0) throw_errno(path, "fsync", errno);
}

void fsync_directory(const std::filesystem::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) throw_errno(dir, "open directory for fsync", errno);
  if (::fsync(fd.get()) != 0 && errno != EINVAL && errno != ENOTSUP) {
    throw_errno(dir, "fsync of directory", errno);
  }
}

std::string temp_suffix() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::strcpy(host, "host");
  std::string name(host, ::strnlen(host, 64));
  for (char& ch : name) {
    const bool plain =
        std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '.' || ch == '_' || ch == '-';
    if (!plain) ch = '_';
  }
  return ".tmp-" + name + "-" + std::to_string(::getpid());
}

AtomicOutput::AtomicOutput(std::filesystem::path final_path)
    : final_path_(std::move(final_path)), temp_path_(final_path_.string() + temp_suffix()) {
  // A leftover from an earlier process with the same pid (Slurm requeue on a
  // fresh node reuses small pids) would otherwise be appended to or renamed.
  if (::unlink(temp_path_.c_str()) != 0 && errno != ENOENT && errno != ENOTDIR) {
    throw_errno(temp_path_, "remove stale temp file", errno);
  }
}

AtomicOutput::~AtomicOutput() {
  if (!committed_) ::unlink(temp_path_.c_str());  // may not exist: nothing to report
}

void AtomicOutput::commit() {
  if (committed_) throw RuntimeError(final_path_.string() + ": commit() called twice");
  fsync_file(temp_path_);
  if (::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    throw_errno(final_path_, "rename from " + temp_path_.filename().string(), errno);
  }
  committed_ = true;
  fsync_directory(directory_of(final_path_));
}

void write_file_atomically(const std::filesystem::path& final_path, std::string_view bytes) {
  AtomicOutput out(final_path);
  const auto& temp = out.temp_path();
  Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
  if (fd.get() < 0) throw_errno(temp, "create", errno);
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd.get(), bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno(temp, "write", errno);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  if (::fsync(fd.get()) != 0) throw_errno(temp, "fsync", errno);
  if (fd.close_now() != 0) throw_errno(temp, "close", errno);
  out.commit();
}

}  // namespace ff::core
