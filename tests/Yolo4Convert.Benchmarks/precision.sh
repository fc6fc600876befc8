#!/usr/bin/env bash
# Rerunnable measurement behind the README's precision table: for every weight format, the file size, the worst
# head error against the Darknet reference (float32 compute and half-precision emulation) and the detection
# agreement after NMS, on yolov4 (seeded weights, 608x608) and the real yolo-fastest-1.1 (the three shared photos);
# then Mish 'native' vs 'stable' on yolov4 under the half-precision emulation.
# Usage: tests/Yolo4Convert.Benchmarks/precision.sh   (SHARED=../shared, WORK=/tmp/yolo4convert-precision)
# Everything goes through the yolo4convert CLI (convert --json, verify --precision fp16 --json). Takes ~20 min.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${SHARED:-$root/../shared}
work=${WORK:-/tmp/yolo4convert-precision}
yolov4_threshold=${YOLOV4_THRESHOLD:-0.3} # seeded weights give weak scores; 0.5 would leave nothing to compare
mkdir -p "$work"
dotnet build -c Release "$root/src/Yolo4Convert.Cli" -v q -nologo >/dev/null
# A private copy of the build, so a rebuild during the ~20 minutes cannot change the program under measurement.
rm -rf "$work/cli" && cp -r "$root/src/Yolo4Convert.Cli/bin/Release/net10.0" "$work/cli"
cli="$work/cli/yolo4convert"
if [ ! -s "$work/yolov4.weights" ]; then
  dotnet run -c Release --project "$root/tests/Yolo4Convert.Benchmarks" -- seeded-weights "$shared/cfg/yolov4.cfg" "$work/yolov4.weights"
fi

modes=("fp32:" "fp16:--precision fp16" "linear8:--quantize linear8" "kmeans8:--quantize kmeans8" "kmeans6:--quantize kmeans6" "kmeans4:--quantize kmeans4")
for m in "${modes[@]}"; do
  name=${m%%:*}; opts=${m#*:}
  # shellcheck disable=SC2086
  "$cli" "$shared/cfg/yolov4.cfg" "$work/yolov4.weights" "$work/yolov4-$name.mlmodel" $opts --json > "$work/yolov4-$name.convert.json"
  "$cli" verify "$shared/cfg/yolov4.cfg" "$work/yolov4.weights" "$work/yolov4-$name.mlmodel" --image "$shared/images/dog.jpg" \
    --precision fp16 --threshold "$yolov4_threshold" --json > "$work/yolov4-$name.verify.json" || true
  # shellcheck disable=SC2086
  "$cli" "$shared/models/yolo-fastest-1.1.cfg" "$shared/models/yolo-fastest-1.1.weights" "$work/fastest-$name.mlmodel" $opts --json > "$work/fastest-$name.convert.json"
  for image in dog person horses; do
    "$cli" verify "$shared/models/yolo-fastest-1.1.cfg" "$shared/models/yolo-fastest-1.1.weights" "$work/fastest-$name.mlmodel" \
      --image "$shared/images/$image.jpg" --precision fp16 --json > "$work/fastest-$name.$image.verify.json" || true
  done
  echo "measured $name" >&2
done

for mish in native stable; do
  "$cli" "$shared/cfg/yolov4.cfg" "$work/yolov4.weights" "$work/yolov4-mish-$mish.mlmodel" --mish "$mish" --precision fp16 --json > "$work/yolov4-mish-$mish.convert.json"
  "$cli" verify "$shared/cfg/yolov4.cfg" "$work/yolov4.weights" "$work/yolov4-mish-$mish.mlmodel" --image "$shared/images/dog.jpg" \
    --precision fp16 --threshold "$yolov4_threshold" --json > "$work/yolov4-mish-$mish.verify.json" || true
  echo "measured mish $mish" >&2
done

/usr/bin/python3 "$root/tests/Yolo4Convert.Benchmarks/precision_table.py" "$work" "$yolov4_threshold"
