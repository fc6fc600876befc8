#!/usr/bin/env bash
# Converts every cfg of tests/data (the zoo, the real yolo-fastest, the demo) in every output mode with two builds
# of yolo4convert and compares the files byte for byte: the check that a refactoring changed no output.
#   tests/Yolo4Convert.Benchmarks/same_bytes.sh BASE_CLI [NEW_CLI]
# BASE_CLI is the yolo4convert executable (or .dll) of the last release build; NEW_CLI defaults to this clone's
# Release build. Prints one line per file that differs and a count; exits 1 when any differs.
# Environment: WORK (scratch folder, removed at the end), QUICK=1 (skip the k-means modes of the large cfgs).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
base=${1:?usage: same_bytes.sh BASE_CLI [NEW_CLI]}
new=${2:-$root/src/Yolo4Convert.Cli/bin/Release/net10.0/yolo4convert}
work=${WORK:-$(mktemp -d)}
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
helper="$root/tests/Yolo4Convert.Benchmarks/bin/Release/net10.0/Yolo4Convert.Benchmarks"
[ -x "$helper" ] || dotnet build -c Release "$root/tests/Yolo4Convert.Benchmarks" -v q -nologo >/dev/null
run() { case "$1" in *.dll) dotnet "$@" ;; *) "$@" ;; esac; }

modes=(
  "a.mlmodel --mish custom"
  "b.mlmodel --mish native --names NAMES"
  "c.mlmodel --mish stable --size 320x256"
  "d.mlmodel --mish stable --nms --names NAMES"
  "e.mlmodel --mish custom --precision fp16"
  "f.mlmodel --mish native --quantize linear8"
  "g.mlmodel --mish native --quantize kmeans8"
  "h.mlmodel --mish native --quantize kmeans6 --precision fp16"
  "i.mlmodel --mish native --quantize kmeans4"
  "j.h5"
  "k.mlmodel --mish custom --nms --iou 0.5 --confidence 0.3 --input-name input1"
)
compared=0
differ=0
for cfg in "$root"/tests/data/cfg/*.cfg "$root"/tests/data/models/*.cfg "$root"/samples/demo.cfg; do
  name=$(basename "$cfg" .cfg)
  weights="${cfg%.cfg}.weights"
  if [ ! -f "$weights" ]; then
    weights="$work/$name.weights"
    "$helper" seeded-weights "$cfg" "$weights"
  fi
  classes=$(grep -m1 -E '^\s*classes\s*=' "$cfg" | tr -dc 0-9)
  seq 1 "$classes" | sed 's/^/class /' >"$work/$name.names"
  for mode in "${modes[@]}"; do
    read -r out opts <<<"$mode"
    if [ "${QUICK:-0}" = 1 ] && [[ "$opts" == *kmeans* ]] && [ "$(stat -c %s "$weights")" -gt 100000000 ]; then
      continue
    fi
    opts=${opts//NAMES/$work/$name.names}
    for side in base new; do
      cli=$base
      [ "$side" = new ] && cli=$new
      # shellcheck disable=SC2086
      if ! run "$cli" "$cfg" "$weights" "$work/$side-$out" $opts >/dev/null 2>"$work/$side.err"; then
        echo "$side:$(head -c 300 "$work/$side.err")" >"$work/$side-$out"
      fi
    done
    compared=$((compared + 1))
    if ! cmp -s "$work/base-$out" "$work/new-$out"; then
      differ=$((differ + 1))
      echo "DIFFERS: $name $mode"
    fi
    rm -f "$work/base-$out" "$work/new-$out"
  done
  [ "$weights" = "$work/$name.weights" ] && rm -f "$weights"
done
echo "same bytes: $((compared - differ)) of $compared outputs identical"
[ "$differ" -eq 0 ]
