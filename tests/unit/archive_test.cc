// `framefarm archive` without running any video: the manifest and its
// naming rule, the status file (schema, merge, lock, concurrent writers),
// which entries a rerun processes, and the multi-video farm's failure
// isolation (in-process, no MPI).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "coordinator/archive_manifest.h"
#include "coordinator/archive_status.h"
#include "coordinator/video_farm.h"
#include "core/error.h"
#include "support/testenv.h"

namespace ff::coordinator {
namespace {

const std::filesystem::path kManifest = "/data/talks/list.txt";
const std::filesystem::path kOut = "/data/talks/list.out";

// The message of the ff::Error `f` throws; fails the test when it throws none.
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no ff::Error thrown";
  return "";
}

TEST(ArchiveManifest, SkipsBlanksAndCommentsNumbersEntriesAndNamesOutputs) {
  const std::string text =
      "# spring talks\n"
      "\n"
      "keynote.mp4\r\n"
      "   \t\n"
      "  # indented comment\n"
      "  sub/panel discussion.mov  \n"
      "/archive/2019/closing.mkv\n"
      "../other/intro.final.mp4";  // no newline at the end
  const Manifest m = parse_manifest(text, kManifest, kOut);
  ASSERT_EQ(m.entries.size(), 4u);
  EXPECT_EQ(m.status_file, "/data/talks/list.out/list.status.json");
  const auto& e = m.entries;
  EXPECT_EQ(e[0].number, 1);
  EXPECT_EQ(e[0].line, 3);
  EXPECT_EQ(e[0].input, "/data/talks/keynote.mp4");
  EXPECT_EQ(e[0].output, "/data/talks/list.out/keynote.mp4");
  EXPECT_EQ(e[0].workdir, "/data/talks/list.out/keynote.work");
  EXPECT_EQ(e[1].number, 2);
  EXPECT_EQ(e[1].line, 6);
  EXPECT_EQ(e[1].input, "/data/talks/sub/panel discussion.mov");
  EXPECT_EQ(e[1].output, "/data/talks/list.out/panel discussion.mp4");
  EXPECT_EQ(e[2].input, "/archive/2019/closing.mkv");
  EXPECT_EQ(e[2].output, "/data/talks/list.out/closing.mp4");
  EXPECT_EQ(e[3].number, 4);
  EXPECT_EQ(e[3].line, 8);
  EXPECT_EQ(e[3].input, "/data/other/intro.final.mp4");
  EXPECT_EQ(e[3].output, "/data/talks/list.out/intro.final.mp4");
  EXPECT_EQ(default_outdir(kManifest), kOut);
}

TEST(ArchiveManifest, TwoEntriesWithOneStemAreAUsageErrorNamingBoth) {
  const std::string message =
      error_of([] { parse_manifest("a/call.mp4\nb.mp4\n\nb/call.mov\n", kManifest, kOut); });
  EXPECT_EQ(message,
            "/data/talks/list.txt:4: entry 3 (/data/talks/b/call.mov) has the same output name "
            "call.mp4 as entry 1 (/data/talks/a/call.mp4, line 1); rename one input or list them "
            "in separate manifests");
}

TEST(ArchiveManifest, LinesThatAreNotInputsAreUsageErrorsWithTheirLine) {
  EXPECT_EQ(error_of([] { parse_manifest("a.mp4\nvideos/\n", kManifest, kOut); }),
            "/data/talks/list.txt:2: 'videos/' names no file; list one input file per line");
  EXPECT_EQ(error_of([] { parse_manifest(std::string("a.mp4\nb\0c.mp4\n", 14), kManifest, kOut); }),
            "/data/talks/list.txt:2: not a text line (it holds a NUL byte); a manifest lists one "
            "input path per line");
  EXPECT_EQ(error_of([] { parse_manifest("# nothing yet\n\n", kManifest, kOut); }),
            "/data/talks/list.txt: the manifest lists no inputs (only blank lines and # "
            "comments); list one input path per line");
  // An input already in the output directory under its delivery name.
  EXPECT_EQ(error_of([] { parse_manifest("list.out/a.mp4\n", kManifest, kOut); }),
            "/data/talks/list.txt:1: entry 1 would be delivered over its own input "
            "/data/talks/list.out/a.mp4; pass another --outdir");
}

TEST(ArchiveManifest, LoadReadsTheFileAndDefaultsTheOutdirBesideIt) {
  test::TempDir dir("archive-manifest");
  std::ofstream(dir / "batch.txt") << "x.mp4\n";
  const Manifest m = load_manifest(dir / "batch.txt", "");
  EXPECT_EQ(m.outdir, dir.path() / "batch.out");
  EXPECT_EQ(m.entries.at(0).input, dir.path() / "x.mp4");
  const Manifest elsewhere = load_manifest(dir / "batch.txt", dir / "out");
  EXPECT_EQ(elsewhere.entries.at(0).output, dir.path() / "out" / "x.mp4");
  EXPECT_EQ(error_of([&] { load_manifest(dir / "missing.txt", ""); }),
            (dir / "missing.txt").string() +
                ": cannot read the manifest: No such file or directory; pass a text file with "
                "one input path per line");
}

TEST(ArchiveManifest, OnlySelectsOneEntryByItsNumber) {
  const Manifest m = parse_manifest("a.mp4\n# b.mp4\nc.mp4\n", kManifest, kOut);
  EXPECT_EQ(select_entries(m, std::nullopt).size(), 2u);
  const auto one = select_entries(m, 2);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].input, "/data/talks/c.mp4");
  EXPECT_EQ(error_of([&] { select_entries(m, 3); }),
            "framefarm archive: --only 3 is not an entry of /data/talks/list.txt, which has 2 "
            "entries (numbered from 1); pass 1..2");
  EXPECT_EQ(error_of([&] { select_entries(m, 0); }).substr(0, 30),
            "framefarm archive: --only 0 is");
}

