#pragma once
// Render crop + scale (DESIGN.md §1 phase 4, §5): one decoded 8-bit yuv420p
// frame (display orientation) to the output yuv420p size, sampling a crop
// window with sub-pixel position, optionally converting BT.601 to BT.709
// (color_matrix.h) in the same pass.
//
// Twins with one signature: crop_scale_cpu (host pointers, always built; the
// production path on GPU-less nodes) and crop_scale_cuda (device pointers,
// built when nvcc is found). Both use the same tap tables, built on the host
// by plan_crop_scale, and the same integer arithmetic (the FF_HOST_DEVICE
// functions below), so their results are bit-identical.
//
// Coordinates: continuous luma coordinates, pixel i covers [i, i + 1) and is
// sampled at i + 0.5. The window covers [x0, x0 + w) x [y0, y0 + h) and may
// sit at any fraction of a pixel; sampling is continuous in x0, y0, w, h.
// sx = w / out_width and sy = h / out_height (source pixels per output pixel).
// Chroma uses H.264 / MPEG-2 4:2:0 "left" siting (chroma_sample_loc_type 0) in
// the source and the output: chroma sample (m, n) sits on luma column 2m and
// midway between luma rows 2n and 2n + 1, i.e. at luma coordinates
// (2m + 0.5, 2n + 1). Mapping each output sample's position into the source
// and expressing it as a fractional index of the source plane gives
//   luma                      X(j) = x0 + (j + 0.5) sx - 0.5
//                             Y(i) = y0 + (i + 0.5) sy - 0.5
//   chroma (m, n)            Xc(m) = (x0 + (2m + 0.5) sx - 0.5) / 2 = x0/2 + m sx + (sx - 1)/4
//                            Yc(n) = (y0 + (2n + 1) sy - 1) / 2     = y0/2 + n sy + (sy - 1)/2
//   chroma at luma (j, i)   Xcl(j) = X(j) / 2,  Ycl(i) = (Y(i) - 0.5) / 2   (matrix luma row only)
// (Centre siting would put Xc at x0/2 + m sx + (sx - 1)/2: a quarter of a
// chroma sample off at a 2x downscale.)
//
// Filter, separable: tent weights max(0, 1 - |q - p| / r) on the source
// samples q around the position p, with r = max(1, step) where step is the
// output sample spacing in that plane's source samples (sx, sy; half that for
// chroma at luma positions). r = 1 is bilinear; when downscaling the footprint
// stretches with the factor (what swscale's SWS_BILINEAR and Pillow's BILINEAR
// do), so its response is zero at the first frequency that would alias to DC
// and a 4x downscale of fine detail does not moire. Weights are normalised and
// quantised to Q14 (sum exactly 16384); taps outside the plane fold onto the
// edge sample. Arithmetic: h = (sum src * wx + 64) >> 7 per source row (Q7,
// <= 32640), acc = sum h * wy (Q21), out = (acc + 2^20) >> 21. With a matrix
// conversion the planes are kept at Q6 = (acc + 2^14) >> 15 and converted as
// color_matrix.h says. Identity window and size: every weight is 16384 on one
// tap and the output is a bit-exact copy.
//
//   std::vector<uint8_t> y(1080 * 1920), u(540 * 960), v(540 * 960);
//   crop_scale_cpu(src, {657.25, 0.0, 606.0, 1080.0},
//                  {{y.data(), 1080, 1920, 1080}, {u.data(), 540, 960, 540},
//                   {v.data(), 540, 960, 540}}, {});
#include <cstdint>
#include <vector>

#include "kernels/color_matrix.h"
#include "kernels/plane.h"

namespace ff::kernels {

// A yuv420p frame: chroma planes are ((width + 1) / 2) x ((height + 1) / 2).
struct YuvPlanes {
  PlaneView y, u, v;
};

struct MutableYuvPlanes {
  MutablePlane y, u, v;
};

// Crop window in continuous source luma pixels (top-left and size).
struct CropRect {
  double x0 = 0.0;
  double y0 = 0.0;
  double w = 0.0;
  double h = 0.0;
};

enum class ColorConversion {
  kNone,          // copy the source matrix through
  kBt601ToBt709,  // BT.601 limited range in, BT.709 limited range out
};

struct CropScaleOptions {
  ColorConversion conversion = ColorConversion::kNone;
};

// Throws std::invalid_argument when the window is empty, not finite or
// reaches outside the source frame (more than 1e-6 px), or when a plane is
// missing or its size does not match yuv420p.
void crop_scale_cpu(const YuvPlanes& src, const CropRect& window, const MutableYuvPlanes& dst,
                    const CropScaleOptions& opts);

#if defined(FRAMEFARM_HAVE_CUDA)
// Same contract on device memory; synchronous on the default stream. Uploads
// the tap tables (a few KiB) on every call. Throws ff::kernels::CudaError when
// a CUDA call fails.
void crop_scale_cuda(const YuvPlanes& src, const CropRect& window, const MutableYuvPlanes& dst,
                     const CropScaleOptions& opts);
#endif

// Shared by the twins; not for callers.
namespace crop_scale_detail {

inline constexpr int kWeightBits = 14;                   // tap weights, Q14
inline constexpr int kMidBits = 7;                       // horizontal pass output, Q7
inline constexpr int kAccBits = kWeightBits + kMidBits;  // vertical accumulator, Q21

// Taps of one axis: output index o reads source samples begin[o] ..
// begin[o] + taps - 1 (all inside the plane) with weight[o * taps + k].
struct AxisTaps {
  int taps = 0;
  std::vector<int32_t> begin;
  std::vector<int16_t> weight;
  int size() const { return static_cast<int>(begin.size()); }
};

// Tent taps for positions first_pos + o * step (fractional source indices),
// o in [0, out_count), on a plane axis of src_count samples.
AxisTaps make_axis_taps(double first_pos, double step, int out_count, int src_count);

// Every table the twins need, after validating the arguments.
struct CropScalePlan {
  AxisTaps luma_x, luma_y;      // output luma from source luma
  AxisTaps chroma_x, chroma_y;  // output chroma from source chroma
  AxisTaps cl_x, cl_y;          // source chroma at output luma positions (conversion only)
  bool convert = false;
  YuvMatrixQ14 matrix;
};

CropScalePlan plan_crop_scale(const YuvPlanes& src, const CropRect& window,
                              const MutableYuvPlanes& dst, const CropScaleOptions& opts);

// One source row through one output column's taps: Q7. `row` points at the
// first tap's sample.
FF_HOST_DEVICE inline int32_t horizontal_q7(const uint8_t* row, const int16_t* weight, int taps) {
  int32_t sum = 0;
  for (int k = 0; k < taps; ++k) sum += static_cast<int32_t>(row[k]) * weight[k];
  return (sum + (1 << (kWeightBits - kMidBits - 1))) >> (kWeightBits - kMidBits);
}

// Vertical accumulator (Q21, without rounding) to the 8-bit output.
FF_HOST_DEVICE inline uint8_t q21_to_u8(int32_t acc) {
  return static_cast<uint8_t>((acc + (1 << (kAccBits - 1))) >> kAccBits);
}

// Vertical accumulator to Q6 for the colour matrix.
FF_HOST_DEVICE inline int32_t q21_to_q6(int32_t acc) {
  return (acc + (1 << (kAccBits - kQ6Bits - 1))) >> (kAccBits - kQ6Bits);
}

}  // namespace crop_scale_detail
}  // namespace ff::kernels
