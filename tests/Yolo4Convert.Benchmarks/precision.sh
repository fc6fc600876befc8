#!/usr/bin/env bash
# Rerunnable measurement behind the README's precision table: for every weight format, the file size, the worst
# head error against the Darknet reference (float32 compute and the half-precision emulation) and the detection
# agreement after NMS, on yolov4 (seeded weights) and the real yolo-fastest-1.1 (the three test photos); then
# Mish 'native' vs 'stable' on yolov4 at 608x608 under the half-precision emulation.
# Usage: tests/Yolo4Convert.Benchmarks/precision.sh   (TEST_DATA=tests/data, WORK=/tmp/yolo4convert-precision)
# yolo-fastest goes through the CLI (convert --json, verify --precision fp16 --json); yolov4 through the
# benchmark's precision-runs, which computes the Darknet reference once instead of once per format.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
data=${TEST_DATA:-$root/tests/data}
work=${WORK:-/tmp/yolo4convert-precision}
yolov4_size=${YOLOV4_SIZE:-320}       # the table's yolov4 runs (file sizes do not depend on it)
yolov4_threshold=${YOLOV4_THRESHOLD:-0.4} # seeded weights give weak scores: none reach 0.5, tens of thousands 0.3
mkdir -p "$work"
dotnet build -c Release "$root/src/Yolo4Convert.Cli" -v q -nologo >/dev/null
dotnet build -c Release "$root/tests/Yolo4Convert.Benchmarks" -v q -nologo >/dev/null
# Private copies of the builds, so a rebuild during the run cannot change the programs under measurement.
rm -rf "$work/cli" "$work/bench"
cp -r "$root/src/Yolo4Convert.Cli/bin/Release/net10.0" "$work/cli"
cp -r "$root/tests/Yolo4Convert.Benchmarks/bin/Release/net10.0" "$work/bench"
cli="$work/cli/yolo4convert"
bench="$work/bench/Yolo4Convert.Benchmarks"
if [ ! -s "$work/yolov4.weights" ]; then
  "$bench" seeded-weights "$data/cfg/yolov4.cfg" "$work/yolov4.weights"
fi

for size in "$yolov4_size" 608; do
  /usr/bin/python3 "$root/tests/python/image_pixels.py" "$data/images/dog.jpg" "$size" "$size" "$work/dog-$size.bin"
done
"$bench" precision-runs "$data/cfg/yolov4.cfg" "$work/yolov4.weights" "$work/dog-$yolov4_size.bin" "$yolov4_threshold" "$work" \
  fp32 fp16 linear8 kmeans8 kmeans6 kmeans4 > "$work/yolov4.jsonl"
echo "measured yolov4" >&2

modes=("fp32:" "fp16:--precision fp16" "linear8:--quantize linear8" "kmeans8:--quantize kmeans8" "kmeans6:--quantize kmeans6" "kmeans4:--quantize kmeans4")
for m in "${modes[@]}"; do
  name=${m%%:*}; opts=${m#*:}
  # shellcheck disable=SC2086
  "$cli" "$data/models/yolo-fastest-1.1.cfg" "$data/models/yolo-fastest-1.1.weights" "$work/fastest-$name.mlmodel" $opts --json > "$work/fastest-$name.convert.json"
  for image in dog person horses; do
    "$cli" verify "$data/models/yolo-fastest-1.1.cfg" "$data/models/yolo-fastest-1.1.weights" "$work/fastest-$name.mlmodel" \
      --image "$data/images/$image.jpg" --precision fp16 --min-iou 0.5 --json > "$work/fastest-$name.$image.verify.json" || true
  done
done
echo "measured yolo-fastest" >&2

"$bench" precision-runs "$data/cfg/yolov4.cfg" "$work/yolov4.weights" "$work/dog-608.bin" "$yolov4_threshold" "$work" \
  mish-native-fp16 mish-stable-fp16 > "$work/yolov4-mish.jsonl"
echo "measured mish" >&2

/usr/bin/python3 "$root/tests/Yolo4Convert.Benchmarks/precision_table.py" "$work"
