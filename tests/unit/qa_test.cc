// `framefarm qa` on small files made with the ffmpeg CLI: a compliant 360x640
// delivery passes; each mutation (corrupt bytes, BT.601 tags, 6 dB too loud,
// faces off-centre, a dropped frame) fails its own check with exit code 1;
// a work directory's analysis.h5 supplies frame count, shots and speakers;
// three ranks give the same values as one.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/store.h"
#include "support/testenv.h"

namespace ff {
namespace {

using nlohmann::json;
using test::run_command;
using test::shell_quote;

constexpr const char* kX264Delivery =
    "-c:v libx264 -preset superfast -profile:v high -level 4.0 -pix_fmt yuv420p -g 15 "
    "-colorspace bt709 -color_primaries bt709 -color_trc bt709 -color_range tv";
// 320x360 of the 640x360 call from x0, scaled and letterboxed into 360x640.
// call.json's ground truth: the speaker shot's face is centred at x = 0.51 of
// the width (327 px), so x0 = 167 centres it; the gallery's left face is at
// 0.255 (163 px), so x0 = 80 puts it at 0.26 of the output width.
std::string portrait(int x0) {
  return "-vf crop=320:360:" + std::to_string(x0) + ":0,scale=360:405,pad=360:640:0:117";
}

std::string q(const std::filesystem::path& p) {
  return shell_quote(p.string());
}

void ffmpeg(const std::string& args) {
  const auto r = run_command("ffmpeg -nostdin -v error -y " + args);
  ASSERT_EQ(r.exit_code, 0) << "ffmpeg " << args << "\n" << r.err;
}

// Integrated loudness by ffmpeg's own ebur128 filter (not libebur128).
double ffmpeg_lufs(const std::string& input_args) {
  const auto r =
      run_command("ffmpeg -nostdin -nostats " + input_args + " -vn -af ebur128 -f null - 2>&1");
  const size_t at = r.out.rfind("    I:");
  EXPECT_NE(at, std::string::npos) << r.out;
  return at == std::string::npos ? 0.0 : std::strtod(r.out.c_str() + at + 6, nullptr);
}

int64_t ffprobe_frames(const std::filesystem::path& file) {
  const auto r = run_command(
      "ffprobe -v error -select_streams v:0 -count_frames -show_entries "
      "stream=nb_read_frames -of csv=p=0 " +
      q(file));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return std::atoll(r.out.c_str());
}

json read_json(const std::filesystem::path& p) {
  std::ifstream in(p);
  EXPECT_TRUE(in.good()) << p;
  return in.good() ? json::parse(in) : json::object();
}

const json& check(const json& report, const std::string& name) {
  for (const auto& c : report.at("checks")) {
    if (c.at("name") == name) return c;
  }
  ADD_FAILURE() << "report has no check " << name;
  static const json none = json::object();
  return none;
}

struct QaRun {
  test::CommandResult result;
  json report;
};

class QaOnFiles : public testing::Test {
 protected:
  // The compliant file: the speaker shot of call.mp4 (one face, centred),
  // its audio brought to -16 LUFS as measured by ffmpeg's ebur128 filter.
  static void SetUpTestSuite() {
    dir_ = new test::TempDir("qa");
    const std::string src = "-ss 6.6 -t 3.4 -i " + q(test::recording("call.mp4"));
    const double gain_db = -16.0 - ffmpeg_lufs(src);
    ffmpeg(src + " " + portrait(167) + " " + kX264Delivery + " -af volume=" +
           std::to_string(gain_db) + "dB -ar 48000 -c:a aac -b:a 128k " + q(good()));
    std::ofstream(*dir_ / "job.toml") << "[output]\nwidth = 360\nheight = 640\n";
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::filesystem::path good() { return *dir_ / "good.mp4"; }
  static std::filesystem::path job() { return *dir_ / "job.toml"; }

  static QaRun qa(const std::filesystem::path& file, const std::string& more = "",
                  const std::string& launcher = "") {
    std::filesystem::remove(file.string() + ".report.json");
    QaRun run;
    const std::string args = "qa " + q(file) + " --job " + q(job()) + " " + more;
    run.result = launcher.empty()
                     ? test::run_framefarm(args)
                     : run_command(launcher + " " + q(test::framefarm_bin()) + " " + args);
    run.report = read_json(file.string() + ".report.json");
    return run;
  }

  // `name` failed in the summary and the report; every check of the
  // `passing` groups ("decode.", "spec.", ...) passed or did not apply.
  static void expect_fails(const QaRun& run, const std::string& name,
                           const std::vector<std::string>& passing) {
    EXPECT_EQ(run.result.exit_code, 1) << run.result.out << run.result.err;
    EXPECT_EQ(run.report.at("verdict"), "fail");
    EXPECT_EQ(check(run.report, name).at("verdict"), "fail") << check(run.report, name);
    bool listed = false;
    std::istringstream lines(run.result.out);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("  " + name + " ", 0) == 0) {
        EXPECT_NE(line.find("FAIL"), std::string::npos) << line;
        listed = true;
      }
    }
    EXPECT_TRUE(listed) << run.result.out;
    EXPECT_NE(run.result.out.find("QA FAILED"), std::string::npos) << run.result.out;
    for (const auto& c : run.report.at("checks")) {
      for (const auto& group : passing) {
        if (c.at("name").get<std::string>().rfind(group, 0) == 0) {
          EXPECT_NE(c.at("verdict"), "fail") << c;
        }
      }
    }
  }

