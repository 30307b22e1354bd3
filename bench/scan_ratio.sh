#!/usr/bin/env bash
# Scan speed as a ratio against a plain decode of the same file, measured in
# one session on this machine (issue 3, "Scan and plan"; docs/performance.md,
# "Scan", says why these pairs are the fair ones). Each repeat runs, in turn:
#
#   one core  A  taskset -c 0 ffmpeg -threads 1 -i F -map 0:v:0 -f null -
#             B  taskset -c 0 framefarm plan JOB (1 rank; it sees one core, so
#                its decoder and OpenCV use one thread)
#   all cores C  ffmpeg -i F -map 0:v:0 -f null -   (FFmpeg's default threads)
#             D  mpirun -n <cores> framefarm plan JOB   (one rank per core)
#   reference E  ffmpeg -i F -f null -   (the issue's command: decodes audio too)
#
# The scan's time is the "scan" phase from analysis.h5 (probe and plan not
# counted); its CPU time is the whole `framefarm plan` process's. Ratios are
# of medians: B/A and D/C (wall), and B/A in CPU seconds. With perf
# installed, one more single-core scan is profiled and the time split by
# library is written down. The result goes to
# bench/results/<date>-<host>-scan.md.
#
#   bench/scan_ratio.sh                 # 60 s 1920x1080 call, 3 repeats
#   DURATION_S=600 REPEATS=5 bench/scan_ratio.sh
#   BIN=build-x/src/framefarm JOB=jobs/vertical.toml PROFILE=0 bench/scan_ratio.sh
#   GRAIN=4 bench/scan_ratio.sh                # camera-like input: see below
#   GRAIN=4 GRAIN_CRF=23 bench/scan_ratio.sh   # call-recorder-like
#
# GRAIN=N (default 0) first re-encodes the generated call with temporal
# sensor-like noise of strength N (FFmpeg's noise filter) at x264 CRF
# GRAIN_CRF (default 18), preset medium: at 1080p GRAIN=4 gives about
# 12 Mbit/s at CRF 18 (a camera's rate) instead of the generator's clean
# 0.5 Mbit/s, so decode costs what it costs on real footage. The frames and
# their times are the generated ones, so the truth still holds. The result
# goes to <date>-<host>-scan-grainN-crfC.md.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION_S=${DURATION_S:-60}
SIZE=${SIZE:-1920x1080}
REPEATS=${REPEATS:-3}
BIN=${BIN:-build/src/framefarm}
JOB=${JOB:-jobs/vertical.toml}
CORES=${CORES:-$(nproc)}
PROFILE=${PROFILE:-1}
GRAIN=${GRAIN:-0}
GRAIN_CRF=${GRAIN_CRF:-18}
work=bench/work
mkdir -p "$work" bench/results
[[ -x $BIN ]] || { echo "scan_ratio.sh: $BIN is not built; build framefarm or set BIN" >&2; exit 2; }
/usr/bin/python3 tests/recordings/generate.py --out "$work/inputs" --set bench \
  --duration-s "$DURATION_S" --size "$SIZE" >&2
input="$work/inputs/call_${SIZE}_${DURATION_S}s.mp4"
[[ -f $input ]] || { echo "scan_ratio.sh: the generator did not write $input" >&2; exit 2; }
input_note="tests/recordings/generate.py --set bench"
suffix=""
if [[ $GRAIN != 0 ]]; then
  [[ $GRAIN =~ ^[0-9]+$ && $GRAIN -le 100 ]] ||
    { echo "scan_ratio.sh: GRAIN=$GRAIN is not a whole number 0..100" >&2; exit 2; }
  [[ $GRAIN_CRF =~ ^[0-9]+$ && $GRAIN_CRF -le 51 ]] ||
    { echo "scan_ratio.sh: GRAIN_CRF=$GRAIN_CRF is not a whole number 0..51" >&2; exit 2; }
  grainy="$work/inputs/call_${SIZE}_${DURATION_S}s_grain${GRAIN}_crf${GRAIN_CRF}.mp4"
  grain_vf="noise=alls=${GRAIN}:allf=t"
  if [[ ! -f $grainy || $grainy -ot $input ]]; then
    echo "scan_ratio.sh: re-encoding with $grain_vf at CRF $GRAIN_CRF -> $grainy" >&2
    ffmpeg -nostdin -v error -y -i "$input" -map 0 -vf "$grain_vf" -c:v libx264 -preset medium \
      -crf "$GRAIN_CRF" -g 60 -pix_fmt yuv420p -colorspace bt709 -color_primaries bt709 -color_trc bt709 \
      -c:a copy -f mp4 "$grainy.part"
    mv "$grainy.part" "$grainy"
  fi
  input=$grainy
  input_note="$input_note, then \`-vf $grain_vf\` at x264 CRF $GRAIN_CRF preset medium"
  suffix="-grain$GRAIN-crf$GRAIN_CRF"
