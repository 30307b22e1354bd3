#include "kernels/haar_group.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>

namespace ff::kernels {
namespace {

bool similar(const HaarBox& a, const HaarBox& b, double eps) {
  const double delta = eps * (std::min(a.w, b.w) + std::min(a.h, b.h)) * 0.5;
  return std::abs(a.x - b.x) <= delta && std::abs(a.y - b.y) <= delta &&
         std::abs(a.x + a.w - b.x - b.w) <= delta && std::abs(a.y + a.h - b.y - b.h) <= delta;
}

// Connected components of the similarity graph (what cv::partition returns),
// labelled in the order of each component's first member.
std::vector<int> components(const std::vector<HaarBox>& boxes, double eps, int& count) {
  const size_t n = boxes.size();
  std::vector<size_t> parent(n);
  std::iota(parent.begin(), parent.end(), size_t{0});
  auto find = [&](size_t i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
  };
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j)
      if (similar(boxes[i], boxes[j], eps)) parent[find(i)] = find(j);
  std::vector<int> root_label(n, -1);
  std::vector<int> labels(n);
  count = 0;
  for (size_t i = 0; i < n; ++i) {
    int& l = root_label[find(i)];
    if (l < 0) l = count++;
    labels[i] = l;
  }
  return labels;
}

std::vector<HaarBox> clip(std::vector<HaarBox> boxes, int frame_w, int frame_h) {
  std::vector<HaarBox> out;
  for (const HaarBox& b : boxes) {
    const int x0 = std::max(b.x, 0);
    const int y0 = std::max(b.y, 0);
    const int x1 = std::min(b.x + b.w, frame_w);
    const int y1 = std::min(b.y + b.h, frame_h);
    if (x1 > x0 && y1 > y0) out.push_back({x0, y0, x1 - x0, y1 - y0});
  }
  return out;
}

}  // namespace

std::vector<HaarBox> group_haar_hits(const std::vector<HaarBox>& hits, int min_neighbors,
                                     int frame_w, int frame_h, double eps) {
  if (min_neighbors <= 0 || hits.empty()) return clip(hits, frame_w, frame_h);
  int nclasses = 0;
  const std::vector<int> labels = components(hits, eps, nclasses);
  std::vector<HaarBox> sums(static_cast<size_t>(nclasses));
  std::vector<int> counts(static_cast<size_t>(nclasses), 0);
  for (size_t i = 0; i < hits.size(); ++i) {
    HaarBox& s = sums[static_cast<size_t>(labels[i])];
    s.x += hits[i].x;
    s.y += hits[i].y;
    s.w += hits[i].w;
    s.h += hits[i].h;
    ++counts[static_cast<size_t>(labels[i])];
  }
  // groupRectangles: saturate_cast<int>(sum * (1.f / n)), in float.
  std::vector<HaarBox> mean(sums.size());
  for (size_t c = 0; c < sums.size(); ++c) {
    const float s = 1.f / static_cast<float>(counts[c]);
    auto avg = [s](int v) { return static_cast<int>(std::lrint(static_cast<float>(v) * s)); };
    mean[c] = {avg(sums[c].x), avg(sums[c].y), avg(sums[c].w), avg(sums[c].h)};
  }
  std::vector<HaarBox> out;
  for (size_t i = 0; i < mean.size(); ++i) {
    const int n1 = counts[i];
    if (n1 <= min_neighbors) continue;
    const HaarBox& r1 = mean[i];
    bool inside_stronger = false;
    for (size_t j = 0; j < mean.size() && !inside_stronger; ++j) {
      const int n2 = counts[j];
      if (j == i || n2 <= min_neighbors) continue;
      const HaarBox& r2 = mean[j];
      const int dx = static_cast<int>(std::lrint(r2.w * eps));
      const int dy = static_cast<int>(std::lrint(r2.h * eps));
      inside_stronger = r1.x >= r2.x - dx && r1.y >= r2.y - dy && r1.x + r1.w <= r2.x + r2.w + dx &&
                        r1.y + r1.h <= r2.y + r2.h + dy && (n2 > std::max(3, n1) || n1 < 3);
    }
    if (!inside_stronger) out.push_back(r1);
  }
  return clip(out, frame_w, frame_h);
}

}  // namespace ff::kernels
