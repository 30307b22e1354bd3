#pragma once
// YCbCr matrix conversion between two sets of luma coefficients (Kr, Kb), for
// 8-bit limited-range video in and out, shared by the CPU and CUDA halves of
// the crop + scale twin (crop_scale.h). Used to deliver BT.601 sources as
// BT.709 (DESIGN.md §1 phase 4, §6) in the same pass as the scale.
//
// Derivation (ITU-R BT.601 / BT.709 with E'R, E'G, E'B in [0, 1]):
//   Y  = Kr R + Kg G + Kb B,  Kg = 1 - Kr - Kb
//   Pb = (B - Y) / (2 (1 - Kb)),  Pr = (R - Y) / (2 (1 - Kr))
//   8-bit limited range: Y8 = 16 + 219 Y,  Cb8 = 128 + 224 Pb,  Cr8 = 128 + 224 Pr
// so (Y, Pb, Pr)_to = A_to * inverse(A_from) * (Y, Pb, Pr)_from = M * (...).
// Grey (R = G = B) has Pb = Pr = 0 under every (Kr, Kb) and keeps its Y, so
// M's first column is (1, 0, 0): the chroma rows depend on chroma only, the
// luma row needs Y plus the chroma at the luma sample's position. On 8-bit
// codes (y = Y8 - 16, cb = Cb8 - 128, cr = Cr8 - 128) the rows become
//   y'  = y + (219/224) (M01 cb + M02 cr)
//   cb' = M11 cb + M12 cr,   cr' = M21 cb + M22 cr.
// BT.601 (Kr 0.299, Kb 0.114) -> BT.709 (Kr 0.2126, Kb 0.0722) gives
//   y'  = y - 0.115550 cb - 0.207938 cr
//   cb' =     1.018640 cb + 0.114618 cr
//   cr' =     0.075049 cb + 1.025327 cr
// applied in Q14 fixed point on Q6 inputs (8-bit value * 64), rounded half
// up, and clamped to 16..235 (luma) and 16..240 (chroma).
//
//   const YuvMatrixQ14 m = ycbcr_conversion_q14(kBt601, kBt709);
//   uint8_t y = convert_luma_q6(y_q6, cb_q6, cr_q6, m);
#include <cmath>
#include <cstdint>
#include <stdexcept>

#include "kernels/host_device.h"

