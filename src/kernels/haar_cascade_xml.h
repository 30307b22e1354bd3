#pragma once
// Reads an opencv-data Haar cascade XML (OpenCV's "new" cascade format,
// <cascade type_id="opencv-cascade-classifier">) into the plain HaarCascade
// of haar_cascade.h, with cv::FileStorage, converting every number exactly as
// cv::CascadeClassifier does (so the Haar scan twins reproduce its results).
//
// Header-only on purpose: ff_kernels does not link OpenCV, so only code that
// does (ff_analysis and above, the tests) includes this header; the kernels
// themselves see plain data only.
//
//   const HaarCascade c =
//       load_haar_cascade(std::string(ff::kCascadeDir) + "/haarcascade_frontalface_alt2.xml");
//
// Errors are ff::ConfigError with one line naming the file: missing or
// unreadable, not a cascade, an LBP (or other non-Haar) cascade, an
// old-format cascade, or tilted (45-degree) features, which the twins do not
// implement (no opencv-data face cascade uses them).
#include <filesystem>
#include <opencv2/core/persistence.hpp>
#include <string>

#include "core/error.h"
#include "kernels/haar_cascade.h"

namespace ff::kernels {
namespace haar_xml_detail {

[[noreturn]] inline void fail(const std::string& path, const std::string& what,
                              const std::string& hint) {
  throw ConfigError(path + ": cannot use as a Haar cascade: " + what + "; " + hint);
}

inline const char* kHint = "pass an opencv-data haarcascade_*.xml";

inline HaarFeature read_feature(const std::string& path, const cv::FileNode& node, size_t index) {
  HaarFeature f;
  if (!node["tilted"].empty() && static_cast<int>(node["tilted"]) != 0)
    fail(path, "feature " + std::to_string(index) + " is tilted (45-degree)",
         "tilted features are not implemented; use a frontal face cascade");
  const cv::FileNode rects = node["rects"];
  if (!rects.isSeq() || rects.size() < 1 || rects.size() > 3)
    fail(path, "feature " + std::to_string(index) + " does not have 1 to 3 rects", kHint);
  for (size_t i = 0; i < rects.size(); ++i) {
    const cv::FileNode r = rects[static_cast<int>(i)];
    if (!r.isSeq() || r.size() != 5)
      fail(path,
           "feature " + std::to_string(index) + " rect " + std::to_string(i) +
               " is not 'x y w h weight'",
           kHint);
    f.rect[i] = {static_cast<int>(r[0]), static_cast<int>(r[1]), static_cast<int>(r[2]),
                 static_cast<int>(r[3]), static_cast<float>(r[4])};
  }
  return f;
}

// One weak tree: internalNodes is "left right feature threshold" per node.
inline void read_tree(const std::string& path, const cv::FileNode& weak, HaarCascade& c) {
  const cv::FileNode internal = weak["internalNodes"];
  const cv::FileNode leaves = weak["leafValues"];
  if (!internal.isSeq() || internal.size() == 0 || internal.size() % 4 != 0 || !leaves.isSeq())
    fail(path,
         "weak classifier " + std::to_string(c.trees.size()) +
             " has no 'left right feature threshold' nodes",
         kHint);
  HaarTree tree;
  tree.first_node = static_cast<int>(c.nodes.size());
  tree.node_count = static_cast<int>(internal.size() / 4);
  tree.first_leaf = static_cast<int>(c.leaves.size());
  if (leaves.size() != internal.size() / 4 + 1)
    fail(path,
         "weak classifier " + std::to_string(c.trees.size()) + " has " +
             std::to_string(leaves.size()) + " leaves for " + std::to_string(tree.node_count) +
             " nodes",
         kHint);
  for (size_t i = 0; i < internal.size(); i += 4) {
    const int at = static_cast<int>(i);
    c.nodes.push_back({static_cast<int>(internal[at + 2]), static_cast<float>(internal[at + 3]),
                       static_cast<int>(internal[at]), static_cast<int>(internal[at + 1])});
  }
  for (size_t i = 0; i < leaves.size(); ++i)
    c.leaves.push_back(static_cast<float>(leaves[static_cast<int>(i)]));
  c.trees.push_back(tree);
}

}  // namespace haar_xml_detail

inline HaarCascade load_haar_cascade(const std::string& path) {
  using haar_xml_detail::fail;
  using haar_xml_detail::kHint;
  if (!std::filesystem::is_regular_file(path))
    fail(path, "no such file", "install opencv-data or " + std::string(kHint));
  cv::FileStorage fs;
  try {
    if (!fs.open(path, cv::FileStorage::READ)) fail(path, "cannot open the file", kHint);
  } catch (const cv::Exception& e) {
    fail(path, "not an OpenCV XML/YAML file (" + e.err + ")", kHint);
  }
  const cv::FileNode root = fs.getFirstTopLevelNode();
  if (root.empty() || !root.isMap()) fail(path, "no cascade in the file", kHint);
  const cv::FileNode type = root["featureType"];
  if (type.empty())
    fail(path, "no featureType (an old-format or non-cascade file)",
         "use a cascade in OpenCV's current format, e.g. " + std::string(kHint));
  const std::string feature_type = static_cast<std::string>(type);
  if (feature_type != "HAAR") fail(path, "featureType is " + feature_type + ", not HAAR", kHint);
  if (static_cast<std::string>(root["stageType"]) != "BOOST")
    fail(path, "stageType is not BOOST", kHint);
  const cv::FileNode params = root["featureParams"];
  if (!params.empty() && !params["maxCatCount"].empty() &&
      static_cast<int>(params["maxCatCount"]) != 0)
    fail(path, "categorical features (maxCatCount > 0)", kHint);

  HaarCascade c;
  c.source = path;
  c.window_w = static_cast<int>(root["width"]);
  c.window_h = static_cast<int>(root["height"]);
  const cv::FileNode stages = root["stages"];
  if (!stages.isSeq() || stages.size() == 0) fail(path, "no stages", kHint);
  for (size_t s = 0; s < stages.size(); ++s) {
    const cv::FileNode stage = stages[static_cast<int>(s)];
    const cv::FileNode weaks = stage["weakClassifiers"];
    if (!weaks.isSeq() || weaks.size() == 0)
      fail(path, "stage " + std::to_string(s) + " has no weakClassifiers", kHint);
    HaarStage st;
    st.first_tree = static_cast<int>(c.trees.size());
    st.tree_count = static_cast<int>(weaks.size());
    // OpenCV: (float)fns[CC_STAGE_THRESHOLD] - THRESHOLD_EPS, in float.
    st.threshold = static_cast<float>(stage["stageThreshold"]) - 1e-5f;
    for (size_t w = 0; w < weaks.size(); ++w)
      haar_xml_detail::read_tree(path, weaks[static_cast<int>(w)], c);
    c.stages.push_back(st);
  }
  const cv::FileNode features = root["features"];
  if (!features.isSeq() || features.size() == 0) fail(path, "no features", kHint);
  for (size_t f = 0; f < features.size(); ++f)
    c.features.push_back(haar_xml_detail::read_feature(path, features[static_cast<int>(f)], f));
  try {
    check_haar_cascade(c);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(e.what());
  }
  return c;
}

}  // namespace ff::kernels
