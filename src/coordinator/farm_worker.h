#pragma once
// The executing side of the farm (internal to farm.cc): the loop of a worker
// rank, rank 0's local worker thread, and typed send/receive of the
// protocol's messages.
//
//   send_msg(comm, 0, protocol::ReadyMsg{rank});           // tag from ReadyMsg::kTag
//   auto assign = recv_msg<protocol::AssignMsg>(comm, 0);  // matching tag only
#include <mpi.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>

#include "coordinator/farm.h"
#include "coordinator/farm_dispatch.h"
#include "coordinator/mpi_env.h"
#include "coordinator/protocol.h"

namespace ff::coordinator {

template <typename Msg>
void send_msg(MPI_Comm comm, int dest, const Msg& msg) {
  static_assert(protocol::kIsMessage<Msg>);
  FF_MPI_CHECK(MPI_Send(&msg, static_cast<int>(sizeof(Msg)), MPI_BYTE, dest,
                        protocol::tag_value(Msg::kTag), comm));
}

template <typename Msg>
Msg recv_msg(MPI_Comm comm, int source) {
  static_assert(protocol::kIsMessage<Msg>);
  Msg msg{};
  FF_MPI_CHECK(MPI_Recv(&msg, static_cast<int>(sizeof(Msg)), MPI_BYTE, source,
                        protocol::tag_value(Msg::kTag), comm, MPI_STATUS_IGNORE));
  return msg;
}

// A worker rank (not 0): asks rank 0 for tasks on `comm` and runs them until
// told DONE (returns the number of tries it executed) or ABORT (throws
// FarmError with the coordinator's message and `report`).
int64_t run_worker_rank(MPI_Comm comm, int rank, const Execute& execute, FarmReport report);

// Rank 0's worker thread: runs one assigned task at a time, never calls MPI.
// The coordinator thread assigns a task when the thread is idle and collects
// the outcome with wait_for_outcome, which doubles as its sleep.
class LocalWorker {
 public:
  explicit LocalWorker(const Execute& execute);
  ~LocalWorker();  // stops the thread after its current task
  LocalWorker(const LocalWorker&) = delete;
  LocalWorker& operator=(const LocalWorker&) = delete;

  void assign(int32_t task_id);
  // Waits up to `timeout` for the assigned task's outcome.
  std::optional<Outcome> wait_for_outcome(std::chrono::microseconds timeout);
  int64_t executed() const;

 private:
  void loop();

  const Execute& execute_;
  mutable std::mutex mutex_;
  std::condition_variable task_ready_;
  std::condition_variable outcome_ready_;
  std::optional<int32_t> task_;
  std::optional<Outcome> outcome_;
  bool stop_ = false;
  int64_t executed_ = 0;
  std::thread thread_;
};

}  // namespace ff::coordinator
