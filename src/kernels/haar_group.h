#pragma once
// Grouping of raw Haar hits into detections, as cv::CascadeClassifier's
// detectMultiScale does after its scan (cv::groupRectangles with eps 0.2,
// then clipping to the frame), in plain code so the Haar twins' callers need
// no OpenCV.
//
// Input: raw hits (haar_scan.h's HaarScanResult::hits) in frame pixels.
// Output: one box per group of more than min_neighbors similar hits, the
// group's mean box (each coordinate summed, times 1/count in float, rounded
// to nearest even), dropping a group that lies inside a stronger one, then
// intersected with the frame. Two hits are similar when every edge differs by
// at most eps * (min width + min height) / 2. With min_neighbors <= 0 the hits
// come back ungrouped, only clipped (as detectMultiScale with minNeighbors 0).
// Groups come out in the order of their first hit.
//
//   std::vector<HaarBox> faces = group_haar_hits(raw.hits, 4, 640, 360);
#include <vector>

#include "kernels/haar_scan.h"

namespace ff::kernels {

inline constexpr double kHaarGroupEps = 0.2;  // detectMultiScale's GROUP_EPS

std::vector<HaarBox> group_haar_hits(const std::vector<HaarBox>& hits, int min_neighbors,
                                     int frame_w, int frame_h, double eps = kHaarGroupEps);

}  // namespace ff::kernels
