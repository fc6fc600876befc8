#!/usr/bin/env bash
# Rerunnable benchmark: yolo4convert side by side with `cp` of the weights and with OpenCV's Darknet importer.
# Each pair runs alternately RUNS times (default 5); the table shows medians of wall time and peak RSS (GNU time)
# and their ratios. Environment: TEST_DATA (the model zoo, default tests/data), WORK (scratch folder), RUNS.
#
#   convert yolov4 .mlmodel        vs  cp of yolov4.weights      (the native binary users unpack, and the JIT tool)
#   convert yolov4 .mlmodel        vs  OpenCV readNetFromDarknet
#   Keras export yolov4 .h5        vs  cp of yolov4.weights      (native and JIT)
#   convert yolov4 .mlpackage      vs  convert yolov4 .mlmodel   (fp16 package, the default, and fp32; native and JIT)
#   convert yolov4-wide .mlmodel   vs  cp of its weights (filters x1.41: twice the weights, to show memory growth)
#   detect yolov4 608x608          vs  OpenCV readNetFromDarknet + one forward pass, 2 threads
#   verify yolov4 608x608             (alone)
#
# Every output is removed before each run, as cp's copy is: replacing an existing file by rename costs more on
# ext4 (the rename starts writeback of the new file), and that cost belongs to neither side.
# The native binary is published (Native AOT, linux-x64) into $WORK/native first; the JIT runs use the build output.
# Seeded weights give every cell a class score near 0.38, so at detect's default threshold NMS would compare
# hundreds of thousands of boxes; detect runs with --threshold 0.5 to time the network, as real weights would.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
data=${TEST_DATA:-$root/tests/data}
work=${WORK:-/tmp/yolo4convert-bench}
runs=${RUNS:-5}
python=/usr/bin/python3
mkdir -p "$work"

if [ ! -x /usr/bin/time ]; then
  echo "installing GNU time" >&2
  apt-get install -y -qq time >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
fi

dotnet build -c Release "$root/src/Yolo4Convert.Cli" -v q -nologo >/dev/null
dotnet build -c Release "$root/tests/Yolo4Convert.Benchmarks" -v q -nologo >/dev/null
echo "publishing the Native AOT binary (about a minute)" >&2
dotnet publish -c Release -r linux-x64 "$root/src/Yolo4Convert.Cli" -o "$work/native" -v q -nologo >/dev/null
cli="$root/src/Yolo4Convert.Cli/bin/Release/net10.0/yolo4convert"
native="$work/native/yolo4convert"
helper="$root/tests/Yolo4Convert.Benchmarks/bin/Release/net10.0/Yolo4Convert.Benchmarks"
cv="$root/tests/Yolo4Convert.Benchmarks/opencv_bench.py"
cfg="$data/cfg/yolov4.cfg"
wide_cfg="$work/yolov4-wide.cfg"
weights="$work/yolov4.weights"
wide="$work/yolov4-wide.weights"
image="$data/images/dog.jpg"

"$helper" weights "$cfg" 608 "$weights"
"$helper" weights "$cfg" 608 "$wide" --widen 1.4142 "$wide_cfg"
"$cli" "$cfg" "$weights" "$work/yolov4.mlmodel" >/dev/null

# measure NAME COMMAND...: appends "wall rss_kib" to $work/NAME.times
measure() {
  local name=$1
  shift
  /usr/bin/time -f "%e %M" -o "$work/$name.last" "$@" >/dev/null 2>"$work/$name.err" || { cat "$work/$name.err" >&2; exit 1; }
  tail -1 "$work/$name.last" >>"$work/$name.times"
}

median() { # median of column $2 of file $1
  awk -v c="$2" '{print $c}' "$1" | sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'
}

