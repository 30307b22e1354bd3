#include "coordinator/farm.h"

#include <mpi.h>
#include <sched.h>
#include <sys/resource.h>

#include <chrono>
#include <climits>
#include <deque>
#include <optional>
#include <thread>
#include <utility>

#include "coordinator/farm_dispatch.h"
#include "coordinator/farm_worker.h"
#include "coordinator/mpi_env.h"
#include "coordinator/protocol.h"
#include "core/log.h"

namespace ff::coordinator {
namespace {

double thread_cpu_s() {
  rusage usage{};
  if (getrusage(RUSAGE_THREAD, &usage) != 0) return 0.0;
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec);
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The farm's own communicator: a duplicate of MPI_COMM_WORLD whose errors
// return codes, so farm messages never match anyone else's.
class FarmComm {
 public:
  FarmComm() {
    FF_MPI_CHECK(MPI_Comm_dup(MPI_COMM_WORLD, &comm_));
    FF_MPI_CHECK(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN));
  }
  ~FarmComm() { MPI_Comm_free(&comm_); }
  FarmComm(const FarmComm&) = delete;
  FarmComm& operator=(const FarmComm&) = delete;
  MPI_Comm get() const { return comm_; }

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
};

// Collective: whether rank 0 should execute tasks, from the ranks on its node
// and the CPUs they may use together (the union of their affinity masks, so
// a Slurm allocation of 4 CPUs on a 64-core node counts as 4).
bool decide_rank0_works(MPI_Comm comm, int rank, Rank0Works mode) {
  MPI_Comm node = MPI_COMM_NULL;
  FF_MPI_CHECK(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node));
  int node_ranks = 1;
  FF_MPI_CHECK(MPI_Comm_size(node, &node_ranks));
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  if (sched_getaffinity(0, sizeof cpus, &cpus) != 0) {
    const unsigned n = std::thread::hardware_concurrency();
    for (unsigned cpu = 0; cpu < n && cpu < CPU_SETSIZE; ++cpu) CPU_SET(cpu, &cpus);
  }
  MPI_Request request = MPI_REQUEST_NULL;
  FF_MPI_CHECK(MPI_Iallreduce(MPI_IN_PLACE, &cpus, static_cast<int>(sizeof cpus), MPI_BYTE, MPI_BOR,
                              node, &request));
  wait_with_backoff(request);
  MPI_Comm_free(&node);
  const int node_cpus = CPU_COUNT(&cpus);
  bool works = rank0_should_work(mode, node_ranks, node_cpus);
  int thread_level = MPI_THREAD_SINGLE;
  FF_MPI_CHECK(MPI_Query_thread(&thread_level));
  if (works && thread_level < MPI_THREAD_FUNNELED) {
    if (rank == 0) FF_WARN("farm: rank 0 does not execute tasks: MPI lacks MPI_THREAD_FUNNELED");
    works = false;
  }
  if (rank == 0) {
    FF_DEBUG("farm: " << node_ranks << " ranks on rank 0's node with " << node_cpus
                      << " CPUs; rank 0 executes tasks: " << (works ? "yes" : "no"));
  }
  return works;
}

[[noreturn]] void throw_failure(const Dispatch& dispatch, FarmReport report) {
  report.failure = dispatch.failure();
  const std::string message = report.failure;
  throw FarmError(message, std::move(report));
}

// One rank: the calling thread executes every task itself.
FarmReport run_in_process(const FarmConfig& config, std::vector<Task> tasks, const Execute& execute,
                          const OnResult& on_result, FarmReport report) {
  report.rank0_worked = true;
  Dispatch dispatch(config, std::move(tasks), {0}, on_result);
  for (;;) {
    const Dispatch::Decision decision = dispatch.next_for(0);
    if (decision.reply != Dispatch::Reply::kAssign) break;
    dispatch.finish(0, execute_task(execute, decision.task_id));
    ++report.executed_here;
  }
  report.tasks = dispatch.task_reports();
  if (dispatch.failed()) throw_failure(dispatch, std::move(report));
  return report;
}

// Receives one message from a worker if one is waiting; false if none is.
bool receive_one(MPI_Comm comm, Dispatch& dispatch, std::deque<int>& idle) {
  int flag = 0;
  MPI_Status status;
  FF_MPI_CHECK(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm, &flag, &status));
  if (flag == 0) return false;
  const int source = status.MPI_SOURCE;
  const int tag = status.MPI_TAG;
  if (tag == protocol::tag_value(protocol::Tag::kReady)) {
    recv_msg<protocol::ReadyMsg>(comm, source);
  } else if (tag == protocol::tag_value(protocol::Tag::kResult)) {
    const auto result = recv_msg<protocol::ResultMsg>(comm, source);
    if (result.payload_bytes < 0 || result.payload_bytes > INT_MAX) {
      throw RuntimeError("farm: rank " + std::to_string(source) + " announced a result of " +
                         std::to_string(result.payload_bytes) + " bytes; this is a framefarm bug");
    }
    Outcome outcome;
    outcome.task_id = result.task_id;
    outcome.ok = true;
    outcome.seconds = result.seconds;
    outcome.payload.resize(static_cast<std::size_t>(result.payload_bytes));
    if (!outcome.payload.empty()) {
      FF_MPI_CHECK(MPI_Recv(outcome.payload.data(), static_cast<int>(result.payload_bytes),
                            MPI_BYTE, source, protocol::tag_value(protocol::Tag::kResultPayload),
                            comm, MPI_STATUS_IGNORE));
    }
    dispatch.finish(source, std::move(outcome));
  } else if (tag == protocol::tag_value(protocol::Tag::kFailed)) {
    const auto failed = recv_msg<protocol::FailedMsg>(comm, source);
    Outcome outcome;
    outcome.task_id = failed.task_id;
    outcome.seconds = failed.seconds;
    outcome.cause = protocol::get_text(failed.cause);
    dispatch.finish(source, std::move(outcome));
  } else {
    throw RuntimeError("farm: rank " + std::to_string(source) + " sent MPI tag " +
                       std::to_string(tag) +
                       ", which the coordinator does not expect; "
                       "this is a framefarm bug");
  }
  idle.push_back(source);
  return true;
}

