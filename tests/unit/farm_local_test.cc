// The farm with one rank (MPI initialised as a singleton, as `framefarm`
// does without mpirun), and its MPI-free parts: the dispatch bookkeeping,
// the rank-0 rule, the protocol's text fields and the wait backoff.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "coordinator/farm.h"
#include "coordinator/farm_dispatch.h"
#include "coordinator/mpi_env.h"
#include "coordinator/protocol.h"

namespace ff::coordinator {
namespace {

class SingletonMpi : public testing::Environment {
 public:
  void SetUp() override { mpi_ = std::make_unique<MpiEnv>(nullptr, nullptr); }
  void TearDown() override { mpi_.reset(); }

 private:
  std::unique_ptr<MpiEnv> mpi_;
};
testing::Environment* const kMpi = testing::AddGlobalTestEnvironment(new SingletonMpi);

std::vector<std::byte> bytes_of(const std::string& text) {
  std::vector<std::byte> bytes(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) bytes[i] = static_cast<std::byte>(text[i]);
  return bytes;
}

// A config without designated initializers (GCC 12 warns on omitted fields).
FarmConfig make_config(const std::string& name, int max_tries = 3,
                       Rank0Works rank0_works = Rank0Works::kAuto,
                       std::function<std::string(int32_t)> describe_task = nullptr) {
  FarmConfig config;
  config.name = name;
  config.max_tries = max_tries;
  config.rank0_works = rank0_works;
  config.describe_task = std::move(describe_task);
  return config;
}

std::string text_of(std::span<const std::byte> bytes) {
  std::string text(bytes.size(), '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) text[i] = static_cast<char>(bytes[i]);
  return text;
}

// Records what the farm did with each task.
struct Recorder {
  std::vector<int32_t> executed;                          // in execution order
  std::map<int32_t, std::vector<std::string>> delivered;  // id → payloads
  std::map<int32_t, int> delivered_rank;

  OnResult on_result() {
    return [this](int32_t id, int rank, std::span<const std::byte> payload, double seconds) {
      EXPECT_GE(seconds, 0.0);
      delivered[id].push_back(text_of(payload));
      delivered_rank[id] = rank;
    };
  }
};

TEST(FarmLocal, RunsInAMpiSingletonWithOneRank) {
  EXPECT_TRUE(mpi_active());
  EXPECT_EQ(world_size(), 1);
  EXPECT_EQ(world_rank(), 0);
}

TEST(FarmLocal, RunsEveryTaskOnceLongestFirstAndDeliversEachResult) {
  // Costs descending, ties by id: 5 (ids 1, 3), 3 (ids 2, 5), 1 (id 0), 0.5 (id 4).
  const std::vector<Task> tasks{{0, 1.0}, {1, 5.0}, {2, 3.0}, {3, 5.0}, {4, 0.5}, {5, 3.0}};
  Recorder rec;
  const FarmReport report = run_farm(
      make_config("scan"), tasks,
      [&](int32_t id) {
        rec.executed.push_back(id);
        return bytes_of(id == 4 ? "" : "result " + std::to_string(id));
      },
      rec.on_result());

  EXPECT_EQ(rec.executed, (std::vector<int32_t>{1, 3, 2, 5, 0, 4}));
  ASSERT_EQ(rec.delivered.size(), tasks.size());
  for (const Task& task : tasks) {
    const auto& payloads = rec.delivered[task.id];
    ASSERT_EQ(payloads.size(), 1u) << "task " << task.id;
    EXPECT_EQ(payloads[0], task.id == 4 ? "" : "result " + std::to_string(task.id));
    EXPECT_EQ(rec.delivered_rank[task.id], 0);
  }
  EXPECT_EQ(report.ranks, 1);
  EXPECT_TRUE(report.rank0_worked);
  EXPECT_EQ(report.executed_here, 6);
  EXPECT_TRUE(report.failure.empty());
  ASSERT_EQ(report.tasks.size(), tasks.size());
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    EXPECT_EQ(report.tasks[i].id, tasks[i].id) << "report keeps the input order";
    EXPECT_TRUE(report.tasks[i].done);
    EXPECT_EQ(report.tasks[i].rank, 0);
    EXPECT_EQ(report.tasks[i].tries, 1);
    EXPECT_TRUE(report.tasks[i].last_cause.empty());
  }
  EXPECT_GE(report.wall_s, 0.0);
}

TEST(FarmLocal, RetriesAThrowingTaskAfterTheTasksItHasNotFailed) {
  // Task 7 (the longest) throws on its first two tries. With one rank there
  // is no other rank to retry on, so its retries come after the other tasks.
  const std::vector<Task> tasks{{7, 9.0}, {1, 2.0}, {2, 1.0}};
  Recorder rec;
  int tries_of_7 = 0;
  const FarmReport report = run_farm(
      make_config("render", 3), tasks,
      [&](int32_t id) {
        rec.executed.push_back(id);
        if (id == 7 && ++tries_of_7 < 3)
          throw std::runtime_error("flaky read, try " + std::to_string(tries_of_7));
        return bytes_of("ok " + std::to_string(id));
      },
      rec.on_result());

  EXPECT_EQ(rec.executed, (std::vector<int32_t>{7, 1, 2, 7, 7}));
  ASSERT_EQ(rec.delivered[7].size(), 1u);
  EXPECT_EQ(rec.delivered[7][0], "ok 7");
  const TaskReport* seven = report.find(7);
  ASSERT_NE(seven, nullptr);
  EXPECT_TRUE(seven->done);
  EXPECT_EQ(seven->tries, 3);
  EXPECT_EQ(seven->last_cause, "flaky read, try 2");
  EXPECT_EQ(report.find(1)->tries, 1);
  EXPECT_EQ(report.executed_here, 5);
  EXPECT_TRUE(report.failure.empty());
}

TEST(FarmLocal, FailsTheJobAfterMaxTriesNamingTaskPositionTriesAndCause) {
  const std::vector<Task> tasks{{0, 3.0}, {1, 2.0}, {2, 1.0}};
  Recorder rec;
  const FarmConfig config = make_config("scan", 2, Rank0Works::kAuto, [](int32_t id) {
    return "chunk " + std::to_string(id) + " at " + std::to_string(2 * id) + " s";
  });
  try {
    run_farm(
        config, tasks,
        [&](int32_t id) -> std::vector<std::byte> {
          rec.executed.push_back(id);
          if (id == 1) throw std::runtime_error("decoder error at pts 4500");
          return bytes_of("done");
        },
        rec.on_result());
    FAIL() << "run_farm returned although task 1 always fails";
  } catch (const FarmError& e) {
    EXPECT_STREQ(e.what(),
                 "scan: task 1 (chunk 1 at 2 s) failed 2 of 2 tries, last on rank 0: "
                 "decoder error at pts 4500");
    EXPECT_EQ(e.code(), ExitCode::kRuntime);
    EXPECT_EQ(e.report().failure, e.what());
    const TaskReport* one = e.report().find(1);
    ASSERT_NE(one, nullptr);
    EXPECT_FALSE(one->done);
    EXPECT_EQ(one->tries, 2);
    EXPECT_EQ(one->last_cause, "decoder error at pts 4500");
    EXPECT_TRUE(e.report().find(0)->done);
    EXPECT_TRUE(e.report().find(2)->done);
  }
  // Finished work stays: the other tasks ran and were delivered once each.
  EXPECT_EQ(rec.executed, (std::vector<int32_t>{0, 1, 2, 1}));
  EXPECT_EQ(rec.delivered.size(), 2u);
  EXPECT_EQ(rec.delivered[0].size(), 1u);
  EXPECT_EQ(rec.delivered[2].size(), 1u);
}

TEST(FarmLocal, FailsTheJobWhenStoringAResultThrowsAndStopsHandingOutTasks) {
  const std::vector<Task> tasks{{0, 3.0}, {1, 2.0}, {2, 1.0}};
  std::vector<int32_t> executed;
  try {
    run_farm(
        make_config("render", 3, Rank0Works::kAuto,
                    [](int32_t id) { return "segment " + std::to_string(id); }),
        tasks,
        [&](int32_t id) {
          executed.push_back(id);
          return std::vector<std::byte>{};
        },
        [](int32_t id, int, std::span<const std::byte>, double) {
          if (id == 1) throw std::runtime_error("segments/0001.mp4: disk full");
        });
    FAIL() << "run_farm returned although OnResult threw";
  } catch (const FarmError& e) {
    EXPECT_STREQ(e.what(),
                 "render: storing the result of task 1 (segment 1) from rank 0 failed: "
                 "segments/0001.mp4: disk full");
  }
  EXPECT_EQ(executed, (std::vector<int32_t>{0, 1}));
}

TEST(FarmLocal, RejectsInvalidTasksAndConfigBeforeExecutingAnything) {
  int calls = 0;
  const Execute execute = [&](int32_t) {
    ++calls;
    return std::vector<std::byte>{};
  };
  const auto message = [&](const FarmConfig& config, const std::vector<Task>& tasks) {
    try {
      run_farm(config, tasks, execute, nullptr);
    } catch (const FarmError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message(make_config("qa"), {{3, 1.0}, {4, 1.0}, {3, 2.0}}),
            "qa: task id 3 appears twice in the task list; every task needs its own id");
  EXPECT_EQ(message(make_config("qa", 0), {{1, 1.0}}),
            "qa: max_tries = 0 is out of range; allowed 1 or more");
  EXPECT_EQ(message(make_config("qa"), {{1, std::nan("")}}),
            "qa: task 1 has cost nan; costs must be finite numbers");
  EXPECT_EQ(calls, 0);
}

TEST(FarmLocal, AnEmptyTaskListReturnsAnEmptyReport) {
  const FarmReport report = run_farm(
      make_config("farm"), {},
      [](int32_t) -> std::vector<std::byte> { throw std::logic_error("no task"); }, nullptr);
  EXPECT_TRUE(report.tasks.empty());
  EXPECT_EQ(report.executed_here, 0);
}

// Dispatch on its own, as the MPI coordinator drives it with workers 1 and 2.
TEST(FarmDispatch, RetriesOnARankThatHasNotFailedTheTaskAndWaitsForIt) {
  Dispatch dispatch(make_config("scan", 3), {{10, 2.0}, {11, 1.0}}, {1, 2}, nullptr);
  const auto fail = [](int32_t id) { return Outcome{id, false, {}, "bad chunk", 0.1}; };
  const auto ok = [](int32_t id) { return Outcome{id, true, {}, "", 0.1}; };

  auto d = dispatch.next_for(1);
  ASSERT_EQ(d.reply, Dispatch::Reply::kAssign);
  EXPECT_EQ(d.task_id, 10);
  EXPECT_EQ(d.try_index, 1);
  dispatch.finish(1, fail(10));
  // Rank 1 failed task 10, so it gets task 11; rank 2 gets the retry of 10.
  d = dispatch.next_for(1);
  EXPECT_EQ(d.task_id, 11);
  d = dispatch.next_for(2);
  EXPECT_EQ(d.task_id, 10);
  EXPECT_EQ(d.try_index, 2);
  dispatch.finish(1, ok(11));
  // Only task 10 is left and it is running: rank 1 waits rather than leaves.
  EXPECT_EQ(dispatch.next_for(1).reply, Dispatch::Reply::kWait);
  dispatch.finish(2, fail(10));
  // Both ranks failed it now: the third try goes to whoever asks.
  d = dispatch.next_for(1);
  EXPECT_EQ(d.reply, Dispatch::Reply::kAssign);
  EXPECT_EQ(d.task_id, 10);
  EXPECT_EQ(d.try_index, 3);
  EXPECT_EQ(dispatch.next_for(2).reply, Dispatch::Reply::kWait);
  dispatch.finish(1, ok(10));
  EXPECT_EQ(dispatch.next_for(2).reply, Dispatch::Reply::kDone);
  EXPECT_FALSE(dispatch.failed());
}

TEST(FarmDispatch, ParksARankWhoseOnlyTaskLeftAnotherRankCanStillTry) {
  Dispatch dispatch(make_config("farm", 3), {{5, 1.0}}, {1, 2}, nullptr);
  ASSERT_EQ(dispatch.next_for(1).task_id, 5);
  dispatch.finish(1, Outcome{5, false, {}, "boom", 0.0});
  EXPECT_EQ(dispatch.next_for(1).reply, Dispatch::Reply::kWait);
  const auto d = dispatch.next_for(2);
  EXPECT_EQ(d.reply, Dispatch::Reply::kAssign);
  EXPECT_EQ(d.task_id, 5);
}

TEST(FarmDispatch, AnOutcomeFromARankNotRunningThatTaskFailsTheJob) {
  Dispatch dispatch(make_config("qa"), {{1, 1.0}, {2, 1.0}}, {1, 2}, nullptr);
  ASSERT_EQ(dispatch.next_for(1).task_id, 1);
  dispatch.finish(2, Outcome{1, true, {}, "", 0.0});
  EXPECT_EQ(dispatch.failure(),
            "qa: protocol error: rank 2 reported task 1, which it was not running; "
            "this is a framefarm bug");
  EXPECT_EQ(dispatch.next_for(2).reply, Dispatch::Reply::kAbort);
  // The task rank 1 is running still reports normally.
  dispatch.finish(1, Outcome{1, true, {}, "", 0.0});
  EXPECT_TRUE(dispatch.task_reports()[0].done);
}

TEST(FarmRank0, WorksWhenTheNodeRanksFillItsCpusOrWhenTold) {
  EXPECT_TRUE(rank0_should_work(Rank0Works::kAuto, 3, 2));
  EXPECT_TRUE(rank0_should_work(Rank0Works::kAuto, 16, 16));
  EXPECT_FALSE(rank0_should_work(Rank0Works::kAuto, 4, 16));
  EXPECT_TRUE(rank0_should_work(Rank0Works::kYes, 4, 16));
  EXPECT_FALSE(rank0_should_work(Rank0Works::kNo, 16, 16));
  EXPECT_EQ(parse_rank0_works("auto", "k"), Rank0Works::kAuto);
  EXPECT_EQ(parse_rank0_works("yes", "k"), Rank0Works::kYes);
  EXPECT_EQ(parse_rank0_works("no", "k"), Rank0Works::kNo);
  try {
    parse_rank0_works("maybe", "job.toml: farm.rank0_works");
    FAIL() << "\"maybe\" was accepted";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(),
                 "job.toml: farm.rank0_works = \"maybe\" is not allowed; allowed: auto, yes, no");
  }
}

TEST(FarmProtocol, TextFieldsAreTruncatedAndTerminated) {
  protocol::FailedMsg msg{};
  const std::string long_cause(protocol::kCauseBytes + 100, 'x');
  protocol::set_text(msg.cause, long_cause);
  EXPECT_EQ(protocol::get_text(msg.cause), long_cause.substr(0, protocol::kCauseBytes - 1));
  protocol::set_text(msg.cause, "short");
  EXPECT_EQ(protocol::get_text(msg.cause), "short");
}

TEST(FarmBackoff, DoublesFromTheFirstIntervalUpToTheMaximum) {
  using std::chrono::microseconds;
  Backoff backoff(microseconds(200), microseconds(5000));
  std::vector<long> waits;
  for (int i = 0; i < 7; ++i) waits.push_back(static_cast<long>(backoff.next().count()));
  EXPECT_EQ(waits, (std::vector<long>{200, 400, 800, 1600, 3200, 5000, 5000}));
  backoff.reset();
  EXPECT_EQ(backoff.next().count(), 200);
}

TEST(FarmCollectives, WithOneRankBroadcastAndGatherReturnTheCallersBytes) {
  const auto plan = bytes_of("plan v1");
  EXPECT_EQ(text_of(broadcast_bytes(plan)), "plan v1");
  const auto gathered = gather_bytes(plan);
  ASSERT_EQ(gathered.size(), 1u);
  EXPECT_EQ(text_of(gathered[0]), "plan v1");
}

}  // namespace
}  // namespace ff::coordinator