fi
mpi_root=()
[[ $(id -u) == 0 ]] && mpi_root=(--allow-run-as-root)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# timed NAME CMD...: runs CMD under GNU time, appends "wall cpu" to $work/NAME.
timed() {
  local name=$1
  shift
  /usr/bin/time -f '%e %U %S' -o "$work/time.txt" "$@" >/dev/null
  awk -v n="$name" '{printf "%s %.3f %.3f\n", n, $1, $2 + $3}' "$work/time.txt" >>"$work/runs.txt"
}
# scan_wall DIR: the "scan" phase's wall seconds from DIR/analysis.h5.
scan_wall() {
  local h5=$1/analysis.h5 names values
  names=$(h5dump -a /metrics/phases/wall_s/phases "$h5" |
    awk '/DATA \{/ && !f {getline; print; f = 1}' | sed 's/^ *([0-9]*): *//' | tr -d ' "')
  values=$(h5dump -d /metrics/phases/wall_s -y -w 1000 "$h5" |
    awk '/DATA \{/ && !f {getline; print; f = 1}' | tr -d ' ' | tr ',' ' ')
  paste <(tr ',' '\n' <<<"$names") <(tr ' ' '\n' <<<"$values") | awk '$1=="scan"{print $2}'
}

rm -f "$work/runs.txt"
for i in $(seq "$REPEATS"); do
  echo "scan_ratio.sh: repeat $i of $REPEATS" >&2
  timed A taskset -c 0 ffmpeg -nostdin -v error -threads 1 -i "$input" -map 0:v:0 -f null -
  rm -rf "$work/plan1" "$work/planN"
  timed B taskset -c 0 "$BIN" plan "$JOB" --input "$input" --workdir "$work/plan1" --log-level warn
  echo "B_scan $(scan_wall "$work/plan1") 0" >>"$work/runs.txt"
  timed C ffmpeg -nostdin -v error -i "$input" -map 0:v:0 -f null -
  timed D mpirun -n "$CORES" "${mpi_root[@]}" "$BIN" plan "$JOB" --input "$input" \
    --workdir "$work/planN" --log-level warn
  echo "D_scan $(scan_wall "$work/planN") 0" >>"$work/runs.txt"
  timed E ffmpeg -nostdin -v error -i "$input" -f null -
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

