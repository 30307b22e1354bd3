// FaceDetector on a decoded frame of the generated call (tests/recordings):
// the whole-frame search against the ground truth, search windows that look
// only for faces of the track's size, a result independent of OpenCV's
// thread count, and the parameter checks.
#include "analysis/face_detector.h"

#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/core.hpp>

#include "core/error.h"
#include "kernels/downscale.h"
#include "media/video_decoder.h"
#include "support/testenv.h"
#include "support/truth.h"

namespace ff::analysis {
namespace {

constexpr int64_t kFrame = 30;  // inside the first gallery shot: A left, B right

FaceDetectorParams haar() {
  FaceDetectorParams p;
  p.cascade_path = (test::cascade_dir() / "haarcascade_frontalface_default.xml").string();
  return p;
}

// Frame kFrame of call.mp4 (640x360), area-downscaled to 480x270 as the scan does.
cv::Mat analysis_frame() {
  media::VideoDecoder decoder(test::recording("call.mp4"), 0);
  const AVFrame* frame = nullptr;
  for (int64_t i = 0; i <= kFrame; ++i) frame = decoder.next();
  if (frame == nullptr) throw std::runtime_error("call.mp4 ended early");
  cv::Mat gray(270, 480, CV_8UC1);
  kernels::downscale_area_cpu({frame->data[0], frame->width, frame->height, frame->linesize[0]},
                              {gray.data, gray.cols, gray.rows, static_cast<int>(gray.step)});
  return gray;
}

std::vector<test::TruthBox> true_faces() {
  const test::Truth truth = test::load_truth(test::testdata_dir() / "call.json");
  const test::TruthShot& shot = truth.shot_of(kFrame);
  std::vector<test::TruthBox> out;
  for (const auto& face : shot.faces) out.push_back(face.boxes[kFrame - shot.start_frame]);
  return out;
}

bool near(const FaceBox& box, const test::TruthBox& truth) {
  return std::abs(box.cx() - truth.cx()) <= 0.05 && std::abs(box.cy() - truth.cy()) <= 0.05;
}

TEST(FaceDetector, WholeFrameFindsBothGalleryFacesLeftToRight) {
  const auto truth = true_faces();
  ASSERT_EQ(truth.size(), 2u);
  FaceDetector detector(haar());
  const auto found = detector.detect(analysis_frame());
  ASSERT_EQ(found.size(), 2u);
  EXPECT_TRUE(near(found[0], truth[0])) << found[0].cx() << " vs " << truth[0].cx();
  EXPECT_TRUE(near(found[1], truth[1])) << found[1].cx() << " vs " << truth[1].cx();
}

TEST(FaceDetector, SearchWindowLooksOnlyForFacesOfTheTracksSize) {
  const test::TruthBox a = true_faces().at(0);
  FaceDetector detector(haar());
  const cv::Mat gray = analysis_frame();
  SearchWindow window;
  window.x = static_cast<float>(a.x - 0.5 * a.w);
  window.y = static_cast<float>(a.y - 0.5 * a.h);
  window.w = static_cast<float>(2 * a.w);
  window.h = static_cast<float>(2 * a.h);
  window.face_w = static_cast<float>(a.w);
  window.face_h = static_cast<float>(a.h);
  const auto same_size = detector.detect(gray, {window});
  ASSERT_EQ(same_size.size(), 1u);
  EXPECT_TRUE(near(same_size[0], a));
  // A track a third of the face's size: the face is outside 1/1.3 .. 1.3 of it.
  window.face_w /= 3;
  window.face_h /= 3;
  EXPECT_TRUE(detector.detect(gray, {window}).empty());
  // No size known: every size from the smallest face up.
  window.face_w = window.face_h = 0.f;
  ASSERT_EQ(detector.detect(gray, {window}).size(), 1u);
}

TEST(FaceDetector, ResultDoesNotDependOnOpenCvThreads) {
  FaceDetector detector(haar());
  const cv::Mat gray = analysis_frame();
  const int saved = cv::getNumThreads();
  cv::setNumThreads(1);
  const auto one = detector.detect(gray);
  cv::setNumThreads(4);
  const auto four = detector.detect(gray);
  cv::setNumThreads(saved);
  ASSERT_EQ(one.size(), four.size());
  for (size_t i = 0; i < one.size(); ++i) {
    EXPECT_EQ(one[i].x, four[i].x);
    EXPECT_EQ(one[i].y, four[i].y);
    EXPECT_EQ(one[i].w, four[i].w);
    EXPECT_EQ(one[i].score, four[i].score);
  }
}

TEST(FaceDetector, RejectsParametersOutOfRangeNamingTheField) {
  FaceDetectorParams p = haar();
  p.window_size_ratio = 0.5;
  try {
    FaceDetector detector(p);
    FAIL() << "window_size_ratio 0.5 accepted";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(),
                 "face detector: window_size_ratio = 0.5 is out of range; allowed 1 .. 10");
  }
  p = haar();
  p.scale_factor = 1.0;
  try {
    FaceDetector detector(p);
    FAIL() << "scale_factor 1 accepted";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "face detector: scale_factor = 1 is out of range; allowed 1.01 .. 2");
  }
}

TEST(FaceDetector, NamesTheCascadeFileItCannotLoad) {
  FaceDetectorParams p;
  p.cascade_path = "/nonexistent/cascade.xml";
  try {
    FaceDetector detector(p);
    FAIL() << "missing cascade accepted";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(),
                 "/nonexistent/cascade.xml: cannot load the face cascade; install opencv-data or "
                 "set reframe.cascade to an OpenCV cascade XML");
  }
}

}  // namespace
}  // namespace ff::analysis
