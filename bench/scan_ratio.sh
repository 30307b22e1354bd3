#!/usr/bin/env bash
# Scan speed as a ratio against a plain decode of the same file, measured in
# one session on this machine (issue "Scan and plan"): interleaved runs of
#   ffmpeg -threads 1 -i F -f null -          (decode only, one thread)
#   framefarm plan (1 rank; decoder threads 1) (decode + thumbnails + faces)
# and the median of each. The scan's time is the "scan" phase from
# analysis.h5, so probe and plan are not counted.
#
#   bench/scan_ratio.sh                 # 60 s 1920x1080 call, 3 repeats
#   DURATION_S=600 REPEATS=5 bench/scan_ratio.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION_S=${DURATION_S:-60}
SIZE=${SIZE:-1920x1080}
REPEATS=${REPEATS:-3}
BIN=${BIN:-build/src/framefarm}
work=bench/work
mkdir -p "$work" bench/results
/usr/bin/python3 tests/recordings/generate.py --out "$work/inputs" --set bench \
  --duration-s "$DURATION_S" --size "$SIZE" >&2
input=$(ls "$work/inputs"/call_"${SIZE}"_"${DURATION_S}"s.mp4)

decode_s=()
scan_s=()
for i in $(seq "$REPEATS"); do
  t0=$(date +%s.%N)
  ffmpeg -v error -threads 1 -i "$input" -map 0:v:0 -f null -
  decode_s+=("$(echo "$(date +%s.%N) - $t0" | bc -l)")
  rm -rf "$work/plan"
  "$BIN" plan jobs/vertical.toml --input "$input" --workdir "$work/plan" --log-level warn
  # /metrics/phases/wall_s lists the phases named in its "phases" attribute.
  names=$(h5dump -a /metrics/phases/wall_s/phases "$work/plan/analysis.h5" |
    awk '/DATA \{/{getline; print; exit}' | tr -d ' "')
  values=$(h5dump -d /metrics/phases/wall_s -y -w 1000 "$work/plan/analysis.h5" |
    awk '/DATA \{/{getline; print; exit}' | tr -d ' ' | tr ',' ' ')
  scan_s+=("$(paste <(tr ',' '\n' <<<"$names") <(tr ' ' '\n' <<<"$values") | awk '$1=="scan"{print $2}')")
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
d=$(median "${decode_s[@]}")
s=$(median "${scan_s[@]}")
ratio=$(echo "$s / $d" | bc -l)
out="bench/results/$(date +%F)-$(hostname)-scan.md"
{
  echo "# Scan vs plain decode — $(date +%F) on $(hostname)"
  echo
  echo "- machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB"
  echo "- input: generated call, ${SIZE}, ${DURATION_S} s, H.264 (tests/recordings/generate.py --set bench)"
  echo "- repeats: ${REPEATS}, interleaved; medians"
  echo
  echo "| run | wall s (median) | all runs |"
  echo "|---|---|---|"
  echo "| ffmpeg -threads 1 decode | $(printf %.2f "$d") | ${decode_s[*]} |"
  echo "| framefarm scan (1 rank, jobs/vertical.toml) | $(printf %.2f "$s") | ${scan_s[*]} |"
  echo
  echo "**scan / decode = $(printf %.2f "$ratio")** (goal ≤ 1.3)"
} > "$out"
cat "$out"
