#pragma once
// Whether a CUDA device can run framefarm's kernels here and now.
#include <string>

namespace ff::kernels {

struct DeviceInfo {
  bool built_with_cuda = false;  // the CUDA half was compiled in
  int device_count = 0;          // devices the runtime reports (0 without a driver)
  std::string name;              // device 0's name, when there is one
  std::string reason;            // why no device is usable, when none is
};

DeviceInfo probe_cuda_device();

}  // namespace ff::kernels
