#pragma once
// Arithmetic shared by the CPU and CUDA halves of the Haar scan twin
// (haar_scan.h): one output pixel of the pyramid resize, and the cascade's
// verdict on one window. Both halves call these same FF_HOST_DEVICE
// functions on the same tables, so their results are identical; every step
// is the one cv::CascadeClassifier (OpenCV 4.6, cascadedetect.cpp/.hpp)
// takes, in the same precision, so the CPU half reproduces its raw hits.
//
// Precision, as OpenCV: integral images in 32-bit integers (the squared one
// wraps modulo 2^32, only window differences are used); the window's
// variance in doubles; feature values in floats,
//   f = (w0 * S0 + w1 * S1 [+ w2 * S2]) * norm,  norm = (float)(1 / sqrt(A * SQ - S * S))
// over the normalisation rectangle (the window less a 1-pixel border, area
// A); stage sums in doubles. nvcc would contract a * b + c into an FMA and
// change the rounding, so the device uses the explicit _rn intrinsics; the
// host compiler does not contract in ISO C++ mode (-std=c++20) and x86-64
// has no FMA in its baseline.
#include <cmath>
#include <cstdint>

#include "kernels/haar_cascade.h"
#include "kernels/host_device.h"

namespace ff::kernels::haar_detail {

FF_HOST_DEVICE inline float mul_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
FF_HOST_DEVICE inline float add_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}
FF_HOST_DEVICE inline double dmul_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}
FF_HOST_DEVICE inline double dadd_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dadd_rn(a, b);
#else
  return a + b;
#endif
}
FF_HOST_DEVICE inline double dsqrt_rn(double a) {
#if defined(__CUDA_ARCH__)
  return __dsqrt_rn(a);
#else
  return std::sqrt(a);
#endif
}
FF_HOST_DEVICE inline float inverse_to_float(double a) {
#if defined(__CUDA_ARCH__)
  return __double2float_rn(__ddiv_rn(1.0, a));
#else
  return static_cast<float>(1.0 / a);
#endif
}

// ---- Pyramid resize: OpenCV's INTER_LINEAR_EXACT for 8-bit, one channel ----

// Taps of one output index: out = c0 * src[ofs0] + c1 * src[ofs1] in Q8
// (c0 + c1 == 256). Outside the source (left of sample 0 or right of the
// last one) both offsets are the edge sample, c0 = 256.
struct ResizeTap {
  int32_t ofs0 = 0;
  int32_t ofs1 = 0;
  int32_t c0 = 256;
  int32_t c1 = 0;
};

// Horizontal pass per source row (exact, at most 65280), vertical pass in
// Q16, rounded half up: (sum + 2^15) >> 16.
FF_HOST_DEVICE inline uint8_t resize_pixel(const uint8_t* src, int src_stride, ResizeTap tx,
                                           ResizeTap ty) {
  const uint8_t* r0 = src + static_cast<long long>(ty.ofs0) * src_stride;
  const uint8_t* r1 = src + static_cast<long long>(ty.ofs1) * src_stride;
  const uint32_t h0 = static_cast<uint32_t>(tx.c0 * r0[tx.ofs0] + tx.c1 * r0[tx.ofs1]);
  const uint32_t h1 = static_cast<uint32_t>(tx.c0 * r1[tx.ofs0] + tx.c1 * r1[tx.ofs1]);
  const uint32_t v = static_cast<uint32_t>(ty.c0) * h0 + static_cast<uint32_t>(ty.c1) * h1;
  return static_cast<uint8_t>((v + (1u << 15)) >> 16);
}

// ---- Cascade evaluation on integral images ----

// A feature's rectangles as corner offsets into an integral image of a given
// stride (OpenCV's CV_SUM_OFS: top-left, top-right, bottom-left,
// bottom-right); unused rectangles have weight 0 and offsets 0.
struct OptFeature {
  int32_t ofs[3][4];
  float weight[3];
};

// A one-node tree unpacked (OpenCV's Data::Stump): used when every tree of
// the cascade is a stump, to save the tree and leaf look-ups.
struct Stump {
  int32_t feature;
  float threshold;
  float left;   // leaf when value < threshold
  float right;  // leaf otherwise
};

