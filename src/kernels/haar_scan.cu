// The CUDA half of the Haar scan twin. The host plans the levels, the resize
// taps and the feature table with the same code as the CPU half; per level
// the device resizes the frame (one thread per level pixel), builds the
// integral and squared integral by two scans (one thread per row, then one
// per column), and evaluates the cascade at every window position (one
// thread per position) with the same haar_eval.h functions. The outcomes come
// back to the host, where the shared collect_level_hits applies OpenCV's
// skip rule and gathers the hits, so hits and outcomes match the CPU half
// element by element.
#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "kernels/cuda_check.h"
#include "kernels/device_buffer.h"
#include "kernels/haar_scan.h"

namespace ff::kernels {
namespace {
using namespace haar_detail;

// A host vector copied into a new device buffer.
template <typename T>
void upload(DeviceBuffer& dst, const std::vector<T>& src) {
  if (!src.empty())
    FF_CUDA_CHECK(
        cudaMemcpy(dst.as<T>(), src.data(), src.size() * sizeof(T), cudaMemcpyHostToDevice));
}

template <typename T>
size_t bytes_of(const std::vector<T>& v) {
  return v.size() * sizeof(T);
}

__global__ void resize_kernel(PlaneView src, const ResizeTap* tx, const ResizeTap* ty, uint8_t* dst,
                              int dst_w, int dst_h) {
  const int x = blockIdx.x * blockDim.x + threadIdx.x;
  const int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x >= dst_w || y >= dst_h) return;
  dst[static_cast<ptrdiff_t>(y) * dst_w + x] = resize_pixel(src.data, src.stride, tx[x], ty[y]);
}

// Pass 1: each thread scans one image row into row y + 1 of the integrals
// (prefix sums along the row); column 0 is zeroed here, row 0 by memset.
__global__ void integral_rows_kernel(const uint8_t* img, int w, int h, int stride, uint32_t* sum,
                                     uint32_t* sqsum) {
  const int y = blockIdx.x * blockDim.x + threadIdx.x;
  if (y >= h) return;
  const uint8_t* row = img + static_cast<ptrdiff_t>(y) * w;
  uint32_t* s_row = sum + static_cast<ptrdiff_t>(y + 1) * stride;
  uint32_t* q_row = sqsum + static_cast<ptrdiff_t>(y + 1) * stride;
  uint32_t s = 0;
  uint32_t q = 0;
  s_row[0] = 0;
  q_row[0] = 0;
  for (int x = 0; x < w; ++x) {
    const uint32_t v = row[x];
    s += v;
    q += v * v;
    s_row[x + 1] = s;
    q_row[x + 1] = q;
  }
}

// Pass 2: each thread scans one integral column downwards (modulo 2^32, as
// the CPU half).
__global__ void integral_cols_kernel(int w, int h, int stride, uint32_t* sum, uint32_t* sqsum) {
  const int x = blockIdx.x * blockDim.x + threadIdx.x;
  if (x > w) return;
  uint32_t s = 0;
  uint32_t q = 0;
  for (int y = 1; y <= h; ++y) {
    const ptrdiff_t at = static_cast<ptrdiff_t>(y) * stride + x;
    s += sum[at];
    q += sqsum[at];
    sum[at] = s;
    sqsum[at] = q;
  }
}

// One thread per window position of the level, every position (the skip
// rule is applied on the host afterwards).
__global__ void cascade_kernel(CascadeView cascade, const uint32_t* sum, const uint32_t* sqsum,
                               int stride, int step, int cols, int rows, int16_t* outcomes) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  const int r = blockIdx.y * blockDim.y + threadIdx.y;
  if (c >= cols || r >= rows) return;
  const ptrdiff_t pos =
      static_cast<ptrdiff_t>(r) * step * stride + static_cast<ptrdiff_t>(c) * step;
  outcomes[static_cast<ptrdiff_t>(r) * cols + c] =
      static_cast<int16_t>(window_outcome(cascade, sum + pos, sqsum + pos));
}

unsigned blocks_for(int n, unsigned block) {
  return static_cast<unsigned>((std::max(n, 1) + static_cast<int>(block) - 1) /
                               static_cast<int>(block));
}

}  // namespace

