#pragma once
// The tasks of several videos in one farm run (`framefarm archive`): one pull
// queue over every video's chunks or segments, longest first across videos,
// so short and long videos share the ranks.
//
// VideoTaskIndex numbers the items of all videos with one run of task ids:
// video v's item i has id offset(v) + i. With one video the ids are the item
// indices, so a single-video run hands out the same ids as before.
//
// run_farm_per_video isolates failures: when a task runs out of tries, only
// its video fails (with the farm's one-line message as the reason); the
// farm runs again over the tasks of the other videos that have not finished.
// Results already delivered stay delivered (OnResult is called once per task).
//
// Example:
//   VideoTaskIndex index({chunks_a.size(), chunks_b.size()});
//   std::vector<std::string> failures = run_farm_per_video(
//       config, tasks, index,
//       [&](int32_t id) { auto [v, i] = index.locate(id); return scan(v, i); },
//       [&](int32_t id, int rank, std::span<const std::byte> bytes, double s) { ... });
//   // rank 0: failures[v] is empty when video v's tasks all succeeded.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "coordinator/farm.h"
#include "core/bytes.h"

namespace ff::coordinator {

class VideoTaskIndex {
 public:
  // `items_per_video[v]`: how many tasks video v has. Throws ff::RuntimeError
  // when the total does not fit a task id.
  explicit VideoTaskIndex(const std::vector<size_t>& items_per_video);

  size_t videos() const { return offsets_.size() - 1; }
  size_t total() const { return offsets_.back(); }
  size_t items(size_t video) const { return offsets_[video + 1] - offsets_[video]; }
  int32_t id(size_t video, size_t item) const;
  // (video, item) of a task id; throws ff::RuntimeError for an id out of range.
  std::pair<size_t, size_t> locate(int32_t id) const;

 private:
  std::vector<size_t> offsets_;  // offsets_[v]: first id of video v; back(): total
};

// Collective, like run_farm: every rank calls it with the same config and
// index; `tasks` is read on rank 0. Returns, on rank 0, one entry per video:
// empty when all its tasks succeeded, else the farm's message for the task
// that ran out of tries (other ranks: empty strings). A failure that belongs
// to no single video (OnResult threw, invalid tasks) is rethrown as the
// FarmError on every rank.
std::vector<std::string> run_farm_per_video(const FarmConfig& config, std::vector<Task> tasks,
                                            const VideoTaskIndex& index, const Execute& execute,
                                            const OnResult& on_result);

// Strings in the byte payloads broadcast to every rank.
void put_string(ByteWriter& w, const std::string& s);
std::string get_string(ByteReader& r);

}  // namespace ff::coordinator
