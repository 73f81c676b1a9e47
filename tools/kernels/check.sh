#!/usr/bin/env bash
# Compiles our NVRTC sources to PTX with Debian's clang (apt install clang-16), on a machine without CUDA: catches
# syntax and type errors before a GPU call. clang-prelude.h stands in for the CUDA built-ins NVRTC provides.
# Usage: [DEFINES='-DNAME=1 …'] bash tools/kernels/check.sh [file.cu ...]   (default: every .cu under src/)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
clang=${CLANG:-$(command -v clang++-16 || command -v clang++-14)}
# clang 14 (Debian 12's default) knows Ampere and PTX 7.5 at most: the same syntax and types.
case "$clang" in *14) arch=(--cuda-gpu-arch=sm_80 -Xclang -target-feature -Xclang +ptx75 -Wno-unknown-cuda-version) ;;
                 *) arch=(--cuda-gpu-arch=sm_90 -Xclang -target-feature -Xclang +ptx78) ;; esac
files=("$@")
[ ${#files[@]} -gt 0 ] || mapfile -t files < <(find "$root/src" -name '*.cu')
for file in "${files[@]}"; do
  out=$(mktemp --suffix=.ptx)
  cat "$root/tools/kernels/clang-prelude.h" "$file" | "$clang" -x cuda "${arch[@]}" ${DEFINES:-} -nocudainc -nocudalib \
    --cuda-device-only -O2 -Wno-pass-failed -S -o "$out" -
  echo "$file: $(grep -c '^.visible .entry' "$out") kernels"
  rm -f "$out"
done
