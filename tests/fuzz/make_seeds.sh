#!/usr/bin/env bash
# make_seeds.sh BUILD_DIR: writes the fuzz seed corpora into BUILD_DIR/fuzz/seeds/<target>/ (never into the
# source tree). Sources: the ONNX backend test data (models and .pb tensors up to 64 KiB), the malformed-model
# corpus of tests/hostile (its models, from tests/hostile/make_corpus.sh), onyx-fuzz-seeds
# (npy/npz/json/pb of every dtype, CLI argument strings), and plans `onyx build` makes from a few small test-data
# models (fuzz_plan). Idempotent: rewrites the folder.
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
# Plans: `onyx build` of the bundled default model and of small backend-test models covering control flow,
# fused patterns and shape ops (cpu target; a model the builder refuses is skipped).
mkdir -p "$seeds/plan"
if [ -x "$build/onyx" ]; then
  models=()
  [ -f "$build/models/default.onnx" ] && models+=("$build/models/default.onnx")
  if [ -d "$data" ]; then
    while read -r f; do models+=("$f"); done < <(
      { find "$data/pytorch-operator" "$data/simple" -name model.onnx -size -65k
        find "$data/node" -name model.onnx -size -65k | grep -E \
          '/test_(relu|conv_with_strides_padding|gemm_default_single_elem_vector_bias|matmul_2d|if|loop11|scan9_sum|reshape_negative_dim|expand_dim_changed|constantofshape_int_zeros|gather_0|slice|softmax_axis_1|layer_normalization_2d_axis0|batchnorm_example|maxpool_2d_default|concat_2d_axis_0|transpose_default|resize_upsample_scales_nearest|range_int32_type_negative_delta|tile|where_example|cast_FLOAT_to_FLOAT16|split_equal_parts_1d|averagepool_2d_default|lstm_defaults|gru_defaults|topk|argmax_default_axis_example)/model.onnx$'
      } | sort)
  fi
  for f in "${models[@]}"; do
    name="${f#"$data"/}"; name="${name%/model.onnx}"; name="${name//\//_}"
    "$build/onyx" build "$f" -o "$seeds/plan/${name%.onnx}.plan" -q >/dev/null 2>&1 || true
  done
else
  echo "make_seeds.sh: $build/onyx not built: no plan seeds" >&2
fi
if [ -x "$build/tests/onyx_tests" ]; then
  hostile="$build/fuzz/hostile-corpus"
  bash "$(dirname "$0")/../hostile/make_corpus.sh" "$build/tests/onyx_tests" "$hostile" >/dev/null ||
    echo "make_seeds.sh: some Hostile tests failed (the corpus is still written)" >&2
  for f in "$hostile"/*/model/model.onnx; do
    case="${f%/model/model.onnx}"
    cp "$f" "$seeds/onnx_model/$(basename "$case").onnx"
  done
else
  echo "make_seeds.sh: $build/tests/onyx_tests not built: no hostile-model seeds" >&2
fi
for d in "$seeds"/*; do echo "$(basename "$d"): $(find "$d" -type f | wc -l) seeds"; done
