#!/usr/bin/env bash
# Longer seeded fuzz run of the CLI: mutated cfgs through `inspect`, damaged .mlmodel files through `detect`.
# Prints a JSON summary with the count of runs per exit code, the worst peak RSS and run time, and every failure
# (exit 5, a stack trace, a run over the timeout or over 1 GB), whose input is kept under WORK/failures.
# Usage: tests/Yolo4Convert.Benchmarks/fuzz.sh [SEED] [RUNS_PER_KIND]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
data=${TEST_DATA:-$root/tests/data}
work=${WORK:-/tmp/yolo4convert-fuzz}
seed=${1:-1}
runs=${2:-2000}
dotnet build -c Release "$root/tests/Yolo4Convert.Benchmarks" -v q -nologo >/dev/null
dotnet "$root/tests/Yolo4Convert.Benchmarks/bin/Release/net10.0/Yolo4Convert.Benchmarks.dll" fuzz "$data" "$work" \
  --seed "$seed" --cfg-runs "$runs" --model-runs "$runs" --timeout 60 --rss-mb 1024
