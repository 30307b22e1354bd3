#include "coordinator/farm_worker.h"

#include <climits>
#include <string>
#include <utility>

namespace ff::coordinator {
namespace {

// Waits for the coordinator's next message without spinning; returns its tag.
int wait_for_coordinator(MPI_Comm comm) {
  Backoff backoff;
  for (;;) {
    int flag = 0;
    MPI_Status status;
    FF_MPI_CHECK(MPI_Iprobe(0, MPI_ANY_TAG, comm, &flag, &status));
    if (flag != 0) return status.MPI_TAG;
    backoff.sleep();
  }
}

void send_outcome(MPI_Comm comm, const Outcome& outcome) {
  if (outcome.ok && outcome.payload.size() <= static_cast<std::size_t>(INT_MAX)) {
    const protocol::ResultMsg result{outcome.task_id, 0,
                                     static_cast<int64_t>(outcome.payload.size()), outcome.seconds};
    send_msg(comm, 0, result);
    if (!outcome.payload.empty()) {
      FF_MPI_CHECK(MPI_Send(outcome.payload.data(), static_cast<int>(outcome.payload.size()),
                            MPI_BYTE, 0, protocol::tag_value(protocol::Tag::kResultPayload), comm));
    }
    return;
  }
  protocol::FailedMsg failed{};
  failed.task_id = outcome.task_id;
  failed.seconds = outcome.seconds;
  protocol::set_text(failed.cause, outcome.ok ? "the task's result of " +
                                                    std::to_string(outcome.payload.size()) +
                                                    " bytes exceeds MPI's 2 GiB message limit"
                                              : outcome.cause);
  send_msg(comm, 0, failed);
}

}  // namespace

int64_t run_worker_rank(MPI_Comm comm, int rank, const Execute& execute, FarmReport report) {
  send_msg(comm, 0, protocol::ReadyMsg{rank});
  int64_t executed = 0;
  for (;;) {
    const int tag = wait_for_coordinator(comm);
    if (tag == protocol::tag_value(protocol::Tag::kAssign)) {
      const auto assign = recv_msg<protocol::AssignMsg>(comm, 0);
      const Outcome outcome = execute_task(execute, assign.task_id);
      ++executed;
      send_outcome(comm, outcome);
    } else if (tag == protocol::tag_value(protocol::Tag::kDone)) {
      recv_msg<protocol::DoneMsg>(comm, 0);
      return executed;
    } else if (tag == protocol::tag_value(protocol::Tag::kAbort)) {
      const auto abort = recv_msg<protocol::AbortMsg>(comm, 0);
      report.executed_here = executed;
      report.failure = protocol::get_text(abort.message);
      const std::string message = report.failure;
      throw FarmError(message, std::move(report));
    } else {
      throw RuntimeError("farm: rank " + std::to_string(rank) + " got MPI tag " +
                         std::to_string(tag) +
                         " from the coordinator, which the protocol does not send to workers; "
                         "this is a framefarm bug");
    }
  }
}

LocalWorker::LocalWorker(const Execute& execute) : execute_(execute), thread_([this] { loop(); }) {}

LocalWorker::~LocalWorker() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  task_ready_.notify_all();
  thread_.join();
}

void LocalWorker::assign(int32_t task_id) {
  {
    std::lock_guard lock(mutex_);
    task_ = task_id;
  }
  task_ready_.notify_all();
}

std::optional<Outcome> LocalWorker::wait_for_outcome(std::chrono::microseconds timeout) {
  std::unique_lock lock(mutex_);
  outcome_ready_.wait_for(lock, timeout, [&] { return outcome_.has_value(); });
  std::optional<Outcome> outcome = std::move(outcome_);
  outcome_.reset();
  return outcome;
}

int64_t LocalWorker::executed() const {
  std::lock_guard lock(mutex_);
  return executed_;
}

void LocalWorker::loop() {
  for (;;) {
    int32_t task_id = 0;
    {
      std::unique_lock lock(mutex_);
      task_ready_.wait(lock, [&] { return stop_ || task_.has_value(); });
      if (stop_) return;
      task_id = *task_;
      task_.reset();
    }
    Outcome outcome = execute_task(execute_, task_id);
    {
      std::lock_guard lock(mutex_);
      outcome_ = std::move(outcome);
      ++executed_;
    }
    outcome_ready_.notify_all();
  }
}

}  // namespace ff::coordinator
