// Job file -> JobOptions (core/options.h): defaults, every kind of error with
// its exact message, overrides, the level checks, the round trip through
// to_toml, and the job files shipped in jobs/.
#include "core/options.h"

#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <fstream>
#include <functional>

#include "core/error.h"
#include "support/testenv.h"

namespace ff::core {
namespace {

namespace fs = std::filesystem;

std::string config_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
    return e.what();
  }
  return "(no ConfigError)";
}

// The message of parsing `text` as "jobs/x.toml".
std::string error_for(std::string_view text, const std::vector<std::string>& overrides = {}) {
  return config_error([&] { parse_job(text, "jobs/x.toml", overrides); });
}

JobOptions parse(std::string_view text, const std::vector<std::string>& overrides = {}) {
  return parse_job(text, "jobs/x.toml", overrides);
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

TEST(Options, DefaultsAreTheDeliverySpec) {
  const JobOptions job = default_job();  // DESIGN.md §6 and the task's defaults
  EXPECT_TRUE(job.source_file.empty());
  EXPECT_EQ(job.input.video_stream, -1);
  EXPECT_TRUE(job.input.reject_hdr);
  EXPECT_EQ(job.output.width, 1280);
  EXPECT_EQ(job.output.height, 720);
  EXPECT_EQ(job.output.fps, 0.0);
  EXPECT_EQ(job.output.codec, "h264");
  EXPECT_EQ(job.output.encoder, Encoder::kAuto);
  EXPECT_EQ(job.output.crf, 20);
  EXPECT_EQ(job.output.profile, H264Profile::kHigh);
  EXPECT_EQ(job.output.level, "4.0");
  EXPECT_EQ(job.output.color_primaries, "bt709");
  EXPECT_EQ(job.output.color_range, "tv");
  EXPECT_EQ(job.split.max_segment_s, 30.0);
  EXPECT_EQ(job.split.segments_per_rank, 4);
  EXPECT_EQ(job.reframe.mode, ReframeMode::kFace);
  EXPECT_EQ(job.reframe.detect_fps, 5.0);
  EXPECT_EQ(job.audio.target_lufs, -16.0);
  EXPECT_EQ(job.audio.true_peak_dbtp, -1.0);
  EXPECT_EQ(job.audio.sample_rate_hz, 48000);
  EXPECT_EQ(job.audio.channels, 2);
  EXPECT_EQ(job.qa.max_spread_lu, 1.5);
  EXPECT_EQ(job.qa.min_face_centred, 0.9);
  EXPECT_EQ(job.qa.max_av_diff_frames, 1);
  EXPECT_EQ(job.farm.max_tries, 3);
  EXPECT_EQ(to_string(job.farm.rank0_works), "auto");
  EXPECT_EQ(parse(""), job);  // an empty job file is the defaults
}

TEST(Options, ReadsEveryKindOfValue) {
  const JobOptions job = parse(R"(
[input]
audio_stream = 2
reject_hdr = false
[output]
gop_s = 3            # an integer where a number is expected
fps = 29.97
encoder = "x264"
preset = "slow"
profile = "main"
level = 4.2          # a level as a number
[reframe]
no_face = "centre"
[farm]
rank0_works = "no"
)");
  EXPECT_EQ(job.input.audio_stream, 2);
  EXPECT_FALSE(job.input.reject_hdr);
  EXPECT_EQ(job.output.gop_s, 3.0);
  EXPECT_EQ(job.output.fps, 29.97);
  EXPECT_EQ(job.output.encoder, Encoder::kX264);
  EXPECT_EQ(job.output.preset, "slow");
  EXPECT_EQ(job.output.profile, H264Profile::kMain);
  EXPECT_EQ(job.output.level, "4.2");
  EXPECT_EQ(job.reframe.no_face, NoFacePolicy::kCentre);
  EXPECT_EQ(job.farm.rank0_works, Rank0Works::kNo);
  EXPECT_EQ(parse("[output]\nlevel = 5\n").output.level, "5.0");
}

TEST(Options, OutOfRangeNamesFileLineKeyValueAndRange) {
  EXPECT_EQ(error_for("# 1\n# 2\n# 3\n# 4\n# 5\n# 6\n# 7\n# 8\n# 9\n# 10\n[output]\ncrf = 80\n"),
            "jobs/x.toml:12: output.crf = 80 is out of range; allowed 0..51");
  EXPECT_EQ(error_for("[output]\ngop_s = 0.05\n"),
            "jobs/x.toml:2: output.gop_s = 0.05 is out of range; allowed 0.1..60");
  EXPECT_EQ(error_for("[output]\nfps = nan\n"),
            "jobs/x.toml:2: output.fps = nan is out of range; allowed 0..120");
  EXPECT_EQ(error_for("[audio]\ntarget_lufs = -3\n"),
            "jobs/x.toml:2: audio.target_lufs = -3 is out of range; allowed -40..-5");
  EXPECT_EQ(error_for("[audio]\n\nsample_rate_hz = 44100\n"),
            "jobs/x.toml:3: audio.sample_rate_hz = 44100 is out of range; allowed 48000 only");
  EXPECT_EQ(error_for("[input]\nvideo_stream = -2\n"),
            "jobs/x.toml:2: input.video_stream = -2 is out of range; allowed -1..1023");
}

TEST(Options, WrongTypeSaysWhatWasExpected) {
  EXPECT_EQ(error_for("[output]\ncrf = \"high\"\n"),
            "jobs/x.toml:2: output.crf = \"high\" is a string; expected an integer 0..51");
  EXPECT_EQ(error_for("[output]\ncrf = 20.5\n"),
            "jobs/x.toml:2: output.crf = 20.5 is a float; expected an integer 0..51");
  EXPECT_EQ(error_for("[output]\nfps = \"30\"\n"),
            "jobs/x.toml:2: output.fps = \"30\" is a string; expected a number 0..120");
  EXPECT_EQ(error_for("[input]\nreject_hdr = 1\n"),
            "jobs/x.toml:2: input.reject_hdr = 1 is an integer; expected true or false");
  EXPECT_EQ(error_for("[output]\nencoder = [1, 2]\n"),
            "jobs/x.toml:2: output.encoder = [...] is an array; expected one of \"auto\", "
            "\"x264\", \"nvenc\"");
  EXPECT_EQ(error_for("[reframe]\ncascade = false\n"),
            "jobs/x.toml:2: reframe.cascade = false is a boolean; expected a file path string");
}

TEST(Options, ChoiceOutsideTheListNamesTheChoices) {
  EXPECT_EQ(error_for("[output]\nencoder = \"cuda\"\n"),
            "jobs/x.toml:2: output.encoder = \"cuda\" is not allowed; allowed \"auto\", "
            "\"x264\", \"nvenc\"");
  EXPECT_EQ(error_for("[output]\nlevel = 4.3\n"),
            "jobs/x.toml:2: output.level = 4.3 is not allowed; allowed \"3.1\", \"4.0\", "
            "\"4.1\", \"4.2\", \"5.0\", \"5.1\"");
  EXPECT_EQ(error_for("[output]\ncolor_range = \"pc\"\n"),
            "jobs/x.toml:2: output.color_range = \"pc\" is not allowed; allowed \"tv\"");
}

TEST(Options, UnknownKeysAndTablesSuggestTheNearest) {
  EXPECT_EQ(error_for("[output]\nwidth = 1280\npresett = \"slow\"\n"),
            "jobs/x.toml:3: unknown key output.presett; did you mean output.preset?");
  EXPECT_EQ(error_for("[output]\ntarget_lufs = -14\n"),
            "jobs/x.toml:2: unknown key output.target_lufs; did you mean audio.target_lufs?");
  EXPECT_EQ(error_for("[farm]\nbananas = 1\n"),
            "jobs/x.toml:2: unknown key farm.bananas; [farm] has max_tries, device, rank0_works");
  EXPECT_EQ(error_for("[outptu]\ncrf = 20\n"),
            "jobs/x.toml:1: unknown table [outptu]; did you mean [output]?");
  EXPECT_EQ(error_for("[extras]\n"),
            "jobs/x.toml:1: unknown table [extras]; job files have [input], [output], [split], "
            "[reframe], [audio], [qa], [farm]");
  EXPECT_EQ(error_for("crf = 20\n"),
            "jobs/x.toml:1: crf is outside any table; did you mean output.crf under [output]?");
  EXPECT_EQ(error_for("\noutput = 3\n"),
            "jobs/x.toml:2: output must be a table ([output]), not an integer");
  // The first problem in the file is reported, whatever the key order.
  EXPECT_EQ(error_for("[output]\nzzz = 1\n[audio]\naaa = 2\n"),
            "jobs/x.toml:2: unknown key output.zzz; [output] has width, height, fps, codec, "
            "encoder, preset, crf, bitrate_kbps, profile, level, gop_s, max_lookahead, "
            "color_primaries, color_transfer, color_matrix, color_range, audio_bitrate_kbps");
}

TEST(Options, TomlSyntaxErrorGivesLineColumnAndTomlppDescription) {
  const std::string text = "[output]\ncrf = = 3\n";
  std::string description;
  try {
    (void)toml::parse(text);
  } catch (const toml::parse_error& e) {
    description = e.description();
  }
  ASSERT_FALSE(description.empty());
  EXPECT_EQ(error_for(text), "jobs/x.toml:2:7: invalid TOML: " + description);
}

TEST(Options, UnreadableFileSaysWhy) {
  const fs::path nope = "jobs/nope.toml";
  ASSERT_FALSE(fs::exists(nope));
  EXPECT_EQ(config_error([&] { load_job(nope); }),
            "jobs/nope.toml: cannot read job file: No such file or directory");
  const fs::path dir = test::source_dir() / "jobs";
  EXPECT_EQ(config_error([&] { load_job(dir); }),
            dir.string() + ": cannot read job file: Is a directory");
}

TEST(Options, OutputSizeMustBeEvenAndFitTheLevel) {
  EXPECT_EQ(error_for("[output]\nwidth = 1081\n"),
            "jobs/x.toml:2: output.width = 1081 is odd; yuv420p needs an even width and height");
  // 3840x2160 = 240 x 135 = 32400 macroblocks; 5.0 allows 22080, 5.1 36864.
  EXPECT_EQ(error_for("[output]\nwidth = 3840\nheight = 2160\n"),
            "jobs/x.toml:2: output.width x output.height = 3840x2160 is 32400 macroblocks per "
            "frame but H.264 level 4.0 allows 8192; raise output.level to 5.1 or lower the "
            "output size");
  // 8192 px = 512 macroblocks wide; a side may be sqrt(8 * MaxFS): 256 at 4.0, 543 at 5.1.
  EXPECT_EQ(error_for("[output]\nwidth = 8192\nheight = 16\n"),
            "jobs/x.toml:2: output.width x output.height = 8192x16 is 512 macroblocks on its "
            "longer side but H.264 level 4.0 allows 256; raise output.level to 5.1 or lower the "
            "output size");
}

TEST(Options, FrameRateMustFitTheLevel) {
  const std::string vertical = "[output]\nwidth = 1080\nheight = 1920\n";
  EXPECT_EQ(parse(vertical + "fps = 30\n").output.fps, 30.0);
  // 8160 macroblocks x 60 = 489600 > 245760; 245760 / 8160 = 30.117.
  EXPECT_EQ(error_for(vertical + "fps = 60\n"),
            "jobs/x.toml:4: output.fps = 60 at 1080x1920 needs 489600 macroblocks/s but H.264 "
            "level 4.0 allows 245760 (at most 30.11 fps); raise output.level to 4.2 or lower "
            "output.fps");
  EXPECT_EQ(parse(vertical + "fps = 60\nlevel = \"4.2\"\n").output.level, "4.2");
  EXPECT_EQ(parse("[output]\nwidth = 1920\nheight = 1080\nfps = 30\n").output.width, 1920);
  // No allowed level takes 2160p60: 32400 x 60 > 983040 (5.1).
  EXPECT_EQ(error_for("[output]\nwidth = 3840\nheight = 2160\nlevel = \"5.1\"\nfps = 60\n"),
            "jobs/x.toml:5: output.fps = 60 at 3840x2160 needs 1944000 macroblocks/s but H.264 "
            "level 5.1 allows 983040 (at most 30.34 fps); lower output.fps");
  // fps = 0 defers the rate check to after the probe.
  EXPECT_EQ(parse(vertical + "fps = 0\n").output.fps, 0.0);
}

TEST(Options, ProfileBitRateAndPresetChecks) {
  EXPECT_EQ(error_for("[output]\nbitrate_kbps = 30000\n"),
            "jobs/x.toml:2: output.bitrate_kbps = 30000 exceeds the 25000 kbit/s that H.264 "
            "level 4.0 allows for profile high; lower output.bitrate_kbps or raise "
            "output.level to 4.1");
  EXPECT_EQ(error_for("[output]\n\npreset = \"ultrafast\"\n"),
            "jobs/x.toml:3: output.preset = \"ultrafast\" cannot deliver output.profile = "
            "\"high\": ultrafast disables CABAC, 8x8 transforms and B-frames, so the stream "
            "would signal Constrained Baseline; use \"superfast\" or slower, or "
            "output.profile = \"baseline\"");
  EXPECT_NE(error_for("[output]\npreset = \"ultrafast\"\nprofile = \"main\"\n")
                .find("cannot deliver output.profile = \"main\""),
            std::string::npos);
  EXPECT_EQ(parse("[output]\npreset = \"ultrafast\"\nprofile = \"baseline\"\n").output.preset,
            "ultrafast");
  EXPECT_EQ(error_for("[output]\ncrf = 0\n"),
            "jobs/x.toml:2: output.crf = 0 makes x264 encode losslessly, which needs profile "
            "High 4:4:4 Predictive, not high; use output.crf = 1 or more");
  EXPECT_EQ(parse("[output]\ncrf = 0\nbitrate_kbps = 8000\n").output.bitrate_kbps, 8000);
}

TEST(Options, SettingsThatWouldFailByDesignAreRefused) {
  EXPECT_EQ(error_for("[output]\nencoder = \"nvenc\"\n[farm]\ndevice = \"cpu\"\n"),
            "jobs/x.toml:2: output.encoder = \"nvenc\" needs a CUDA device but farm.device = "
            "\"cpu\"; set output.encoder = \"x264\" or \"auto\", or farm.device = \"auto\"");
  EXPECT_EQ(error_for("[audio]\ntrue_peak_dbtp = 0\n"),
            "jobs/x.toml:2: audio.true_peak_dbtp = 0 is above qa.max_true_peak_dbtp = -1, so QA "
            "would fail; lower audio.true_peak_dbtp or raise qa.max_true_peak_dbtp");
}

TEST(Options, CascadeIsResolvedAgainstTheJobFileAndMustExist) {
  test::TempDir dir("options-cascade");
  const fs::path job = dir / "job.toml";
  write_file(job, "[reframe]\ncascade = \"faces.xml\"\n");
  const std::string resolved = (dir.path() / "faces.xml").lexically_normal().string();
  EXPECT_EQ(config_error([&] { load_job(job); }),
            job.string() + ":2: reframe.cascade = \"" + resolved +
                "\" is not a readable file; give a cascade XML, or \"\" for opencv-data's");
  write_file(dir / "faces.xml", "<opencv_storage/>");
  EXPECT_EQ(load_job(job).reframe.cascade, resolved);
  EXPECT_EQ(cascade_file(load_job(job).reframe), fs::path(resolved));
  // "" means opencv-data's cascade for the chosen detector.
  ReframeOptions reframe;
  EXPECT_EQ(cascade_file(reframe), test::cascade_dir() / "haarcascade_frontalface_default.xml");
  EXPECT_TRUE(fs::is_regular_file(cascade_file(reframe)));
  EXPECT_EQ(cascade_file(QaOptions{}.detector), cascade_file(reframe));  // QA's default
  reframe.detector = FaceDetector::kLbp;
  EXPECT_EQ(cascade_file(reframe), test::cascade_dir().parent_path() / "lbpcascades" /
                                       "lbpcascade_frontalface_improved.xml");
  EXPECT_TRUE(fs::is_regular_file(cascade_file(reframe))) << cascade_file(reframe);
}

TEST(Options, OverridesApplyAfterTheFile) {
  const std::string text = "[output]\ncrf = 21\npreset = \"fast\"\n";
  const JobOptions job = parse(text, {"output.crf=23", "output.preset=\"slow\"",
                                      "input.reject_hdr=false", "output.encoder = x264"});
  EXPECT_EQ(job.output.crf, 23);
  EXPECT_EQ(job.output.preset, "slow");
  EXPECT_FALSE(job.input.reject_hdr);
  EXPECT_EQ(job.output.encoder, Encoder::kX264);
  EXPECT_EQ(parse(text, {"output.preset=slow"}).output.preset, "slow");       // bare string
  EXPECT_EQ(parse(text, {"output.crf=30", "output.crf=31"}).output.crf, 31);  // last wins
  // An override can make a file valid: 60 fps needs level 4.2 at 1080x1920.
  const std::string vertical60 = "[output]\nwidth = 1080\nheight = 1920\nfps = 60\n";
  EXPECT_EQ(parse(vertical60, {"output.level=4.2"}).output.level, "4.2");
  EXPECT_EQ(parse(vertical60, {"output.level=\"4.2\""}).output.level, "4.2");
}

TEST(Options, OverrideErrorsNameTheSetAndTheKey) {
  EXPECT_EQ(error_for("", {"output.crf=80"}),
            "--set output.crf=80: output.crf = 80 is out of range; allowed 0..51");
  EXPECT_EQ(error_for("", {"output.crf=high"}),
            "--set output.crf=high: output.crf = \"high\" is a string; expected an integer 0..51");
  EXPECT_EQ(error_for("", {"output.encoder=cuda"}),
            "--set output.encoder=cuda: output.encoder = \"cuda\" is not allowed; allowed "
            "\"auto\", \"x264\", \"nvenc\"");
  EXPECT_EQ(error_for("", {"output.crff=23"}),
            "--set output.crff=23: unknown key output.crff; did you mean output.crf?");
  EXPECT_EQ(error_for("", {"outptu.crf=23"}),
            "--set outptu.crf=23: unknown table [outptu]; did you mean [output]?");
  EXPECT_EQ(error_for("", {"crf=23"}),
            "--set crf=23: expected table.key=value, e.g. --set output.crf=23; did you mean "
            "output.crf?");
  EXPECT_EQ(error_for("", {"output.crf"}),
            "--set output.crf: expected table.key=value, e.g. --set output.crf=23");
  // A cross-field error caused by an override points at the override.
  EXPECT_EQ(error_for("[output]\nlevel = \"3.1\"\n", {"output.fps=60"}),
            "--set output.fps=60: output.fps = 60 at 1280x720 needs 216000 macroblocks/s but "
            "H.264 level 3.1 allows 108000 (at most 30.00 fps); raise output.level to 4.0 or "
            "lower output.fps");
}

TEST(Options, FarmDeviceIsAutoCpuOrCuda) {
  // The key only chooses; whether a CUDA device works is decided at run time
  // (media/hw_device.h), so "cuda" loads on a machine without a GPU.
  EXPECT_EQ(default_job().farm.device, Device::kAuto);
  EXPECT_EQ(parse("[farm]\ndevice = \"cpu\"\n").farm.device, Device::kCpu);
  EXPECT_EQ(parse("[farm]\ndevice = \"cuda\"\n").farm.device, Device::kCuda);
  EXPECT_EQ(parse("", {"farm.device=cuda"}).farm.device, Device::kCuda);
  EXPECT_EQ(to_string(Device::kCuda), "cuda");
  EXPECT_NE(to_toml(parse("[farm]\ndevice = \"cuda\"\n"))
                .find("[farm]\nmax_tries = 3\ndevice = \"cuda\"\n"),
            std::string::npos);
  EXPECT_EQ(error_for("[farm]\ndevice = \"gpu\"\n"),
            "jobs/x.toml:2: farm.device = \"gpu\" is not allowed; allowed \"auto\", \"cpu\", "
            "\"cuda\"");
  EXPECT_EQ(error_for("[farm]\ndevice = 1\n"),
            "jobs/x.toml:2: farm.device = 1 is an integer; expected one of \"auto\", \"cpu\", "
            "\"cuda\"");
  EXPECT_EQ(error_for("[farm]\ndevise = \"cpu\"\n"),
            "jobs/x.toml:2: unknown key farm.devise; did you mean farm.device?");
  EXPECT_EQ(error_for("device = \"cpu\"\n"),
            "jobs/x.toml:1: device is outside any table; did you mean farm.device under [farm]?");
  EXPECT_EQ(error_for("", {"farm.device=gpu"}),
            "--set farm.device=gpu: farm.device = \"gpu\" is not allowed; allowed \"auto\", "
            "\"cpu\", \"cuda\"");
  EXPECT_EQ(error_for("", {"device=cuda"}),
            "--set device=cuda: expected table.key=value, e.g. --set output.crf=23; did you mean "
            "farm.device?");
}

TEST(Options, CheckLevelFitsAfterTheProbe) {
  OutputOptions out = parse("[output]\nwidth = 1080\nheight = 1920\n").output;
  EXPECT_NO_THROW(check_level_fits(out, 30.0));
  EXPECT_NO_THROW(check_level_fits(out, 29.97));
  EXPECT_EQ(config_error([&] { check_level_fits(out, 60.0, "call.mp4"); }),
            "call.mp4: 60 fps at 1080x1920 needs 489600 macroblocks/s but H.264 level 4.0 allows "
            "245760 (at most 30.11 fps); raise output.level to 4.2 or lower output.fps");
  EXPECT_EQ(config_error([&] { check_level_fits(out, 60.0); }),
            "60 fps at 1080x1920 needs 489600 macroblocks/s but H.264 level 4.0 allows 245760 "
            "(at most 30.11 fps); raise output.level to 4.2 or lower output.fps");
  out.level = "4.2";
  EXPECT_NO_THROW(check_level_fits(out, 60.0));
}

TEST(Options, ResolveOutputFpsDropsFramesEvenly) {
  const OutputOptions vertical = parse("[output]\nwidth = 1080\nheight = 1920\n").output;
  EXPECT_EQ(resolve_output_fps(vertical, 30.0), 30.0);
  EXPECT_EQ(resolve_output_fps(vertical, 29.97), 29.97);
  EXPECT_EQ(resolve_output_fps(vertical, 60.0), 30.0);
  EXPECT_EQ(resolve_output_fps(vertical, 50.0), 25.0);
  EXPECT_EQ(resolve_output_fps(vertical, 120.0), 30.0);  // 60 and 40 are over 30.117
  const OutputOptions hd720 = default_job().output;      // 3600 macroblocks: up to 68 fps
  EXPECT_EQ(resolve_output_fps(hd720, 60.0), 60.0);
  OutputOptions fixed = vertical;
  fixed.fps = 24.0;
  EXPECT_EQ(resolve_output_fps(fixed, 60.0), 24.0);
  try {
    resolve_output_fps(vertical, 0.0);
    ADD_FAILURE() << "no error for a 0 fps source";
  } catch (const RuntimeError& e) {
    EXPECT_STREQ(e.what(), "resolve_output_fps: source frame rate 0 is not a positive number");
  }
}

TEST(Options, ToTomlRoundTrips) {
  const JobOptions defaults = default_job();
  const std::string text = to_toml(defaults);
  EXPECT_NE(text.find("[output]\nwidth = 1280\nheight = 720\nfps = 0.0\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("level = \"4.0\"\n"), std::string::npos);
  EXPECT_EQ(parse(text), defaults);

  // Every table changed, a cascade whose name needs escaping, through a file.
  test::TempDir dir("options-roundtrip");
  const fs::path cascade = dir / "fa\"ce\\s.xml";
  write_file(cascade, "<opencv_storage/>");
  JobOptions job = load_job(test::source_dir() / "jobs" / "vertical.toml",
                            {"input.audio_stream=1", "output.fps=29.97", "split.min_content=12.25",
                             "reframe.cascade=" + cascade.string(), "audio.max_gain_db=7.5",
                             "qa.centre_tolerance=0.125", "farm.device=cpu"});
  const fs::path effective = dir / "effective.toml";
  write_file(effective, to_toml(job));
  const JobOptions again = load_job(effective);
  EXPECT_EQ(again.source_file, effective);
  job.source_file = effective;
  EXPECT_EQ(again, job) << to_toml(job);
  EXPECT_EQ(again.reframe.cascade, cascade.string());
}

TEST(Options, ShippedJobFilesLoad) {
  const fs::path jobs = test::source_dir() / "jobs";
  int loaded = 0;
  for (const auto& entry : fs::directory_iterator(jobs)) {
    if (entry.path().extension() != ".toml") continue;
    SCOPED_TRACE(entry.path().string());
    EXPECT_NO_THROW(load_job(entry.path()));
    ++loaded;
  }
  EXPECT_GE(loaded, 3);
  const JobOptions vertical = load_job(jobs / "vertical.toml");
  EXPECT_EQ(vertical.output.width, 1080);
  EXPECT_EQ(vertical.output.height, 1920);
  EXPECT_EQ(resolve_output_fps(vertical.output, 60.0), 30.0);  // level 4.0 at 1080x1920
  const JobOptions landscape = load_job(jobs / "landscape.toml");
  EXPECT_EQ(landscape.output.width, 1280);
  EXPECT_EQ(landscape.output.height, 720);
  EXPECT_EQ(landscape.reframe.mode, ReframeMode::kFace);
  const JobOptions demo = load_job(jobs / "demo.toml");
  EXPECT_EQ(demo.output.preset, "veryfast");
  EXPECT_LE(demo.output.width * demo.output.height, 720 * 1280);
}

TEST(Options, DocsDescribeEveryKey) {
  std::ifstream in(test::source_dir() / "docs" / "job-file.md");
  ASSERT_TRUE(in) << "docs/job-file.md is missing";
  const std::string docs((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The keys, read back from the effective job of the defaults.
  const toml::table all = toml::parse(to_toml(default_job()));
  for (const auto& [table, node] : all) {
    const std::string heading = "## [" + std::string(table.str()) + "]";
    const size_t begin = docs.find(heading);
    ASSERT_NE(begin, std::string::npos) << heading;
    const size_t end = docs.find("\n## ", begin + heading.size());
    const std::string section = docs.substr(begin, end - begin);
    for (const auto& [key, value] : *node.as_table()) {
      EXPECT_NE(section.find("| `" + std::string(key.str()) + "` |"), std::string::npos)
          << table.str() << "." << key.str() << " is not documented under " << heading;
    }
  }
}

}  // namespace
}  // namespace ff::core
