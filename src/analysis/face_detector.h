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
// Boxes come back normalised to the frame (types.h), in a fixed order (by
// position, then size), so the result does not depend on how OpenCV split
// the work over its threads. Detections from overlapping windows are merged
// (IoU >= 0.5 keeps the higher score). The score is OpenCV's level weight
// from detectMultiScale3.
//
// Cost: the full-frame search runs the cascade over every pyramid level from
// the smallest face (min_face_frac of the frame height, at least the
// cascade's 24 px window) up; a search window only over the levels whose
// face size is within window_size_ratio of the track's box, which skips the
// large fine levels and is several times cheaper than its area suggests.
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
  // In a search window, faces from the track's height / ratio to height * ratio.
  double window_size_ratio = 1.3;
};

class FaceDetector {
 public:
  // Throws ff::ConfigError naming the field when a parameter is out of range
  // ("face detector: window_size_ratio = 0.5 is out of range; allowed 1 .. 10"),
  // or naming the cascade file when it cannot be loaded.
  explicit FaceDetector(const FaceDetectorParams& params);

  std::vector<FaceBox> detect(const cv::Mat& gray);
  std::vector<FaceBox> detect(const cv::Mat& gray, const std::vector<SearchWindow>& windows);

 private:
  // Faces min_px..max_px tall (max_px 0: no limit) inside roi.
  std::vector<FaceBox> detect_in(const cv::Mat& gray, const cv::Rect& roi, int min_px, int max_px);
  int min_face_px(const cv::Mat& gray) const;

  FaceDetectorParams params_;
  cv::CascadeClassifier cascade_;
};

// The default cascade of a detector name ("haar" or "lbp") under `cascade_dir`.
std::string default_cascade(const std::string& cascade_dir, const std::string& detector);

}  // namespace ff::analysis