  static test::TempDir* dir_;
};
test::TempDir* QaOnFiles::dir_ = nullptr;

TEST_F(QaOnFiles, CompliantFilePasses) {
  const QaRun run = qa(good());
  EXPECT_EQ(run.result.exit_code, 0) << run.result.out << run.result.err;
  EXPECT_NE(run.result.out.find("QA passed"), std::string::npos) << run.result.out;
  EXPECT_NE(run.result.out.find("report: " + good().string() + ".report.json and " +
                                good().string() + ".report.html"),
            std::string::npos)
      << run.result.out;
  EXPECT_TRUE(std::filesystem::exists(good().string() + ".report.html"));
  EXPECT_EQ(run.result.out.find("loudness per shot"), std::string::npos)
      << "no work directory: no loudness before to show";
  const json& r = run.report;
  EXPECT_EQ(r.at("schema"), "framefarm.report/1");
  EXPECT_EQ(r.at("verdict"), "pass");
  EXPECT_EQ(r.at("output"), good().string());
  EXPECT_EQ(r.at("encoder").get<std::string>().rfind("x264 core ", 0), 0u) << r.at("encoder");
  for (const auto& c : r.at("checks")) EXPECT_NE(c.at("verdict"), "fail") << c;
  EXPECT_EQ(check(r, "timing.frame_count").at("value"), ffprobe_frames(good()));
  EXPECT_EQ(check(r, "faces.centred").at("verdict"), "pass") << "the Haar cascade sees the face";
  EXPECT_NEAR(check(r, "loudness.integrated").at("value").get<double>(), -16.0, 0.3);
  EXPECT_EQ(r.at("loudness").at("shots").size(), 1u) << "no plan: one shot";
}

TEST_F(QaOnFiles, CorruptBytesFailDecode) {
  // Scramble 300 bytes inside the keyframe nearest the middle of the file.
  const json probe = json::parse(test::run_framefarm("probe " + q(good())).out);
  const auto& keys = probe.at("video").at("keyframes");
  const int64_t pos = keys.at(keys.size() / 2).at("pos").get<int64_t>() + 200;
  const auto bad = *dir_ / "corrupt.mp4";
  std::filesystem::copy_file(good(), bad);
  std::fstream f(bad, std::ios::in | std::ios::out | std::ios::binary);
  std::string bytes(300, '\0');
  f.seekg(pos);
  f.read(bytes.data(), 300);
  for (char& c : bytes) c = static_cast<char>(c ^ 0x5A);
  f.seekp(pos);
  f.write(bytes.data(), 300);
  f.close();
  const QaRun run = qa(bad);
  expect_fails(run, "decode.errors", {"spec.", "loudness.", "audio."});
  const json& c = check(run.report, "decode.errors");
  EXPECT_GE(c.at("value").get<double>(), 1.0);
  EXPECT_NE(c.at("detail").get<std::string>().find("at frame "), std::string::npos) << c;
  ASSERT_FALSE(run.report.at("decode_errors").empty());
  const double t = run.report.at("decode_errors").at(0).at("time_s").get<double>();
  const double key_s = keys.at(keys.size() / 2).at("pts").get<double>() *
                       probe.at("video").at("time_base").at("value").get<double>();
  EXPECT_NEAR(t, key_s, 1e-6) << "the first error is at the scrambled keyframe";
}

TEST_F(QaOnFiles, Bt470bgTagsFailSpec) {
  const auto file = *dir_ / "bt601.mp4";
  ffmpeg("-i " + q(good()) +
         " -c:a copy -c:v libx264 -preset superfast -profile:v high -level 4.0 -pix_fmt yuv420p "
         "-g 15 -colorspace bt470bg -color_primaries bt470bg -color_trc smpte170m "
         "-color_range tv " +
         q(file));
  const QaRun run = qa(file);
  expect_fails(run, "spec.color_primaries", {"decode.", "timing.", "loudness.", "faces."});
  EXPECT_EQ(check(run.report, "spec.color_matrix").at("verdict"), "fail");
  EXPECT_EQ(check(run.report, "spec.color_matrix").at("value"), "bt470bg");
  EXPECT_EQ(check(run.report, "spec.color_range").at("verdict"), "pass");
}

TEST_F(QaOnFiles, SixDbTooLoudFailsLoudness) {
  const auto file = *dir_ / "loud.mp4";
  ffmpeg("-i " + q(good()) + " -c:v copy -af volume=6dB -c:a aac -b:a 128k " + q(file));
  const QaRun run = qa(file);
  expect_fails(run, "loudness.integrated", {"decode.", "spec.", "timing.", "faces."});
  const json& c = check(run.report, "loudness.integrated");
  EXPECT_GT(c.at("value").get<double>(), -15.5) << c;
  EXPECT_NE(c.at("detail").get<std::string>().find("LU too loud"), std::string::npos) << c;
}

TEST_F(QaOnFiles, OffCentreFacesFailFaces) {
  // The gallery shot cropped at x = 80: the left face sits at a quarter of
  // the width, the right one is cut off. Same audio as the compliant file.
  const auto file = *dir_ / "offcentre.mp4";
  ffmpeg("-ss 1.0 -t 3.4 -i " + q(test::recording("call.mp4")) + " -i " + q(good()) +
         " -map 0:v -map 1:a " + portrait(80) + " " + kX264Delivery + " -c:a copy " + q(file));
  const QaRun run = qa(file);
  expect_fails(run, "faces.centred", {"decode.", "spec.", "loudness."});
  EXPECT_LT(check(run.report, "faces.centred").at("value").get<double>(), 0.5);
}

TEST_F(QaOnFiles, DroppedFrameFailsFrameCountAgainstExpectFrames) {
  const auto file = *dir_ / "dropped.mp4";
  ffmpeg("-i " + q(good()) + " -c:a copy -vf " +
         shell_quote("select=not(eq(n\\,40)),setpts=N/FRAME_RATE/TB") + " " + kX264Delivery + " " +
         q(file));
  const int64_t expected = ffprobe_frames(good());
  const QaRun run = qa(file, "--expect-frames " + std::to_string(expected));
  expect_fails(run, "timing.frame_count", {"decode.", "spec.", "loudness.", "faces."});
  const json& c = check(run.report, "timing.frame_count");
  EXPECT_EQ(c.at("value"), expected - 1);
  EXPECT_EQ(c.at("threshold"), expected);
  EXPECT_EQ(c.at("detail"), "expected count from --expect-frames; 1 frame(s) missing");
  // Without an expected count the file is judged by its own container.
  EXPECT_EQ(check(qa(file).report, "timing.frame_count").at("verdict"), "pass");
}

TEST_F(QaOnFiles, WorkdirPlanGivesFrameCountShotsSpeakersAndExpectedAudio) {
  // The compliant clip twice, the video joined without re-encoding; the
  // first half's audio 1.2 dB up, the second 1.2 dB down: 2.4 LU apart.
  std::ofstream(*dir_ / "two.txt") << "file " << q(good()) << "\nfile " << q(good()) << "\n";
  const auto file = *dir_ / "two_shots.mp4";
  ffmpeg("-f concat -safe 0 -i " + q(*dir_ / "two.txt") + " -i " + q(good()) + " -filter_complex " +
         shell_quote("[1:a]atrim=end=3.4,volume=1.2dB[a0];[1:a]atrim=end=3.4,volume=-1.2dB[a1];"
                     "[a0][a1]concat=n=2:v=0:a=1[a]") +
         " -map 0:v -map '[a]' -c:v copy -c:a aac -b:a 128k " + q(file));
  const int64_t frames = ffprobe_frames(file);
  const int64_t half = ffprobe_frames(good());
  test::TempDir work("qa-work");
  std::filesystem::copy_file(job(), work / "job.toml");
  auto write_plan = [&](std::vector<int64_t> shots) {
    core::Store store(work / core::Store::kFileName);
    store.commit("/probe", [&](core::GroupWriter& g) {
      g.set_attr_i64("has_audio", 1);
      g.set_attr_string("path", "call.mp4");
    });
    store.commit("/plan", [&](core::GroupWriter& g) {
      g.set_attr_i64("fps_num", 30);
      g.set_attr_i64("fps_den", 1);
      g.set_attr_i64("out_frames", frames);
      g.write_table("shots", shots, {"begin", "end", "track", "persons", "speaker"},
                    "output frames");
      g.write("speaker", std::vector<int32_t>(static_cast<size_t>(frames), 0), "person id");
    });
  };
  auto run_in_work = [&](const std::filesystem::path& f) {
    QaRun run;
    run.result = test::run_framefarm("qa " + q(f) + " --workdir " + q(work.path()));
    run.report = read_json(work / "report.json");
    return run;
  };

  write_plan({0, half, 0, 1, 0, half, frames, 0, 1, 0});
  {  // what the job's audio phase measured on its input, per shot
    core::Store store(work / core::Store::kFileName);
    store.commit("/audio", [&](core::GroupWriter& g) {
      g.set_attr_i64("skipped", 0);
      g.write("lufs_before", std::vector<double>{-22.5, -28.0}, "LUFS");
    });
  }
  QaRun run = run_in_work(file);
  EXPECT_EQ(run.report.at("loudness").at("shots").at(0).at("lufs_before"), -22.5);
  EXPECT_EQ(run.report.at("loudness").at("shots").at(1).at("lufs_before"), -28.0);
  EXPECT_NE(run.result.out.find("  loudness per shot, LUFS before -> after: -22.5 -> -14."),
            std::string::npos)
      << run.result.out;
  EXPECT_NE(run.result.out.find(", -28.0 -> -17."), std::string::npos) << run.result.out;
  EXPECT_TRUE(std::filesystem::exists(work / "report.html"));
  expect_fails(run, "loudness.spread", {"decode.", "spec.", "timing.", "faces."});
  EXPECT_EQ(run.report.at("input"), "call.mp4");
  EXPECT_NEAR(check(run.report, "loudness.spread").at("value").get<double>(), 2.4, 0.2);
  EXPECT_NEAR(run.report.at("loudness").at("shots").at(0).at("lufs").get<double>(), -14.8, 0.3);
  ASSERT_EQ(run.report.at("loudness").at("shots").size(), 2u);
  EXPECT_NEAR(run.report.at("loudness").at("shots").at(1).at("start_s").get<double>(),
              static_cast<double>(half) / 30, 1e-9);
  const json& count = check(run.report, "timing.frame_count");
  EXPECT_EQ(count.at("threshold"), frames);
  EXPECT_EQ(count.at("detail"), "expected count from the plan (analysis.h5 /plan out_frames)");
  EXPECT_EQ(check(run.report, "faces.missing").at("verdict"), "info");
  EXPECT_LT(check(run.report, "faces.missing").at("value").get<double>(), 0.2);

  write_plan({0, frames, 0, 1, 0});  // one shot: no spread to measure
  run = run_in_work(file);
  EXPECT_EQ(run.result.exit_code, 0) << run.result.out << run.result.err;
  EXPECT_FALSE(run.report.at("loudness").at("shots").at(0).contains("lufs_before"))
      << "/audio has two shots, the plan one: not matched";
  EXPECT_NE(run.result.err.find("qa: analysis.h5 /audio has 2 shots, the plan 1"),
            std::string::npos)
      << run.result.err;
  EXPECT_EQ(check(run.report, "loudness.spread").at("verdict"), "na");

  // The input had audio: a delivery without it fails audio.present.
  const auto silent = *dir_ / "two_shots_noaudio.mp4";
  ffmpeg("-i " + q(file) + " -c copy -an " + q(silent));
  run = run_in_work(silent);
  expect_fails(run, "audio.present", {"decode.", "spec.", "timing.", "faces."});
  EXPECT_EQ(check(run.report, "loudness.integrated").at("verdict"), "na");
  EXPECT_EQ(check(qa(silent).report, "audio.present").at("verdict"), "na")
      << "without a work directory nothing says the job had audio";
}

TEST_F(QaOnFiles, ThreeRanksGiveTheSameValuesAsOne) {
  // The corrupted file: decode errors must be counted once however it is cut.
  const json probe = json::parse(test::run_framefarm("probe " + q(good())).out);
  const auto& keys = probe.at("video").at("keyframes");
  const auto bad = *dir_ / "corrupt3.mp4";
  std::filesystem::copy_file(good(), bad);
  {
    std::fstream f(bad, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(keys.at(keys.size() / 2).at("pos").get<int64_t>() + 200);
    f.write(std::string(200, '\x5A').data(), 200);
  }
  const QaRun one = qa(bad);
  const std::string mpirun =
      std::string("mpirun -n 3 --oversubscribe") + (getuid() == 0 ? " --allow-run-as-root" : "");
  const QaRun three = qa(bad, "", mpirun);
  EXPECT_EQ(one.result.exit_code, 1) << one.result.err;
  EXPECT_EQ(three.result.exit_code, 1) << three.result.err;
  EXPECT_EQ(three.report.at("qa").at("ranks"), 3);
  EXPECT_NE(one.report.at("qa").at("ranges").size(), three.report.at("qa").at("ranges").size())
      << "the ranges are cut differently";
  ASSERT_EQ(one.report.at("checks").size(), three.report.at("checks").size());
  for (size_t i = 0; i < one.report.at("checks").size(); ++i) {
    const json& a = one.report.at("checks").at(i);
    const json& b = three.report.at("checks").at(i);
    EXPECT_EQ(a.at("name"), b.at("name"));
    EXPECT_EQ(a.at("value"), b.at("value")) << a.at("name");
    EXPECT_EQ(a.at("verdict"), b.at("verdict")) << a.at("name");
    EXPECT_EQ(a.at("detail"), b.at("detail")) << a.at("name");
  }
  EXPECT_EQ(one.report.at("decode_errors"), three.report.at("decode_errors"));
  EXPECT_EQ(check(one.report, "decode.errors").at("verdict"), "fail");
}

// No fixture: every error comes before the file is read.
TEST(QaCommand, UsageErrorsNameTheOption) {
  const auto file = test::recording("call.mp4");
  test::TempDir dir("qa-usage");
  std::ofstream(dir / "job.toml") << "[output]\nwidth = 360\nheight = 640\n";
  const auto job = dir / "job.toml";
  auto r = test::run_framefarm("qa " + q(file));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("framefarm qa: --job JOB is required without --workdir"), std::string::npos)
      << r.err;
  r = test::run_framefarm("qa " + q(file) + " --job " + q(job) + " --expect-frames 7x");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--expect-frames '7x' is not a frame count"), std::string::npos) << r.err;
  test::TempDir empty("qa-empty");
  r = test::run_framefarm("qa " + q(file) + " --job " + q(job) + " --workdir " + q(empty.path()));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("analysis.h5 does not exist; pass the job's work directory"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace ff
