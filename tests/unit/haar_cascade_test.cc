// The Haar cascade twins (kernels/haar_*.h): the XML loader and its errors,
// the integral image, the pyramid resize and one stage by hand, the grouping
// against cv::groupRectangles, the CPU reference against
// cv::CascadeClassifier::detectMultiScale on real faces (raw hits and grouped
// faces), and the CUDA twin element by element against the CPU one.
#include "kernels/haar_cascade.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "core/error.h"
#include "kernels/device.h"
#include "kernels/haar_cascade_xml.h"
#include "kernels/haar_group.h"
#include "kernels/haar_scan.h"
#include "media/video_decoder.h"
#include "support/testenv.h"

#if defined(FRAMEFARM_HAVE_CUDA)
#include <cuda_runtime_api.h>

#include "kernels/cuda_check.h"
#endif

namespace ff::kernels {
namespace {

using haar_detail::kLowVariance;
using haar_detail::kNotScanned;

std::string cascade_file(const std::string& name) {
  return (ff::test::cascade_dir() / name).string();
}

// Each cascade XML is parsed once per test binary.
const HaarCascade& cascade(const std::string& name) {
  static std::map<std::string, HaarCascade> cache;
  auto it = cache.find(name);
  if (it == cache.end()) it = cache.emplace(name, load_haar_cascade(cascade_file(name))).first;
  return it->second;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

size_t count_of(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

struct Gray {
  int w = 0;
  int h = 0;
  std::vector<uint8_t> pix;
  PlaneView view() const { return {pix.data(), w, h, w}; }
  cv::Mat mat() const { return cv::Mat(h, w, CV_8UC1, const_cast<uint8_t*>(pix.data())); }
};

// Frames `wanted` (increasing indices) of a video or image file as gray:
// the luma plane for YUV / gray formats, cv::cvtColor for RGB.
std::vector<Gray> decode_gray(const std::string& path, const std::vector<int>& wanted) {
  media::VideoDecoder dec(path, 0);
  std::vector<Gray> out;
  int index = 0;
  for (const AVFrame* f = dec.next(); f != nullptr && out.size() < wanted.size();
       f = dec.next(), ++index) {
    if (index != wanted[out.size()]) continue;
    Gray g;
    g.w = f->width;
    g.h = f->height;
    g.pix.resize(static_cast<size_t>(g.w) * g.h);
    cv::Mat dst(g.h, g.w, CV_8UC1, g.pix.data());
    const auto fmt = static_cast<AVPixelFormat>(f->format);
    if (fmt == AV_PIX_FMT_RGB24) {
      cv::cvtColor(cv::Mat(g.h, g.w, CV_8UC3, f->data[0], static_cast<size_t>(f->linesize[0])), dst,
                   cv::COLOR_RGB2GRAY);
    } else if (fmt == AV_PIX_FMT_RGBA) {
      cv::cvtColor(cv::Mat(g.h, g.w, CV_8UC4, f->data[0], static_cast<size_t>(f->linesize[0])), dst,
                   cv::COLOR_RGBA2GRAY);
    } else {  // planar YUV or GRAY8: plane 0 is luma
      cv::Mat(g.h, g.w, CV_8UC1, f->data[0], static_cast<size_t>(f->linesize[0])).copyTo(dst);
    }
    out.push_back(std::move(g));
  }
  EXPECT_EQ(out.size(), wanted.size()) << path << " has fewer frames than asked for";
  return out;
}

// A sample photo from a Debian package, or "" when none of the paths exists.
std::string sample_photo(const std::vector<std::string>& candidates) {
  for (const auto& p : candidates)
    if (std::filesystem::exists(p)) return p;
  return "";
}

const std::vector<std::string> kAstronaut = {
    "/usr/lib/python3/dist-packages/skimage/data/astronaut.png",
    "/usr/lib/python3/dist-packages/imageio/resources/images/astronaut.png"};
const std::vector<std::string> kGraceHopper = {
    "/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg",
    "/usr/lib/python3/dist-packages/matplotlib/mpl-data/sample_data/grace_hopper.jpg"};

std::vector<HaarBox> to_boxes(const std::vector<cv::Rect>& rects) {
  std::vector<HaarBox> out;
  for (const cv::Rect& r : rects) out.push_back({r.x, r.y, r.width, r.height});
  return out;
}

std::vector<HaarBox> sorted(std::vector<HaarBox> v) {
  std::sort(v.begin(), v.end(), [](const HaarBox& a, const HaarBox& b) {
    return std::tie(a.x, a.y, a.w, a.h) < std::tie(b.x, b.y, b.w, b.h);
  });
  return v;
}

std::string describe(const std::vector<HaarBox>& v) {
  std::ostringstream s;
  for (const HaarBox& b : v) s << "(" << b.x << "," << b.y << " " << b.w << "x" << b.h << ") ";
  return s.str();
}

double iou(const HaarBox& a, const HaarBox& b) {
  const int x0 = std::max(a.x, b.x), y0 = std::max(a.y, b.y);
  const int x1 = std::min(a.x + a.w, b.x + b.w), y1 = std::min(a.y + a.h, b.y + b.h);
  const double inter = std::max(0, x1 - x0) * 1.0 * std::max(0, y1 - y0);
  return inter / (a.w * 1.0 * a.h + b.w * 1.0 * b.h - inter);
}

std::vector<HaarBox> opencv_detect(const std::string& name, const Gray& g, const HaarScanParams& p,
                                   int min_neighbors) {
  static std::map<std::string, cv::CascadeClassifier> classifiers;
  cv::CascadeClassifier& cc = classifiers[name];
  if (cc.empty() && !cc.load(cascade_file(name))) ADD_FAILURE() << "OpenCV cannot load " << name;
  std::vector<cv::Rect> rects;
  cc.detectMultiScale(g.mat(), rects, p.scale_factor, min_neighbors, 0, cv::Size(p.min_w, p.min_h),
                      cv::Size(p.max_w, p.max_h));
  return to_boxes(rects);
}

// The CPU twin against detectMultiScale on one picture: the raw hits
// (minNeighbors 0) are the same boxes, and every face matches one face of the
// other side with IoU >= 0.8, none extra, none missing. Returns OpenCV's faces.
std::vector<HaarBox> expect_agreement(const std::string& name, const Gray& g,
                                      const HaarScanParams& p, int min_neighbors,
                                      const std::string& what) {
  SCOPED_TRACE(what + " with " + name);
  const HaarScanResult raw = haar_scan_cpu(cascade(name), g.view(), p);
  const std::vector<HaarBox> ours_raw = sorted(group_haar_hits(raw.hits, 0, g.w, g.h));
  const std::vector<HaarBox> cv_raw = sorted(opencv_detect(name, g, p, 0));
  EXPECT_EQ(ours_raw.size(), cv_raw.size());
  EXPECT_TRUE(ours_raw == cv_raw) << "raw hits differ";
  ::testing::Test::RecordProperty(what + " " + name + " raw", static_cast<int>(cv_raw.size()));

  const std::vector<HaarBox> ours = group_haar_hits(raw.hits, min_neighbors, g.w, g.h);
  const std::vector<HaarBox> theirs = opencv_detect(name, g, p, min_neighbors);
  EXPECT_EQ(ours.size(), theirs.size())
      << "ours: " << describe(ours) << " opencv: " << describe(theirs);
  std::vector<bool> used(theirs.size(), false);
  for (const HaarBox& b : ours) {
    size_t best = theirs.size();
    for (size_t j = 0; j < theirs.size(); ++j)
      if (!used[j] && iou(b, theirs[j]) >= 0.8 &&
          (best == theirs.size() || iou(b, theirs[j]) > iou(b, theirs[best])))
        best = j;
    EXPECT_LT(best, theirs.size())
        << "extra face " << describe({b}) << "; opencv: " << describe(theirs);
    if (best < theirs.size()) used[best] = true;
  }
  return theirs;
}

// ---- Loader ----

TEST(HaarCascadeXml, LoadsFrontalfaceDefaultStumps) {
  const HaarCascade& c = cascade("haarcascade_frontalface_default.xml");
  const std::string xml = slurp(cascade_file("haarcascade_frontalface_default.xml"));
  EXPECT_EQ(c.window_w, 24);
  EXPECT_EQ(c.window_h, 24);
  // Counted in the XML text, independently of cv::FileStorage.
  EXPECT_EQ(c.stages.size(), count_of(xml, "<stageThreshold>"));
  EXPECT_EQ(c.trees.size(), count_of(xml, "<internalNodes>"));
  EXPECT_EQ(c.nodes.size(), c.trees.size());  // stumps: one node each
  EXPECT_EQ(c.leaves.size(), 2 * c.trees.size());
  EXPECT_EQ(c.features.size(), count_of(xml, "<rects>"));
  const size_t at = xml.find("<stageThreshold>") + std::string("<stageThreshold>").size();
  const float first = static_cast<float>(std::strtod(xml.c_str() + at, nullptr));
  EXPECT_EQ(c.stages[0].threshold, first - 1e-5f);
}

TEST(HaarCascadeXml, LoadsAlt2Trees) {
  const HaarCascade& c = cascade("haarcascade_frontalface_alt2.xml");
  const std::string xml = slurp(cascade_file("haarcascade_frontalface_alt2.xml"));
  EXPECT_EQ(c.window_w, 20);
  EXPECT_EQ(c.stages.size(), count_of(xml, "<stageThreshold>"));
  EXPECT_EQ(c.trees.size(), count_of(xml, "<internalNodes>"));
  // Every internalNodes block holds 4 numbers per node.
  size_t numbers = 0;
  for (size_t at = xml.find("<internalNodes>"); at != std::string::npos;
       at = xml.find("<internalNodes>", at + 1)) {
    const size_t begin = at + std::string("<internalNodes>").size();
    std::istringstream in(xml.substr(begin, xml.find("</internalNodes>", begin) - begin));
    std::string token;
    while (in >> token) ++numbers;
  }
  EXPECT_EQ(c.nodes.size() * 4, numbers);
  EXPECT_GT(c.nodes.size(), c.trees.size());  // real trees, not stumps
  EXPECT_EQ(c.leaves.size(), c.nodes.size() + c.trees.size());
}

TEST(HaarCascadeXml, MissingFileIsOneLine) {
  const std::string path = cascade_file("no_such_cascade.xml");
  EXPECT_EQ(error_of([&] { load_haar_cascade(path); }),
            path +
                ": cannot use as a Haar cascade: no such file; install opencv-data or pass "
                "an opencv-data haarcascade_*.xml");
}

TEST(HaarCascadeXml, LbpCascadeIsRejected) {
  std::string dir = ff::test::cascade_dir().string();
  dir.replace(dir.rfind("haarcascades"), std::string("haarcascades").size(), "lbpcascades");
  const std::string path = dir + "/lbpcascade_frontalface_improved.xml";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "opencv-data's LBP cascade not at " << path;
  EXPECT_EQ(error_of([&] { load_haar_cascade(path); }),
            path +
                ": cannot use as a Haar cascade: featureType is LBP, not HAAR; pass an "
                "opencv-data haarcascade_*.xml");
}

TEST(HaarCascadeXml, TiltedFeatureAndNonXmlAreRejected) {
  ff::test::TempDir tmp("haar");
  const std::string tilted = (tmp / "tilted.xml").string();
  std::ofstream(tilted) << "<?xml version=\"1.0\"?>\n<opencv_storage>\n"
                           "<cascade type_id=\"opencv-cascade-classifier\">"
                           "<stageType>BOOST</stageType><featureType>HAAR</featureType>"
                           "<height>4</height><width>4</width>"
                           "<featureParams><maxCatCount>0</maxCatCount></featureParams>"
                           "<stages><_><stageThreshold>0.5</stageThreshold><weakClassifiers><_>"
                           "<internalNodes>0 -1 0 0.1</internalNodes><leafValues>1. 0.</leafValues>"
                           "</_></weakClassifiers></_></stages>"
                           "<features><_><rects><_>0 0 2 2 -1.</_><_>1 0 1 2 2.</_></rects>"
                           "<tilted>1</tilted></_></features></cascade>\n</opencv_storage>\n";
  EXPECT_EQ(error_of([&] { load_haar_cascade(tilted); }),
            tilted +
                ": cannot use as a Haar cascade: feature 0 is tilted (45-degree); tilted "
                "features are not implemented; use a frontal face cascade");
  const std::string text = (tmp / "text.xml").string();
  std::ofstream(text) << "this is not a cascade\n";
  const std::string message = error_of([&] { load_haar_cascade(text); });
  EXPECT_EQ(message.rfind(text + ": cannot use as a Haar cascade: ", 0), 0u) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST(HaarCascade, RectangleOutsideTheWindowIsRejected) {
  HaarCascade c = cascade("haarcascade_frontalface_default.xml");
  c.features[3].rect[1].x = 20;  // width 12 -> reaches x = 32 in a 24-wide window
  c.features[3].rect[1].w = 12;
  EXPECT_EQ(error_of([&] { check_haar_cascade(c); }),
            c.source + ": invalid Haar cascade: feature 3 has rectangle (20, " +
                std::to_string(c.features[3].rect[1].y) + ", 12, " +
                std::to_string(c.features[3].rect[1].h) +
                ") outside the 24x24 window; load an opencv-data haarcascade_*.xml");
}

TEST(HaarScan, BadArgumentsAreOneLine) {
  const HaarCascade& c = cascade("haarcascade_frontalface_default.xml");
  std::vector<uint8_t> pix(64 * 64, 0);
  HaarScanParams p;
  p.scale_factor = 1.0;
  EXPECT_EQ(error_of([&] {
              haar_scan_cpu(c, {pix.data(), 64, 64, 64}, p);
            }),
            "haar_scan: scale_factor 1.000000 must be a number > 1 (detectMultiScale's "
            "scaleFactor, e.g. 1.1)");
  EXPECT_EQ(error_of([&] {
              haar_scan_cpu(c, {pix.data(), 64, 64, 32}, {});
            }),
            "haar_scan: the gray plane is empty or its stride (32) is below its width (64); pass "
            "an 8-bit luma plane");
}

// ---- Building blocks ----

TEST(HaarIntegral, MatchesBruteForceSums) {
  const int w = 37, h = 23, stride = 41;
  std::mt19937 rng(5);
  std::vector<uint8_t> img(static_cast<size_t>(w * h));
  for (auto& p : img) p = static_cast<uint8_t>(rng() & 0xff);
  std::vector<uint32_t> sum, sqsum;
  haar_detail::integral_cpu(img.data(), w, h, stride, sum, sqsum);
  for (int y = 0; y <= h; ++y) {
    for (int x = 0; x <= w; ++x) {
      uint64_t s = 0, q = 0;
      for (int yy = 0; yy < y; ++yy)
        for (int xx = 0; xx < x; ++xx) {
          s += img[static_cast<size_t>(yy * w + xx)];
          q += img[static_cast<size_t>(yy * w + xx)] * img[static_cast<size_t>(yy * w + xx)];
        }
      ASSERT_EQ(sum[static_cast<size_t>(y * stride + x)], s) << x << "," << y;
      ASSERT_EQ(sqsum[static_cast<size_t>(y * stride + x)], q) << x << "," << y;
    }
  }
}

TEST(HaarIntegral, SquaredSumWrapsButWindowSumsStayExact) {
  // 300x300 of 255: the squared integral's corner reaches 5.85e9 > 2^32.
  const int n = 300, stride = n + 1;
  std::vector<uint8_t> img(static_cast<size_t>(n * n), 255);
  std::vector<uint32_t> sum, sqsum;
  haar_detail::integral_cpu(img.data(), n, n, stride, sum, sqsum);
  const int32_t ofs[4] = {0, 24, 24 * stride, 24 * stride + 24};
  const uint32_t* corner = sqsum.data() + 270 * stride + 270;
  EXPECT_EQ(haar_detail::corner_sum(corner, ofs), 24u * 24u * 255u * 255u);
  EXPECT_EQ(haar_detail::corner_sum(sum.data() + 270 * stride + 270, ofs), 24u * 24u * 255u);
}

TEST(HaarResize, IsBitExactWithOpenCvLinearExact) {
  std::mt19937 rng(9);
  const int w = 203, h = 117;
  std::vector<uint8_t> img(static_cast<size_t>(w * h));
  for (auto& p : img) p = static_cast<uint8_t>(rng() & 0xff);
  const cv::Mat src(h, w, CV_8UC1, img.data());
  for (const auto& [dw, dh] : std::vector<std::pair<int, int>>{
           {203, 117}, {185, 106}, {168, 97}, {102, 58}, {101, 59}, {55, 32}, {17, 9}, {1, 1}}) {
    std::vector<uint8_t> ours;
    haar_detail::resize_level_cpu({img.data(), w, h, w}, dw, dh, ours);
    cv::Mat theirs;
    cv::resize(src, theirs, cv::Size(dw, dh), 0, 0, cv::INTER_LINEAR_EXACT);
    ASSERT_TRUE(theirs.isContinuous());
    EXPECT_TRUE(std::equal(ours.begin(), ours.end(), theirs.ptr<uint8_t>()))
        << dw << "x" << dh << " differs";
  }
}

// A 6x6 cascade on a 6x6 image, values worked out by hand.
HaarCascade hand_cascade(float stage1_left, float stage1_right) {
  HaarCascade c;
  c.source = "hand-made";
  c.window_w = c.window_h = 6;
  c.features.resize(2);
  c.features[0].rect[0] = {0, 0, 6, 6, -1.f};  // -(whole) + 2 * (right half)
  c.features[0].rect[1] = {3, 0, 3, 6, 2.f};
  c.features[1].rect[0] = {0, 0, 3, 6, 1.f};  // left half - right half
  c.features[1].rect[1] = {3, 0, 3, 6, -1.f};
  c.nodes = {{0, -2.0f, 0, -1}, {1, 3.0f, 0, -1}, {1, 2.0f, 0, -1}};
  c.leaves = {0.7f, -0.1f, -0.4f, 0.9f, stage1_left, stage1_right};
  c.trees = {{0, 1, 0}, {1, 1, 2}, {2, 1, 4}};
  c.stages = {{0, 2, 0.25f}, {2, 1, 0.0f}};
  return c;
}

std::vector<uint8_t> hand_image() {  // left 3 columns 100, right 3 columns 20
  std::vector<uint8_t> img(36);
  for (int y = 0; y < 6; ++y)
    for (int x = 0; x < 6; ++x) img[static_cast<size_t>(y * 6 + x)] = x < 3 ? 100 : 20;
  return img;
}

TEST(HaarWindow, StageSumsOnAHandMadeImage) {
  // Normalisation rect (1,1,4,4): columns 100,100,20,20 over 4 rows: sum 960,
  // squares 83200; 16 * 83200 - 960^2 = 409600, sqrt 640, norm 1/640.
  // Feature 0: -2160 + 2 * 360 = -1440 -> -2.25 < -2 -> leaf 0.7.
  // Feature 1: 1800 - 360 = 1440 -> 2.25 < 3 -> leaf -0.4. Stage 0: 0.3 >= 0.25.
  // Stage 1: feature 1 = 2.25 >= 2 -> right leaf.
  const std::vector<uint8_t> img = hand_image();
  std::vector<uint32_t> sum, sqsum;
  haar_detail::integral_cpu(img.data(), 6, 6, 7, sum, sqsum);
  const HaarCascade fails = hand_cascade(0.5f, -0.5f);
  const auto features = haar_detail::opt_features(fails, 7);
  const auto view = haar_detail::cascade_view(fails, features, 7);
  EXPECT_FLOAT_EQ(haar_detail::feature_value(features[0], sum.data(), 1.f / 640.f), -2.25f);
  double last = 0;
  EXPECT_EQ(haar_detail::window_outcome(view, sum.data(), sqsum.data(), &last), 1);
  EXPECT_EQ(last, -0.5);
  const HaarCascade passes = hand_cascade(-0.5f, 0.5f);
  const auto view2 = haar_detail::cascade_view(passes, features, 7);
  EXPECT_EQ(haar_detail::window_outcome(view2, sum.data(), sqsum.data(), &last), 2);
  EXPECT_EQ(last, 0.5);
  // Stage 0's sum alone: make stage 0 the last one.
  HaarCascade one = passes;
  one.stages.resize(1);
  const auto view1 = haar_detail::cascade_view(one, features, 7);
  EXPECT_EQ(haar_detail::window_outcome(view1, sum.data(), sqsum.data(), &last), 1);
  EXPECT_EQ(last, static_cast<double>(0.7f) + static_cast<double>(-0.4f));

  // Through the scan: one level (scale 1.1 would need a 7-pixel window), one
  // position.
  HaarScanParams p;
  p.keep_outcomes = true;
  const HaarScanResult miss = haar_scan_cpu(fails, {img.data(), 6, 6, 6}, p);
  ASSERT_EQ(miss.levels.size(), 1u);
  EXPECT_EQ(miss.outcomes, (std::vector<std::vector<int16_t>>{{1}}));
  EXPECT_TRUE(miss.hits.empty());
  const HaarScanResult hit = haar_scan_cpu(passes, {img.data(), 6, 6, 6}, p);
  EXPECT_EQ(hit.hits, (std::vector<HaarBox>{{0, 0, 6, 6}}));
  // A flat window has no variance and is rejected before stage 0.
  const std::vector<uint8_t> flat(36, 80);
  EXPECT_EQ(haar_scan_cpu(passes, {flat.data(), 6, 6, 6}, p).outcomes,
            (std::vector<std::vector<int16_t>>{{kLowVariance}}));
}

TEST(HaarScan, WindowAfterAFirstStageRejectionIsSkipped) {
  // CascadeClassifierInvoker: `if (result == 0) x += yStep;`.
  HaarLevel level;
  level.cols = 7;
  level.rows = 1;
  level.step = 2;
  level.scale = 1.5f;
  level.box_w = level.box_h = 36;
  std::vector<int16_t> outcomes = {0, 25, 25, 0, 0, 25, 3};
  HaarScanResult r;
  haar_detail::collect_level_hits(level, 0, 25, outcomes, r);
  EXPECT_EQ(outcomes, (std::vector<int16_t>{0, kNotScanned, 25, 0, kNotScanned, 25, 3}));
  // Positions 2 and 5: x = 4 and 10 level pixels, times 1.5.
  EXPECT_EQ(r.hits, (std::vector<HaarBox>{{6, 0, 36, 36}, {15, 0, 36, 36}}));
}

TEST(HaarScan, LevelsFollowTheScaleFactorAndSizes) {
  const HaarCascade& c = cascade("haarcascade_frontalface_default.xml");
  // Unconstrained: scales 1, 1.1, 1.1^2, ... (products in double, kept as
  // float) while the 24-pixel window, rounded, fits the 360 rows.
  const auto all = plan_haar_levels(c, 640, 360, {});
  double factor = 1;
  size_t count = 0;
  for (; std::lrint(24 * factor) <= 360; factor *= 1.1, ++count) {
    ASSERT_LT(count, all.size());
    const HaarLevel& l = all[count];
    EXPECT_EQ(l.scale, static_cast<float>(factor));
    EXPECT_EQ(l.level_w, std::lrint(640.f / l.scale));
    EXPECT_EQ(l.step, l.scale >= 2.f ? 1 : 2);
    // Positions x = 0, step, ... with x + 24 <= level_w.
    EXPECT_LE((l.cols - 1) * l.step + 24, l.level_w);
    EXPECT_GT(l.cols * l.step + 24, l.level_w);
  }
  EXPECT_EQ(all.size(), count);
  // minSize 40, maxSize 100: the same scales, less those outside.
  HaarScanParams p;
  p.min_w = p.min_h = 40;
  p.max_w = p.max_h = 100;
  std::vector<float> expected;
  for (const HaarLevel& l : all)
    if (l.box_w >= 40 && l.box_w <= 100) expected.push_back(l.scale);
  std::vector<float> kept;
  for (const HaarLevel& l : plan_haar_levels(c, 640, 360, p)) kept.push_back(l.scale);
  EXPECT_EQ(kept, expected);
  EXPECT_TRUE(plan_haar_levels(c, 20, 300, {}).empty());  // narrower than the window
}

// ---- Grouping ----

TEST(HaarGroup, MeanOfASimilarGroupAndDropsLoneHits) {
  const std::vector<HaarBox> hits = {{100, 100, 50, 50},
                                     {102, 101, 50, 50},
                                     {98, 99, 52, 52},
                                     {101, 100, 50, 50},
                                     {300, 50, 40, 40}};
  // Group 1: 4 hits, mean x = 401 / 4 = 100.25 -> 100, y = 400 / 4 = 100,
  // w = h = 202 / 4 = 50.5 -> 50 (ties to even). The lone hit needs more
  // than 3 neighbours.
  EXPECT_EQ(group_haar_hits(hits, 3, 640, 360), (std::vector<HaarBox>{{100, 100, 50, 50}}));
  EXPECT_TRUE(group_haar_hits(hits, 4, 640, 360).empty());
  // minNeighbors 0: the hits, clipped to the frame.
  EXPECT_EQ(group_haar_hits({{-5, 350, 20, 20}}, 0, 640, 360),
            (std::vector<HaarBox>{{0, 350, 15, 10}}));
}

TEST(HaarGroup, AgreesWithCvGroupRectangles) {
  std::mt19937 rng(21);
  for (int trial = 0; trial < 40; ++trial) {
    std::vector<HaarBox> hits;
    std::vector<cv::Rect> rects;
    const int clusters = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < clusters; ++k) {
      const int cx = static_cast<int>(rng() % 500), cy = static_cast<int>(rng() % 300);
      const int size = 24 + static_cast<int>(rng() % 80);
      const int n = 1 + static_cast<int>(rng() % 9);
      for (int i = 0; i < n; ++i) {
        const int s = size + static_cast<int>(rng() % 9) - 4;
        const HaarBox b{cx + static_cast<int>(rng() % 9) - 4, cy + static_cast<int>(rng() % 9) - 4,
                        s, s};
        hits.push_back(b);
        rects.emplace_back(b.x, b.y, b.w, b.h);
      }
    }
    for (int min_neighbors = 1; min_neighbors <= 4; ++min_neighbors) {
      std::vector<cv::Rect> grouped = rects;
      cv::groupRectangles(grouped, min_neighbors, kHaarGroupEps);
      EXPECT_EQ(sorted(group_haar_hits(hits, min_neighbors, 10000, 10000)),
                sorted(to_boxes(grouped)))
          << "trial " << trial << " min_neighbors " << min_neighbors;
    }
  }
}

// ---- Agreement with cv::CascadeClassifier on real faces ----

TEST(HaarAgreement, AstronautPhoto) {
  const std::string path = sample_photo(kAstronaut);
  if (path.empty()) GTEST_SKIP() << "astronaut.png not found (install python3-skimage)";
  const Gray g = decode_gray(path, {0}).at(0);
  HaarScanParams p;
  const auto faces = expect_agreement("haarcascade_frontalface_default.xml", g, p, 3, "default");
  EXPECT_EQ(faces.size(), 1u) << "the photo shows one face";
  expect_agreement("haarcascade_frontalface_alt2.xml", g, p, 3, "default");
}

TEST(HaarAgreement, GraceHopperPhoto) {
  const std::string path = sample_photo(kGraceHopper);
  if (path.empty()) GTEST_SKIP() << "grace_hopper.jpg not found (install python3-matplotlib)";
  const Gray g = decode_gray(path, {0}).at(0);
  HaarScanParams p;
  p.scale_factor = 1.2;
  p.min_w = p.min_h = 60;
  const auto faces =
      expect_agreement("haarcascade_frontalface_default.xml", g, p, 4, "1.2, min 60");
  EXPECT_EQ(faces.size(), 1u) << "the photo shows one face";
  expect_agreement("haarcascade_frontalface_alt2.xml", g, HaarScanParams{}, 3, "default");
}

TEST(HaarAgreement, CallRecordingFrames) {
  // One frame per shot of the generated call (cuts at 197, 306, 481, 579).
  const std::vector<int> frames = {60, 250, 400, 530, 650};
  const auto grays = decode_gray(ff::test::recording("call.mp4").string(), frames);
  size_t faces = 0;
  for (size_t i = 0; i < grays.size(); ++i) {
    const Gray& g = grays[i];
    // The scan's parameters (FaceDetectorParams): 1.1, 4 neighbours, 8% of the height.
    HaarScanParams p;
    p.min_w = p.min_h = static_cast<int>(0.08 * g.h);
    faces += expect_agreement("haarcascade_frontalface_default.xml", g, p, 4,
                              "frame " + std::to_string(frames[i]))
                 .size();
  }
  EXPECT_GE(faces, grays.size()) << "every shot of the call shows at least one face";
}

// ---- CUDA twin ----

#if defined(FRAMEFARM_HAVE_CUDA)
HaarScanResult scan_on_device(const HaarCascade& c, const Gray& g, const HaarScanParams& p) {
  uint8_t* d = nullptr;
  FF_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&d), g.pix.size()));
  HaarScanResult r;
  try {
    FF_CUDA_CHECK(cudaMemcpy(d, g.pix.data(), g.pix.size(), cudaMemcpyHostToDevice));
    r = haar_scan_cuda(c, {d, g.w, g.h, g.w}, p);
  } catch (...) {
    cudaFree(d);
    throw;
  }
  FF_CUDA_CHECK(cudaFree(d));
  return r;
}
#endif

TEST(HaarCuda, MatchesCpuElementByElement) {
  const DeviceInfo device = probe_cuda_device();
  if (device.device_count == 0) GTEST_SKIP() << "no CUDA device: " << device.reason;
#if defined(FRAMEFARM_HAVE_CUDA)
  std::vector<std::pair<std::string, Gray>> cases;
  for (auto& g : decode_gray(ff::test::recording("call.mp4").string(), {60, 400}))
    cases.emplace_back("haarcascade_frontalface_default.xml", std::move(g));
  if (const std::string path = sample_photo(kAstronaut); !path.empty())
    cases.emplace_back("haarcascade_frontalface_alt2.xml", decode_gray(path, {0}).at(0));
  HaarScanParams p;
  p.keep_outcomes = true;
  for (const auto& [name, g] : cases) {
    const HaarScanResult cpu = haar_scan_cpu(cascade(name), g.view(), p);
    const HaarScanResult gpu = scan_on_device(cascade(name), g, p);
    ASSERT_EQ(gpu.outcomes.size(), cpu.outcomes.size()) << name;
    for (size_t l = 0; l < cpu.outcomes.size(); ++l) {
      ASSERT_EQ(gpu.outcomes[l].size(), cpu.outcomes[l].size());
      for (size_t i = 0; i < cpu.outcomes[l].size(); ++i)
        ASSERT_EQ(gpu.outcomes[l][i], cpu.outcomes[l][i])
            << name << " level " << l << " window " << i;
    }
    EXPECT_EQ(gpu.hits, cpu.hits) << name;
    EXPECT_EQ(gpu.hit_level, cpu.hit_level) << name;
    EXPECT_FALSE(cpu.hits.empty()) << name << ": a picture with a face has raw hits";
  }
#endif
}

}  // namespace
}  // namespace ff::kernels
