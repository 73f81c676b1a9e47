#!/usr/bin/env bash
# The serving benchmark, ours against PEFT's mixed-adapter batches, on the GPU box; one JSON line per run into $OUT/serve.jsonl.
# Usage (from the repository root on the box, after unpacking the payload to /opt/ss):
#   bash tools/device/bench-serve.sh [shape ...]
set -uo pipefail
out=${OUT:-/tmp}/serve.jsonl
for shape in "${@:-qwen2.5-0.5b}"; do
  timeout 300 bash .device/on-gpu.sh dotnet /opt/ss/StyleStudio.Benchmarks/StyleStudio.Benchmarks.dll serve \
    --device cuda --shape "$shape" --streams 64 --adapters 4 --rank 16 --slots 64 2>&1 | grep '^{' | tee -a "$out"
  (cd tools/reference && timeout 300 python3 bench_peft_serve.py --shape "$shape" 2>&1 | grep '^{' | tee -a "$out")
done
