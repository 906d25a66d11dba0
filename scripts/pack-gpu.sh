#!/usr/bin/env bash
# Copies what scripts/gpu.sh --prebuilt needs from a build folder (default build/) into DEST (default
# build-dev/, ignored by git), stripped, so that a GPU machine with the same CUDA toolkit runs it unchanged:
#   bash scripts/pack-gpu.sh [BUILD] [DEST]    then on the GPU machine: bash scripts/gpu.sh OUT --prebuilt DEST
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
dest=${2:-build-dev}
mkdir -p "$dest"
for f in onyx libonyx.so tests/onyx_gpu_tests; do
  [ -f "$build/$f" ] || { echo "pack-gpu.sh: error: $build/$f is missing (build it first)" >&2; exit 1; }
  strip -o "$dest/$(basename "$f")" "$build/$f"
done
du -sh "$dest"
