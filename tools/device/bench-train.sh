#!/usr/bin/env bash
# Training throughput, ours against transformers + PEFT, on the GPU box, one line of JSON per row into $OUT/train.jsonl.
# Usage (from the repository root on the box, after unpacking the payload to /opt/ss):
#   bash tools/device/bench-train.sh ours|peft [shape ...]
# OURS_EXTRA adds options to every run of ours (e.g. OURS_EXTRA=--no-graphs for the eager steps; OURS_EXTRA="--gpus 2"
# trains data-parallel over two GPUs, to compare with "--gpus 1" on a 2-GPU machine).
set -uo pipefail
side=$1; shift
out=${OUT:-/tmp}/train-$side.jsonl
for shape in "${@:-qwen2.5-0.5b}"; do
  if [ "$shape" = qwen2.5-7b ]; then args="--batch 2 --rank 64"; else args="--batch 8 --rank 8"; fi
  variants=("" "--checkpointing")
  [ "$side" = ours ] && [ "$shape" = qwen2.5-7b ] && variants+=("--qlora --checkpointing")
  [ "$side" = peft ] && variants+=("--autocast")
  for variant in "${variants[@]}"; do
    if [ "$side" = ours ]; then
      timeout 240 bash .device/on-gpu.sh dotnet /opt/ss/StyleStudio.Benchmarks/StyleStudio.Benchmarks.dll train-step \
        --device cuda --shape "$shape" --sequence 512 $args $variant ${OURS_EXTRA:-} 2>&1 | grep '^{' | tee -a "$out"
    else
      (cd tools/reference && timeout 240 python3 bench_peft_train.py --shape "$shape" --sequence 512 $args $variant 2>&1 | grep '^{' | tee -a "$out")
    fi
  done
done
