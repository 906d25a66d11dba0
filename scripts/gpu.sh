#!/usr/bin/env bash
# Builds onyx on a GPU machine and runs, in one go: the GPU unit tests, the CPU unit tests, and the conformance
# suites (ref now; cuda once the target lands). Logs go to the folder given as the first argument.
# The PyTorch-model tests (label `models`) need Debian's torch + npm onnxruntime-node and run on the CPU machine.
#   bash scripts/gpu.sh OUTDIR
# Test data: /usr/share/libonnx-testdata/data when installed, else a copy in .testdata/ (see scripts/pack-testdata.sh).
set -uo pipefail
out=${1:?usage: scripts/gpu.sh OUTDIR}
cd "$(dirname "$0")/.."
mkdir -p "$out"
data=/usr/share/libonnx-testdata/data
if [ ! -d "$data" ] && [ -f .testdata/libonnx-testdata.tar.xz ]; then
  mkdir -p /tmp/onyx-testdata && tar -xJf .testdata/libonnx-testdata.tar.xz -C /tmp/onyx-testdata
  data=/tmp/onyx-testdata/data
fi
{ nvidia-smi; date -u; } > "$out/machine.txt" 2>&1
# Warnings are errors in CI (Debian 12, g++ 12); the GPU machine has g++ 13, whose libstdc++ inlining gives other
# false positives (-Wfree-nonheap-object), so there they stay warnings.
start=$(date +%s)
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DONYX_TEST_DATA_DIR="$data" \
  -DONYX_WERROR=OFF > "$out/configure.log" 2>&1 \
  || { tail -30 "$out/configure.log"; exit 1; }
cmake --build build-gpu --parallel "$(nproc)" > "$out/build.log" 2>&1 || { tail -60 "$out/build.log"; exit 1; }
echo "build: $(( $(date +%s) - start )) s"
build-gpu/onyx info | tee "$out/info.txt"
status=0
ctest --test-dir build-gpu -L '^gpu$' --output-on-failure > "$out/gpu-tests.log" 2>&1 || status=1
tail -5 "$out/gpu-tests.log"
ctest --test-dir build-gpu -LE '^(gpu|heavy|models)$' --output-on-failure --parallel "$(nproc)" > "$out/cpu-tests.log" 2>&1 || status=1
tail -5 "$out/cpu-tests.log"
exit $status