EntryStatus record(int entry, EntryState state, int tries, const std::string& input = "") {
  EntryStatus s;
  s.entry = entry;
  s.input = input.empty() ? "/data/talks/e" + std::to_string(entry) + ".mp4" : input;
  s.output = "/data/talks/list.out/e" + std::to_string(entry) + ".mp4";
  s.state = state;
  s.tries = tries;
  return s;
}

TEST(ArchiveStatus, JsonHasTheContractsFieldsAndRoundTrips) {
  ArchiveStatus status;
  status.manifest = "/data/talks/list.txt";
  EntryStatus done = record(1, EntryState::kDone, 1);
  done.qa = EntryQa::kPass;
  done.wall_s = 12.5;
  EntryStatus failed = record(2, EntryState::kFailed, 2);
  failed.reason = "/data/talks/e2.mp4: input rejected: no video stream";
  status.entries = {done, failed, record(3, EntryState::kPending, 0)};
  const std::string text = status_json(status);
  const auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j.at("schema"), "framefarm.archive-status/1");
  EXPECT_EQ(j.at("manifest"), "/data/talks/list.txt");
  const auto& e = j.at("entries");
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].at("entry"), 1);
  EXPECT_EQ(e[0].at("input"), "/data/talks/e1.mp4");
  EXPECT_EQ(e[0].at("output"), "/data/talks/list.out/e1.mp4");
  EXPECT_EQ(e[0].at("state"), "done");
  EXPECT_EQ(e[0].at("qa"), "pass");
  EXPECT_EQ(e[0].at("wall_s"), 12.5);
  EXPECT_EQ(e[0].at("tries"), 1);
  EXPECT_EQ(e[0].at("reason"), "");
  EXPECT_EQ(e[1].at("state"), "failed");
  EXPECT_TRUE(e[1].at("qa").is_null());
  EXPECT_EQ(e[2].at("state"), "pending");
  const ArchiveStatus back = parse_status(text, "s.json");
  EXPECT_EQ(back.manifest, status.manifest);
  EXPECT_EQ(back.entries, status.entries);
}

