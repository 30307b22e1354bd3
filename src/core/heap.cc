#include "core/heap.h"

#include <cstdlib>  // defines __GLIBC__ on glibc systems

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace ff::core {

bool make_heap_deterministic() {
#if defined(__GLIBC__)
  const bool threshold = mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes) == 1;
  const bool perturb = mallopt(M_PERTURB, kHeapPerturbByte) == 1;
  return threshold && perturb;
#else
  return false;
#endif
}

}  // namespace ff::core
