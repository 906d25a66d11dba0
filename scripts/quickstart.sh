#!/usr/bin/env bash
# The README's first command: install dependencies, build, and run onyx's main job on the bundled default model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
model=build/models/default.onnx
echo "+ build/onyx inspect model $model"
build/onyx inspect model "$model"
if build/onyx run --help >/dev/null 2>&1; then
  echo "+ build/onyx run $model --backends ref"
  build/onyx run "$model" --backends ref
fi