TEST(ArchiveStatus, AFileThatIsNotAStatusIsNamedWithWhatToDo) {
  const std::string tail =
      "; move it away to start the status over (finished outputs are kept, and a rerun reuses "
      "their work directories)";
  EXPECT_EQ(error_of([] { parse_status(R"({"schema": "other/1"})", "/o/s.json"); }),
            "/o/s.json: not a framefarm archive status file (schema is not "
            "framefarm.archive-status/1)" +
                tail);
  const std::string bad_state =
      R"({"schema": "framefarm.archive-status/1", "manifest": "m", "entries": [{"entry": 4,
      "input": "a", "output": "b", "state": "running", "qa": null, "wall_s": 0, "tries": 0,
      "reason": ""}]})";
  EXPECT_EQ(error_of([&] { parse_status(bad_state, "/o/s.json"); }),
            "/o/s.json: entry 4: state \"running\" is not done, failed or pending" + tail);
  const std::string truncated = error_of([] { parse_status("{\"schema\": ", "/o/s.json"); });
  EXPECT_EQ(truncated.rfind("/o/s.json: not a readable archive status file (", 0), 0u) << truncated;
  EXPECT_NE(truncated.find(tail), std::string::npos) << truncated;
}

TEST(ArchiveStatus, MergeFollowsTheManifestAndAppliesUpdatesByEntry) {
  ArchiveStatus current;
  current.manifest = "old";
  EntryStatus moved = record(1, EntryState::kDone, 1);
  moved.output = "/old/place/e1.mp4";
  current.entries = {moved, record(2, EntryState::kFailed, 1),
                     record(3, EntryState::kDone, 1, "/data/talks/renamed.mp4"),
                     record(9, EntryState::kDone, 1)};
  const std::vector<EntryStatus> fresh = {
      record(1, EntryState::kPending, 0), record(2, EntryState::kPending, 0),
      record(3, EntryState::kPending, 0), record(4, EntryState::kPending, 0)};
  const EntryStatus update = record(2, EntryState::kDone, 2);
  const ArchiveStatus merged = merge_status(current, "/data/talks/list.txt", fresh, {update});
  EXPECT_EQ(merged.manifest, "/data/talks/list.txt");
  ASSERT_EQ(merged.entries.size(), 4u) << "entry 9 is no longer in the manifest";
  EXPECT_EQ(merged.entries[0], record(1, EntryState::kDone, 1))
      << "kept as recorded, with the manifest's output path";
  EXPECT_EQ(merged.entries[1], update);
  EXPECT_EQ(merged.entries[2], fresh[2]) << "its input changed: the record starts over";
  EXPECT_EQ(merged.entries[3], fresh[3]) << "new in the manifest: pending";
}

TEST(ArchiveStatus, ARerunSkipsDoneEntriesWithOutputsAndExhaustedFailures) {
  EXPECT_EQ(decide_entry(nullptr, false, 3), EntryAction::kRun);
  const EntryStatus done = record(1, EntryState::kDone, 1);
  EXPECT_EQ(decide_entry(&done, true, 3), EntryAction::kSkipDone);
  EXPECT_EQ(decide_entry(&done, false, 3), EntryAction::kRun) << "output deleted: redo";
  const EntryStatus failed_once = record(1, EntryState::kFailed, 1);
  EXPECT_EQ(decide_entry(&failed_once, false, 3), EntryAction::kRun);
  const EntryStatus failed_thrice = record(1, EntryState::kFailed, 3);
  EXPECT_EQ(decide_entry(&failed_thrice, false, 3), EntryAction::kSkipExhausted);
  EXPECT_EQ(decide_entry(&failed_thrice, false, 4), EntryAction::kRun) << "max_tries raised";
  const EntryStatus pending = record(1, EntryState::kPending, 5);
  EXPECT_EQ(decide_entry(&pending, false, 3), EntryAction::kRun) << "a killed try is retried";
}

