#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs every test through ctest: unit tests,
# MPI tests under mpiexec -n 3, and end-to-end tests on generated recordings.
#
#   scripts/test.sh                  # warnings are errors
#   scripts/test.sh -R probe         # extra arguments go to ctest
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
export BUILD_DIR
CMAKE_ARGS="-DFRAMEFARM_WERROR=ON ${CMAKE_ARGS:-}" scripts/setup.sh
# Open MPI refuses root without these; harmless otherwise.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)" "$@"
