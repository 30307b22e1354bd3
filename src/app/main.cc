#include "app/cli.h"
#include "core/heap.h"

int main(int argc, char** argv) {
  // Before anything allocates: encoded bytes must not depend on what the
  // heap held (core/heap.h).
  ff::core::make_heap_deterministic();
  return ff::app::main(argc, argv);
}
