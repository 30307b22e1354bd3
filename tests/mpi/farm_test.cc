// The farm under mpiexec with 3 ranks: rank 0 coordinates, ranks 1 and 2
// (and rank 0's local thread where asked) execute. Every test runs on every
// rank; mpi_main.cc combines the verdicts.
#include "coordinator/farm.h"

#include <gtest/gtest.h>
#include <mpi.h>
#include <sys/resource.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "coordinator/mpi_env.h"

namespace ff::coordinator {
namespace {

using namespace std::chrono_literals;

std::vector<std::byte> bytes_of(const std::string& text) {
  std::vector<std::byte> bytes(text.size());
  std::memcpy(bytes.data(), text.data(), text.size());
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
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

double process_cpu_s() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

// Sum of a per-rank vector of counts, on rank 0.
std::vector<int> sum_on_rank0(std::vector<int> counts) {
  std::vector<int> sum(counts.size(), 0);
  MPI_Reduce(counts.data(), sum.data(), static_cast<int>(counts.size()), MPI_INT, MPI_SUM, 0,
             MPI_COMM_WORLD);
  return sum;
}

// Payload of task `id` computed on `rank`: "<id>@<rank>:" then filler. Sizes
// range from empty to 200 KB (past Open MPI's eager limit).
std::string payload_for(int32_t id, int rank) {
  if (id % 5 == 0) return "";
  const std::size_t filler = id == 23 ? 200000 : static_cast<std::size_t>(id) * 200;
  return std::to_string(id) + "@" + std::to_string(rank) + ":" +
         std::string(filler, static_cast<char>('a' + id % 26));
}

TEST(Farm, EveryTaskRunsOnceAcrossRanksAndEachResultArrivesOnce) {
  const int rank = world_rank();
  ASSERT_EQ(world_size(), 3);
  constexpr int kTasks = 24;
  std::vector<Task> tasks;
  for (int32_t id = 0; id < kTasks; ++id) tasks.push_back({id, static_cast<double>((id * 7) % 11)});
  std::vector<int> executed(kTasks, 0);
  std::vector<int> delivered(kTasks, 0);
  std::map<int32_t, int> delivered_rank;

  const FarmReport report = run_farm(
      make_config("scan", 3, Rank0Works::kYes), tasks,
      [&](int32_t id) {
        ++executed[id];  // rank 0's local thread is the only one writing here on rank 0
        std::this_thread::sleep_for(5ms);
        return bytes_of(payload_for(id, rank));
      },
      [&](int32_t id, int from_rank, std::span<const std::byte> payload, double seconds) {
        ++delivered[id];
        delivered_rank[id] = from_rank;
        EXPECT_EQ(text_of(payload), payload_for(id, from_rank)) << "task " << id;
        EXPECT_GE(seconds, 0.004) << "task " << id << " sleeps 5 ms";
      });

  const std::vector<int> executed_total = sum_on_rank0(executed);
  std::vector<int> executed_here{static_cast<int>(report.executed_here)};
  const std::vector<int> executed_here_total = sum_on_rank0(executed_here);
  EXPECT_EQ(report.ranks, 3);
  if (rank != 0) {
    EXPECT_TRUE(report.tasks.empty());
    return;
  }
  EXPECT_TRUE(report.rank0_worked);
  EXPECT_GT(report.executed_here, 0) << "rank 0's local thread is idle first and gets work";
  EXPECT_EQ(executed_here_total[0], kTasks);
  ASSERT_EQ(report.tasks.size(), static_cast<std::size_t>(kTasks));
  for (int32_t id = 0; id < kTasks; ++id) {
    EXPECT_EQ(executed_total[id], 1) << "task " << id;
    EXPECT_EQ(delivered[id], 1) << "task " << id;
    const TaskReport& task = report.tasks[id];
    EXPECT_TRUE(task.done);
    EXPECT_EQ(task.tries, 1);
    EXPECT_EQ(task.rank, delivered_rank[id]);
  }
}

TEST(Farm, ATaskFailingOnRankOneIsRetriedOnAnotherRankAndSucceeds) {
  const int rank = world_rank();
  constexpr int kTasks = 16;
  std::vector<Task> tasks;
  for (int32_t id = 0; id < kTasks; ++id) tasks.push_back({id, 1.0});
  std::vector<int> delivered(kTasks, 0);

  // With max_tries = 2 and rank 0 not working, a retry that went back to
  // rank 1 would fail the job.
  const FarmReport report = run_farm(
      make_config("render", 2, Rank0Works::kNo), tasks,
      [&](int32_t id) {
        if (rank == 1) throw std::runtime_error("rank 1 cannot read segment " + std::to_string(id));
        std::this_thread::sleep_for(20ms);
        return bytes_of(std::to_string(id));
      },
      [&](int32_t id, int, std::span<const std::byte> payload, double) {
        ++delivered[id];
        EXPECT_EQ(text_of(payload), std::to_string(id));
      });

  std::vector<int> executed_here{static_cast<int>(report.executed_here)};
  const std::vector<int> failed_on_rank1 =
      sum_on_rank0(rank == 1 ? executed_here : std::vector<int>{0});
  EXPECT_TRUE(report.failure.empty());
  if (rank != 0) return;
  EXPECT_FALSE(report.rank0_worked);
  EXPECT_EQ(report.executed_here, 0);
  int retried = 0;
  for (int32_t id = 0; id < kTasks; ++id) {
    const TaskReport& task = report.tasks[id];
    EXPECT_TRUE(task.done) << "task " << id;
    EXPECT_EQ(task.rank, 2) << "task " << id;
    EXPECT_EQ(delivered[id], 1) << "task " << id;
    if (task.tries == 2) {
      ++retried;
      EXPECT_EQ(task.last_cause, "rank 1 cannot read segment " + std::to_string(id));
    } else {
      EXPECT_EQ(task.tries, 1) << "task " << id;
    }
  }
  EXPECT_GE(retried, 1) << "rank 1 asks for work while 16 tasks of 20 ms wait";
  EXPECT_EQ(retried, failed_on_rank1[0]);
}

TEST(Farm, ATaskThatAlwaysFailsFailsTheJobOnEveryRankWithItsCause) {
  const int rank = world_rank();
  std::vector<Task> tasks;
  for (int32_t id = 0; id < 6; ++id) tasks.push_back({id, 10.0 - id});
  std::vector<int> delivered(6, 0);
  std::string message = "run_farm returned normally";
  try {
    run_farm(
        make_config("qa", 3, Rank0Works::kNo,
                    [](int32_t id) {
                      return "out frames " + std::to_string(id * 100) + ".." +
                             std::to_string(id * 100 + 99);
                    }),
        tasks,
        [&](int32_t id) {
          if (id == 2) throw std::runtime_error("corrupt packet");
          std::this_thread::sleep_for(20ms);
          return std::vector<std::byte>{};
        },
        [&](int32_t id, int, std::span<const std::byte>, double) { ++delivered[id]; });
  } catch (const FarmError& e) {
    message = e.what();
    EXPECT_EQ(e.report().failure, message);
    if (rank == 0) {
      const TaskReport* two = e.report().find(2);
      ASSERT_NE(two, nullptr);
      EXPECT_FALSE(two->done);
      EXPECT_EQ(two->tries, 3);
      EXPECT_EQ(two->last_cause, "corrupt packet");
    }
  }
  EXPECT_TRUE(std::regex_match(message, std::regex(R"(qa: task 2 \(out frames 200\.\.299\) )"
                                                   R"(failed 3 of 3 tries, last on rank [12]: )"
                                                   R"(corrupt packet)")))
      << message;
  // Every rank left with the same one-line reason.
  const std::string on_rank0 = text_of(broadcast_bytes(bytes_of(message)));
  EXPECT_EQ(message, on_rank0);
  if (rank == 0) {
    // Tasks 0 and 1 were handed out before task 2; finished work is delivered.
    EXPECT_EQ(delivered[0], 1);
    EXPECT_EQ(delivered[1], 1);
    for (int id = 2; id < 6; ++id) EXPECT_LE(delivered[id], 1);
    EXPECT_EQ(delivered[2], 0);
  }
}

TEST(Farm, TheCoordinatorSleepsWhileWorkersRunSlowTasks) {
  const int rank = world_rank();
  std::vector<Task> tasks;
  for (int32_t id = 0; id < 6; ++id) tasks.push_back({id, 1.0});
  const double cpu_start_s = process_cpu_s();
  const auto start = std::chrono::steady_clock::now();
  const FarmReport report = run_farm(
      make_config("render", 3, Rank0Works::kNo), tasks,
      [](int32_t) {
        std::this_thread::sleep_for(200ms);
        return std::vector<std::byte>{};
      },
      nullptr);
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu_s = process_cpu_s() - cpu_start_s;
  // Two workers, three rounds of 200 ms.
  EXPECT_GE(wall_s, 0.55);
  // Workers sleep in their tasks and back off while waiting, rank 0 waits.
  EXPECT_LT(cpu_s, 0.2 * wall_s) << "rank " << rank << ": " << cpu_s << " s CPU in " << wall_s
                                 << " s";
  if (rank == 0) {
    std::printf("[farm] coordinator: %.4f s CPU (process), %.4f s CPU (thread) in %.3f s wall\n",
                cpu_s, report.coordinator_cpu_s, wall_s);
    EXPECT_LT(report.coordinator_cpu_s, 0.2 * report.wall_s);
    EXPECT_LE(report.coordinator_cpu_s, cpu_s + 1e-3);
  }
}

TEST(Farm, AnEmptyTaskListReleasesEveryRank) {
  const FarmReport report = run_farm(
      make_config("farm"), {},
      [](int32_t) -> std::vector<std::byte> { throw std::logic_error("no task"); }, nullptr);
  EXPECT_EQ(report.executed_here, 0);
  EXPECT_TRUE(report.failure.empty());
}

TEST(Collectives, BroadcastAndGatherSmallBytes) {
  const int rank = world_rank();
  const auto plan = broadcast_bytes(rank == 0 ? bytes_of("plan: 3 segments") : bytes_of("ignored"));
  EXPECT_EQ(text_of(plan), "plan: 3 segments");
  // Rank 1 contributes nothing, the others a rank-dependent length.
  const std::string mine =
      rank == 1 ? "" : "rank " + std::to_string(rank) + std::string(rank * 3, '+');
  const auto gathered = gather_bytes(bytes_of(mine));
  if (rank != 0) {
    EXPECT_TRUE(gathered.empty());
    return;
  }
  ASSERT_EQ(gathered.size(), 3u);
  EXPECT_EQ(text_of(gathered[0]), "rank 0");
  EXPECT_EQ(text_of(gathered[1]), "");
  EXPECT_EQ(text_of(gathered[2]), "rank 2++++++");
}

}  // namespace
}  // namespace ff::coordinator
