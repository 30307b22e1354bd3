// GoogleTest main for tests that run under mpiexec. Every rank runs every
// test; a test passes only if it passed on all ranks (MPI_Allreduce), and the
// process exit code is the same on every rank. Only rank 0 prints results.
// MPI is initialised the way framefarm does it (coordinator/mpi_env.h):
// MPI_THREAD_FUNNELED, errors returned as codes.
#include <gtest/gtest.h>
#include <mpi.h>

#include "coordinator/mpi_env.h"
#include "core/log.h"

namespace {

class RankCombiningListener : public testing::EmptyTestEventListener {
 public:
  void OnTestEnd(const testing::TestInfo& info) override {
    int local_failed = info.result()->Failed() ? 1 : 0;
    int failed_ranks = 0;
    MPI_Allreduce(&local_failed, &failed_ranks, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (failed_ranks > 0) {
      int rank = 0;
      MPI_Comm_rank(MPI_COMM_WORLD, &rank);
      if (rank == 0 && local_failed == 0) {
        std::fprintf(stderr, "[mpi] %s.%s failed on %d other rank(s)\n", info.test_suite_name(),
                     info.name(), failed_ranks);
      }
      any_failed_ = true;
    }
  }
  bool any_failed() const { return any_failed_; }

 private:
  bool any_failed_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  ff::coordinator::MpiEnv mpi(&argc, &argv);
  const int rank = mpi.rank();
  ff::log::init(rank, ff::log::Level::kWarn);
  testing::InitGoogleTest(&argc, argv);
  auto& listeners = testing::UnitTest::GetInstance()->listeners();
  if (rank != 0) delete listeners.Release(listeners.default_result_printer());
  auto* combiner = new RankCombiningListener;
  listeners.Append(combiner);
  const int local = RUN_ALL_TESTS();
  const bool failed = combiner->any_failed() || local != 0;
  int local_flag = failed ? 1 : 0;
  int global_flag = 0;
  MPI_Allreduce(&local_flag, &global_flag, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return global_flag != 0 ? 1 : 0;
}
