// The CUDA half of the crop + scale twin. The host plans with the same
// plan_crop_scale as the CPU half, uploads the tap tables once per call, and
// one thread computes one output sample with the same integer arithmetic
// (crop_scale.h, color_matrix.h), so results match the CPU bit for bit.
#include <cstring>
#include <vector>

#include "kernels/crop_scale.h"
#include "kernels/cuda_check.h"
#include "kernels/device_buffer.h"

namespace ff::kernels {
namespace {
using namespace crop_scale_detail;

// One axis's tables on the device.
struct DeviceTaps {
  const int32_t* begin = nullptr;
  const int16_t* weight = nullptr;
  int taps = 0;
};

// Packs axis tables into one host blob; offsets are 4-byte aligned.
class TablePacker {
 public:
  struct Offsets {
    size_t begin = 0, weight = 0;
    int taps = 0;
  };
  Offsets add(const AxisTaps& a) {
    Offsets o;
    o.taps = a.taps;
    o.begin = append(a.begin.data(), a.begin.size() * sizeof(int32_t));
    o.weight = append(a.weight.data(), a.weight.size() * sizeof(int16_t));
    return o;
  }
  const std::vector<unsigned char>& blob() const { return blob_; }
  static DeviceTaps on_device(const unsigned char* base, const Offsets& o) {
    DeviceTaps t;
    t.begin = reinterpret_cast<const int32_t*>(base + o.begin);
    t.weight = reinterpret_cast<const int16_t*>(base + o.weight);
    t.taps = o.taps;
    return t;
  }

 private:
  size_t append(const void* data, size_t bytes) {
    const size_t at = (blob_.size() + 3) / 4 * 4;
    blob_.resize(at + bytes);
    if (bytes > 0) std::memcpy(blob_.data() + at, data, bytes);
    return at;
  }
  std::vector<unsigned char> blob_;
};

// Q21 accumulator of output sample (ox, oy): the CPU's two passes, per pixel.
__device__ int32_t sample_q21(const PlaneView& src, const DeviceTaps& tx, int ox,
                              const DeviceTaps& ty, int oy) {
  const int32_t bx = tx.begin[ox];
  const int16_t* wx = tx.weight + ox * tx.taps;
  const int32_t by = ty.begin[oy];
  const int16_t* wy = ty.weight + oy * ty.taps;
  int32_t acc = 0;
  for (int k = 0; k < ty.taps; ++k) {
    const uint8_t* row = src.data + static_cast<ptrdiff_t>(by + k) * src.stride;
    acc += static_cast<int32_t>(wy[k]) * horizontal_q7(row + bx, wx, tx.taps);
  }
  return acc;
}

__global__ void scale_kernel(PlaneView src, DeviceTaps tx, DeviceTaps ty, MutablePlane dst) {
  const int x = blockIdx.x * blockDim.x + threadIdx.x;
  const int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x >= dst.width || y >= dst.height) return;
  dst.data[static_cast<ptrdiff_t>(y) * dst.stride + x] = q21_to_u8(sample_q21(src, tx, x, ty, y));
}

__global__ void convert_luma_kernel(PlaneView y_src, PlaneView u_src, PlaneView v_src,
                                    DeviceTaps lx, DeviceTaps ly, DeviceTaps clx, DeviceTaps cly,
                                    YuvMatrixQ14 m, MutablePlane dst) {
  const int x = blockIdx.x * blockDim.x + threadIdx.x;
  const int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x >= dst.width || y >= dst.height) return;
  const int32_t y_q6 = q21_to_q6(sample_q21(y_src, lx, x, ly, y));
  const int32_t cb_q6 = q21_to_q6(sample_q21(u_src, clx, x, cly, y));
  const int32_t cr_q6 = q21_to_q6(sample_q21(v_src, clx, x, cly, y));
  dst.data[static_cast<ptrdiff_t>(y) * dst.stride + x] = convert_luma_q6(y_q6, cb_q6, cr_q6, m);
}

__global__ void convert_chroma_kernel(PlaneView u_src, PlaneView v_src, DeviceTaps cx,
                                      DeviceTaps cy, YuvMatrixQ14 m, MutablePlane u_dst,
                                      MutablePlane v_dst) {
  const int x = blockIdx.x * blockDim.x + threadIdx.x;
  const int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x >= u_dst.width || y >= u_dst.height) return;
  const int32_t cb_q6 = q21_to_q6(sample_q21(u_src, cx, x, cy, y));
  const int32_t cr_q6 = q21_to_q6(sample_q21(v_src, cx, x, cy, y));
  u_dst.data[static_cast<ptrdiff_t>(y) * u_dst.stride + x] = convert_cb_q6(cb_q6, cr_q6, m);
  v_dst.data[static_cast<ptrdiff_t>(y) * v_dst.stride + x] = convert_cr_q6(cb_q6, cr_q6, m);
}

dim3 grid_for(const MutablePlane& p, dim3 block) {
  return dim3((p.width + block.x - 1) / block.x, (p.height + block.y - 1) / block.y);
}

}  // namespace

void crop_scale_cuda(const YuvPlanes& src, const CropRect& window, const MutableYuvPlanes& dst,
                     const CropScaleOptions& opts) {
  const CropScalePlan plan = plan_crop_scale(src, window, dst, opts);
  TablePacker packer;
  const auto lx = packer.add(plan.luma_x);
  const auto ly = packer.add(plan.luma_y);
  const auto cx = packer.add(plan.chroma_x);
  const auto cy = packer.add(plan.chroma_y);
  const auto clx = packer.add(plan.cl_x);
  const auto cly = packer.add(plan.cl_y);
  DeviceBuffer tables(packer.blob().size());
  FF_CUDA_CHECK(cudaMemcpy(tables.as<unsigned char>(), packer.blob().data(), packer.blob().size(),
                           cudaMemcpyHostToDevice));
  const unsigned char* base = tables.as<unsigned char>();
  const dim3 block(32, 8);
  if (plan.convert) {
    convert_luma_kernel<<<grid_for(dst.y, block), block>>>(
        src.y, src.u, src.v, TablePacker::on_device(base, lx), TablePacker::on_device(base, ly),
        TablePacker::on_device(base, clx), TablePacker::on_device(base, cly), plan.matrix, dst.y);
    FF_CUDA_CHECK(cudaGetLastError());
    convert_chroma_kernel<<<grid_for(dst.u, block), block>>>(
        src.u, src.v, TablePacker::on_device(base, cx), TablePacker::on_device(base, cy),
        plan.matrix, dst.u, dst.v);
    FF_CUDA_CHECK(cudaGetLastError());
  } else {
    scale_kernel<<<grid_for(dst.y, block), block>>>(src.y, TablePacker::on_device(base, lx),
                                                    TablePacker::on_device(base, ly), dst.y);
    FF_CUDA_CHECK(cudaGetLastError());
    scale_kernel<<<grid_for(dst.u, block), block>>>(src.u, TablePacker::on_device(base, cx),
                                                    TablePacker::on_device(base, cy), dst.u);
    FF_CUDA_CHECK(cudaGetLastError());
    scale_kernel<<<grid_for(dst.v, block), block>>>(src.v, TablePacker::on_device(base, cx),
                                                    TablePacker::on_device(base, cy), dst.v);
    FF_CUDA_CHECK(cudaGetLastError());
  }
  FF_CUDA_CHECK(cudaDeviceSynchronize());
}

}  // namespace ff::kernels