col() { awk -v n="$1" -v c="$2" '$1==n{printf "%.2f\n", $c}' "$work/runs.txt"; }
median() { sort -g | awk '{a[NR]=$1} END{print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
med() { col "$1" "$2" | median; }
all() { col "$1" "$2" | tr '\n' ' ' | sed 's/ $//'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a / b}'; }
A=$(med A 2) A_cpu=$(med A 3) B=$(med B_scan 2) B_total=$(med B 2) B_cpu=$(med B 3)
C=$(med C 2) D=$(med D_scan 2) D_total=$(med D 2) E=$(med E 2)
r1=$(ratio "$B" "$A") r1cpu=$(ratio "$B_cpu" "$A_cpu") rN=$(ratio "$D" "$C")
verdict() {
  awk -v r="$1" 'BEGIN{ if (r <= 1.3) printf "met"; else printf "not met: %.0f%% over the 1.3x goal", (r / 1.3 - 1) * 100 }'
}

# The scan's own split (decoder vs analysis) from the last single-core run.
chunk_sums=$(h5dump -d /scan/chunks -y -w 1000 "$work/plan1/analysis.h5" |
  awk '/DATA \{/ && !done {f = 1; next} f && /}/ {f = 0; done = 1} f {gsub(/,/, " "); d += $5; a += $6} END {printf "%.2f %.2f", d, a}')
read -r chunk_decode chunk_analysis <<<"$chunk_sums"

profile=""
if [[ $PROFILE == 1 ]] && command -v perf >/dev/null; then
  rm -rf "$work/plan_perf"
  if perf record -q -F 499 -o "$work/perf.data" taskset -c 0 "$BIN" plan "$JOB" --input "$input" \
    --workdir "$work/plan_perf" --log-level warn >/dev/null 2>&1; then
    profile=$(perf report -i "$work/perf.data" --no-children --sort dso --stdio 2>/dev/null |
      awk '/^ +[0-9.]+%/ && n < 8 {print $1, $2; n++}')
    kernel_share=$(perf report -i "$work/perf.data" --no-children --sort symbol --stdio 2>/dev/null |
      awk '/downscale_area_cpu/ && !f {print $1; f = 1}')
  fi
fi

out="bench/results/$(date +%F)-$(hostname)-scan$suffix.md"
{
  echo "# Scan vs plain decode — $(date +%F) on $(hostname)"
  echo
  echo "- machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB"
  echo "- load average (1, 5, 15 min): before $load_before, after $load_after"
  echo "- input: \`$input\` ($input_note), $(ffprobe -v error -select_streams v:0 \
    -show_entries stream=codec_name,profile,width,height,r_frame_rate,nb_frames,bit_rate -of csv=p=0 "$input")"
  echo "- framefarm: \`$BIN\`, job \`$JOB\`, commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' + uncommitted changes')"
  echo "- $REPEATS repeats, interleaved A B C D E; medians; wall and CPU (user + sys) seconds"
  echo
  echo "| run | wall s (median) | all runs, wall | CPU s (median) |"
  echo "|---|---|---|---|"
  echo "| A \`taskset -c 0 ffmpeg -threads 1 -i F -map 0:v:0 -f null -\` | $A | $(all A 2) | $A_cpu |"
  echo "| B scan phase, \`taskset -c 0 framefarm plan\` (1 rank, 1 thread) | $B | $(all B_scan 2) | $B_cpu (whole process) |"
  echo "| B whole \`framefarm plan\` process | $B_total | $(all B 2) | |"
  echo "| C \`ffmpeg -i F -map 0:v:0 -f null -\` (default threads) | $C | $(all C 2) | $(med C 3) |"
  echo "| D scan phase, \`mpirun -n $CORES framefarm plan\` | $D | $(all D_scan 2) | |"
  echo "| D whole \`mpirun -n $CORES framefarm plan\` | $D_total | $(all D 2) | $(med D 3) |"
  echo "| E \`ffmpeg -i F -f null -\` (the issue's command, audio too) | $E | $(all E 2) | $(med E 3) |"
  echo
  echo "Goal: the scan costs ≤ 1.3× a plain decode."
  echo
  echo "| ratio | value | goal 1.3× |"
  echo "|---|---|---|"
  echo "| one core, wall: B / A | **$r1** | $(verdict "$r1") |"
  echo "| one core, CPU: B / A | **$r1cpu** | $(verdict "$r1cpu") |"
  echo "| all $CORES cores, wall: D / C | **$rN** | $(verdict "$rN") |"
  echo
  echo "Inside the single-core scan (last repeat, /scan/chunks): decoder $chunk_decode s, analysis" \
    "(thumbnails, analysis downscale, faces) $chunk_analysis s."
  if [[ -n $profile ]]; then
    echo
    echo "Profile of one more single-core \`framefarm plan\` (perf, 499 Hz), share of samples by library:"
    echo
    echo "| share | library | what it is |"
    echo "|---|---|---|"
    while read -r share dso; do
      case $dso in
        libavcodec*) what="H.264 decode" ;;
        libopencv_objdetect*) what="cascade face detection" ;;
        framefarm) what="framefarm itself; downscale_area_cpu alone ${kernel_share:-?}" ;;
        libopencv_imgproc*) what="cascade pyramid resizes" ;;
        \[kernel*) what="kernel (I/O, scheduling)" ;;
        *) what="" ;;
      esac
      echo "| $share | $dso | $what |"
    done <<<"$profile"
  fi
} >"$out"
cat "$out"
