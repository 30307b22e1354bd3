#!/usr/bin/env bash
# Sets up framefarm, synthesises the built-in sample (a two-speaker video call
# made from real face photographs and espeak-ng voices), and runs the demo job
# on it over 3 MPI ranks. Ends with a summary of the delivery (ffprobe's view)
# and the paths of the plan and the job store. (QA and report.json are the
# next issue; see docs/status.md.)
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
/usr/bin/python3 tests/recordings/generate.py --out "$out/sample" --set small

mpi_flags=(-n "$RANKS" --oversubscribe)
[ "$(id -u)" -ne 0 ] || mpi_flags+=(--allow-run-as-root)

echo "demo: framefarm probe"
build/src/framefarm probe "$out/sample/call.mp4" | head -40

echo "demo: mpirun ${mpi_flags[*]} framefarm run jobs/demo.toml"
mpirun "${mpi_flags[@]}" build/src/framefarm run jobs/demo.toml \
  --input "$out/sample/call.mp4" --output "$out/call_framed.mp4" --workdir "$out/work"

echo "demo: delivered $out/call_framed.mp4:"
ffprobe -v error -show_entries \
  stream=codec_name,profile,level,width,height,pix_fmt,color_primaries,color_transfer,color_space,color_range,nb_frames,duration \
  -of compact "$out/call_framed.mp4"
echo "demo: plan $out/work/plan.json, job store $out/work/analysis.h5"
