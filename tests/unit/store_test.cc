// analysis.h5: typed round trips, copy-on-write commits, damaged files.
#include "core/store.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

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

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  return names;
}

// Whether `text` contains `part`, printing both when it does not.
testing::AssertionResult contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "\"" << part << "\" not found in:\n" << text;
}

// The message of the ff::RuntimeError that `fn` throws ("" if none).
template <typename Fn>
std::string error_of(Fn fn) {
  try {
    fn();
  } catch (const RuntimeError& e) {
    return e.what();
  }
  return "";
}

const std::vector<std::string> kFaceColumns = {"frame", "x", "y", "w", "h", "score", "activity"};

void write_probe(Store& store) {
  store.commit("/probe", [](GroupWriter& g) {
    g.set_attr_string("codec", "h264");
    g.set_attr_i64("width", 1920);
    g.set_attr_f64("duration_s", 2700.5);
    const std::vector<int64_t> keyframes = {0, 250, 500};
    g.write("keyframe_pts", keyframes, "stream time base ticks");
  });
}

void write_scan(Store& store, float first_score) {
  store.commit("/scan", [&](GroupWriter& g) {
    const std::vector<float> scores = {first_score, 1.5f, 80.f};
    g.write("scene_score", scores, "mean abs diff 0..255");
    const std::vector<int64_t> pts = {0, 512, 1024};
    g.write("frame_pts", pts, "stream time base ticks");
  });
}

TEST(Store, OneDimensionalRoundTripOfEachType) {
  test::TempDir dir("store");
  Store store(dir / Store::kFileName);
  const std::vector<int64_t> i64 = {std::numeric_limits<int64_t>::min(), -1, 0,
                                    std::numeric_limits<int64_t>::max()};
  const std::vector<int32_t> i32 = {std::numeric_limits<int32_t>::min(), 7,
                                    std::numeric_limits<int32_t>::max()};
  const std::vector<double> f64 = {-0.0, 1e-300, 3.141592653589793, INFINITY};
  const std::vector<float> f32 = {1.f / 3.f, -2.5f, std::numeric_limits<float>::denorm_min()};
  store.commit("/scan", [&](GroupWriter& g) {
    g.write("i64", i64, "frames");
    g.write("i32", i32, "count");
    g.write("f64", f64, "s");
    g.write("f32", f32, "normalised");
  });

  const auto a = store.read_i64("/scan/i64");
  EXPECT_EQ(a.data, i64);
  EXPECT_EQ(a.ndim, 1);
  EXPECT_EQ(a.rows, 4);
  EXPECT_EQ(a.cols, 1);
  EXPECT_TRUE(a.columns.empty());
  EXPECT_EQ(a.units, "frames");
  EXPECT_EQ(a.path, "/scan/i64");
  EXPECT_EQ(store.read_i32("/scan/i32").data, i32);
  EXPECT_EQ(store.read_i32("/scan/i32").units, "count");
  const auto d = store.read_f64("scan/f64");  // the leading '/' is optional
  ASSERT_EQ(d.data.size(), f64.size());
  for (size_t i = 0; i < f64.size(); ++i) {
    EXPECT_EQ(std::memcmp(&d.data[i], &f64[i], sizeof(double)), 0) << i;  // -0.0 kept
  }
  EXPECT_EQ(d.units, "s");
  EXPECT_EQ(store.read_f32("/scan/f32").data, f32);
  EXPECT_EQ(store.read_f32("/scan/f32").units, "normalised");
}

TEST(Store, TwoDimensionalWithNamedColumns) {
  test::TempDir dir("store");
  Store store(dir / Store::kFileName);
  // Two faces: frame, x, y, w, h, score, activity per row.
  const std::vector<float> faces = {0.f,  0.1f, 0.2f, 0.3f, 0.4f, 0.9f, 5.f,
                                    10.f, 0.5f, 0.6f, 0.2f, 0.2f, 0.8f, 0.f};
  const std::vector<double> crop = {960, 540, 608, 1080, 970, 540, 608, 1080};
  store.commit("/scan",
               [&](GroupWriter& g) { g.write_table("faces", faces, kFaceColumns, "normalised"); });
  store.commit("/plan", [&](GroupWriter& g) {
    g.write_table("crop", crop, {"cx", "cy", "w", "h"}, "source pixels");
  });

  const auto f = store.read_f32("/scan/faces");
  EXPECT_EQ(f.ndim, 2);
  EXPECT_EQ(f.rows, 2);
  EXPECT_EQ(f.cols, 7);
  EXPECT_EQ(f.columns, kFaceColumns);
  EXPECT_EQ(f.data, faces);
  EXPECT_EQ(f.at(1, 0), 10.f);
  EXPECT_EQ(f.column("activity"), (std::vector<float>{5.f, 0.f}));
  EXPECT_EQ(f.column_index("score"), 5);
  EXPECT_EQ(error_of([&] { (void)f.column("mouth"); }),
            "/scan/faces has no column \"mouth\"; its columns are: frame, x, y, w, h, score, "
            "activity");

  const auto c = store.read_f64("/plan/crop");
  EXPECT_EQ(c.rows, 2);
  EXPECT_EQ(c.column("cx"), (std::vector<double>{960, 970}));
  EXPECT_EQ(c.units, "source pixels");
}

