#pragma once
// The farm's bookkeeping on rank 0, free of MPI so the single-rank path and
// the MPI coordinator share it (internal to farm.cc and its tests).
//
// Dispatch owns the queue (cost descending, then id), the tries of every
// task, which rank runs what, and the job's failure. The caller asks
// next_for(rank) when a rank is idle and hands back each task's Outcome with
// finish(); Dispatch delivers results to OnResult, requeues failed tasks and
// fails the job when a task runs out of tries.
//
//   Dispatch dispatch(config, tasks, /*worker_ranks=*/{0}, on_result);
//   for (auto d = dispatch.next_for(0); d.reply == Dispatch::Reply::kAssign;
//        d = dispatch.next_for(0)) {
//     dispatch.finish(0, execute_task(execute, d.task_id));
//   }
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "coordinator/farm.h"

namespace ff::coordinator {

// What one try of one task produced.
struct Outcome {
  int32_t task_id = 0;
  bool ok = false;
  std::vector<std::byte> payload;  // when ok
  std::string cause;               // when not ok
  double seconds = 0.0;
};

// Runs `execute(task_id)`, timing it and turning any exception into a cause.
Outcome execute_task(const Execute& execute, int32_t task_id);

class Dispatch {
 public:
  enum class Reply {
    kAssign,  // run task_id (try try_index)
    kWait,    // nothing for this rank now; ask again when something changes
    kDone,    // queue empty, nothing in flight: leave
    kAbort,   // the job failed: leave
  };
  struct Decision {
    Reply reply = Reply::kWait;
    int32_t task_id = -1;
    int try_index = 0;
  };

  // Invalid tasks or config do not throw: they fail the job at once, so the
  // MPI path still releases every worker.
  Dispatch(const FarmConfig& config, std::vector<Task> tasks, std::vector<int> worker_ranks,
           OnResult on_result);

  // The next thing for idle `rank` to do. A task that `rank` already failed
  // goes to it only when no other worker rank is left that has not.
  Decision next_for(int rank);

  // The outcome of the task `rank` was running.
  void finish(int rank, Outcome outcome);

  // Fails the job with `message` unless it already failed.
  void fail(const std::string& message);

  bool failed() const { return !failure_.empty(); }
  const std::string& failure() const { return failure_; }
  std::size_t running() const { return running_.size(); }
  std::vector<TaskReport> task_reports() const;

 private:
  enum class State { kPending, kRunning, kDone, kFailed };
  struct Entry {
    TaskReport report;
    State state = State::kPending;
    std::vector<int> failed_on;  // ranks that failed it
    std::size_t position = 0;    // in the longest-first order
  };

  std::string describe(const Entry& entry) const;
  bool another_rank_could_run(const Entry& entry, int rank) const;

  FarmConfig config_;
  OnResult on_result_;
  std::vector<int> worker_ranks_;
  std::vector<Entry> entries_;                         // input order
  std::vector<std::size_t> order_;                     // position → entry index
  std::set<std::size_t> pending_;                      // positions of pending tasks
  std::map<int, std::size_t> running_;                 // rank → entry index
  std::unordered_map<int32_t, std::size_t> index_of_;  // task id → entry index
  std::string failure_;
};

}  // namespace ff::coordinator
