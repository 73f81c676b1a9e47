#!/usr/bin/env bash
# Compiles our NVRTC sources to PTX with Debian's clang (apt install clang-16), on a machine without CUDA: catches
# syntax and type errors before a GPU call. clang-prelude.h stands in for the CUDA built-ins NVRTC provides.
# Usage: bash tools/kernels/check.sh [file.cu ...]   (default: every .cu under src/)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
clang=${CLANG:-clang++-16}
files=("$@")
[ ${#files[@]} -gt 0 ] || mapfile -t files < <(find "$root/src" -name '*.cu')
for file in "${files[@]}"; do
  out=$(mktemp --suffix=.ptx)
  cat "$root/tools/kernels/clang-prelude.h" "$file" | "$clang" -x cuda --cuda-gpu-arch=sm_90 -nocudainc -nocudalib \
    --cuda-device-only -Xclang -target-feature -Xclang +ptx78 -O2 -Wno-pass-failed -S -o "$out" -
  echo "$file: $(grep -c '^.visible .entry' "$out") kernels"
  rm -f "$out"
done
