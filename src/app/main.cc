#include "app/cli.h"

int main(int argc, char** argv) {
  return ff::app::main(argc, argv);
}