// The cascade's arrays (host or device pointers) and the normalisation
// rectangle's corner offsets for the same stride. `stumps`, when set, holds
// every tree as a Stump in tree order and replaces trees/nodes/leaves.
struct CascadeView {
  const HaarStage* stages = nullptr;
  int stage_count = 0;
  const HaarTree* trees = nullptr;
  const HaarNode* nodes = nullptr;
  const float* leaves = nullptr;
  const OptFeature* features = nullptr;
  const Stump* stumps = nullptr;
  int32_t norm_ofs[4] = {0, 0, 0, 0};
  double norm_area = 0.0;
};

// Outcome codes besides 0..stage_count (the number of stages passed; equal to
// stage_count for a hit).
inline constexpr int16_t kLowVariance = -1;  // flat window, rejected before stage 0
inline constexpr int16_t kNotScanned = -2;   // skipped: the window before it failed stage 0

// Window sum from four corners; the integral wraps modulo 2^32, the
// difference is exact.
FF_HOST_DEVICE inline uint32_t corner_sum(const uint32_t* p, const int32_t* ofs) {
  return p[ofs[0]] - p[ofs[1]] - p[ofs[2]] + p[ofs[3]];
}

FF_HOST_DEVICE inline float feature_value(const OptFeature& f, const uint32_t* p, float norm) {
  const float s0 = static_cast<float>(static_cast<int32_t>(corner_sum(p, f.ofs[0])));
  const float s1 = static_cast<float>(static_cast<int32_t>(corner_sum(p, f.ofs[1])));
  float v = add_rn(mul_rn(f.weight[0], s0), mul_rn(f.weight[1], s1));
  if (f.weight[2] != 0.f) {
    const float s2 = static_cast<float>(static_cast<int32_t>(corner_sum(p, f.ofs[2])));
    v = add_rn(v, mul_rn(f.weight[2], s2));
  }
  return mul_rn(v, norm);
}

// The cascade on the window whose top-left corner is at `sum` / `sqsum` (the
// integral images at that window position). Returns the number of stages
// passed (stage_count for a hit) or kLowVariance; `last_sum`, when given,
// receives the sum of the last stage evaluated.
FF_HOST_DEVICE inline int window_outcome(const CascadeView& c, const uint32_t* sum,
                                         const uint32_t* sqsum, double* last_sum = nullptr) {
  const int32_t win_sum = static_cast<int32_t>(corner_sum(sum, c.norm_ofs));
  const uint32_t win_sqsum = corner_sum(sqsum, c.norm_ofs);
  // Exact: both products are integers below 2^53.
  double nf = dmul_rn(c.norm_area, static_cast<double>(win_sqsum)) -
              dmul_rn(static_cast<double>(win_sum), static_cast<double>(win_sum));
  if (!(nf > 0.0)) return kLowVariance;
  nf = dsqrt_rn(nf);
  const float norm = inverse_to_float(nf);
  if (!(dmul_rn(c.norm_area, static_cast<double>(norm)) < 1e-1)) return kLowVariance;
  for (int s = 0; s < c.stage_count; ++s) {
    const HaarStage stage = c.stages[s];
    double stage_sum = 0.0;
    if (c.stumps != nullptr) {  // the same sums as the tree walk below
      const Stump* stump = c.stumps + stage.first_tree;
      for (int t = 0; t < stage.tree_count; ++t) {
        const float value = feature_value(c.features[stump[t].feature], sum, norm);
        stage_sum = dadd_rn(
            stage_sum,
            static_cast<double>(value < stump[t].threshold ? stump[t].left : stump[t].right));
      }
      if (last_sum != nullptr) *last_sum = stage_sum;
      if (stage_sum < static_cast<double>(stage.threshold)) return s;
      continue;
    }
    for (int t = 0; t < stage.tree_count; ++t) {
      const HaarTree tree = c.trees[stage.first_tree + t];
      int idx = 0;
      do {
        const HaarNode node = c.nodes[tree.first_node + idx];
        const float value = feature_value(c.features[node.feature], sum, norm);
        idx = value < node.threshold ? node.left : node.right;
      } while (idx > 0);
      stage_sum = dadd_rn(stage_sum, static_cast<double>(c.leaves[tree.first_leaf - idx]));
    }
    if (last_sum != nullptr) *last_sum = stage_sum;
    if (stage_sum < static_cast<double>(stage.threshold)) return s;
  }
  return c.stage_count;
}

}  // namespace ff::kernels::haar_detail
