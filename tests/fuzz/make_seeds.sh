#!/usr/bin/env bash
# make_seeds.sh BUILD_DIR: writes the fuzz seed corpora into BUILD_DIR/fuzz/seeds/<target>/ (never into the
# source tree). Sources: the ONNX backend test data (models and .pb tensors up to 64 KiB), the malformed-model
# corpus of tests/hostile (onyx_tests --gtest_filter='Hostile*' with ONYX_HOSTILE_CORPUS_DIR), and
# onyx-fuzz-seeds (npy/npz/json/pb of every dtype, CLI argument strings). Idempotent: rewrites the folder.
set -euo pipefail
build="$(cd "$1" && pwd)"
data="${ONYX_TEST_DATA_DIR:-/usr/share/libonnx-testdata/data}"
seeds="$build/fuzz/seeds"
rm -rf "$seeds"
mkdir -p "$seeds/onnx_model" "$seeds/tensor_pb"
"$build/tests/fuzz/onyx-fuzz-seeds" "$seeds"
# <suite>/<case>/model.onnx -> <suite>_<case>.onnx; test_data_set_N/input_M.pb -> <suite>_<case>_N_input_M.pb
if [ -d "$data" ]; then
  find "$data" -name '*.onnx' -size -65k | while read -r f; do
    rel="${f#"$data"/}"; cp "$f" "$seeds/onnx_model/${rel//\//_}"
  done
  find "$data" -name '*.pb' -size -65k | while read -r f; do
    rel="${f#"$data"/}"; cp "$f" "$seeds/tensor_pb/${rel//\//_}"
  done
fi
if [ -x "$build/tests/onyx_tests" ]; then
  ONYX_HOSTILE_CORPUS_DIR="$seeds/onnx_model" "$build/tests/onyx_tests" --gtest_filter='Hostile*' \
    --gtest_brief=1 >/dev/null || echo "make_seeds.sh: some Hostile tests failed (the corpus is still written)" >&2
else
  echo "make_seeds.sh: $build/tests/onyx_tests not built: no hostile-model seeds" >&2
fi
for d in "$seeds"/*; do echo "$(basename "$d"): $(find "$d" -type f | wc -l) seeds"; done
