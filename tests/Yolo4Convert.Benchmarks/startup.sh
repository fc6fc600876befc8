#!/usr/bin/env bash
# Rerunnable start-up benchmark: wall time of `--version` and of the demo conversion for the JIT build
# (dotnet run, dotnet yolo4convert.dll, the apphost) and the Native AOT binary from .ci/pack. Median of RUNS runs
# (default 7; dotnet run: 3), printed as a Markdown table.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
runs=${RUNS:-7}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dotnet build -c Release src/Yolo4Convert.Cli -v q -nologo >/dev/null
[ -x artifacts/linux-x64/yolo4convert ] || .ci/pack linux-x64 >/dev/null
jit=src/Yolo4Convert.Cli/bin/Release/net10.0
aot=artifacts/linux-x64/yolo4convert
if [ "$("$aot" --version)" != "$(dotnet "$jit/yolo4convert.dll" --version)" ]; then
  echo "note: $aot was built from another commit than the JIT build (rerun .ci/pack)" >&2
fi

# median_ms N COMMAND...: runs COMMAND N times (output discarded) and prints the median wall time in ms.
median_ms() {
  local n=$1 i t0 t1
  shift
  for ((i = 0; i < n; i++)); do
    t0=$EPOCHREALTIME
    "$@" >/dev/null 2>&1
    t1=$EPOCHREALTIME
    echo "$t0 $t1"
  done | awk '{ print ($2 - $1) * 1000 }' | sort -n | awk '{ a[NR] = $1 } END { printf "%.0f", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

demo=(samples/demo.cfg samples/demo.weights "$work/demo.mlmodel")
echo "| build | \`--version\` | demo conversion |"
echo "|---|---|---|"
echo "| \`dotnet run --project src/Yolo4Convert.Cli -c Release --\` (built, up to date) | $(median_ms 3 dotnet run --project src/Yolo4Convert.Cli -c Release -- --version) ms | $(median_ms 3 dotnet run --project src/Yolo4Convert.Cli -c Release -- "${demo[@]}") ms |"
echo "| \`dotnet yolo4convert.dll\` (JIT, as the tool package runs) | $(median_ms "$runs" dotnet "$jit/yolo4convert.dll" --version) ms | $(median_ms "$runs" dotnet "$jit/yolo4convert.dll" "${demo[@]}") ms |"
echo "| \`yolo4convert\` apphost (JIT) | $(median_ms "$runs" "$jit/yolo4convert" --version) ms | $(median_ms "$runs" "$jit/yolo4convert" "${demo[@]}") ms |"
echo "| \`artifacts/linux-x64/yolo4convert\` (Native AOT) | $(median_ms "$runs" "$aot" --version) ms | $(median_ms "$runs" "$aot" "${demo[@]}") ms |"
