#!/usr/bin/env bash
# Rerunnable start-up benchmark: wall time of `--version` and of the demo conversion for the JIT build
# (dotnet run, dotnet yolo4convert.dll, the apphost) and the Native AOT binary from .ci/pack. Median of RUNS runs
# (default 7; dotnet run: 3), printed as a Markdown table with the load average before and after.
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

# median_ms N COMMAND...: runs COMMAND N times (output discarded) and prints the median wall time and, in brackets,
# the median CPU time (user + system, which a busy machine disturbs less) in ms.
median_ms() {
  local n=$1 i
  shift
  local TIMEFORMAT='%3R %3U %3S'
  for ((i = 0; i < n; i++)); do
    { time "$@" >/dev/null 2>&1; } 2>&1
  done | awk '{ print $1 * 1000, ($2 + $3) * 1000 }' | awk '
    { wall[NR] = $1; cpu[NR] = $2 }
    function median(a, n,   i, j, t) {
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    END { printf "%.0f ms (CPU %.0f ms)", median(wall, NR), median(cpu, NR) }'
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
demo=(samples/demo.cfg samples/demo.weights "$work/demo.mlmodel")
echo "| build | \`--version\` | demo conversion |"
echo "|---|---|---|"
echo "| \`dotnet run --project src/Yolo4Convert.Cli -c Release --\` (built, up to date) | $(median_ms 3 dotnet run --project src/Yolo4Convert.Cli -c Release -- --version) | $(median_ms 3 dotnet run --project src/Yolo4Convert.Cli -c Release -- "${demo[@]}") |"
echo "| \`dotnet yolo4convert.dll\` (JIT, as the tool package runs) | $(median_ms "$runs" dotnet "$jit/yolo4convert.dll" --version) | $(median_ms "$runs" dotnet "$jit/yolo4convert.dll" "${demo[@]}") |"
echo "| \`yolo4convert\` apphost (JIT) | $(median_ms "$runs" "$jit/yolo4convert" --version) | $(median_ms "$runs" "$jit/yolo4convert" "${demo[@]}") |"
echo "| \`artifacts/linux-x64/yolo4convert\` (Native AOT) | $(median_ms "$runs" "$aot" --version) | $(median_ms "$runs" "$aot" "${demo[@]}") |"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
