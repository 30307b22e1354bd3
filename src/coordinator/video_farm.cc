#include "coordinator/video_farm.h"

#include <algorithm>
#include <limits>
#include <set>

#include "coordinator/collective.h"
#include "coordinator/mpi_env.h"
#include "core/error.h"
#include "core/log.h"

namespace ff::coordinator {

VideoTaskIndex::VideoTaskIndex(const std::vector<size_t>& items_per_video) {
  offsets_.push_back(0);
  for (size_t n : items_per_video) {
    const size_t next = offsets_.back() + n;
    if (next > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
      throw RuntimeError("farm: " + std::to_string(next) +
                         " tasks do not fit one farm run; split the manifest");
    }
    offsets_.push_back(next);
  }
}

int32_t VideoTaskIndex::id(size_t video, size_t item) const {
  return static_cast<int32_t>(offsets_[video] + item);
}

std::pair<size_t, size_t> VideoTaskIndex::locate(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= total()) {
    throw RuntimeError("farm: task id " + std::to_string(id) + " is outside 0.." +
                       std::to_string(total()) + "; this is a bug");
  }
  const auto u = static_cast<size_t>(id);
  // The last offset not greater than id; empty videos share offsets, so take
  // the video whose range actually holds it.
  const auto it = std::upper_bound(offsets_.begin(), offsets_.end(), u);
  const auto video = static_cast<size_t>(it - offsets_.begin()) - 1;
  return {video, u - offsets_[video]};
}

std::vector<std::string> run_farm_per_video(const FarmConfig& config, std::vector<Task> tasks,
                                            const VideoTaskIndex& index, const Execute& execute,
                                            const OnResult& on_result) {
  const bool root = world_rank() == 0;
  std::vector<std::string> failures(index.videos());
  for (;;) {
    try {
      run_farm(config, tasks, execute, on_result);
      return failures;
    } catch (const FarmError& e) {
      // Rank 0 knows which task ran out of tries; every rank learns whether
      // the farm runs again.
      bool again = false;
      if (root) {
        std::set<size_t> failed_now;
        for (const TaskReport& t : e.report().tasks) {
          if (!t.done && t.tries >= config.max_tries && !t.last_cause.empty()) {
            failed_now.insert(index.locate(t.id).first);
          }
        }
        for (size_t video : failed_now) {
          failures[video] = e.what();
          FF_WARN(config.name << ": giving up on one video of this run: " << e.what());
        }
        std::vector<Task> left;
        for (const TaskReport& t : e.report().tasks) {
          const size_t video = index.locate(t.id).first;
          if (!t.done && failures[video].empty()) left.push_back({t.id, t.cost});
        }
        tasks = std::move(left);
        again = !failed_now.empty();
      }
      if (!broadcast_flag(again)) throw;
    }
  }
}

void put_string(ByteWriter& w, const std::string& s) {
  w.put_vector(std::vector<char>(s.begin(), s.end()));
}

std::string get_string(ByteReader& r) {
  const std::vector<char> text = r.get_vector<char>();
  return {text.begin(), text.end()};
}

}  // namespace ff::coordinator
