// `framefarm archive` end to end on a manifest of two short project
// recordings and one text file: exit codes, the status file, report.json
// verdicts, frame counts by ffprobe, the same delivery as `framefarm run`
// on the same input, job and rank count, reruns that skip finished entries,
// and a resume that reuses the scan and the segments. Once with one rank
// and once under mpirun -n 3.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/store.h"
#include "support/testenv.h"
#include "support/truth.h"

namespace ff {
namespace {

using test::run_command;
using test::shell_quote;

std::string q(const std::filesystem::path& p) {
  return shell_quote(p.string());
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Small, fast deliveries: the demo job (veryfast, max_tries = 2) at 360x640.
std::string job_file() {
  return q(test::source_dir() / "jobs/demo.toml");
}
const char* const kSets = " --set output.width=360 --set output.height=640";

std::string archive_args(const std::filesystem::path& manifest, const std::string& more = "") {
  return "archive " + q(manifest) + " --job " + job_file() + kSets + more;
}

std::string run_args(const std::filesystem::path& input, const std::filesystem::path& output) {
  return "run " + job_file() + " --input " + q(input) + " --output " + q(output) + kSets;
}

std::string mpirun(int ranks) {
  return "mpirun -n " + std::to_string(ranks) + " --oversubscribe" +
         (getuid() == 0 ? " --allow-run-as-root " : " ") + q(test::framefarm_bin());
}

test::CommandResult framefarm(int ranks, const std::string& args) {
  return ranks == 1 ? test::run_framefarm(args) : run_command(mpirun(ranks) + " " + args);
}

int64_t count_frames(const std::filesystem::path& file) {
  const auto r = run_command(
      "ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames "
      "-of csv=p=0 " +
      q(file));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out.empty() ? -1 : std::stoll(r.out);
}

int64_t audio_streams(const std::filesystem::path& file) {
  const auto r = run_command(
      "ffprobe -v error -select_streams a -show_entries stream=index -of "
      "csv=p=0 " +
      q(file) + " | wc -l");
  return std::stoll(r.out);
}

// plan.json without its "input" line (the archive names inputs by absolute path).
std::string plan_without_input(const std::filesystem::path& workdir) {
  std::istringstream in(slurp(workdir / "plan.json"));
  std::string line, out;
  while (std::getline(in, line)) {
    if (line.find("\"input\":") == std::string::npos) out += line + "\n";
  }
  return out;
}

nlohmann::json entry_of(const std::filesystem::path& status_file, int number) {
  const auto status = nlohmann::json::parse(slurp(status_file));
  for (const auto& e : status.at("entries")) {
    if (e.at("entry") == number) return e;
  }
  ADD_FAILURE() << "no entry " << number << " in " << status_file;
  return {};
}

// The manifest: short.mp4 (2 s, call_short), quiet.mp4 (3 s cut of
// call_noaudio: no audio stream), notes.txt (not media), written into `dir`.
void make_inputs(const std::filesystem::path& dir) {
  std::filesystem::copy_file(test::recording("call_short.mp4"), dir / "short.mp4");
  const auto cut = run_command("ffmpeg -v error -y -i " + q(test::recording("call_noaudio.mp4")) +
                               " -t 3 -c copy " + q(dir / "quiet.mp4"));
  ASSERT_EQ(cut.exit_code, 0) << cut.err;
  std::ofstream(dir / "notes.txt") << "minutes of the meeting\n";
  std::ofstream(dir / "list.txt") << "# archive e2e\nshort.mp4\n\nquiet.mp4\nnotes.txt\n";
}

// Exit 4 (one entry failed to process), the good ones done and passed QA,
// the bad one failed with its reason; frame counts by ffprobe.
void expect_archive_result(const test::CommandResult& r, const std::filesystem::path& dir,
                           const std::filesystem::path& outdir) {
  EXPECT_EQ(r.exit_code, 4) << r.err << r.out;
  const auto status_file = outdir / "list.status.json";
  EXPECT_NE(r.out.find("archive: 3 of 3 entries: 2 passed QA, 0 failed QA, 1 failed to "
                       "process; status: " +
                       status_file.string()),
            std::string::npos)
      << r.out;
  const auto status = nlohmann::json::parse(slurp(status_file));
  EXPECT_EQ(status.at("schema"), "framefarm.archive-status/1");
  EXPECT_EQ(status.at("manifest"), (dir / "list.txt").string());
  for (int n : {1, 2}) {
    const auto e = entry_of(status_file, n);
    EXPECT_EQ(e.at("state"), "done") << e;
    EXPECT_EQ(e.at("qa"), "pass") << e;
    EXPECT_EQ(e.at("tries"), 1) << e;
    EXPECT_EQ(e.at("reason"), "") << e;
    EXPECT_GT(e.at("wall_s").get<double>(), 0.0);
  }
  const auto bad = entry_of(status_file, 3);
  EXPECT_EQ(bad.at("state"), "failed");
  EXPECT_TRUE(bad.at("qa").is_null());
  EXPECT_EQ(bad.at("output"), (outdir / "notes.mp4").string());
  const std::string reason = bad.at("reason");
  EXPECT_EQ(
      reason.rfind(
          (dir / "notes.txt").string() + ": input rejected: not a media file FFmpeg can read", 0),
      0u)
      << reason;
  EXPECT_FALSE(std::filesystem::exists(outdir / "notes.mp4"));
  for (const char* stem : {"short", "quiet"}) {
    const auto report =
        nlohmann::json::parse(slurp(outdir / (std::string(stem) + ".work") / "report.json"));
    EXPECT_EQ(report.at("verdict"), "pass") << stem;
    EXPECT_EQ(report.at("archive").at("manifest"), (dir / "list.txt").string());
  }
  const test::Truth truth = test::load_truth(test::testdata_dir() / "call_short.json");
  EXPECT_EQ(count_frames(outdir / "short.mp4"), truth.frames) << "CFR 30 -> 30 keeps every frame";
  EXPECT_EQ(count_frames(outdir / "quiet.mp4"), count_frames(dir / "quiet.mp4"));
  core::Store store(outdir / "quiet.work" / core::Store::kFileName);
  EXPECT_EQ(count_frames(outdir / "quiet.mp4"), store.read_attr_i64("/plan", "out_frames"));
  EXPECT_EQ(audio_streams(outdir / "short.mp4"), 1);
  EXPECT_EQ(audio_streams(outdir / "quiet.mp4"), 0);
}

// One rank: the archive runs once per test process.
class ArchiveE2e : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir("archive-e2e");
    make_inputs(dir_->path());
    one_ = new test::CommandResult(framefarm(1, archive_args(*dir_ / "list.txt")));
  }
  static void TearDownTestSuite() {
    delete one_;
    delete dir_;
  }
  static std::filesystem::path out1() { return *dir_ / "list.out"; }