TEST(Store, EmptyDatasetsKeepTheirShape) {
  test::TempDir dir("store");
  Store store(dir / Store::kFileName);
  store.commit("/scan", [&](GroupWriter& g) {
    g.write_table("faces", std::vector<float>{}, kFaceColumns, "normalised");  // no face found
    g.write("cuts", std::vector<int64_t>{}, "frames");
  });
  const auto f = store.read_f32("/scan/faces");
  EXPECT_EQ(f.rows, 0);
  EXPECT_EQ(f.cols, 7);
  EXPECT_EQ(f.columns, kFaceColumns);
  EXPECT_TRUE(f.data.empty());
  EXPECT_EQ(store.read_i64("/scan/cuts").rows, 0);
}

TEST(Store, AttributesOnGroupsAndDatasets) {
  test::TempDir dir("store");
  Store store(dir / Store::kFileName);
  write_probe(store);
  store.commit("/scan", [](GroupWriter& g) {
    g.write("frame_pts", std::vector<int64_t>{0, 1}, "ticks");
    g.set_attr_i64("frame_pts", "time_base_den", 90000);
    g.set_attr_f64("frame_pts", "fps", 29.97);
    g.set_attr_string("frame_pts", "note", "presentation order");
  });
  EXPECT_EQ(store.read_attr_string("/probe", "codec"), "h264");
  EXPECT_EQ(store.read_attr_i64("/probe", "width"), 1920);
  EXPECT_EQ(store.read_attr_f64("/probe", "duration_s"), 2700.5);
  EXPECT_EQ(store.read_attr_i64("/scan/frame_pts", "time_base_den"), 90000);
  EXPECT_EQ(store.read_attr_f64("/scan/frame_pts", "fps"), 29.97);
  EXPECT_EQ(store.read_attr_string("/scan/frame_pts", "note"), "presentation order");
  EXPECT_EQ(store.read_attr_string("/scan/frame_pts", "units"), "ticks");
  EXPECT_TRUE(store.has_attr("/probe", "codec"));
  EXPECT_FALSE(store.has_attr("/probe", "rotation"));
  EXPECT_FALSE(store.has_attr("/audio", "codec"));

  const std::string file = (dir / Store::kFileName).string();
  EXPECT_EQ(error_of([&] { store.read_attr_i64("/probe", "codec"); }),
            file + ": /probe attribute codec holds string, not a single integer");
  EXPECT_EQ(error_of([&] { store.read_attr_f64("/probe", "width"); }),
            file + ": /probe attribute width holds int64, not a single float");
  EXPECT_EQ(
      error_of([&] { store.read_attr_string("/probe", "rotation"); }),
      file + ": /probe has no attribute rotation; the phase that writes it has not completed");
}

TEST(Store, HasChildrenAndReadErrorsNameThePath) {
  test::TempDir dir("store");
  const fs::path file = dir / Store::kFileName;
  Store store(file);
  EXPECT_FALSE(store.exists());
  EXPECT_FALSE(store.has("/scan"));
  write_probe(store);
  write_scan(store, 0.f);
  EXPECT_TRUE(store.exists());
  EXPECT_TRUE(store.has("/"));
  EXPECT_TRUE(store.has("/scan"));
  EXPECT_TRUE(store.has("/scan/frame_pts"));
  EXPECT_FALSE(store.has("/scan/faces"));
  EXPECT_FALSE(store.has("/scan/frame_pts/x"));  // below a dataset
  EXPECT_FALSE(store.has("/plan/cuts"));
  EXPECT_EQ(store.children("/"), (std::vector<std::string>{"probe", "scan"}));
  EXPECT_EQ(store.children("/scan"), (std::vector<std::string>{"frame_pts", "scene_score"}));

  EXPECT_EQ(error_of([&] { store.read_i64("/plan/cuts"); }),
            file.string() + ": /plan/cuts not found; the phase that writes it has not completed");
  EXPECT_EQ(error_of([&] { store.read_i64("/scan/scene_score"); }),
            file.string() + ": /scan/scene_score holds float32 values, not int64");
  EXPECT_EQ(error_of([&] { store.read_i32("/scan/frame_pts"); }),
            file.string() + ": /scan/frame_pts holds int64 values, not int32");
  EXPECT_EQ(error_of([&] { store.read_f64("/scan"); }),
            file.string() + ": /scan is a group, not a dataset");
  EXPECT_EQ(error_of([&] { store.children("/scan/frame_pts"); }),
            file.string() + ": /scan/frame_pts is a dataset, not a group");
  EXPECT_TRUE(
      contains(error_of([&] { store.has("/scan//x"); }), ": invalid store path \"/scan//x\""));
}

