#!/usr/bin/env bash
# Rerunnable measurement behind the README's ML Program table: for every weight format of a .mlpackage, the package
# size of yolov4 (seeded weights; sizes do not depend on the values) as a share of the fp32 package, and on the real
# yolo-fastest-1.1 the package size, spec version, worst head error against the Darknet reference and the detections
# kept on the three test photos (verify's defaults per format; the runtime rounds every value the program declares
# fp16 to half).
# Usage: tests/Yolo4Convert.Benchmarks/package_table.sh   (TEST_DATA=tests/data, WORK=/tmp/yolo4convert-packages)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
data=${TEST_DATA:-$root/tests/data}
work=${WORK:-/tmp/yolo4convert-packages}
mkdir -p "$work"
dotnet build -c Release "$root/src/Yolo4Convert.Cli" -v q -nologo >/dev/null
dotnet build -c Release "$root/tests/Yolo4Convert.Benchmarks" -v q -nologo >/dev/null
cli="$root/src/Yolo4Convert.Cli/bin/Release/net10.0/yolo4convert"
bench="$root/tests/Yolo4Convert.Benchmarks/bin/Release/net10.0/Yolo4Convert.Benchmarks"
[ -s "$work/yolov4.weights" ] || "$bench" seeded-weights "$data/cfg/yolov4.cfg" "$work/yolov4.weights"

modes=("fp32:--precision fp32" "fp16:" "linear8:--quantize linear8" "kmeans8:--quantize kmeans8" "kmeans6:--quantize kmeans6" "kmeans4:--quantize kmeans4")
for m in "${modes[@]}"; do
  name=${m%%:*}; opts=${m#*:}
  rm -rf "$work/yolov4-$name.mlpackage" "$work/fastest-$name.mlpackage"
  # shellcheck disable=SC2086
  "$cli" "$data/cfg/yolov4.cfg" "$work/yolov4.weights" "$work/yolov4-$name.mlpackage" $opts --json > "$work/yolov4-$name.convert.json"
  # shellcheck disable=SC2086
  "$cli" "$data/models/yolo-fastest-1.1.cfg" "$data/models/yolo-fastest-1.1.weights" "$work/fastest-$name.mlpackage" $opts --json > "$work/fastest-$name.convert.json"
  for image in dog person horses; do
    "$cli" verify "$data/models/yolo-fastest-1.1.cfg" "$data/models/yolo-fastest-1.1.weights" "$work/fastest-$name.mlpackage" \
      --image "$data/images/$image.jpg" --json > "$work/fastest-$name.$image.verify.json" || true
  done
done

/usr/bin/python3 - "$work" <<'EOF'
import json, os, sys
work = sys.argv[1]
modes = ['fp32', 'fp16', 'linear8', 'kmeans8', 'kmeans6', 'kmeans4']
def load(name):
    with open(os.path.join(work, name)) as f:
        return json.load(f)
base = load('yolov4-fp32.convert.json')['bytes']
fbase = load('fastest-fp32.convert.json')['bytes']
print('| weights | spec | yolov4 package | yolo-fastest package | worst head error (yolo-fastest, 3 photos) | detections kept (min IoU) |')
print('|---|---|---|---|---|---|')
for mode in modes:
    v4 = load(f'yolov4-{mode}.convert.json')
    fast = load(f'fastest-{mode}.convert.json')
    runs = [load(f'fastest-{mode}.{image}.verify.json') for image in ('dog', 'person', 'horses')]
    worst = max(r['worstRelativeError'] for r in runs)
    found = sum(r['detections']['found'] for r in runs)
    total = sum(r['detections']['reference'] for r in runs)
    print(f"| {mode} | {v4['mlProgram']['specificationVersion']} | {v4['bytes'] / 1e6:.1f} MB ({100 * v4['bytes'] / base:.1f} %) "
          f"| {fast['bytes'] / 1e6:.2f} MB ({100 * fast['bytes'] / fbase:.1f} %) | {worst:.1e} "
          f"| {found}/{total} (IoU ≥ {runs[0]['detections']['minIou']}) |")
EOF