  static test::TempDir* dir_;
  static test::CommandResult* one_;
};
test::TempDir* ArchiveE2e::dir_ = nullptr;
test::CommandResult* ArchiveE2e::one_ = nullptr;

TEST_F(ArchiveE2e, GoodEntriesPassQaAndTheTextFileFailsWithItsReason) {
  expect_archive_result(*one_, dir_->path(), out1());
}

TEST_F(ArchiveE2e, DeliversWhatFramefarmRunDelivers) {
  // Each entry, whether the archive's process rendered it first or after
  // another video, and with --only, gives the bytes `framefarm run` gives.
  const auto run_quiet = framefarm(1, run_args(*dir_ / "quiet.mp4", *dir_ / "run1_quiet.mp4"));
  ASSERT_EQ(run_quiet.exit_code, 0) << run_quiet.err;
  EXPECT_TRUE(slurp(*dir_ / "run1_quiet.mp4") == slurp(out1() / "quiet.mp4"));
  const auto run_short = framefarm(1, run_args(*dir_ / "short.mp4", *dir_ / "run1_short.mp4"));
  ASSERT_EQ(run_short.exit_code, 0) << run_short.err;
  EXPECT_EQ(plan_without_input(out1() / "short.work"),
            plan_without_input(*dir_ / "run1_short.mp4.work"));
  EXPECT_TRUE(slurp(out1() / "short.mp4") == slurp(*dir_ / "run1_short.mp4"));
  const auto only =
      framefarm(1, archive_args(*dir_ / "list.txt", " --only 1 --outdir " + q(*dir_ / "only")));
  EXPECT_EQ(only.exit_code, 0) << only.err;
  EXPECT_TRUE(slurp(*dir_ / "run1_short.mp4") == slurp(*dir_ / "only" / "short.mp4"));
}

TEST(ArchiveE2eThreeRanks, SameResultsAndTheSameBytesAsRunOnThreeRanks) {
  test::TempDir dir("archive-e2e3");
  make_inputs(dir.path());
  const auto three = framefarm(3, archive_args(dir / "list.txt"));
  expect_archive_result(three, dir.path(), dir / "list.out");
  // Each single-segment entry is the first encode of the rank that runs it,
  // as in `run`: the same bytes, and the same plan.
  for (const char* stem : {"short", "quiet"}) {
    const auto out = dir / (std::string("run3_") + stem + ".mp4");
    const auto r = framefarm(3, run_args(dir / (std::string(stem) + ".mp4"), out));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(slurp(out) == slurp(dir / "list.out" / (std::string(stem) + ".mp4"))) << stem;
    EXPECT_EQ(plan_without_input(dir / "list.out" / (std::string(stem) + ".work")),
              plan_without_input(out.string() + ".work"))
        << stem;
  }
}

TEST_F(ArchiveE2e, RerunsSkipDoneEntriesAndStopRetryingAtMaxTries) {
  test::TempDir copy("archive-rerun");
  std::filesystem::copy(out1(), copy.path(), std::filesystem::copy_options::recursive);
  const std::string args = archive_args(*dir_ / "list.txt", " --outdir " + q(copy.path()));
  const std::string before = slurp(copy / "short.mp4");
  const auto mtime = std::filesystem::last_write_time(copy / "short.mp4");
  const auto second = framefarm(1, args);
  EXPECT_EQ(second.exit_code, 4) << second.err;
  for (const char* stem : {"short", "quiet"}) {
    EXPECT_NE(second.err.find("(" + (*dir_ / (std::string(stem) + ".mp4")).string() +
                              ") skipped: done, QA pass"),
              std::string::npos)
        << second.err;
  }
  EXPECT_EQ(second.err.find("render"), std::string::npos) << "nothing was to be rendered";
  EXPECT_TRUE(slurp(copy / "short.mp4") == before);
  EXPECT_EQ(std::filesystem::last_write_time(copy / "short.mp4"), mtime);
  EXPECT_EQ(entry_of(copy / "list.status.json", 1).at("tries"), 1);
  EXPECT_EQ(entry_of(copy / "list.status.json", 3).at("tries"), 2) << "the text file was retried";

  // demo.toml has farm.max_tries = 2: the text file is not tried a third time.
  const auto third = framefarm(1, args);
  EXPECT_EQ(third.exit_code, 4);
  EXPECT_NE(third.err.find("(" + (*dir_ / "notes.txt").string() +
                           ") not retried: failed 2 of farm.max_tries = 2 tries; last reason: " +
                           (*dir_ / "notes.txt").string() + ": input rejected"),
            std::string::npos)
      << third.err;
  EXPECT_EQ(entry_of(copy / "list.status.json", 3).at("tries"), 2);
  EXPECT_EQ(entry_of(copy / "list.status.json", 3).at("state"), "failed");
}

TEST_F(ArchiveE2e, AnEntryWhoseOutputIsGoneIsRedoneFromItsScanAndSegments) {
  // What a kill between the segments and the stitch leaves: work done, no
  // output. The rerun reuses the stored scan and every verified segment and
  // delivers the same bytes.
  test::TempDir copy("archive-resume");
  std::filesystem::copy(out1(), copy.path(), std::filesystem::copy_options::recursive);
  const std::string before = slurp(copy / "quiet.mp4");
  std::filesystem::remove(copy / "quiet.mp4");
  const auto r =
      framefarm(1, archive_args(*dir_ / "list.txt", " --only 2 --outdir " + q(copy.path())));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("is done but its output is missing: running it again"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("scan: reusing"), std::string::npos) << r.err;
  const auto metrics = core::Store(copy / "quiet.work" / core::Store::kFileName)
                           .read_f64("/metrics/render/segments");
  for (double reused : metrics.column("reused")) EXPECT_EQ(reused, 1.0);
  EXPECT_TRUE(slurp(copy / "quiet.mp4") == before) << "the resumed output differs";
  EXPECT_EQ(entry_of(copy / "list.status.json", 2).at("tries"), 2);
  EXPECT_EQ(entry_of(copy / "list.status.json", 2).at("state"), "done");
}

TEST(ArchiveCli, UsageErrorsExitWith2InOneLineBeforeAnyWork) {
  test::TempDir dir("archive-cli");
  std::ofstream(dir / "dup.txt") << "a/talk.mp4\nb/talk.mov\n";
  const auto dup = test::run_framefarm(archive_args(dir / "dup.txt"));
  EXPECT_EQ(dup.exit_code, 2);
  EXPECT_NE(dup.err.find((dir / "dup.txt").string() + ":2: entry 2 (" +
                         (dir / "b/talk.mov").string() + ") has the same output name talk.mp4 " +
                         "as entry 1 (" + (dir / "a/talk.mp4").string() + ", line 1)"),
            std::string::npos)
      << dup.err;
  EXPECT_EQ(std::count(dup.err.begin(), dup.err.end(), '\n'), 1) << dup.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "dup.out"));
  const auto only = test::run_framefarm(archive_args(dir / "dup.txt", " --only x"));
  EXPECT_EQ(only.exit_code, 2);
  EXPECT_NE(only.err.find("framefarm archive: --only 'x' is not an entry number"),
            std::string::npos)
      << only.err;
  const auto no_job = test::run_framefarm("archive " + q(dir / "dup.txt"));
  EXPECT_EQ(no_job.exit_code, 2);
  EXPECT_NE(no_job.err.find("framefarm archive: --job JOB is required"), std::string::npos);
  const auto help = test::run_framefarm("archive --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("usage: framefarm archive MANIFEST"), std::string::npos) << help.out;
}

}  // namespace
}  // namespace ff
