#pragma once
// A boosted Haar cascade as plain data: what an opencv-data cascade XML in
// OpenCV's "new" format holds (haarcascade_frontalface_default.xml: 25 stages
// of stumps; haarcascade_frontalface_alt2.xml: 20 stages of 2-node trees),
// ready for the Haar scan twins (haar_scan.h) on the host and, copied as
// flat arrays, on a CUDA device.
//
// Input: load_haar_cascade(path) in haar_cascade_xml.h (the only part that
// needs OpenCV, to read the XML), or a hand-made cascade in tests.
// Output: stages of weak trees over rectangle features, in window pixels.
//
// Evaluation of one window, as OpenCV's CascadeClassifier does it: every
// feature value is sum(weight_i * pixel sum of rect_i) times the window's
// variance normalisation factor (haar_eval.h); each weak tree walks from its
// first node, going to `left` when value < threshold and to `right`
// otherwise, until it reaches a leaf (an index <= 0 means leaf -index of that
// tree); the stage sums its trees' leaves and rejects the window when the sum
// is below the stage threshold.
//
//   HaarCascade c = load_haar_cascade(cascade_dir + "/haarcascade_frontalface_default.xml");
//   c.window_w == 24; c.stages.size() == 25;
#include <string>
#include <vector>

namespace ff::kernels {

// One weighted rectangle of a feature, in window pixels (x, y: top-left).
struct HaarRect {
  int x = 0;
  int y = 0;
  int w = 0;
  int h = 0;
  float weight = 0.f;  // 0 for the unused third rectangle of a 2-rectangle feature
};

struct HaarFeature {
  HaarRect rect[3];
};

// One internal node of a weak tree. `left` / `right` > 0: the index of the
// next node within the same tree; <= 0: the tree's leaf number -left / -right.
struct HaarNode {
  int feature = 0;
  float threshold = 0.f;  // on the variance-normalised feature value
  int left = 0;
  int right = 0;
};

struct HaarTree {
  int first_node = 0;  // into HaarCascade::nodes
  int node_count = 0;
  int first_leaf = 0;  // into HaarCascade::leaves; node_count + 1 leaves
};

struct HaarStage {
  int first_tree = 0;  // into HaarCascade::trees
  int tree_count = 0;
  // The XML's stageThreshold minus 1e-5 in float arithmetic, as OpenCV
  // applies it (cascadedetect.cpp, THRESHOLD_EPS).
  float threshold = 0.f;
};

struct HaarCascade {
  std::string source;  // where it was loaded from; named in errors
  int window_w = 0;    // detection window in pixels (24x24 for frontalface_default)
  int window_h = 0;
  std::vector<HaarStage> stages;
  std::vector<HaarTree> trees;
  std::vector<HaarNode> nodes;
  std::vector<float> leaves;
  std::vector<HaarFeature> features;
};

// Throws std::invalid_argument with one line naming cascade.source when the
// cascade cannot be evaluated safely: a window smaller than 3x3, no stages,
// a stage, tree, node, leaf or feature index out of range, or a rectangle
// reaching outside the window.
void check_haar_cascade(const HaarCascade& cascade);

}  // namespace ff::kernels
