#!/usr/bin/env bash
# The longest training sequence under a device-memory cap (a 24 GiB card simulated on the GPU box), ours (QLoRA and bf16
# LoRA) against transformers + PEFT (bf16 base: bitsandbytes is not on the box); one JSON line per run into
# $OUT/longest.jsonl. Usage (from the repository root on the box, after unpacking the payload to /opt/ss):
#   bash tools/device/bench-longest.sh [GiB]
set -uo pipefail
out=${OUT:-/tmp}/longest.jsonl
cap=${1:-24}
for variant in "--qlora" ""; do
  timeout 330 bash .device/on-gpu.sh dotnet /opt/ss/StyleStudio.Benchmarks/StyleStudio.Benchmarks.dll longest-sequence \
    --device cuda --shape qwen2.5-7b --rank 16 --max-device-memory "$cap" $variant 2>&1 | grep '^{' | tee -a "$out"
done
(cd tools/reference && timeout 240 python3 bench_peft_longest.py --shape qwen2.5-7b --rank 16 --max-device-memory "$cap" \
  --sequences 512 1024 2048 3072 4096 8192 16384 2>&1 | grep '^{' | tee -a "$out")
