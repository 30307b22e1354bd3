// media/segment_file.h: what an interrupted run left half-written is removed
// before the next render; finished files stay.
#include "media/segment_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"

namespace ff::media {
namespace {

namespace fs = std::filesystem;

class PartialFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ff_segment_file_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void touch(const std::string& name) { std::ofstream(dir_ / name) << "x"; }
  fs::path dir_;
};

TEST_F(PartialFiles, RemovesTempFilesAndKeepsFinishedOnes) {
  touch("seg_00001.mp4");
  touch("seg_00001.json");
  touch("seg_00002.mp4.tmp-4242");  // a segment killed mid-encode
  touch("seg_00002.json.tmp-4242");
  EXPECT_EQ(remove_partial_files(dir_), 2);
  EXPECT_TRUE(fs::exists(dir_ / "seg_00001.mp4"));
  EXPECT_TRUE(fs::exists(dir_ / "seg_00001.json"));
  EXPECT_FALSE(fs::exists(dir_ / "seg_00002.mp4.tmp-4242"));
  EXPECT_FALSE(fs::exists(dir_ / "seg_00002.json.tmp-4242"));
  EXPECT_EQ(remove_partial_files(dir_), 0) << "harmless twice";
}

TEST_F(PartialFiles, AMissingDirectoryRemovesNothing) {
  EXPECT_EQ(remove_partial_files(dir_ / "never-made"), 0);
}

}  // namespace
}  // namespace ff::media
