#!/usr/bin/env bash
# Throughput benchmark (issue 8): framefarm on 1..n MPI ranks against the one
# ffmpeg command a user would otherwise run, interleaved and repeated on one
# machine in one session, then a concurrency run (K jobs at once). The raw
# measurements go to bench/work/runs/<id>/ (runs.jsonl, per-rank GNU time
# files, each run's report.json and analysis.h5); bench/report.py turns them
# into the results file. bench/README.md explains every column.
#
#   bench/run.sh                                    # 10 min 1080p30 call, 3 repeats
#   bench/run.sh --long                             # 45 min call
#   bench/run.sh --duration-s 10 --size 640x360 --repeats 1 --out bench/work/tiny.md
#   bench/run.sh --ranks "1 2 4 8" --jobs vertical --concurrency 4
#
# Exit status: 0 when every framefarm run delivered and passed its QA and
# every baseline ran, 1 when one did not (reported as failed, never timed),
# 2 on bad usage.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
  echo
  cat <<'EOF'
options:
  --duration-s N     input length, seconds (default 600; 10..14400)
  --long             a 45-minute input (--duration-s 2700)
  --size WxH         input size (default 1920x1080)
  --repeats R        runs per configuration, interleaved; medians (default 3)
  --ranks "1 2 3"    framefarm rank counts (default "1 2 3"; oversubscribed past the cores)
  --jobs "vertical landscape"   job files jobs/<name>.toml (or paths to .toml files)
  --goal-preset P    also run each job at x264 preset P on as many ranks as cores, and
                     the baseline at P (the "preset veryfast" goal); "none" skips (default veryfast)
  --concurrency K    K jobs at once on this node, 1 rank each (default: the core count; 0 skips)
  --out FILE         results file (default bench/results/<date>-<host>.md)
  --bin PATH         framefarm binary (default $BIN or build/src/framefarm)
  --gen-threads N    x264 threads of the input generator (default: the core count)
EOF
}

die() {
  echo "bench/run.sh: $*" >&2
  exit 2
}

CORES=$(nproc)
CMDLINE="bench/run.sh $*"
DURATION_S=600
SIZE=1920x1080
REPEATS=3
RANKS="1 2 3"
JOBS="vertical landscape"
GOAL_PRESET=veryfast
CONCURRENCY=$CORES
OUT=""
BIN=${BIN:-build/src/framefarm}
GEN_THREADS=$CORES
while [ $# -gt 0 ]; do
  case "$1" in
    --duration-s) DURATION_S=${2:?--duration-s needs a value}; shift 2 ;;
    --long) DURATION_S=2700; shift ;;
    --size) SIZE=${2:?--size needs WxH}; shift 2 ;;
    --repeats) REPEATS=${2:?--repeats needs a value}; shift 2 ;;
    --ranks) RANKS=${2:?--ranks needs a list}; shift 2 ;;
    --jobs) JOBS=${2:?--jobs needs a list}; shift 2 ;;
    --goal-preset) GOAL_PRESET=${2:?--goal-preset needs a preset or none}; shift 2 ;;
    --concurrency) CONCURRENCY=${2:?--concurrency needs a value}; shift 2 ;;
    --out) OUT=${2:?--out needs a file}; shift 2 ;;
    --bin) BIN=${2:?--bin needs a path}; shift 2 ;;
    --gen-threads) GEN_THREADS=${2:?--gen-threads needs a value}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option '$1'; see bench/run.sh --help" ;;
  esac
done

is_count() { [[ $1 =~ ^[0-9]+$ ]]; }
is_count "$REPEATS" && [ "$REPEATS" -ge 1 ] || die "--repeats $REPEATS: expected a whole number >= 1"
is_count "$CONCURRENCY" || die "--concurrency $CONCURRENCY: expected a whole number >= 0"
is_count "$GEN_THREADS" && [ "$GEN_THREADS" -ge 1 ] || die "--gen-threads $GEN_THREADS: expected >= 1"
for n in $RANKS; do
  is_count "$n" && [ "$n" -ge 1 ] || die "--ranks '$RANKS': '$n' is not a rank count >= 1"
done
[ -n "$RANKS" ] || die "--ranks is empty; give at least one rank count, e.g. \"1 2 3\""
[ -x "$BIN" ] || die "$BIN: no framefarm binary there; build it (cmake --build build --target framefarm) or pass --bin"
[[ $SIZE =~ ^[0-9]+x[0-9]+$ ]] || die "--size '$SIZE': expected WIDTHxHEIGHT, e.g. 1920x1080"
for tool in /usr/bin/time mpirun ffmpeg ffprobe h5dump /usr/bin/python3; do
  command -v "$tool" >/dev/null || die "$tool not found; run scripts/setup.sh (GNU time, Open MPI, ffmpeg, hdf5-tools)"
