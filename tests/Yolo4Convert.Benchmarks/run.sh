#!/usr/bin/env bash
# Rerunnable benchmark: conversion time and peak memory of the CLI (GNU time), then runtime speed.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${SHARED:-$root/../shared}
work=${WORK:-/tmp/yolo4convert-bench}
mkdir -p "$work"
dotnet build -c Release "$root/src/Yolo4Convert.Cli" -v q -nologo >/dev/null
dotnet run -c Release --project "$root/tests/Yolo4Convert.Benchmarks" -- "$shared/cfg" "$work"
cli="$root/src/Yolo4Convert.Cli/bin/Release/net10.0/yolo4convert"
for i in 1 2 3; do
  /usr/bin/time -f "convert yolov4 (CLI): %e s wall, %M KB peak RSS" "$cli" "$shared/cfg/yolov4.cfg" "$work/yolov4.weights" "$work/yolov4-cli.mlmodel" >/dev/null
done
/usr/bin/time -f "verify yolov4 608 (CLI): %e s wall, %M KB peak RSS" "$cli" verify "$shared/cfg/yolov4.cfg" "$work/yolov4.weights" "$work/yolov4-cli.mlmodel" --image "$shared/images/dog.jpg" | tail -1
for i in 1 2; do
  /usr/bin/time -f "export yolov4 to Keras .h5 (CLI): %e s wall, %M KB peak RSS" "$cli" "$shared/cfg/yolov4.cfg" "$work/yolov4.weights" "$work/yolov4.h5" >/dev/null
done
/usr/bin/time -f "detect yolov4-tiny 416 (CLI, incl. load): %e s wall, %M KB peak RSS" "$cli" detect "$work/yolov4-tiny.mlmodel" "$shared/images/dog.jpg" >/dev/null