TEST(Store, WriterErrorsNameTheDataset) {
  test::TempDir dir("store");
  const std::string file = (dir / Store::kFileName).string();
  Store store(file);
  const std::vector<double> five = {1, 2, 3, 4, 5};
  auto commit_error = [&](std::function<void(GroupWriter&)> writer) {
    return error_of([&] { store.commit("/plan", writer); });
  };
  EXPECT_EQ(commit_error([&](GroupWriter& g) { g.write("gain_db", five, ""); }),
            file + ": /plan/gain_db: units are empty; every dataset names its units, e.g. \"s\"");
  EXPECT_EQ(commit_error([&](GroupWriter& g) {
              g.write_table("crop", five, {"cx", "cy"}, "px");
            }),
            file + ": /plan/crop: 5 values do not fill rows of 2 columns");
  EXPECT_EQ(commit_error([&](GroupWriter& g) {
              g.write_table("crop", five, {"a", "a"}, "px");
            }),
            file + ": /plan/crop: column names must be unique and non-empty, got \"a\"");
  EXPECT_EQ(commit_error([&](GroupWriter& g) { g.write("a/b", five, "dB"); }),
            file + ": /plan: invalid dataset name \"a/b\"; use one name without '/'");
  EXPECT_EQ(commit_error([&](GroupWriter& g) {
              g.write("gain_db", five, "dB");
              g.write("gain_db", five, "dB");
            }),
            file + ": /plan/gain_db is written twice in one commit; write each name once");
  EXPECT_EQ(commit_error([&](GroupWriter& g) {
              g.write("gain_db", five, "dB");
              g.set_attr_string("gain_db", "units", "LU");
            }),
            file + ": /plan/gain_db: attribute units is set twice; set each attribute once");
  EXPECT_EQ(commit_error([&](GroupWriter& g) { g.set_attr_i64("cuts", "n", 3); }),
            file + ": /plan/cuts does not exist yet; write it before its attributes");
  EXPECT_EQ(error_of([&] { store.commit("/", [](GroupWriter&) {}); }),
            file + ": cannot commit the root group; commit one group such as /scan");
  EXPECT_FALSE(store.exists());  // none of the failed commits left a file
  EXPECT_TRUE(entries(dir.path()).empty());
}

TEST(Store, CommitReplacesTheGroupAndKeepsTheOthers) {
  test::TempDir dir("store");
  Store store(dir / Store::kFileName);
  write_probe(store);
  store.commit("/scan", [](GroupWriter& g) {
    g.write("old_only", std::vector<int32_t>{1}, "count");
    g.write("scene_score", std::vector<float>{9.f}, "mean abs diff 0..255");
  });
  write_scan(store, 42.f);

  EXPECT_FALSE(store.has("/scan/old_only"));  // the old group is gone, not merged
  EXPECT_EQ(store.read_f32("/scan/scene_score").data, (std::vector<float>{42.f, 1.5f, 80.f}));
  // /probe is untouched, attributes included.
  EXPECT_EQ(store.read_i64("/probe/keyframe_pts").data, (std::vector<int64_t>{0, 250, 500}));
  EXPECT_EQ(store.read_i64("/probe/keyframe_pts").units, "stream time base ticks");
  EXPECT_EQ(store.read_attr_string("/probe", "codec"), "h264");
  EXPECT_EQ(store.read_attr_f64("/probe", "duration_s"), 2700.5);
  EXPECT_EQ(entries(dir.path()), (std::vector<std::string>{"analysis.h5"}));
}

