#!/usr/bin/env bash
# Sets up framefarm, synthesises the built-in sample (a two-speaker video call
# made from real face photographs and espeak-ng voices), and runs the demo job
# on it over 3 MPI ranks. Ends with the QA summary and the report's path;
# the exit code is framefarm's (0: delivered and QA passed).
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

echo "demo: framefarm probe $out/sample/call.mp4 > $out/probe.json"
build/src/framefarm probe "$out/sample/call.mp4" > "$out/probe.json"
jq -c '{format, duration_s, video: (.video | {codec, width, height, avg_frame_rate: .avg_frame_rate.value, frame_count,
  keyframes: (.keyframes | length)}), audio: (.audio | {codec, sample_rate, channel_layout})}' \
  "$out/probe.json"

echo "demo: mpirun ${mpi_flags[*]} framefarm run jobs/demo.toml"
mpirun "${mpi_flags[@]}" build/src/framefarm run jobs/demo.toml \
  --input "$out/sample/call.mp4" --output "$out/call_framed.mp4" --workdir "$out/work"