TEST(ArchiveStatus, TheLockExcludesASecondHolderUntilReleased) {
  test::TempDir dir("archive-lock");
  const auto path = dir / "s.json.lock";
  std::atomic<bool> second_holds{false};
  std::thread second;
  {
    const FileLock first(path);
    second = std::thread([&] {
      const FileLock again(path);
      second_holds = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_FALSE(second_holds) << "the second lock was granted while the first was held";
  }
  second.join();
  EXPECT_TRUE(second_holds);
}

TEST(ArchiveStatus, ConcurrentProcessesUpdatingDifferentEntriesLoseNothing) {
  // Four processes (as four Slurm array tasks with --only N would) each
  // update their own entry 25 times; every read-merge-write must see the
  // others' latest records, so all end at tries = 25.
  test::TempDir dir("archive-concurrent");
  std::string text;
  for (int i = 1; i <= 4; ++i) text += "v" + std::to_string(i) + ".mp4\n";
  const Manifest m = parse_manifest(text, dir / "m.txt", dir / "out");
  std::filesystem::create_directories(m.outdir);
  constexpr int kUpdates = 25;
  std::vector<pid_t> children;
  for (int entry = 1; entry <= 4; ++entry) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int code = 0;
      try {
        for (int t = 1; t <= kUpdates; ++t) {
          EntryStatus s = pending_entries(m)[static_cast<size_t>(entry - 1)];
          s.state = EntryState::kFailed;
          s.tries = t;
          s.reason = "try " + std::to_string(t);
          update_status(m.status_file, m, {s});
        }
      } catch (...) {
        code = 1;
      }
      _exit(code);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  const ArchiveStatus final_status = read_status(m.status_file);
  ASSERT_EQ(final_status.entries.size(), 4u);
  for (const EntryStatus& e : final_status.entries) {
    EXPECT_EQ(e.tries, kUpdates) << "entry " << e.entry;
    EXPECT_EQ(e.reason, "try 25") << "entry " << e.entry;
  }
  EXPECT_TRUE(std::filesystem::exists(lock_path_of(m.status_file)));
}

TEST(VideoTaskIndex, NumbersEveryVideosItemsInOneRun) {
  const VideoTaskIndex index({3, 0, 2});
  EXPECT_EQ(index.videos(), 3u);
  EXPECT_EQ(index.total(), 5u);
  EXPECT_EQ(index.id(0, 2), 2);
  EXPECT_EQ(index.id(2, 0), 3);
  EXPECT_EQ(index.locate(2), (std::pair<size_t, size_t>{0, 2}));
  EXPECT_EQ(index.locate(3), (std::pair<size_t, size_t>{2, 0}));
  EXPECT_EQ(index.locate(4), (std::pair<size_t, size_t>{2, 1}));
  EXPECT_EQ(error_of([&] { index.locate(5); }), "farm: task id 5 is outside 0..5; this is a bug");
}

TEST(VideoFarm, ATaskOutOfTriesFailsOnlyItsVideo) {
  // Video 1's second item always throws; videos 0 and 2 must still deliver
  // every result exactly once, and video 1's failure says which task.
  const VideoTaskIndex index({2, 3, 2});
  std::vector<Task> tasks;
  for (int32_t id = 0; id < static_cast<int32_t>(index.total()); ++id) {
    tasks.push_back({id, static_cast<double>(10 - id)});
  }
  FarmConfig config;
  config.name = "render";
  config.max_tries = 2;
  config.describe_task = [&](int32_t id) {
    const auto [v, i] = index.locate(id);
    return "item " + std::to_string(i) + " of video " + std::to_string(v);
  };
  std::map<int32_t, int> delivered;
  const auto failures = run_farm_per_video(
      config, tasks, index,
      [&](int32_t id) -> std::vector<std::byte> {
        if (id == index.id(1, 1)) throw std::runtime_error("decoder fell over");
        return {};
      },
      [&](int32_t id, int, std::span<const std::byte>, double) { ++delivered[id]; });
  ASSERT_EQ(failures.size(), 3u);
  EXPECT_EQ(failures[0], "");
  EXPECT_EQ(failures[1],
            "render: task 3 (item 1 of video 1) failed 2 of 2 tries, last on rank 0: decoder fell "
            "over");
  EXPECT_EQ(failures[2], "");
  for (size_t v : {size_t{0}, size_t{2}}) {
    for (size_t i = 0; i < index.items(v); ++i) {
      EXPECT_EQ(delivered[index.id(v, i)], 1) << "video " << v << " item " << i;
    }
  }
  EXPECT_EQ(delivered.count(index.id(1, 1)), 0u);
}

TEST(VideoFarm, AFailureOfNoSingleVideoStillFailsTheRun) {
  const VideoTaskIndex index({1, 1});
  FarmConfig config;
  config.name = "scan";
  bool threw = false;
  try {
    run_farm_per_video(
        config, {{0, 1.0}, {1, 1.0}}, index, [](int32_t) { return std::vector<std::byte>{}; },
        [](int32_t, int, std::span<const std::byte>, double) {
          throw std::runtime_error("disk full");
        });
  } catch (const FarmError& e) {
    threw = true;
    EXPECT_NE(std::string(e.what()).find("disk full"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(threw);
}

}  // namespace
}  // namespace ff::coordinator