done
job_files=()
for j in $JOBS; do
  f=$j
  [[ $f == *.toml ]] || f=jobs/$j.toml
  [ -f "$f" ] || die "--jobs: $f does not exist; name a file in jobs/ (vertical, landscape) or a .toml path"
  job_files+=("$f")
done

work=bench/work
id=$(date -u +%Y%m%dT%H%M%SZ)
runs=$work/runs/$id
mkdir -p "$runs" "$work/inputs"
manifest=$runs/runs.jsonl
: >"$manifest"
host=$(hostname -s)
[ -n "$OUT" ] || OUT=bench/results/$(date -u +%F)-$host.md

# --- inputs (cached by the generator's stamp) ---
echo "bench: generating the ${SIZE} ${DURATION_S} s input into $work/inputs (cached)" >&2
/usr/bin/python3 tests/recordings/generate.py --out "$work/inputs" --set bench \
  --duration-s "$DURATION_S" --size "$SIZE" --threads "$GEN_THREADS" >&2
stem=$(/usr/bin/python3 -c 'import sys; print(f"call_{sys.argv[2]}_{float(sys.argv[1]):g}s")' \
  "$DURATION_S" "$SIZE")
input=$work/inputs/$stem.mp4
[ -f "$input" ] || die "$input: the generator did not write it; see its messages above"

mpi_flags=(--oversubscribe)
[ "$(id -u)" -ne 0 ] || mpi_flags+=(--allow-run-as-root)
# Extra mpirun flags of the next framefarm_run. Every mpirun binds its rank 0
# to core 0 (Open MPI's default for -n <= 2), so K separate jobs at once
# would all share one core: the concurrency runs set --bind-to none.
bind_flags=()
# key=value lines, read by bench/report.py.
time_format='wall_s=%e
user_s=%U
sys_s=%S
maxrss_kb=%M
exit=%x'

# Writes the machine's state at this moment as JSON (load average, memory).
snapshot() {
  /usr/bin/python3 - "$1" <<'EOF'
import json, sys, time
load = open("/proc/loadavg").read().split()[:3]
mem = {l.split(":")[0]: int(l.split()[1]) for l in open("/proc/meminfo") if ":" in l}
json.dump({"time_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "loadavg": [float(x) for x in load],
           "mem_available_kb": mem.get("MemAvailable")}, open(sys.argv[1], "w"))
EOF
}

# One manifest line per run.
record() {
  /usr/bin/python3 -c 'import json, sys; print(json.dumps(dict(a.split("=", 1) for a in sys.argv[1:])))' \
    "$@" >>"$manifest"
}

now() { date +%s.%N; }

# framefarm_run NAME JOB RANKS [--set k=v ...]: one timed run from a clean
# work directory (no scan or segment reuse); every rank under GNU time.
framefarm_run() {
  local name=$1 job=$2 ranks=$3
  shift 3
  local dir=$runs/$name
  rm -rf "$dir"
  mkdir -p "$dir"
  local t0 t1 rc=0
  t0=$(now)
  mpirun -n "$ranks" "${mpi_flags[@]}" "${bind_flags[@]}" bash -c \
    'r=${OMPI_COMM_WORLD_RANK:-${PMIX_RANK:-${SLURM_PROCID:-0}}}
     exec /usr/bin/time -f "$0" -o "$1/time.$r" "${@:2}"' \
    "$time_format" "$dir" "$BIN" run "$job" --input "$input" --output "$dir/out.mp4" \
    --workdir "$dir/work" --log-level warn "$@" >"$dir/stdout.txt" 2>"$dir/stderr.txt" || rc=$?
  t1=$(now)
  # Keep the measurements, drop the video (QA has checked it) and the segments.
  rm -rf "$dir/out.mp4" "$dir/work/segments"
  echo "$t0 $t1 $rc"
}

