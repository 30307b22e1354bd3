#pragma once
// Frontal-face detection on a gray analysis frame with an OpenCV cascade
// from opencv-data (Haar or LBP), over the whole frame or restricted to
// search windows around known tracks.
//
//   FaceDetector det({.cascade_path = "/usr/share/opencv4/haarcascades/"
//                                     "haarcascade_frontalface_default.xml"});
//   std::vector<FaceBox> all = det.detect(gray);                  // full frame
//   std::vector<FaceBox> near = det.detect(gray, tracker.search_windows());
//
// Boxes come back normalised to the frame (types.h). Detections from
// overlapping windows are merged (IoU >= 0.5 keeps the higher score). The
// score is OpenCV's level weight from detectMultiScale3.
#include <opencv2/core.hpp>
#include <opencv2/objdetect.hpp>
#include <string>
#include <vector>

#include "analysis/face_tracker.h"
#include "analysis/types.h"

namespace ff::analysis {

struct FaceDetectorParams {
  std::string cascade_path;     // an opencv-data cascade XML
  double scale_factor = 1.1;    // detectMultiScale's pyramid step
  int min_neighbors = 4;        // detectMultiScale's grouping threshold
  double min_face_frac = 0.08;  // smallest face, as a fraction of the frame height
};

class FaceDetector {
 public:
  // Throws ff::ConfigError naming the cascade file when it cannot be loaded.
  explicit FaceDetector(const FaceDetectorParams& params);

  std::vector<FaceBox> detect(const cv::Mat& gray);
  std::vector<FaceBox> detect(const cv::Mat& gray, const std::vector<SearchWindow>& windows);

 private:
  std::vector<FaceBox> detect_in(const cv::Mat& gray, const cv::Rect& roi);

  FaceDetectorParams params_;
  cv::CascadeClassifier cascade_;
};

// The default cascade of a detector name ("haar" or "lbp") under `cascade_dir`.
std::string default_cascade(const std::string& cascade_dir, const std::string& detector);

}  // namespace ff::analysis