rm -f "$work"/*.times
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15-min averages) on $(nproc) cores; $runs alternating runs per pair"
for i in $(seq "$runs"); do
  measure cp cp "$weights" "$work/copy.weights"
  rm -f "$work/copy.weights"
  rm -f "$work"/out*.mlmodel "$work"/out*.h5 "$work/wide.mlmodel"
  measure convert "$native" "$cfg" "$weights" "$work/out.mlmodel"
  measure convertjit "$cli" "$cfg" "$weights" "$work/outjit.mlmodel"
  measure cvload "$python" "$cv" load "$cfg" "$weights"
  rm -rf "$work"/out*.mlpackage
  measure package "$native" "$cfg" "$weights" "$work/out.mlpackage"
  measure package32 "$native" "$cfg" "$weights" "$work/out32.mlpackage" --precision fp32
  measure packagejit "$cli" "$cfg" "$weights" "$work/outjit.mlpackage"
  measure keras "$native" "$cfg" "$weights" "$work/out.h5"
  measure kerasjit "$cli" "$cfg" "$weights" "$work/outjit.h5"
  measure cpwide cp "$wide" "$work/copy.weights"
  rm -f "$work/copy.weights"
  measure wide "$native" "$wide_cfg" "$wide" "$work/wide.mlmodel"
  measure detect "$cli" detect "$work/yolov4.mlmodel" "$image" --threshold 0.5
  measure cvforward "$python" "$cv" forward "$cfg" "$weights" 608 "$image" 2
done
for i in $(seq $(( (runs + 1) / 2 ))); do
  measure verify "$cli" verify "$cfg" "$weights" "$work/yolov4.mlmodel" --image "$image"
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) at the end"

row() { # row LABEL OURS THEIRS THEIR_LABEL
  local a=$2 b=$3
  local aw am bw bm
  aw=$(median "$work/$a.times" 1); am=$(median "$work/$a.times" 2)
  if [ -z "$b" ]; then
    printf '%-34s %8.2f s %9.1f MiB\n' "$1" "$aw" "$(echo "$am / 1024" | bc -l)"
    return
  fi
  bw=$(median "$work/$b.times" 1); bm=$(median "$work/$b.times" 2)
  printf '%-34s %8.2f s %9.1f MiB | %-30s %8.2f s %9.1f MiB | wall %5.2fx  RSS %5.2fx\n' \
    "$1" "$aw" "$(echo "$am / 1024" | bc -l)" "$4" "$bw" "$(echo "$bm / 1024" | bc -l)" \
    "$(echo "$aw / $bw" | bc -l)" "$(echo "$am / $bm" | bc -l)"
}

echo
echo "medians of $runs runs (verify: $(( (runs + 1) / 2 ))); weights $(( $(stat -c %s "$weights") / 1000000 )) MB, wide $(( $(stat -c %s "$wide") / 1000000 )) MB"
row "convert yolov4 .mlmodel (native)" convert cp "cp yolov4.weights"
row "convert yolov4 .mlmodel (native)" convert cvload "OpenCV readNetFromDarknet"
row "convert yolov4 .mlmodel (JIT)" convertjit cp "cp yolov4.weights"
row "convert yolov4 .mlmodel (JIT)" convertjit cvload "OpenCV readNetFromDarknet"
row "convert yolov4 .mlpackage (native)" package convert "convert .mlmodel (native)"
row "  --precision fp32 (native)" package32 convert "convert .mlmodel (native)"
row "convert yolov4 .mlpackage (JIT)" packagejit convertjit "convert .mlmodel (JIT)"
row "Keras export yolov4 .h5 (native)" keras cp "cp yolov4.weights"
row "Keras export yolov4 .h5 (JIT)" kerasjit cp "cp yolov4.weights"
row "convert yolov4-wide (native)" wide cpwide "cp yolov4-wide.weights"
row "convert wide vs yolov4 (growth)" wide convert "convert yolov4 (native)"
row "detect yolov4 608 (load + run)" detect cvforward "OpenCV load + forward, 2 thr."
row "verify yolov4 608" verify ""
