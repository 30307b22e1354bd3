// Temp + fsync + rename: the final name holds a whole file or nothing new.
#include "core/atomic_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "core/error.h"
#include "support/testenv.h"

namespace ff::core {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spit(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

size_t entries(const fs::path& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

TEST(WriteFileAtomically, CreatesThenReplacesAndLeavesNoTemp) {
  test::TempDir dir("atomic");
  const auto path = dir / "report.json";
  write_file_atomically(path, "first");
  EXPECT_EQ(slurp(path), "first");
  const std::string binary("a\0b\nc", 5);
  write_file_atomically(path, binary);
  EXPECT_EQ(slurp(path), binary);
  EXPECT_EQ(entries(dir.path()), 1u);
}

TEST(WriteFileAtomically, EmptyContentGivesAnEmptyFile) {
  test::TempDir dir("atomic");
  write_file_atomically(dir / "empty", "");
  EXPECT_TRUE(fs::exists(dir / "empty"));
  EXPECT_EQ(fs::file_size(dir / "empty"), 0u);
}

TEST(WriteFileAtomically, UnwritableDirectoryNamesPathAndErrno) {
  test::TempDir dir("atomic");
  spit(dir / "plain_file", "x");
  // Tests run as root, so permissions do not stop a write; a path below a
  // regular file fails for everyone (ENOTDIR).
  const auto path = dir / "plain_file" / "report.json";
  try {
    write_file_atomically(path, "data");
    FAIL() << "expected an error";
  } catch (const RuntimeError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path.string() + ".tmp-"), std::string::npos) << msg;
    EXPECT_NE(msg.find("create failed: Not a directory"), std::string::npos) << msg;
    EXPECT_NE(msg.find("check that the directory exists"), std::string::npos) << msg;
  }
}

TEST(AtomicOutput, TempSuffixNamesThisHostAndPid) {
  // Two nodes of one job share a file system and may reuse each other's pids.
  const std::string suffix = temp_suffix();
  EXPECT_TRUE(std::regex_match(suffix, std::regex(R"(\.tmp-[A-Za-z0-9._-]{1,64}-[0-9]+)")))
      << suffix;
  const std::string pid = "-" + std::to_string(getpid());
  ASSERT_GT(suffix.size(), pid.size());
  EXPECT_EQ(suffix.substr(suffix.size() - pid.size()), pid);
  char host[256] = {};
  ASSERT_EQ(gethostname(host, sizeof host - 1), 0);
  const std::string name(host);
  if (name.size() <= 64 && std::regex_match(name, std::regex("[A-Za-z0-9._-]+"))) {
    EXPECT_EQ(suffix, ".tmp-" + name + pid);
  }
}

TEST(AtomicOutput, TempNameUsesHostAndPidAndCommitRenames) {
  test::TempDir dir("atomic");
  const auto final_path = dir / "seg-0001.h264";
  {
    AtomicOutput out(final_path);
    EXPECT_EQ(out.final_path(), final_path);
    EXPECT_EQ(out.temp_path().string(), final_path.string() + core::temp_suffix());
    spit(out.temp_path(), "segment bytes");
    EXPECT_FALSE(fs::exists(final_path));  // nothing visible before commit
    out.commit();
    EXPECT_TRUE(out.committed());
    EXPECT_FALSE(fs::exists(out.temp_path()));
  }
  EXPECT_EQ(slurp(final_path), "segment bytes");
  EXPECT_EQ(entries(dir.path()), 1u);
}

TEST(AtomicOutput, WithoutCommitTheTempIsRemovedAndTheOldFileKept) {
  test::TempDir dir("atomic");
  const auto final_path = dir / "output.mp4";
  spit(final_path, "previous output");
  fs::path temp;
  {
    AtomicOutput out(final_path);
    temp = out.temp_path();
    spit(temp, "half writ");
    EXPECT_TRUE(fs::exists(temp));
  }
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_EQ(slurp(final_path), "previous output");
  EXPECT_EQ(entries(dir.path()), 1u);
}

TEST(AtomicOutput, StaleTempWithTheSamePidIsRemovedOnConstruction) {
  test::TempDir dir("atomic");
  const auto final_path = dir / "seg.h264";
  const fs::path stale = final_path.string() + core::temp_suffix();
  spit(stale, "left by a crash");
  AtomicOutput out(final_path);
  EXPECT_FALSE(fs::exists(stale));
}

TEST(AtomicOutput, CommitWithoutATempFileNamesTheTemp) {
  test::TempDir dir("atomic");
  AtomicOutput out(dir / "never_written");
  try {
    out.commit();
    FAIL() << "expected an error";
  } catch (const RuntimeError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(out.temp_path().string() + ": open for fsync failed: No such file"),
              std::string::npos)
        << msg;
  }
  EXPECT_FALSE(out.committed());
  EXPECT_FALSE(fs::exists(dir / "never_written"));
}

TEST(AtomicOutput, RenameOntoADirectoryFailsWithPathAndErrno) {
  test::TempDir dir("atomic");
  fs::create_directories(dir / "busy" / "child");  // rename() cannot replace a non-empty dir
  AtomicOutput out(dir / "busy");
  spit(out.temp_path(), "x");
  try {
    out.commit();
    FAIL() << "expected an error";
  } catch (const RuntimeError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find((dir / "busy").string() + ": rename from busy.tmp-"), std::string::npos)
        << msg;
    EXPECT_NE(msg.find("Is a directory"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace ff::core