// Rank 0 of several: hands out tasks until every worker has left.
FarmReport run_coordinator(MPI_Comm comm, int size, bool rank0_works, const FarmConfig& config,
                           std::vector<Task> tasks, const Execute& execute,
                           const OnResult& on_result, FarmReport report) {
  report.rank0_worked = rank0_works;
  std::vector<int> worker_ranks;
  for (int r = rank0_works ? 0 : 1; r < size; ++r) worker_ranks.push_back(r);
  const auto tasks_total = static_cast<int32_t>(tasks.size());
  Dispatch dispatch(config, std::move(tasks), worker_ranks, on_result);

  std::optional<LocalWorker> local;
  std::deque<int> idle;  // ranks waiting for an answer (0: the local worker)
  if (rank0_works) {
    local.emplace(execute);
    idle.push_back(0);
  }
  int active = static_cast<int>(worker_ranks.size());  // workers not yet told to leave
  Backoff backoff;
  for (;;) {
    for (auto it = idle.begin(); it != idle.end();) {
      const int rank = *it;
      const Dispatch::Decision decision = dispatch.next_for(rank);
      if (decision.reply == Dispatch::Reply::kWait) {
        ++it;
        continue;
      }
      it = idle.erase(it);
      if (decision.reply == Dispatch::Reply::kAssign) {
        if (rank == 0) {
          local->assign(decision.task_id);
        } else {
          send_msg(comm, rank, protocol::AssignMsg{decision.task_id, decision.try_index});
        }
        continue;
      }
      --active;
      if (rank == 0) continue;
      if (decision.reply == Dispatch::Reply::kDone) {
        send_msg(comm, rank, protocol::DoneMsg{tasks_total});
      } else {
        protocol::AbortMsg abort{};
        protocol::set_text(abort.message, dispatch.failure());
        send_msg(comm, rank, abort);
      }
    }
    if (active == 0) break;
    if (receive_one(comm, dispatch, idle)) {
      backoff.reset();
      continue;
    }
    if (!local) {
      backoff.sleep();
    } else if (std::optional<Outcome> outcome = local->wait_for_outcome(backoff.next())) {
      dispatch.finish(0, std::move(*outcome));
      idle.push_back(0);
      backoff.reset();
    }
  }
  report.executed_here = local ? local->executed() : 0;
  report.tasks = dispatch.task_reports();
  if (dispatch.failed()) throw_failure(dispatch, std::move(report));
  return report;
}

}  // namespace

Rank0Works parse_rank0_works(const std::string& value, const std::string& where) {
  if (value == "auto") return Rank0Works::kAuto;
  if (value == "yes") return Rank0Works::kYes;
  if (value == "no") return Rank0Works::kNo;
  throw ConfigError(where + " = \"" + value + "\" is not allowed; allowed: auto, yes, no");
}

bool rank0_should_work(Rank0Works mode, int node_ranks, int node_cpus) {
  switch (mode) {
    case Rank0Works::kYes: return true;
    case Rank0Works::kNo: return false;
    case Rank0Works::kAuto: return node_ranks >= node_cpus;
  }
  return false;
}

const TaskReport* FarmReport::find(int32_t task_id) const {
  for (const TaskReport& task : tasks) {
    if (task.id == task_id) return &task;
  }
  return nullptr;
}

FarmReport run_farm(const FarmConfig& config, std::vector<Task> tasks, const Execute& execute,
                    const OnResult& on_result) {
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start_s = thread_cpu_s();
  FarmReport report;
  report.ranks = world_size();
  // Timing is filled in on every way out, the FarmError's report included.
  const auto timed = [&](FarmReport r) {
    r.wall_s = seconds_since(start);
    r.coordinator_cpu_s = thread_cpu_s() - cpu_start_s;
    return r;
  };
  if (report.ranks == 1) {
    try {
      return timed(run_in_process(config, std::move(tasks), execute, on_result, report));
    } catch (const FarmError& e) {
      throw FarmError(e.what(), timed(e.report()));
    }
  }

  // Ranks reach the farm at different times (rank 0 may still be planning):
  // wait for all of them without spinning before the blocking MPI_Comm_dup.
  MPI_Request arrived = MPI_REQUEST_NULL;
  FF_MPI_CHECK(MPI_Ibarrier(MPI_COMM_WORLD, &arrived));
  wait_with_backoff(arrived);
  FarmComm comm;
  int rank = 0;
  FF_MPI_CHECK(MPI_Comm_rank(comm.get(), &rank));
  const bool rank0_works = decide_rank0_works(comm.get(), rank, config.rank0_works);
  try {
    if (rank == 0) {
      return timed(run_coordinator(comm.get(), report.ranks, rank0_works, config, std::move(tasks),
                                   execute, on_result, report));
    }
    report.rank0_worked = rank0_works;
    report.executed_here = run_worker_rank(comm.get(), rank, execute, report);
    report.wall_s = seconds_since(start);
    return report;
  } catch (const FarmError& e) {
    FarmReport failed = timed(e.report());
    if (rank != 0) failed.coordinator_cpu_s = 0.0;
    throw FarmError(e.what(), std::move(failed));
  }
}

}  // namespace ff::coordinator
