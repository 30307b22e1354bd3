#include "app/cli.h"

#include <cstdio>

#include "core/build_config.h"

namespace ff::app {

int main(int argc, char** argv) {
  (void)argc;
  (void)argv;
  std::printf("framefarm %s\n", kVersion);
  return 0;
}

}  // namespace ff::app
