#include "kernels/haar_cascade.h"

#include <stdexcept>
#include <string>

namespace ff::kernels {
namespace {

[[noreturn]] void fail(const HaarCascade& c, const std::string& what) {
  throw std::invalid_argument((c.source.empty() ? std::string("haar cascade") : c.source) +
                              ": invalid Haar cascade: " + what +
                              "; load an opencv-data haarcascade_*.xml");
}

void check_tree(const HaarCascade& c, size_t t) {
  const HaarTree& tree = c.trees[t];
  const std::string name = "tree " + std::to_string(t);
  if (tree.node_count < 1 || tree.first_node < 0 ||
      static_cast<size_t>(tree.first_node) + static_cast<size_t>(tree.node_count) > c.nodes.size())
    fail(c, name + " has nodes out of range");
  if (tree.first_leaf < 0 ||
      static_cast<size_t>(tree.first_leaf) + static_cast<size_t>(tree.node_count) + 1 >
          c.leaves.size())
    fail(c, name + " has leaves out of range");
  for (int n = 0; n < tree.node_count; ++n) {
    const HaarNode& node = c.nodes[static_cast<size_t>(tree.first_node + n)];
    if (node.feature < 0 || static_cast<size_t>(node.feature) >= c.features.size())
      fail(c, name + " uses feature " + std::to_string(node.feature) + " of " +
                  std::to_string(c.features.size()));
    // Children must point forward (no cycles) or to one of the tree's leaves.
    for (int child : {node.left, node.right}) {
      if (child > 0 && (child <= n || child >= tree.node_count))
        fail(c, name + " node " + std::to_string(n) + " has child node " + std::to_string(child));
      if (child <= 0 && -child > tree.node_count)
        fail(c, name + " node " + std::to_string(n) + " has leaf " + std::to_string(-child));
    }
  }
}

}  // namespace

void check_haar_cascade(const HaarCascade& c) {
  if (c.window_w < 3 || c.window_h < 3)
    fail(c, "window " + std::to_string(c.window_w) + "x" + std::to_string(c.window_h) +
                " is smaller than 3x3");
  if (c.stages.empty()) fail(c, "no stages");
  for (size_t s = 0; s < c.stages.size(); ++s) {
    const HaarStage& st = c.stages[s];
    if (st.tree_count < 1 || st.first_tree < 0 ||
        static_cast<size_t>(st.first_tree) + static_cast<size_t>(st.tree_count) > c.trees.size())
      fail(c, "stage " + std::to_string(s) + " has trees out of range");
  }
  for (size_t t = 0; t < c.trees.size(); ++t) check_tree(c, t);
  for (size_t f = 0; f < c.features.size(); ++f) {
    for (const HaarRect& r : c.features[f].rect) {
      if (r.weight == 0.f) continue;
      if (r.x < 0 || r.y < 0 || r.w <= 0 || r.h <= 0 || r.x + r.w > c.window_w ||
          r.y + r.h > c.window_h)
        fail(c, "feature " + std::to_string(f) + " has rectangle (" + std::to_string(r.x) + ", " +
                    std::to_string(r.y) + ", " + std::to_string(r.w) + ", " + std::to_string(r.h) +
                    ") outside the " + std::to_string(c.window_w) + "x" +
                    std::to_string(c.window_h) + " window");
    }
  }
}

}  // namespace ff::kernels
