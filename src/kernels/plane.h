#pragma once
// Plain views of one 8-bit image plane, shared by every kernel twin.
// A view does not own its pixels. For a CUDA kernel the pointer is a device
// pointer; for its CPU twin a host pointer. `stride` is in bytes.
#include <cstddef>
#include <cstdint>

namespace ff::kernels {

struct PlaneView {
  const uint8_t* data = nullptr;
  int width = 0;
  int height = 0;
  int stride = 0;
};

struct MutablePlane {
  uint8_t* data = nullptr;
  int width = 0;
  int height = 0;
  int stride = 0;

  PlaneView view() const { return {data, width, height, stride}; }
};

}  // namespace ff::kernels
