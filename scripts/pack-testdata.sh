#!/usr/bin/env bash
# Packs Debian's ONNX backend test data into .testdata/ (git-ignored) so it can travel to a GPU machine that lacks
# the package (the device tool's `carry`).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .testdata
tar -cJf .testdata/libonnx-testdata.tar.xz -C /usr/share/libonnx-testdata data
ls -l .testdata/libonnx-testdata.tar.xz
