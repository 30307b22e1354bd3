#include "analysis/face_detector.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "analysis/param_check.h"
#include "core/error.h"

namespace ff::analysis {

FaceDetector::FaceDetector(const FaceDetectorParams& params) : params_(params) {
  check_range("face detector", "scale_factor", params_.scale_factor, 1.01, 2.0);
  check_range("face detector", "min_neighbors", params_.min_neighbors, 0, 100);
  check_range("face detector", "min_face_frac", params_.min_face_frac, 0.0, 1.0);
  check_range("face detector", "window_size_ratio", params_.window_size_ratio, 1.0, 10.0);
  if (!cascade_.load(params_.cascade_path)) {
    throw ConfigError(params_.cascade_path +
                      ": cannot load the face cascade; install opencv-data or set "
                      "reframe.cascade to an OpenCV cascade XML");
  }
}

int FaceDetector::min_face_px(const cv::Mat& gray) const {
  return std::max(12, static_cast<int>(params_.min_face_frac * gray.rows));
}

std::vector<FaceBox> FaceDetector::detect(const cv::Mat& gray) {
  return detect_in(gray, cv::Rect(0, 0, gray.cols, gray.rows), min_face_px(gray), 0);
}

std::vector<FaceBox> FaceDetector::detect(const cv::Mat& gray,
                                          const std::vector<SearchWindow>& windows) {
  std::vector<FaceBox> merged;
  const auto cols = static_cast<double>(gray.cols);
  const auto rows = static_cast<double>(gray.rows);
  for (const SearchWindow& w : windows) {
    const int x0 = std::clamp(static_cast<int>(std::floor(w.x * cols)), 0, gray.cols);
    const int y0 = std::clamp(static_cast<int>(std::floor(w.y * rows)), 0, gray.rows);
    const int x1 = std::clamp(static_cast<int>(std::ceil((w.x + w.w) * cols)), 0, gray.cols);
    const int y1 = std::clamp(static_cast<int>(std::ceil((w.y + w.h) * rows)), 0, gray.rows);
    if (x1 - x0 < 8 || y1 - y0 < 8) continue;
    int min_px = min_face_px(gray);
    int max_px = 0;
    if (w.face_h > 0.f) {
      const double face_px = static_cast<double>(w.face_h) * rows;
      min_px = std::max(min_px, static_cast<int>(std::floor(face_px / params_.window_size_ratio)));
      max_px = static_cast<int>(std::ceil(face_px * params_.window_size_ratio));
    }
    for (const FaceBox& box : detect_in(gray, cv::Rect(x0, y0, x1 - x0, y1 - y0), min_px, max_px)) {
      auto same = std::find_if(merged.begin(), merged.end(),
                               [&](const FaceBox& m) { return box_iou(m, box) >= 0.5f; });
      if (same == merged.end()) {
        merged.push_back(box);
      } else if (box.score > same->score) {
        *same = box;
      }
    }
  }
  return merged;
}

std::vector<FaceBox> FaceDetector::detect_in(const cv::Mat& gray, const cv::Rect& roi, int min_px,
                                             int max_px) {
  if (roi.width < min_px || roi.height < min_px) return {};
  if (max_px > 0 && max_px < min_px) return {};
  std::vector<cv::Rect> faces;
  std::vector<int> levels;
  std::vector<double> weights;
  cascade_.detectMultiScale(gray(roi), faces, levels, weights, params_.scale_factor,
                            params_.min_neighbors, 0, cv::Size(min_px, min_px),
                            max_px > 0 ? cv::Size(max_px, max_px) : cv::Size(), true);
  std::vector<FaceBox> out;
  out.reserve(faces.size());
  for (size_t i = 0; i < faces.size(); ++i) {
    const cv::Rect& r = faces[i];
    FaceBox box;
    box.x = static_cast<float>(roi.x + r.x) / static_cast<float>(gray.cols);
    box.y = static_cast<float>(roi.y + r.y) / static_cast<float>(gray.rows);
    box.w = static_cast<float>(r.width) / static_cast<float>(gray.cols);
    box.h = static_cast<float>(r.height) / static_cast<float>(gray.rows);
    box.score = i < weights.size() ? static_cast<float>(weights[i]) : 0.f;
    out.push_back(box);
  }
  std::sort(out.begin(), out.end(), [](const FaceBox& a, const FaceBox& b) {
    return std::tie(a.x, a.y, a.w, a.h, a.score) < std::tie(b.x, b.y, b.w, b.h, b.score);
  });
  return out;
}

std::string default_cascade(const std::string& cascade_dir, const std::string& detector) {
  if (detector == "lbp") {
    // opencv-data ships the LBP cascades beside the Haar ones' folder.
    const auto pos = cascade_dir.rfind("haarcascades");
    const std::string lbp_dir =
        pos == std::string::npos ? cascade_dir : cascade_dir.substr(0, pos) + "lbpcascades";
    return lbp_dir + "/lbpcascade_frontalface_improved.xml";
  }
  return cascade_dir + "/haarcascade_frontalface_default.xml";
}

}  // namespace ff::analysis
