#include "coordinator/farm_dispatch.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <numeric>
#include <utility>

#include "core/log.h"

namespace ff::coordinator {

Outcome execute_task(const Execute& execute, int32_t task_id) {
  Outcome outcome;
  outcome.task_id = task_id;
  const auto start = std::chrono::steady_clock::now();
  try {
    outcome.payload = execute(task_id);
    outcome.ok = true;
  } catch (const std::exception& e) {
    outcome.cause = e.what();
  } catch (...) {
    outcome.cause = "an exception that is not a std::exception";
  }
  if (!outcome.ok && outcome.cause.empty()) outcome.cause = "an exception with an empty message";
  outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return outcome;
}

Dispatch::Dispatch(const FarmConfig& config, std::vector<Task> tasks, std::vector<int> worker_ranks,
                   OnResult on_result)
    : config_(config), on_result_(std::move(on_result)), worker_ranks_(std::move(worker_ranks)) {
  entries_.reserve(tasks.size());
  for (const Task& task : tasks) {
    Entry entry;
    entry.report.id = task.id;
    entry.report.cost = task.cost;
    if (!index_of_.emplace(task.id, entries_.size()).second) {
      fail(config_.name + ": task id " + std::to_string(task.id) +
           " appears twice in the task list; every task needs its own id");
    }
    if (!std::isfinite(task.cost)) {
      fail(config_.name + ": task " + std::to_string(task.id) + " has cost " +
           std::to_string(task.cost) + "; costs must be finite numbers");
    }
    entries_.push_back(std::move(entry));
  }
  if (config_.max_tries < 1) {
    fail(config_.name + ": max_tries = " + std::to_string(config_.max_tries) +
         " is out of range; allowed 1 or more");
  }
  if (worker_ranks_.empty()) fail(config_.name + ": no rank executes tasks; this is a bug");

  order_.resize(entries_.size());
  std::iota(order_.begin(), order_.end(), std::size_t{0});
  std::stable_sort(order_.begin(), order_.end(), [&](std::size_t a, std::size_t b) {
    const TaskReport& x = entries_[a].report;
    const TaskReport& y = entries_[b].report;
    if (x.cost != y.cost) return x.cost > y.cost;
    return x.id < y.id;
  });
  for (std::size_t position = 0; position < order_.size(); ++position) {
    entries_[order_[position]].position = position;
    pending_.insert(position);
  }
}

std::string Dispatch::describe(const Entry& entry) const {
  std::string text = "task " + std::to_string(entry.report.id);
  if (!config_.describe_task) return text;
  try {
    const std::string where = config_.describe_task(entry.report.id);
    if (!where.empty()) text += " (" + where + ")";
  } catch (const std::exception& e) {
    text += " (describing it failed: " + std::string(e.what()) + ")";
  } catch (...) {
    text += " (describing it failed)";
  }
  return text;
}

bool Dispatch::another_rank_could_run(const Entry& entry, int rank) const {
  return std::any_of(worker_ranks_.begin(), worker_ranks_.end(), [&](int other) {
    return other != rank && std::find(entry.failed_on.begin(), entry.failed_on.end(), other) ==
                                entry.failed_on.end();
  });
}

Dispatch::Decision Dispatch::next_for(int rank) {
  if (failed()) return {Reply::kAbort};
  if (running_.count(rank) != 0) {
    fail(config_.name + ": protocol error: rank " + std::to_string(rank) +
         " asked for a task while running one; this is a framefarm bug");
    return {Reply::kAbort};
  }
  if (pending_.empty()) return {running_.empty() ? Reply::kDone : Reply::kWait};

  // The longest task this rank has not failed; failing that, the longest one
  // that no other rank could take instead.
  auto chosen = pending_.end();
  auto fallback = pending_.end();
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    const Entry& entry = entries_[order_[*it]];
    const bool failed_here =
        std::find(entry.failed_on.begin(), entry.failed_on.end(), rank) != entry.failed_on.end();
    if (!failed_here) {
      chosen = it;
      break;
    }
    if (fallback == pending_.end() && !another_rank_could_run(entry, rank)) fallback = it;
  }
  if (chosen == pending_.end()) chosen = fallback;
  if (chosen == pending_.end()) return {Reply::kWait};

  const std::size_t index = order_[*chosen];
  pending_.erase(chosen);
  Entry& entry = entries_[index];
  entry.state = State::kRunning;
  ++entry.report.tries;
  running_[rank] = index;
  FF_DEBUG(config_.name << ": task " << entry.report.id << " to rank " << rank << " (try "
                        << entry.report.tries << ")");
  return {Reply::kAssign, entry.report.id, entry.report.tries};
}

void Dispatch::finish(int rank, Outcome outcome) {
  const auto running = running_.find(rank);
  if (running == running_.end() || entries_[running->second].report.id != outcome.task_id) {
    fail(config_.name + ": protocol error: rank " + std::to_string(rank) + " reported task " +
         std::to_string(outcome.task_id) + ", which it was not running; this is a framefarm bug");
    return;
  }
  Entry& entry = entries_[running->second];
  running_.erase(running);

  if (outcome.ok) {
    entry.state = State::kDone;
    entry.report.done = true;
    entry.report.rank = rank;
    entry.report.seconds = outcome.seconds;
    if (!on_result_) return;
    try {
      on_result_(outcome.task_id, rank, outcome.payload, outcome.seconds);
    } catch (const std::exception& e) {
      fail(config_.name + ": storing the result of " + describe(entry) + " from rank " +
           std::to_string(rank) + " failed: " + e.what());
    } catch (...) {
      fail(config_.name + ": storing the result of " + describe(entry) + " from rank " +
           std::to_string(rank) + " failed with an exception that is not a std::exception");
    }
    return;
  }

  entry.report.last_cause = outcome.cause;
  if (std::find(entry.failed_on.begin(), entry.failed_on.end(), rank) == entry.failed_on.end()) {
    entry.failed_on.push_back(rank);
  }
  if (failed()) {
    entry.state = State::kFailed;
    return;
  }
  if (entry.report.tries >= config_.max_tries) {
    entry.state = State::kFailed;
    fail(config_.name + ": " + describe(entry) + " failed " + std::to_string(entry.report.tries) +
         " of " + std::to_string(config_.max_tries) + " tries, last on rank " +
         std::to_string(rank) + ": " + outcome.cause);
    return;
  }
  FF_WARN(config_.name << ": " << describe(entry) << " failed on rank " << rank << " (try "
                       << entry.report.tries << " of " << config_.max_tries
                       << "): " << outcome.cause << "; retrying");
  entry.state = State::kPending;
  pending_.insert(entry.position);
}

void Dispatch::fail(const std::string& message) {
  if (failed()) {
    FF_WARN("also: " << message);
    return;
  }
  failure_ = message;
  FF_ERROR(message);
}

std::vector<TaskReport> Dispatch::task_reports() const {
  std::vector<TaskReport> reports;
  reports.reserve(entries_.size());
  for (const Entry& entry : entries_) reports.push_back(entry.report);
  return reports;
}

}  // namespace ff::coordinator
