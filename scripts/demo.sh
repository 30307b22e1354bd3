#!/usr/bin/env bash
# Sets up framefarm, synthesises the built-in sample (a two-speaker video call
# made from real face photographs and espeak-ng voices), and runs the demo job
# on it over 3 MPI ranks. Ends with the QA summary and the report's path.
#
#   scripts/demo.sh              # 3 ranks
#   RANKS=2 scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

RANKS=${RANKS:-3}
out=out/demo
mkdir -p "$out"
echo "demo: generating the sample recording into $out/sample/"
python3 tests/recordings/generate.py --out "$out/sample" --set small

mpi_flags=(-n "$RANKS" --oversubscribe)
[ "$(id -u)" -ne 0 ] || mpi_flags+=(--allow-run-as-root)

echo "demo: framefarm probe"
build/src/framefarm probe "$out/sample/call.mp4" | head -40

echo "demo: mpirun ${mpi_flags[*]} framefarm run jobs/demo.toml"
mpirun "${mpi_flags[@]}" build/src/framefarm run jobs/demo.toml \
  --input "$out/sample/call.mp4" --output "$out/call_framed.mp4" --workdir "$out/work"