HaarScanResult haar_scan_cuda(const HaarCascade& cascade, PlaneView gray,
                              const HaarScanParams& params) {
  check_scan_args(cascade, gray, params);
  HaarScanResult result;
  result.levels = plan_haar_levels(cascade, gray.width, gray.height, params);
  if (result.levels.empty()) return result;
  const int stride = gray.width + 1;

  // The cascade, once per call.
  const std::vector<OptFeature> features = opt_features(cascade, stride);
  const std::vector<Stump> stumps = stumps_of(cascade);
  DeviceBuffer d_stages(bytes_of(cascade.stages));
  DeviceBuffer d_trees(bytes_of(cascade.trees));
  DeviceBuffer d_nodes(bytes_of(cascade.nodes));
  DeviceBuffer d_leaves(bytes_of(cascade.leaves));
  DeviceBuffer d_features(bytes_of(features));
  DeviceBuffer d_stumps(bytes_of(stumps));
  upload(d_stages, cascade.stages);
  upload(d_trees, cascade.trees);
  upload(d_nodes, cascade.nodes);
  upload(d_leaves, cascade.leaves);
  upload(d_features, features);
  upload(d_stumps, stumps);
  CascadeView view = cascade_view(cascade, features, stride, stumps);
  view.stages = d_stages.as<HaarStage>();
  view.trees = d_trees.as<HaarTree>();
  view.nodes = d_nodes.as<HaarNode>();
  view.leaves = d_leaves.as<float>();
  view.features = d_features.as<OptFeature>();
  if (!stumps.empty()) view.stumps = d_stumps.as<Stump>();

  // Work buffers sized for level 0 (the largest).
  size_t max_positions = 0;
  for (const HaarLevel& l : result.levels)
    max_positions = std::max(max_positions, static_cast<size_t>(l.rows) * l.cols);
  const size_t integral_count = static_cast<size_t>(gray.height + 1) * stride;
  DeviceBuffer d_level(static_cast<size_t>(gray.width) * gray.height);
  DeviceBuffer d_sum(integral_count * sizeof(uint32_t));
  DeviceBuffer d_sqsum(integral_count * sizeof(uint32_t));
  DeviceBuffer d_outcomes(std::max<size_t>(max_positions, 1) * sizeof(int16_t));
  DeviceBuffer d_taps(static_cast<size_t>(gray.width + gray.height) * sizeof(ResizeTap));

  std::vector<int16_t> outcomes;
  const dim3 block2d(32, 8);
  const unsigned block1d = 128;
  for (size_t li = 0; li < result.levels.size(); ++li) {
    const HaarLevel& level = result.levels[li];
    const std::vector<ResizeTap> tx = resize_taps(gray.width, level.level_w);
    const std::vector<ResizeTap> ty = resize_taps(gray.height, level.level_h);
    ResizeTap* d_tx = d_taps.as<ResizeTap>();
    ResizeTap* d_ty = d_tx + level.level_w;
    FF_CUDA_CHECK(cudaMemcpy(d_tx, tx.data(), bytes_of(tx), cudaMemcpyHostToDevice));
    FF_CUDA_CHECK(cudaMemcpy(d_ty, ty.data(), bytes_of(ty), cudaMemcpyHostToDevice));
    // Level 0 at scale 1 keeps the frame's size: the taps are the identity
    // (c0 = 256 on the sample itself), the same pixels cv::resize copies.
    resize_kernel<<<dim3(blocks_for(level.level_w, block2d.x),
                         blocks_for(level.level_h, block2d.y)),
                    block2d>>>(gray, d_tx, d_ty, d_level.as<uint8_t>(), level.level_w,
                               level.level_h);
    FF_CUDA_CHECK(cudaGetLastError());
    const size_t row0_bytes = static_cast<size_t>(stride) * sizeof(uint32_t);
    FF_CUDA_CHECK(cudaMemset(d_sum.as<uint32_t>(), 0, row0_bytes));
    FF_CUDA_CHECK(cudaMemset(d_sqsum.as<uint32_t>(), 0, row0_bytes));
    integral_rows_kernel<<<blocks_for(level.level_h, block1d), block1d>>>(
        d_level.as<uint8_t>(), level.level_w, level.level_h, stride, d_sum.as<uint32_t>(),
        d_sqsum.as<uint32_t>());
    FF_CUDA_CHECK(cudaGetLastError());
    integral_cols_kernel<<<blocks_for(level.level_w + 1, block1d), block1d>>>(
        level.level_w, level.level_h, stride, d_sum.as<uint32_t>(), d_sqsum.as<uint32_t>());
    FF_CUDA_CHECK(cudaGetLastError());
    outcomes.assign(static_cast<size_t>(level.rows) * level.cols, 0);
    if (!outcomes.empty()) {
      cascade_kernel<<<dim3(blocks_for(level.cols, block2d.x), blocks_for(level.rows, block2d.y)),
                       block2d>>>(view, d_sum.as<uint32_t>(), d_sqsum.as<uint32_t>(), stride,
                                  level.step, level.cols, level.rows, d_outcomes.as<int16_t>());
      FF_CUDA_CHECK(cudaGetLastError());
      FF_CUDA_CHECK(cudaMemcpy(outcomes.data(), d_outcomes.as<int16_t>(), bytes_of(outcomes),
                               cudaMemcpyDeviceToHost));
    }
    collect_level_hits(level, static_cast<int>(li), view.stage_count, outcomes, result);
    if (params.keep_outcomes) result.outcomes.push_back(std::move(outcomes));
  }
  return result;
}

}  // namespace ff::kernels
