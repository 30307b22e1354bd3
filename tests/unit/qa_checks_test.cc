// analysis/qa_checks on plain values: every check passes on its side of the
// threshold and fails on the other, n/a where the rule does not apply, and
// one bad measurement fails only its own check.
#include "analysis/qa_checks.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace ff::analysis {
namespace {

// Measurements of a file that meets the default spec at 360x640, 30 fps.
QaMeasurements compliant() {
  QaMeasurements m;
  m.decoded_frames = 300;
  m.codec = "h264";
  m.profile = "High";
  m.level_idc = 40;
  m.pix_fmt = "yuv420p";
  m.width = 360;
  m.height = 640;
  m.color_primaries = "bt709";
  m.color_transfer = "bt709";
  m.color_space = "bt709";
  m.color_range = "tv";
  m.fps = 30.0;
  m.expected_frames = 300;
  m.expected_frames_source = "the plan";
  m.video_duration_s = 10.0;
  m.file_bytes = 5'000'000;
  m.has_audio = true;
  m.expects_audio = true;
  m.audio_duration_s = 10.01;
  m.programme_lufs = -16.1;
  m.true_peak_dbtp = -1.5;
  m.shots = {{0.0, 5.0, -16.2}, {5.0, 10.0, -15.9}};
  for (int64_t f = 0; f < 300; f += 10) m.face_samples.push_back({f, 1, 0.52, 0});
  return m;
}

struct Limits {
  core::QaOptions qa;
  core::OutputOptions output;
  core::AudioOptions audio;
  Limits() {
    output.width = 360;
    output.height = 640;
  }
};

// A copy: callers often pass a temporary vector.
QaCheck find(const std::vector<QaCheck>& checks, const std::string& name) {
  for (const auto& c : checks) {
    if (c.name == name) return c;
  }
  ADD_FAILURE() << "no check named " << name;
  return {};
}

std::vector<QaCheck> run(const QaMeasurements& m, const Limits& l = {}) {
  return run_qa_checks(m, l.qa, l.output, l.audio);
}

double number(const QaValue& v) {
  return std::holds_alternative<double>(v) ? std::get<double>(v) : std::nan("");
}

TEST(QaChecks, CompliantMeasurementsPassEveryCheckInTheDocumentedOrder) {
  const auto checks = run(compliant());
  std::vector<std::string> names;
  for (const auto& c : checks) names.push_back(c.name);
  // The table of analysis/qa_checks.h and docs/report-schema.md.
  EXPECT_EQ(names, (std::vector<std::string>{"decode.errors",
                                             "spec.codec",
                                             "spec.profile",
                                             "spec.level",
                                             "spec.pix_fmt",
                                             "spec.size",
                                             "spec.color_primaries",
                                             "spec.color_transfer",
                                             "spec.color_matrix",
                                             "spec.color_range",
                                             "spec.constant_frame_rate",
                                             "spec.frame_rate",
                                             "timing.frame_count",
                                             "timing.duration",
                                             "timing.av_diff",
                                             "timing.size_per_minute",
                                             "audio.present",
                                             "loudness.integrated",
                                             "loudness.true_peak",
                                             "loudness.spread",
                                             "faces.centred",
                                             "faces.missing"}));
  EXPECT_TRUE(qa_passed(checks));
  EXPECT_TRUE(failed_checks(checks).empty());
  EXPECT_EQ(find(checks, "timing.size_per_minute").verdict, QaVerdict::kInfo);
  EXPECT_EQ(find(checks, "faces.missing").verdict, QaVerdict::kInfo);
}

TEST(QaChecks, DecodeErrorsFailAndListTheFirstTenWithFrameAndTime) {
  QaMeasurements m = compliant();
  m.video_errors = 12;
  for (int i = 0; i < 10; ++i) {
    m.errors.push_back({45 + i, (45 + i) / 30.0, "Invalid data found when processing input"});
  }
  const QaCheck c = check_decode(m);
  EXPECT_EQ(c.verdict, QaVerdict::kFail);
  EXPECT_EQ(number(c.value), 12.0);
  EXPECT_NE(c.detail.find("12 video error(s), 0 audio packet(s) rejected"), std::string::npos);
  EXPECT_NE(c.detail.find("at frame 45 (1.5 s): Invalid data"), std::string::npos) << c.detail;
  EXPECT_NE(c.detail.find("frame 54 (1.8 s)"), std::string::npos) << c.detail;
  EXPECT_NE(c.detail.find(", ..."), std::string::npos) << "12 errors, 10 listed: " << c.detail;
  EXPECT_EQ(failed_checks(run(m)), std::vector<std::string>{"decode.errors"});

  m = compliant();
  m.audio_errors = 1;
  EXPECT_EQ(check_decode(m).verdict, QaVerdict::kFail);
  EXPECT_EQ(check_decode(compliant()).detail, "300 frames decoded, no errors");
}

TEST(QaChecks, EachSpecMismatchFailsOnlyItsOwnCheck) {
  struct Case {
    void (*mutate)(QaMeasurements&);
    const char* check;
    const char* detail;
  };
  const Case cases[] = {
      {[](QaMeasurements& m) { m.codec = "hevc"; }, "spec.codec",
       "the stream signals hevc, the spec asks for h264"},
      {[](QaMeasurements& m) { m.profile = "Main"; }, "spec.profile", "asks for High"},
      {[](QaMeasurements& m) { m.level_idc = 41; }, "spec.level",
       "level_idc 41, output.level 4.0 is level_idc 40"},
      {[](QaMeasurements& m) { m.pix_fmt = "yuv420p10le"; }, "spec.pix_fmt", "yuv420p10le"},
      {[](QaMeasurements& m) { m.width = 640; }, "spec.size", "signals 640x640"},
      {[](QaMeasurements& m) { m.rotation_deg = 90; }, "spec.size", "players turn the picture"},
      {[](QaMeasurements& m) { m.color_primaries = "bt470bg"; }, "spec.color_primaries", "bt470bg"},
      {[](QaMeasurements& m) { m.color_transfer = "smpte170m"; }, "spec.color_transfer",
       "smpte170m"},
      {[](QaMeasurements& m) { m.color_space = "bt470bg"; }, "spec.color_matrix", "bt470bg"},
      {[](QaMeasurements& m) { m.color_range = "pc"; }, "spec.color_range", "signals pc"},
      {[](QaMeasurements& m) { m.vfr = true; }, "spec.constant_frame_rate", "signals VFR"},
  };
  for (const Case& c : cases) {
    QaMeasurements m = compliant();
    c.mutate(m);
    const auto checks = run(m);
    EXPECT_EQ(failed_checks(checks), std::vector<std::string>{c.check});
    EXPECT_NE(find(checks, c.check).detail.find(c.detail), std::string::npos)
        << c.check << ": " << find(checks, c.check).detail;
  }
}

TEST(QaChecks, ProfileFollowsOutputProfileAndNamesTheUltrafastTrap) {
  QaMeasurements m = compliant();
  m.profile = "Constrained Baseline";
  const QaCheck& high = find(run(m), "spec.profile");
  EXPECT_EQ(high.verdict, QaVerdict::kFail);
  EXPECT_NE(high.detail.find("ultrafast preset signals Constrained Baseline"), std::string::npos);
  Limits baseline;
  baseline.output.profile = core::H264Profile::kBaseline;
  EXPECT_EQ(find(run(m, baseline), "spec.profile").verdict, QaVerdict::kPass);
  m.profile = "Baseline";
  EXPECT_EQ(find(run(m, baseline), "spec.profile").verdict, QaVerdict::kPass);
  Limits main;
  main.output.profile = core::H264Profile::kMain;
  m.profile = "Main";
  EXPECT_EQ(find(run(m, main), "spec.profile").verdict, QaVerdict::kPass);
  Limits l42;
  l42.output.level = "4.2";
  EXPECT_EQ(find(run(compliant(), l42), "spec.level").verdict, QaVerdict::kFail);
}

TEST(QaChecks, FrameRateIsInfoWhenFollowingTheSourceAndCheckedWhenSet) {
  EXPECT_EQ(find(run(compliant()), "spec.frame_rate").verdict, QaVerdict::kInfo);
  Limits l;
  l.output.fps = 30.0;
  EXPECT_EQ(find(run(compliant(), l), "spec.frame_rate").verdict, QaVerdict::kPass);
  l.output.fps = 25.0;
  const QaCheck& c = find(run(compliant(), l), "spec.frame_rate");
  EXPECT_EQ(c.verdict, QaVerdict::kFail);
  EXPECT_EQ(c.detail, "the stream runs at 30 fps");
}

TEST(QaChecks, FrameCountMustMatchExactly) {
  QaMeasurements m = compliant();
  m.decoded_frames = 299;
  const auto checks = check_timing(m, {});
  EXPECT_EQ(checks[0].name, "timing.frame_count");
  EXPECT_EQ(checks[0].verdict, QaVerdict::kFail);
  EXPECT_EQ(checks[0].detail, "expected count from the plan; 1 frame(s) missing");
  m.decoded_frames = 302;
  EXPECT_EQ(check_timing(m, {})[0].detail, "expected count from the plan; 2 frame(s) too many");
  m.expected_frames.reset();
  EXPECT_EQ(check_timing(m, {})[0].verdict, QaVerdict::kNa);
  EXPECT_EQ(check_timing(m, {})[1].verdict, QaVerdict::kNa) << "no expected duration either";
}

TEST(QaChecks, DurationMustRoundToTheExpectedFrameCount) {
  QaMeasurements m = compliant();  // 300 frames at 30 fps: 10 s
  m.video_duration_s = 10.0 + 0.4 / 30;
  m.audio_duration_s = m.video_duration_s;
  EXPECT_EQ(check_timing(m, {})[1].verdict, QaVerdict::kPass);
  m.video_duration_s = 10.0 - 0.6 / 30;
  m.audio_duration_s = m.video_duration_s;
  const QaCheck c = check_timing(m, {})[1];
  EXPECT_EQ(c.verdict, QaVerdict::kFail);
  EXPECT_EQ(c.detail, "300 frames at 30 fps; off by -0.6 frame(s)");
  EXPECT_DOUBLE_EQ(number(c.threshold), 10.0);
  EXPECT_DOUBLE_EQ(c.tolerance, 0.5 / 30);
}

TEST(QaChecks, AvDifferenceUpToTheLimitPasses) {
  QaMeasurements m = compliant();
  m.audio_duration_s = 10.0 + 1.0 / 30;  // one frame: the default limit
  EXPECT_EQ(check_timing(m, {})[2].verdict, QaVerdict::kPass);
  m.audio_duration_s = 10.0 - 1.2 / 30;
  const QaCheck c = check_timing(m, {})[2];
  EXPECT_EQ(c.verdict, QaVerdict::kFail);
  EXPECT_NEAR(number(c.value), 1.2, 1e-9);
  EXPECT_EQ(c.detail, "audio 9.96 s, video 10 s");
  core::QaOptions loose;
  loose.max_av_diff_frames = 2;
  EXPECT_EQ(check_timing(m, loose)[2].verdict, QaVerdict::kPass);
  m.has_audio = false;
  EXPECT_EQ(check_timing(m, {})[2].verdict, QaVerdict::kNa);
}

TEST(QaChecks, SizePerMinuteIsReportedWithoutThreshold) {
  QaMeasurements m = compliant();  // 5 MB in 10 s
  const QaCheck c = check_timing(m, {})[3];
  EXPECT_EQ(c.verdict, QaVerdict::kInfo);
  EXPECT_DOUBLE_EQ(number(c.value), 30.0);
  EXPECT_EQ(c.unit, "MB/min");
}

TEST(QaChecks, IntegratedLoudnessWithinToleranceOfTarget) {
  QaMeasurements m = compliant();
  m.programme_lufs = -16.45;
  EXPECT_EQ(find(run(m), "loudness.integrated").verdict, QaVerdict::kPass);
  m.programme_lufs = -16.6;
  EXPECT_EQ(find(run(m), "loudness.integrated").detail, "0.6 LU too quiet");
  m.programme_lufs = -10.0;
  const auto checks = run(m);
  EXPECT_EQ(failed_checks(checks), std::vector<std::string>{"loudness.integrated"});
  EXPECT_EQ(find(checks, "loudness.integrated").detail, "6 LU too loud");
  Limits l;
  l.audio.target_lufs = -10.0;
  EXPECT_EQ(find(run(m, l), "loudness.integrated").verdict, QaVerdict::kPass);
  m.programme_lufs = -std::numeric_limits<double>::infinity();
  EXPECT_EQ(find(run(m), "loudness.integrated").detail,
            "the audio is silent (nothing above the gate)");
}

TEST(QaChecks, TruePeakAtTheLimitPassesAboveFails) {
  QaMeasurements m = compliant();
  m.true_peak_dbtp = -1.0;
  EXPECT_EQ(find(run(m), "loudness.true_peak").verdict, QaVerdict::kPass);
  m.true_peak_dbtp = -0.7;
  const auto checks = run(m);
  EXPECT_EQ(failed_checks(checks), std::vector<std::string>{"loudness.true_peak"});
  EXPECT_EQ(find(checks, "loudness.true_peak").detail, "0.3 dB over the limit");
}

TEST(QaChecks, SpreadOverShotsLongEnoughAndNotSilent) {
  QaMeasurements m = compliant();
  m.shots = {{0, 4, -16.0}, {4, 8, -17.4}, {8, 10, -25.0}, {10, 14, -70.0}};
  QaCheck c = find(run(m), "loudness.spread");
  EXPECT_EQ(c.verdict, QaVerdict::kPass);
  EXPECT_NEAR(number(c.value), 1.4, 1e-9);
  EXPECT_EQ(c.detail,
            "2 of 4 shot(s) counted (1 shorter than 3 s, 1 near-silent); quietest shot 1 "
            "(4-8 s) -17.4 LUFS, loudest shot 0 (0-4 s) -16 LUFS");
  m.shots[1].lufs = -17.6;
  c = find(run(m), "loudness.spread");
  EXPECT_EQ(c.verdict, QaVerdict::kFail);
  EXPECT_NEAR(number(c.value), 1.6, 1e-9);
  m.shots = {{0, 10, -16.0}};
  c = find(run(m), "loudness.spread");
  EXPECT_EQ(c.verdict, QaVerdict::kNa);
  EXPECT_EQ(c.detail,
            "1 of 1 shot(s) counted (0 shorter than 3 s, 0 near-silent); a spread needs two");
}

TEST(QaChecks, NoAudioIsNotApplicableUnlessTheInputHadAudio) {
  QaMeasurements m = compliant();
  m.has_audio = false;
  m.expects_audio = false;
  auto checks = run(m);
  EXPECT_TRUE(qa_passed(checks));
  for (const char* name : {"audio.present", "loudness.integrated", "loudness.true_peak",
                           "loudness.spread", "timing.av_diff"}) {
    EXPECT_EQ(find(checks, name).verdict, QaVerdict::kNa) << name;
  }
  m.expects_audio = true;
  checks = run(m);
  EXPECT_EQ(failed_checks(checks), std::vector<std::string>{"audio.present"});
  EXPECT_EQ(find(checks, "audio.present").detail,
            "the job's input has audio, the delivered file has no audio stream");
}

TEST(QaChecks, CentredShareCountsOnlyFramesWithAFace) {
  QaMeasurements m = compliant();
  m.face_samples.clear();
  for (int i = 0; i < 9; ++i) m.face_samples.push_back({i * 10, 1, 0.6, 0});  // on the edge
  m.face_samples.push_back({90, 2, 0.75, 0});                                 // off centre
  m.face_samples.push_back({100, 0, 0.5, 0});                                 // no face
  QaCheck c = find(run(m), "faces.centred");
  EXPECT_EQ(c.verdict, QaVerdict::kPass);  // 9 of 10 = the default minimum
  EXPECT_DOUBLE_EQ(number(c.value), 0.9);
  EXPECT_EQ(c.detail,
            "9 of 10 sampled frames with a face have the largest within 10% of the width of the "
            "centre; first off-centre: frame 90 (3 s), centre x 0.75");
  m.face_samples[0].largest_cx = 0.39;
  c = find(run(m), "faces.centred");
  EXPECT_EQ(c.verdict, QaVerdict::kFail);
  EXPECT_DOUBLE_EQ(number(c.value), 0.8);
  for (auto& s : m.face_samples) s.faces = 0;
  c = find(run(m), "faces.centred");
  EXPECT_EQ(c.verdict, QaVerdict::kNa);
  EXPECT_EQ(c.detail, "no face found on 11 sampled frame(s)");
}

TEST(QaChecks, SamplesInGopsWithDecodeErrorsAreNotJudged) {
  QaMeasurements m = compliant();
  m.face_samples = {{0, 1, 0.5, 0}, {10, 1, 0.9, 0}, {20, 0, 0.5, 0}};
  m.face_samples[1].damaged = true;  // off centre, but concealed: not judged
  m.face_samples[2].damaged = true;
  QaCheck c = find(run(m), "faces.centred");
  EXPECT_EQ(c.verdict, QaVerdict::kPass);
  EXPECT_DOUBLE_EQ(number(c.value), 1.0);
  EXPECT_EQ(c.detail,
            "1 of 1 sampled frames with a face have the largest within 10% of the width of the "
            "centre; 2 sampled frame(s) in GOPs with decode errors not judged");
  c = find(run(m), "faces.missing");
  EXPECT_EQ(c.detail, "0 of 1 sampled frames where the plan has a speaker show no face");
}

TEST(QaChecks, MissingFacesAreReportedAgainstThePlan) {
  QaMeasurements m = compliant();
  m.face_samples = {{0, 1, 0.5, 0}, {10, 0, 0.5, 1}, {20, 0, 0.5, -1}, {30, 1, 0.5, 0}};
  QaCheck c = find(run(m), "faces.missing");
  EXPECT_EQ(c.verdict, QaVerdict::kInfo);
  EXPECT_NEAR(number(c.value), 1.0 / 3, 1e-12);
  EXPECT_EQ(c.detail, "1 of 3 sampled frames where the plan has a speaker show no face");
  for (auto& s : m.face_samples) s.plan_speaker = kNoPlan;
  c = find(run(m), "faces.missing");
  EXPECT_EQ(c.verdict, QaVerdict::kNa);
  EXPECT_EQ(c.detail, "no plan to compare with");
}

TEST(QaChecks, FaceSamplesSitAtFixedOutputFrames) {
  std::vector<int64_t> taken;
  for (int64_t n = 0; n < 60; ++n) {
    if (is_face_sample(n, 30.0, 3.0)) taken.push_back(n);
  }
  EXPECT_EQ(taken, (std::vector<int64_t>{0, 10, 20, 30, 40, 50}));
  int64_t count = 0;
  for (int64_t n = 0; n < 2997; ++n) count += is_face_sample(n, 29.97, 3.0) ? 1 : 0;
  EXPECT_EQ(count, 300);  // 100 s at 3 per second
  EXPECT_TRUE(is_face_sample(7, 25.0, 30.0)) << "a rate above the frame rate takes every frame";
  EXPECT_FALSE(is_face_sample(-1, 30.0, 3.0));
  EXPECT_FALSE(is_face_sample(5, 0.0, 3.0));
}

TEST(QaChecks, ValuesAndRulesReadWellOnATerminal) {
  QaMeasurements m = compliant();
  const auto checks = run(m);
  EXPECT_EQ(format_rule(find(checks, "loudness.integrated")), "-16 +/- 0.5 LUFS");
  EXPECT_EQ(format_rule(find(checks, "loudness.true_peak")), "<= -1 dBTP");
  EXPECT_EQ(format_rule(find(checks, "spec.profile")), "== High");
  EXPECT_EQ(format_value(find(checks, "loudness.integrated").value, "LUFS"), "-16.1 LUFS");
  EXPECT_EQ(format_value(QaValue{}), "-");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity(), "LUFS"), "-inf LUFS");
  EXPECT_EQ(to_string(QaVerdict::kNa), "na");
}

}  // namespace
}  // namespace ff::analysis
