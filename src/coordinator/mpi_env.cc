#include "coordinator/mpi_env.h"

#include <climits>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <thread>

#include "core/error.h"

namespace ff::coordinator {
namespace {

const char* thread_level_name(int level) {
  switch (level) {
    case MPI_THREAD_SINGLE: return "MPI_THREAD_SINGLE";
    case MPI_THREAD_FUNNELED: return "MPI_THREAD_FUNNELED";
    case MPI_THREAD_SERIALIZED: return "MPI_THREAD_SERIALIZED";
    case MPI_THREAD_MULTIPLE: return "MPI_THREAD_MULTIPLE";
    default: return "an unknown MPI thread level";
  }
}

void check_root(int root, int size, const char* what) {
  if (root < 0 || root >= size) {
    throw RuntimeError(std::string(what) + ": root rank " + std::to_string(root) +
                       " is outside the job's ranks 0.." + std::to_string(size - 1));
  }
}

}  // namespace

MpiEnv::MpiEnv(int* argc, char*** argv, int required_thread_level) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized == 0) {
    FF_MPI_CHECK(MPI_Init_thread(argc, argv, required_thread_level, &thread_level_));
    owns_ = true;
  } else {
    FF_MPI_CHECK(MPI_Query_thread(&thread_level_));
  }
  FF_MPI_CHECK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
  FF_MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank_));
  FF_MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &size_));
  if (thread_level_ < required_thread_level) {
    if (owns_) MPI_Finalize();
    throw RuntimeError(std::string("MPI provides ") + thread_level_name(thread_level_) +
                       " but framefarm needs " + thread_level_name(required_thread_level) +
                       "; use an MPI library built with thread support");
  }
}

MpiEnv::~MpiEnv() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (owns_ && finalized == 0) MPI_Finalize();
}

void MpiEnv::abort_job(int exit_code) {
  if (mpi_active()) MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::exit(exit_code);
}

bool mpi_active() {
  int initialized = 0;
  int finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  return initialized != 0 && finalized == 0;
}

int world_rank() {
  if (!mpi_active()) return 0;
  int rank = 0;
  FF_MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
  return rank;
}

int world_size() {
  if (!mpi_active()) return 1;
  int size = 1;
  FF_MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &size));
  return size;
}

void check_mpi(int rc, const char* call, const char* file, int line) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  if (MPI_Error_string(rc, text, &length) != MPI_SUCCESS) length = 0;
  std::string where(file);
  if (const auto slash = where.rfind('/'); slash != std::string::npos) where.erase(0, slash + 1);
  throw RuntimeError(std::string(call) + " failed at " + where + ":" + std::to_string(line) + ": " +
                     (length > 0 ? std::string(text, static_cast<size_t>(length))
                                 : "MPI error " + std::to_string(rc)) +
                     "; the MPI job cannot continue");
}

std::chrono::microseconds Backoff::next() {
  const auto now = next_;
  next_ = std::min(next_ * 2, max_);
  return now;
}

void Backoff::sleep() {
  std::this_thread::sleep_for(next());
}

void wait_with_backoff(MPI_Request& request) {
  Backoff backoff;
  for (;;) {
    int done = 0;
    FF_MPI_CHECK(MPI_Test(&request, &done, MPI_STATUS_IGNORE));
    if (done != 0) return;
    backoff.sleep();
  }
}

std::vector<std::byte> broadcast_bytes(std::span<const std::byte> bytes, int root) {
  if (!mpi_active() || world_size() == 1) return {bytes.begin(), bytes.end()};
  const int size = world_size();
  check_root(root, size, "broadcast_bytes");
  const bool is_root = world_rank() == root;
  uint64_t count = is_root ? bytes.size() : 0;
  MPI_Request request = MPI_REQUEST_NULL;
  FF_MPI_CHECK(MPI_Ibcast(&count, 1, MPI_UINT64_T, root, MPI_COMM_WORLD, &request));
  wait_with_backoff(request);
  if (count > static_cast<uint64_t>(INT_MAX)) {
    // Every rank sees the same count, so every rank throws.
    throw RuntimeError("broadcast_bytes: " + std::to_string(count) +
                       " bytes exceed MPI's 2 GiB message limit; share a file path instead");
  }
  std::vector<std::byte> out(static_cast<size_t>(count));
  if (is_root) std::copy(bytes.begin(), bytes.end(), out.begin());
  FF_MPI_CHECK(
      MPI_Ibcast(out.data(), static_cast<int>(count), MPI_BYTE, root, MPI_COMM_WORLD, &request));
  wait_with_backoff(request);
  return out;
}

std::vector<std::vector<std::byte>> gather_bytes(std::span<const std::byte> bytes, int root) {
  if (!mpi_active() || world_size() == 1) {
    return {std::vector<std::byte>(bytes.begin(), bytes.end())};
  }
  const int size = world_size();
  check_root(root, size, "gather_bytes");
  // Every rank learns every count, so all of them agree on whether it fits.
  uint64_t count = bytes.size();
  std::vector<uint64_t> counts(static_cast<size_t>(size));
  MPI_Request request = MPI_REQUEST_NULL;
  FF_MPI_CHECK(MPI_Iallgather(&count, 1, MPI_UINT64_T, counts.data(), 1, MPI_UINT64_T,
                              MPI_COMM_WORLD, &request));
  wait_with_backoff(request);
  uint64_t total = 0;
  for (const uint64_t c : counts) total += c;
  if (total > static_cast<uint64_t>(INT_MAX)) {
    throw RuntimeError("gather_bytes: " + std::to_string(total) +
                       " bytes exceed MPI's 2 GiB message limit; write files and gather paths");
  }
  const bool is_root = world_rank() == root;
  std::vector<int> recv_counts(counts.size());
  std::vector<int> displs(counts.size());
  int offset = 0;
  for (size_t r = 0; r < counts.size(); ++r) {
    recv_counts[r] = static_cast<int>(counts[r]);
    displs[r] = offset;
    offset += recv_counts[r];
  }
  std::vector<std::byte> all(is_root ? static_cast<size_t>(total) : 0);
  FF_MPI_CHECK(MPI_Igatherv(bytes.data(), static_cast<int>(count), MPI_BYTE, all.data(),
                            recv_counts.data(), displs.data(), MPI_BYTE, root, MPI_COMM_WORLD,
                            &request));
  wait_with_backoff(request);
  std::vector<std::vector<std::byte>> out;
  if (!is_root) return out;
  out.resize(counts.size());
  for (size_t r = 0; r < counts.size(); ++r) {
    const auto first = all.begin() + displs[r];
    out[r].assign(first, first + recv_counts[r]);
  }
  return out;
}

}  // namespace ff::coordinator
