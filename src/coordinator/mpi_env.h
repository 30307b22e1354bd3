#pragma once
// MPI at the edge: RAII init/finalize, checked calls, a polite wait, and two
// small collectives for phases that share a little data (e.g. the plan).
//
// MpiEnv initialises MPI with MPI_THREAD_FUNNELED (only the main thread
// calls MPI; rank 0's local worker thread never does) and makes MPI errors on
// MPI_COMM_WORLD return codes, which FF_MPI_CHECK turns into ff::RuntimeError.
// It finalises MPI when it goes away, if it was the one that initialised it.
//
//   int main(int argc, char** argv) {
//     ff::coordinator::MpiEnv mpi(&argc, &argv);
//     ff::log::init(mpi.rank(), ff::log::Level::kInfo);
//     ...
//   }
//
// MPI_Finalize waits for the other ranks; a rank that leaves main by an
// exception the other ranks do not share should call MpiEnv::abort_job first.
//
// Open MPI busy-polls in blocking calls, so code that may wait long (an idle
// worker, a rank waiting for the plan) waits with wait_with_backoff: MPI_Test
// then a sleep that grows from 0.2 ms to 5 ms, a fraction of a core's time.
#include <mpi.h>

#include <chrono>
#include <cstddef>
#include <span>
#include <vector>

namespace ff::coordinator {

class MpiEnv {
 public:
  // Initialises MPI unless it already is (then it only reads rank and size).
  // Throws ff::RuntimeError when the library cannot give `required_thread_level`.
  MpiEnv(int* argc, char*** argv, int required_thread_level = MPI_THREAD_FUNNELED);
  ~MpiEnv();
  MpiEnv(const MpiEnv&) = delete;
  MpiEnv& operator=(const MpiEnv&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  int thread_level() const { return thread_level_; }

  // Ends every rank of the job now with `exit_code` (MPI_Abort).
  [[noreturn]] static void abort_job(int exit_code);

 private:
  bool owns_ = false;
  int rank_ = 0;
  int size_ = 1;
  int thread_level_ = MPI_THREAD_SINGLE;
};

// Rank and size in MPI_COMM_WORLD; 0 and 1 when MPI is not initialised (or
// already finalised), so single-process tools and tests need no MPI_Init.
int world_rank();
int world_size();
bool mpi_active();

// Throws ff::RuntimeError("MPI_Send(...) failed at farm.cc:120: <MPI's text>")
// when `rc` is not MPI_SUCCESS. Use through FF_MPI_CHECK.
void check_mpi(int rc, const char* call, const char* file, int line);
#define FF_MPI_CHECK(call) ::ff::coordinator::check_mpi((call), #call, __FILE__, __LINE__)

// Sleep intervals for polling: first, then doubling up to max.
class Backoff {
 public:
  explicit Backoff(std::chrono::microseconds first = std::chrono::microseconds(200),
                   std::chrono::microseconds max = std::chrono::microseconds(5000))
      : first_(first), max_(max), next_(first) {}
  // The interval to wait now; the following one is twice as long (capped).
  std::chrono::microseconds next();
  // Sleeps for next().
  void sleep();
  void reset() { next_ = first_; }

 private:
  std::chrono::microseconds first_;
  std::chrono::microseconds max_;
  std::chrono::microseconds next_;
};

// Completes `request` by MPI_Test plus Backoff sleeps, not by spinning.
void wait_with_backoff(MPI_Request& request);

// Collective over MPI_COMM_WORLD: every rank gets root's `bytes` (other
// ranks' `bytes` are ignored). Without MPI or with one rank: a copy.
//   auto plan = broadcast_bytes(rank == 0 ? encode(plan) : {});
std::vector<std::byte> broadcast_bytes(std::span<const std::byte> bytes, int root = 0);

// Collective over MPI_COMM_WORLD: root gets every rank's `bytes`, indexed by
// rank; the other ranks get an empty vector.
std::vector<std::vector<std::byte>> gather_bytes(std::span<const std::byte> bytes, int root = 0);

}  // namespace ff::coordinator