namespace ff::kernels {

// Luma coefficients of one YCbCr matrix.
struct LumaCoefficients {
  double kr;
  double kb;
};
inline constexpr LumaCoefficients kBt601{0.299, 0.114};
inline constexpr LumaCoefficients kBt709{0.2126, 0.0722};

// M on normalised (Y, Pb, Pr): row-major, m[row][col].
struct Matrix3 {
  double m[3][3];
};

// (Y, Pb, Pr) from (E'R, E'G, E'B).
inline Matrix3 rgb_to_ypbpr(LumaCoefficients k) {
  const double kg = 1.0 - k.kr - k.kb;
  return {{{k.kr, kg, k.kb},
           {-k.kr / (2.0 * (1.0 - k.kb)), -kg / (2.0 * (1.0 - k.kb)), 0.5},
           {0.5, -kg / (2.0 * (1.0 - k.kr)), -k.kb / (2.0 * (1.0 - k.kr))}}};
}

// (E'R, E'G, E'B) from (Y, Pb, Pr): the closed-form inverse of rgb_to_ypbpr.
inline Matrix3 ypbpr_to_rgb(LumaCoefficients k) {
  const double kg = 1.0 - k.kr - k.kb;
  return {{{1.0, 0.0, 2.0 * (1.0 - k.kr)},
           {1.0, -2.0 * (1.0 - k.kb) * k.kb / kg, -2.0 * (1.0 - k.kr) * k.kr / kg},
           {1.0, 2.0 * (1.0 - k.kb), 0.0}}};
}

inline Matrix3 multiply(const Matrix3& a, const Matrix3& b) {
  Matrix3 c{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 3; ++k) c.m[i][j] += a.m[i][k] * b.m[k][j];
  return c;
}

// M = rgb_to_ypbpr(to) * ypbpr_to_rgb(from), on normalised (Y, Pb, Pr).
inline Matrix3 ypbpr_conversion(LumaCoefficients from, LumaCoefficients to) {
  return multiply(rgb_to_ypbpr(to), ypbpr_to_rgb(from));
}

// The five coefficients that are not fixed by the derivation above, on
// centred 8-bit limited-range codes, in Q14 (1.0 == 16384).
struct YuvMatrixQ14 {
  int32_t y_cb = 0, y_cr = 0;
  int32_t cb_cb = 1 << 14, cb_cr = 0;
  int32_t cr_cb = 0, cr_cr = 1 << 14;
};

inline constexpr int kMatrixBits = 14;

inline int32_t to_q14(double v) {
  return static_cast<int32_t>(std::lround(v * (1 << kMatrixBits)));
}

// Fixed-point rows for 8-bit limited range in and out. Throws
// std::logic_error if M's first column is not (1, 0, 0), which holds for any
// pair of (Kr, Kb) and is what lets chroma be converted on its own.
inline YuvMatrixQ14 ycbcr_conversion_q14(LumaCoefficients from, LumaCoefficients to) {
  const Matrix3 c = ypbpr_conversion(from, to);
  if (std::fabs(c.m[0][0] - 1.0) > 1e-9 || std::fabs(c.m[1][0]) > 1e-9 ||
      std::fabs(c.m[2][0]) > 1e-9) {
    throw std::logic_error("color_matrix: conversion matrix mixes luma into chroma");
  }
  constexpr double kLumaPerChroma = 219.0 / 224.0;  // limited-range code scales
  YuvMatrixQ14 q;
  q.y_cb = to_q14(kLumaPerChroma * c.m[0][1]);
  q.y_cr = to_q14(kLumaPerChroma * c.m[0][2]);
  q.cb_cb = to_q14(c.m[1][1]);
  q.cb_cr = to_q14(c.m[1][2]);
  q.cr_cb = to_q14(c.m[2][1]);
  q.cr_cr = to_q14(c.m[2][2]);
  return q;
}

// Inputs are Q6 (8-bit code * 64, 0..16320): the resampler's output before
// its final rounding. Q6 * Q14 -> Q20; every sum stays within +-2^29.
inline constexpr int kQ6Bits = 6;

FF_HOST_DEVICE inline uint8_t round_clamp_q20(int32_t centred_q20, int32_t offset, int32_t lo,
                                              int32_t hi) {
  // Arithmetic shift of a signed value: floor((v + 0.5)), i.e. round half up.
  int32_t v = offset + ((centred_q20 + (1 << 19)) >> 20);
  v = v < lo ? lo : v;
  v = v > hi ? hi : v;
  return static_cast<uint8_t>(v);
}

FF_HOST_DEVICE inline uint8_t convert_luma_q6(int32_t y_q6, int32_t cb_q6, int32_t cr_q6,
                                              const YuvMatrixQ14& m) {
  const int32_t y = y_q6 - (16 << kQ6Bits);
  const int32_t cb = cb_q6 - (128 << kQ6Bits);
  const int32_t cr = cr_q6 - (128 << kQ6Bits);
  return round_clamp_q20(y * (1 << kMatrixBits) + m.y_cb * cb + m.y_cr * cr, 16, 16, 235);
}

FF_HOST_DEVICE inline uint8_t convert_cb_q6(int32_t cb_q6, int32_t cr_q6, const YuvMatrixQ14& m) {
  const int32_t cb = cb_q6 - (128 << kQ6Bits);
  const int32_t cr = cr_q6 - (128 << kQ6Bits);
  return round_clamp_q20(m.cb_cb * cb + m.cb_cr * cr, 128, 16, 240);
}

FF_HOST_DEVICE inline uint8_t convert_cr_q6(int32_t cb_q6, int32_t cr_q6, const YuvMatrixQ14& m) {
  const int32_t cb = cb_q6 - (128 << kQ6Bits);
  const int32_t cr = cr_q6 - (128 << kQ6Bits);
  return round_clamp_q20(m.cr_cb * cb + m.cr_cr * cr, 128, 16, 240);
}

}  // namespace ff::kernels
