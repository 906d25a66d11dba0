#!/usr/bin/env bash
# The README's first command: install dependencies, build, and run onyx's main job on the bundled default model:
# inspect it, then run it on the reference backend and the optimized cpu engine and compare the outputs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
model=build/models/default.onnx
echo "+ build/onyx inspect model $model"
build/onyx inspect model "$model"
echo "+ build/onyx run $model --backends ref,cpu --input-shapes image:[4,3,32,32]"
build/onyx run "$model" --backends ref,cpu --input-shapes 'image:[4,3,32,32]'