# baseline_run NAME JOB PRESET QA: the one ffmpeg command, its arguments
# derived from the job file and framefarm's defaults (bench/report.py
# baseline-args); QA=1 also checks its output with framefarm qa, untimed.
baseline_run() {
  local name=$1 job=$2 preset=$3 qa=$4
  local dir=$runs/$name
  rm -rf "$dir"
  mkdir -p "$dir"
  local args
  mapfile -t args < <(/usr/bin/python3 bench/report.py baseline-args --job "$job" \
    --input "$input" --preset "$preset")
  printf '%q ' ffmpeg -nostdin -v error -y -i "$input" "${args[@]}" "$dir/out.mp4" >"$dir/command.txt"
  local t0 t1 rc=0
  t0=$(now)
  /usr/bin/time -f "$time_format" -o "$dir/time.0" \
    ffmpeg -nostdin -v error -y -i "$input" "${args[@]}" "$dir/out.mp4" \
    >"$dir/stdout.txt" 2>"$dir/stderr.txt" || rc=$?
  t1=$(now)
  # What the user of the baseline gets, checked by framefarm's QA (not timed; once per job).
  if [ "$qa" = 1 ] && [ "$rc" = 0 ]; then
    mpirun -n "$CORES" "${mpi_flags[@]}" "$BIN" qa "$dir/out.mp4" --job "$job" \
      --log-level warn >"$dir/qa.txt" 2>&1 || true
    [ -f "$dir/out.mp4.report.json" ] && mv "$dir/out.mp4.report.json" "$dir/qa_report.json"
  fi
  rm -f "$dir/out.mp4"
  echo "$t0 $t1 $rc"
}

snapshot "$runs/machine_before.json"
echo "bench: $id: ${#job_files[@]} job(s) x (ranks $RANKS + baseline$( [ "$GOAL_PRESET" = none ] || echo " + $GOAL_PRESET on $CORES ranks + baseline $GOAL_PRESET")) x $REPEATS repeat(s), interleaved" >&2

# Every configuration once per repeat; the order rotates from one repeat to
# the next so no configuration always runs first (after a cold cache) or last.
configs=()
for job in "${job_files[@]}"; do
  for n in $RANKS; do configs+=("ff|$job|$n|"); done
  configs+=("ffmpeg|$job||")
  if [ "$GOAL_PRESET" != none ]; then
    configs+=("ff|$job|$CORES|$GOAL_PRESET" "ffmpeg|$job||$GOAL_PRESET")
  fi
done
failed=0
for rep in $(seq "$REPEATS"); do
  count=${#configs[@]}
  for k in $(seq 0 $((count - 1))); do
    IFS='|' read -r kind job n preset <<<"${configs[$(((k + rep - 1) % count))]}"
    jname=$(basename "$job" .toml)
    tag=${preset:+-$preset}
    if [ "$kind" = ff ]; then
      name=$jname-ff$n$tag-r$rep
      sets=()
      [ -z "$preset" ] || sets=(--set "output.preset=\"$preset\"")
      read -r t0 t1 rc < <(framefarm_run "$name" "$job" "$n" "${sets[@]}")
      [ "$rc" = 0 ] || failed=1
    else
      name=$jname-ffmpeg$tag-r$rep
      qa=0
      [ "$rep" != 1 ] || [ -n "$preset" ] || qa=1
      read -r t0 t1 rc < <(baseline_run "$name" "$job" "${preset:-job}" "$qa")
      [ "$rc" = 0 ] || failed=1
    fi
    record kind="$kind" job="$job" ranks="${n:-0}" preset="${preset:-job}" rep="$rep" \
      dir="$name" start="$t0" end="$t1" rc="$rc"
    echo "bench: $name: $(echo "$t1 - $t0" | bc -l | xargs printf '%.1f') s, exit $rc" >&2
  done
done

# Concurrency: K jobs of the first job file at once, 1 rank each.
if [ "$CONCURRENCY" -gt 0 ]; then
  job=${job_files[0]}
  jname=$(basename "$job" .toml)
  echo "bench: concurrency: $CONCURRENCY x $jname at once, 1 rank each" >&2
  pids=()
  for c in $(seq "$CONCURRENCY"); do
    (
      bind_flags=(--bind-to none)
      read -r t0 t1 rc < <(framefarm_run "$jname-concurrent$c" "$job" 1)
      echo "$t0 $t1 $rc" >"$runs/$jname-concurrent$c.times"
    ) &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  for c in $(seq "$CONCURRENCY"); do
    read -r t0 t1 rc <"$runs/$jname-concurrent$c.times"
    [ "$rc" = 0 ] || failed=1
    record kind=concurrent job="$job" ranks=1 preset=job rep="$c" dir="$jname-concurrent$c" \
      start="$t0" end="$t1" rc="$rc" concurrency="$CONCURRENCY"
  done
fi
snapshot "$runs/machine_after.json"

mkdir -p "$(dirname "$OUT")"
/usr/bin/python3 bench/report.py write --runs "$runs" --input "$input" --bin "$BIN" \
  --cores "$CORES" --cmdline "$CMDLINE" --out "$OUT"
echo "bench: results in $OUT (raw measurements in $runs)" >&2
exit "$failed"
