#include "kernels/device.h"

#if !defined(FRAMEFARM_HAVE_CUDA)
namespace ff::kernels {

DeviceInfo probe_cuda_device() {
  DeviceInfo info;
  info.reason = "framefarm was built without CUDA (nvcc not found at configure time)";
  return info;
}

}  // namespace ff::kernels
#endif
