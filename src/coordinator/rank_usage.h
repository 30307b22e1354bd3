#pragma once
// What each rank of the job used: its host, peak resident memory, CPU time
// and wall time, gathered onto rank 0 for report.json's `run.ranks`
// (docs/report-schema.md) and one INFO line.
//
// Measured with getrusage(RUSAGE_SELF): ru_maxrss is the process's peak
// resident set (every thread, MPI's buffers included), ru_utime + ru_stime
// its CPU time since it started. `wall_s` is the caller's: the job's wall
// time on that rank.
//
//   const std::vector<RankUsage> ranks = gather_rank_usage(job_wall_s);  // collective
//   if (world_rank() == 0) FF_INFO(rank_usage_line(ranks));
//
// With one rank, or without MPI, the gather is in-process: one entry.
#include <string>
#include <vector>

namespace ff::coordinator {

struct RankUsage {
  int rank = 0;
  std::string host;
  double peak_rss_mb = 0.0;  // MB (10^6 bytes)
  double cpu_s = 0.0;        // user + system
  double wall_s = 0.0;
};

// This process, now.
RankUsage local_rank_usage(double wall_s);

// Collective over MPI_COMM_WORLD: every rank calls it. Rank 0 gets one entry
// per rank, in rank order; other ranks get an empty vector.
std::vector<RankUsage> gather_rank_usage(double wall_s);

// One line: the largest peak RSS, on which rank and host, then every rank's
// peak (the first 16; the rest counted), e.g.
// "ranks: peak RSS max 212.4 MB on rank 0 (node1); per rank MB: 0: 212.4, 1: 150.2".
std::string rank_usage_line(const std::vector<RankUsage>& ranks);

}  // namespace ff::coordinator
