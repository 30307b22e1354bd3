#include "coordinator/rank_usage.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "coordinator/mpi_env.h"
#include "core/bytes.h"
#include "core/error.h"

namespace ff::coordinator {
namespace {

double seconds_of(const timeval& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
}

std::string host_name() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0) return "unknown";
  return name.data();
}

std::string fixed1(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", v);
  return text;
}

}  // namespace

RankUsage local_rank_usage(double wall_s) {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) {
    throw RuntimeError(std::string("getrusage(RUSAGE_SELF) failed: ") + std::strerror(errno) +
                       "; the run report cannot give this rank's memory and CPU time");
  }
  RankUsage u;
  u.rank = world_rank();
  u.host = host_name();
  u.peak_rss_mb = static_cast<double>(usage.ru_maxrss) * 1024.0 / 1e6;  // Linux: KiB
  u.cpu_s = seconds_of(usage.ru_utime) + seconds_of(usage.ru_stime);
  u.wall_s = wall_s;
  return u;
}

std::vector<RankUsage> gather_rank_usage(double wall_s) {
  const RankUsage mine = local_rank_usage(wall_s);
  ByteWriter w;
  w.put<int32_t>(mine.rank);
  w.put(mine.peak_rss_mb);
  w.put(mine.cpu_s);
  w.put(mine.wall_s);
  w.put_vector(std::vector<char>(mine.host.begin(), mine.host.end()));
  const std::vector<std::vector<std::byte>> all = gather_bytes(w.take());
  std::vector<RankUsage> out;
  for (const auto& bytes : all) {
    ByteReader r(bytes);
    RankUsage u;
    u.rank = r.get<int32_t>();
    u.peak_rss_mb = r.get<double>();
    u.cpu_s = r.get<double>();
    u.wall_s = r.get<double>();
    const auto host = r.get_vector<char>();
    u.host.assign(host.begin(), host.end());
    out.push_back(std::move(u));
  }
  return out;
}

std::string rank_usage_line(const std::vector<RankUsage>& ranks) {
  if (ranks.empty()) return "ranks: no usage gathered";
  const auto top = std::max_element(ranks.begin(), ranks.end(), [](const auto& a, const auto& b) {
    return a.peak_rss_mb < b.peak_rss_mb;
  });
  std::string line = "ranks: peak RSS max " + fixed1(top->peak_rss_mb) + " MB on rank " +
                     std::to_string(top->rank) + " (" + top->host + "); per rank MB:";
  constexpr size_t kListed = 16;
  for (size_t i = 0; i < ranks.size() && i < kListed; ++i) {
    line +=
        (i == 0 ? " " : ", ") + std::to_string(ranks[i].rank) + ": " + fixed1(ranks[i].peak_rss_mb);
  }
  if (ranks.size() > kListed) line += ", ... (" + std::to_string(ranks.size() - kListed) + " more)";
  return line;
}

}  // namespace ff::coordinator