TEST(Store, NestedCommitKeepsSiblingsAndParentAttributes) {
  test::TempDir dir("store");
  Store store(dir / Store::kFileName);
  store.commit("/metrics", [](GroupWriter& g) {
    g.set_attr_string("job", "call-01");
    GroupWriter scan = g.group("scan");
    scan.write("wall_s", std::vector<double>{1.0}, "s");
  });
  store.commit("/metrics/render", [](GroupWriter& g) {
    g.write("wall_s", std::vector<double>{2.0, 3.0}, "s");
    g.set_attr_i64("segments", 2);
  });
  store.commit("/metrics/scan",
               [](GroupWriter& g) { g.write("wall_s", std::vector<double>{4.0}, "s"); });
  EXPECT_EQ(store.read_attr_string("/metrics", "job"), "call-01");
  EXPECT_EQ(store.read_f64("/metrics/scan/wall_s").data, (std::vector<double>{4.0}));
  EXPECT_EQ(store.read_f64("/metrics/render/wall_s").data, (std::vector<double>{2.0, 3.0}));
  EXPECT_EQ(store.read_attr_i64("/metrics/render", "segments"), 2);
  EXPECT_EQ(store.children("/metrics"), (std::vector<std::string>{"render", "scan"}));
}

TEST(Store, WriterMayReadTheStoreButNotCommitInside) {
  test::TempDir dir("store");
  const fs::path file = dir / Store::kFileName;
  Store store(file);
  write_scan(store, 7.f);
  // The plan phase reads the scan while it writes the plan.
  store.commit("/plan", [&](GroupWriter& g) {
    const auto scores = store.read_f32("/scan/scene_score");
    std::vector<int64_t> cuts;
    for (int64_t i = 0; i < scores.rows; ++i) {
      if (scores.data[static_cast<size_t>(i)] > 50.f) cuts.push_back(i);
    }
    g.write("cuts", cuts, "output frames");
  });
  EXPECT_EQ(store.read_i64("/plan/cuts").data, (std::vector<int64_t>{2}));

  const std::string before = slurp(file);
  EXPECT_EQ(error_of([&] { store.commit("/plan", [&](GroupWriter&) { write_probe(store); }); }),
            file.string() +
                ": commit of /probe started inside another commit's writer; commit groups one "
                "after another");
  EXPECT_EQ(slurp(file), before);
  write_probe(store);  // and commits work again afterwards
  EXPECT_TRUE(store.has("/probe"));
}

TEST(Store, ReplacingAGroupReclaimsItsSpace) {
  // HDF5 does not reuse the space of an object deleted in an earlier session
  // unless the new object fits in it; deleting /plan in place and writing a
  // slightly larger one would leave the old 80 kB behind. A store that
  // replaced /plan four times must be as large as one written once with the
  // final content (same objects, same order).
  test::TempDir dir("store");
  auto commit_plan = [](Store& store, size_t values) {
    store.commit("/plan", [&](GroupWriter& g) {
      g.write("crop_cx", std::vector<double>(values, 0.25), "source pixels");
    });
  };
  Store replaced(dir / "replaced.h5");
  write_probe(replaced);
  commit_plan(replaced, 10000);
  write_scan(replaced, 1.f);  // /plan is no longer at the end of the file
  for (size_t i = 1; i <= 4; ++i) commit_plan(replaced, 10000 + 100 * i);

  Store fresh(dir / "fresh.h5");
  write_probe(fresh);
  write_scan(fresh, 1.f);
  commit_plan(fresh, 10400);
  EXPECT_EQ(fs::file_size(dir / "replaced.h5"), fs::file_size(dir / "fresh.h5"));
  EXPECT_EQ(replaced.read_f64("/plan/crop_cx").rows, 10400);
}

TEST(Store, ThrowingWriterLeavesTheFileByteIdenticalAndNoTemp) {
  test::TempDir dir("store");
  const fs::path file = dir / Store::kFileName;
  Store store(file);
  write_probe(store);
  write_scan(store, 3.f);
  const std::string before = slurp(file);
  try {
    store.commit("/scan", [](GroupWriter& g) {
      g.write("scene_score", std::vector<float>{0.f}, "mean abs diff 0..255");
      throw std::runtime_error("decoder lost");
    });
    FAIL() << "the writer's exception must propagate";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "decoder lost");
  }
  EXPECT_EQ(slurp(file), before);
  EXPECT_EQ(entries(dir.path()), (std::vector<std::string>{"analysis.h5"}));
  EXPECT_EQ(store.read_f32("/scan/scene_score").data[0], 3.f);
}

