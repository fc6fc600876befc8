#!/usr/bin/env bash
# Side-by-side benchmark of this clone's build against another build of yolo4convert (the last release, say): the
# same commands alternately, RUNS times each, and the ratio of the medians (wall time and peak RSS). The check that
# a refactoring costs no speed or memory, robust to a noisy machine because both sides share its noise.
#   tests/Yolo4Convert.Benchmarks/against.sh BASE_CLI [NEW_CLI]
# BASE_CLI and NEW_CLI are yolo4convert executables (NEW_CLI defaults to this clone's Release build).
# Environment: TEST_DATA (default tests/data), WORK (scratch folder, default /tmp/yolo4convert-against), RUNS (5).
#   convert yolov4 .mlmodel, Keras export .h5, detect yolov4 608x608 (load + run), verify yolov4 608x608
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
base=${1:?usage: against.sh BASE_CLI [NEW_CLI]}
new=${2:-$root/src/Yolo4Convert.Cli/bin/Release/net10.0/yolo4convert}
data=${TEST_DATA:-$root/tests/data}
work=${WORK:-/tmp/yolo4convert-against}
runs=${RUNS:-5}
mkdir -p "$work"
helper="$root/tests/Yolo4Convert.Benchmarks/bin/Release/net10.0/Yolo4Convert.Benchmarks"
[ -x "$helper" ] || dotnet build -c Release "$root/tests/Yolo4Convert.Benchmarks" -v q -nologo >/dev/null
cfg="$data/cfg/yolov4.cfg"
weights="$work/yolov4.weights"
image="$data/images/dog.jpg"
[ -s "$weights" ] || "$helper" weights "$cfg" 608 "$weights"
"$base" "$cfg" "$weights" "$work/base-model.mlmodel" >/dev/null
"$new" "$cfg" "$weights" "$work/new-model.mlmodel" >/dev/null

measure() { # measure NAME COMMAND...: appends "wall rss_kib" to $work/NAME.times
  local name=$1
  shift
  /usr/bin/time -f "%e %M" -o "$work/$name.last" "$@" >/dev/null 2>"$work/$name.err" || { cat "$work/$name.err" >&2; exit 1; }
  tail -1 "$work/$name.last" >>"$work/$name.times"
}

median() { awk -v c="$2" '{print $c}' "$1" | sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

rm -f "$work"/*.times
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; $runs alternating runs per pair"
for i in $(seq "$runs"); do
  for side in base new; do
    cli=${!side}
    rm -f "$work/out.mlmodel" "$work/out.h5"
    measure "$side-convert" "$cli" "$cfg" "$weights" "$work/out.mlmodel"
    measure "$side-keras" "$cli" "$cfg" "$weights" "$work/out.h5"
    measure "$side-detect" "$cli" detect "$work/$side-model.mlmodel" "$image" --threshold 0.5
    measure "$side-verify" "$cli" verify "$cfg" "$weights" "$work/$side-model.mlmodel" --image "$image"
  done
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) at the end"
printf '%-26s %17s %17s %8s %8s\n' "" "base wall/RSS" "new wall/RSS" "wall" "RSS"
for task in convert keras detect verify; do
  bw=$(median "$work/base-$task.times" 1); bm=$(median "$work/base-$task.times" 2)
  nw=$(median "$work/new-$task.times" 1); nm=$(median "$work/new-$task.times" 2)
  printf '%-26s %7.2f s %5.0f MiB %7.2f s %5.0f MiB %7.3fx %7.3fx\n' "$task yolov4" "$bw" "$(echo "$bm / 1024" | bc -l)" "$nw" "$(echo "$nm / 1024" | bc -l)" \
    "$(echo "$nw / $bw" | bc -l)" "$(echo "$nm / $bm" | bc -l)"
done
