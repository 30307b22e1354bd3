#pragma once
// The farm: a pull queue of tasks over MPI ranks, used by the scan, render
// and qa phases (DESIGN.md §3). Tasks are ids with a cost; what a task does
// is the caller's Execute, what happens to its result the caller's OnResult.
//
// Rank 0 coordinates. Idle workers ask for work and get the next task,
// longest first (cost descending, then id). A task that throws is retried,
// on a rank that has not failed it where one exists, up to max_tries; then
// the job fails: no new tasks are handed out, tasks in flight finish (their
// results are still delivered), and every rank leaves run_farm by throwing
// the same FarmError. With one rank (or no MPI at all) everything runs
// in-process in the calling thread, with the same order and results.
//
// When the job's ranks fill rank 0's node (ranks on the node >= its CPUs),
// or rank0_works = yes, rank 0 also executes tasks in one local thread that
// takes from the same queue; only the coordinator's thread calls MPI, so
// MPI_THREAD_FUNNELED suffices. The coordinator waits by MPI_Iprobe and short
// sleeps (0.2 ms growing to 5 ms), never in a busy-polling blocking receive.
//
// Example:
//   FarmConfig config;
//   config.name = "render";
//   config.describe_task = [&](int32_t id) { return segments[id].describe(); };
//   std::vector<Task> tasks;  // read on rank 0 only; other ranks may pass {}
//   for (const auto& s : segments) tasks.push_back({s.index, double(s.out_frames)});
//   FarmReport report = run_farm(
//       config, tasks,
//       [&](int32_t id) { return encode_segment(segments[id]); },  // any rank
//       [&](int32_t id, int rank, std::span<const std::byte> bytes, double seconds) {
//         store.add_segment_metrics(id, rank, bytes, seconds);     // rank 0 only
//       });
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"

namespace ff::coordinator {

struct Task {
  int32_t id = 0;     // unique within one run_farm call
  double cost = 0.0;  // any unit that orders tasks by expected run time
};

enum class Rank0Works {
  kAuto,  // when the ranks on rank 0's node fill its CPUs
  kYes,
  kNo,
};

// Parses a job file's "auto" / "yes" / "no"; `where` names the key for the
// error, e.g. "job.toml: farm.rank0_works".
Rank0Works parse_rank0_works(const std::string& value, const std::string& where);

// The kAuto rule: rank 0 works when the ranks on its node use all the CPUs
// the node gives them (one rank per CPU or more).
bool rank0_should_work(Rank0Works mode, int node_ranks, int node_cpus);

struct FarmConfig {
  std::string name = "farm";  // phase name for messages and logs: "scan", "render", "qa"
  Rank0Works rank0_works = Rank0Works::kAuto;
  int max_tries = 3;  // tries per task before the job fails; at least 1
  // The task's input position for error messages, e.g. "segment 7, out frames
  // 700..799"; called on rank 0 only. Optional.
  std::function<std::string(int32_t task_id)> describe_task;
};

// Runs one task on whatever rank (or rank 0's local thread) it was given to,
// returns its result payload (may be empty), throws on failure. It must not
// call MPI. On rank 0 it runs concurrently with OnResult.
using Execute = std::function<std::vector<std::byte>(int32_t task_id)>;

// Receives each successful task's payload exactly once, on rank 0, in the
// coordinator thread. `seconds` is the task's execution time on `rank`.
// If it throws, the job fails with that error.
using OnResult = std::function<void(int32_t task_id, int rank, std::span<const std::byte> payload,
                                    double seconds)>;

struct TaskReport {
  int32_t id = 0;
  double cost = 0.0;
  bool done = false;       // succeeded and delivered
  int rank = -1;           // where it succeeded (-1 if it did not)
  int tries = 0;           // tries started, successful one included
  double seconds = 0.0;    // execution time of the successful try
  std::string last_cause;  // what the last failed try threw, if any
};

struct FarmReport {
  std::vector<TaskReport> tasks;   // rank 0: every task in input order; others: empty
  int ranks = 1;                   // ranks in the job
  bool rank0_worked = false;       // rank 0 executed tasks (always with one rank)
  int64_t executed_here = 0;       // tries executed on this rank, failed ones included
  double wall_s = 0.0;             // time spent inside run_farm on this rank
  double coordinator_cpu_s = 0.0;  // rank 0: CPU time of the coordinator thread (with one
                                   // rank, the tasks it executed included)
  std::string failure;             // why the job failed; empty when it succeeded

  const TaskReport* find(int32_t task_id) const;
};

// The job failed; what() is one line naming the phase, the task, its input
// position, the tries and the last cause. Thrown on every rank.
class FarmError : public RuntimeError {
 public:
  FarmError(const std::string& message, FarmReport report)
      : RuntimeError(message), report_(std::move(report)) {}
  const FarmReport& report() const { return report_; }

 private:
  FarmReport report_;
};

// Collective over MPI_COMM_WORLD (or in-process without MPI): every rank
// calls it with the same config. `tasks` is read on rank 0 only. Returns the
// report on every rank when all tasks succeeded; throws FarmError on every
// rank when one ran out of tries, OnResult threw, or the tasks were invalid
// (duplicate ids, cost not finite, max_tries < 1). MPI failures throw
// ff::RuntimeError on the rank that saw them (the caller should abort the job).
FarmReport run_farm(const FarmConfig& config, std::vector<Task> tasks, const Execute& execute,
                    const OnResult& on_result);

}  // namespace ff::coordinator