TEST(Store, ThrowingFirstCommitCreatesNoFile) {
  test::TempDir dir("store");
  Store store(dir / Store::kFileName);
  EXPECT_THROW(store.commit("/probe", [](GroupWriter&) { throw std::runtime_error("x"); }),
               std::runtime_error);
  EXPECT_TRUE(entries(dir.path()).empty());
}

TEST(Store, TextFileNamedAnalysisH5IsRejectedWithAdvice) {
  test::TempDir dir("store");
  const fs::path file = dir / Store::kFileName;
  std::ofstream(file) << "this is not HDF5\n";
  Store store(file);
  const std::string expected =
      file.string() + ": not an HDF5 file; delete the work directory's analysis.h5 to rescan";
  testing::internal::CaptureStderr();
  EXPECT_EQ(error_of([&] { store.has("/probe"); }), expected);
  EXPECT_EQ(error_of([&] { store.read_i64("/probe/keyframe_pts"); }), expected);
  EXPECT_EQ(error_of([&] { write_scan(store, 1.f); }), expected);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");  // no HDF5 error stack
  EXPECT_EQ(slurp(file), "this is not HDF5\n");
  EXPECT_EQ(entries(dir.path()), (std::vector<std::string>{"analysis.h5"}));
}

TEST(Store, TruncatedFileIsRejectedWithAdvice) {
  test::TempDir dir("store");
  const fs::path file = dir / Store::kFileName;
  Store store(file);
  write_probe(store);
  write_scan(store, 1.f);
  fs::resize_file(file, fs::file_size(file) / 2);  // a copy cut short
  const std::string prefix = file.string() + ": damaged HDF5 file (";
  const std::string suffix = "); delete the work directory's analysis.h5 to rescan";
  testing::internal::CaptureStderr();
  for (const std::string& msg : {error_of([&] { store.has("/scan"); }),
                                 error_of([&] { store.read_f32("/scan/scene_score"); }),
                                 error_of([&] { write_probe(store); })}) {
    EXPECT_TRUE(msg.starts_with(prefix)) << msg;
    EXPECT_TRUE(msg.ends_with(suffix)) << msg;
    EXPECT_TRUE(contains(msg, "truncated file")) << msg;  // HDF5's own diagnosis, one line
  }
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(entries(dir.path()), (std::vector<std::string>{"analysis.h5"}));
}

TEST(Store, DamagedFileOnAnotherThreadPrintsNothingEither) {
  // HDF5's error stack and its printing switch are per thread.
  test::TempDir dir("store");
  const fs::path file = dir / Store::kFileName;
  Store store(file);
  write_probe(store);
  fs::resize_file(file, fs::file_size(file) - 100);
  std::string msg;
  testing::internal::CaptureStderr();
  std::thread reader([&] { msg = error_of([&] { Store(file).read_f64("/plan/gain_db"); }); });
  reader.join();
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  EXPECT_TRUE(contains(msg, file.string() + ": damaged HDF5 file (truncated file")) << msg;
}

TEST(Store, H5dumpReadsDatasetNamesAndUnits) {
  test::TempDir dir("store");
  const fs::path file = dir / Store::kFileName;
  Store store(file);
  write_probe(store);
  store.commit("/scan", [&](GroupWriter& g) {
    g.write_table("faces", std::vector<float>(14, 0.5f), kFaceColumns, "normalised");
  });
  const auto header = test::run_command("h5dump -H " + test::shell_quote(file.string()));
  ASSERT_EQ(header.exit_code, 0) << header.err;
  EXPECT_TRUE(contains(header.out, "GROUP \"probe\""));
  EXPECT_TRUE(contains(header.out, "DATASET \"keyframe_pts\""));
  EXPECT_TRUE(contains(header.out, "DATASET \"faces\""));
  EXPECT_TRUE(contains(header.out, "DATASPACE  SIMPLE { ( 2, 7 ) / ( 2, 7 ) }"));
  EXPECT_TRUE(contains(header.out, "ATTRIBUTE \"units\""));
  EXPECT_TRUE(contains(header.out, "ATTRIBUTE \"columns\""));
  // The attribute's value, as another tool sees it.
  const auto units =
      test::run_command("h5dump -a /scan/faces/units " + test::shell_quote(file.string()));
  ASSERT_EQ(units.exit_code, 0) << units.err;
  EXPECT_TRUE(contains(units.out, "\"normalised\""));
  const auto columns =
      test::run_command("h5dump -a /scan/faces/columns " + test::shell_quote(file.string()));
  EXPECT_TRUE(contains(columns.out, "\"frame\", \"x\", \"y\", \"w\", \"h\", \"score\""));
}

}  // namespace
}  // namespace ff::core
