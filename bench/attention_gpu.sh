#!/usr/bin/env bash
# Fused attention on the GPU machine in one call: the kernel's GPU tests and micro-benchmark, the other GPU
# tests, then the BERT/GPT-2 models (exported there by tests/models/generate.py) on ref vs cuda:fp16 (accuracy,
# through AttentionLayer) and `onyx bench` BERT latencies with the fused kernel and with the two-GEMM path
# (ONYX_CUDA_ATTENTION=cublaslt).
#
#   bash bench/attention_gpu.sh BINDIR OUTDIR [--no-models]
#
# BINDIR holds onyx, libonyx.so and onyx_gpu_tests built elsewhere (same CUDA toolkit). Logs go to OUTDIR
# (few files: machine.txt, flash.log, gpu_tests.log, layer.log, models.log, summary.txt).
set -uo pipefail
bin=$(cd "${1:?usage: attention_gpu.sh BINDIR OUTDIR}" && pwd)
out=${2:?usage: attention_gpu.sh BINDIR OUTDIR}
models=1
[ "${3:-}" = "--no-models" ] && models=0
mkdir -p "$out"
out=$(cd "$out" && pwd)
# Run from the repository root (tests/models/generate.py); else from the script's checkout.
[ -f tests/models/generate.py ] || cd "$(dirname "$0")/.."
export LD_LIBRARY_PATH="$bin${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
summary=$out/summary.txt
: > "$summary"
note() { echo "$*" | tee -a "$summary"; }

{ nvidia-smi; date -u; } > "$out/machine.txt" 2>&1
note "machine: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -1); $(date -u '+%Y-%m-%d %H:%M UTC')"

ONYX_BENCH_ATTENTION=1 timeout 300 "$bin/onyx_gpu_tests" --gtest_filter='Flash*' > "$out/flash.log" 2>&1
note "flash tests: rc=$? $(grep -E '^\[  (PASSED|FAILED) ' "$out/flash.log" | tr '\n' ' ')"
sed -n '/\[attention bench\]/,/^\[/p' "$out/flash.log" | tee -a "$summary"
grep -E '^\[  FAILED  \]|Failure|element|norm error' "$out/flash.log" | head -20 | tee -a "$summary"

timeout 120 "$bin/onyx_gpu_tests" --gtest_filter='-Flash*' > "$out/gpu_tests.log" 2>&1
note "other gpu tests: rc=$? $(grep -E '^\[  (PASSED|FAILED) ' "$out/gpu_tests.log" | tr '\n' ' ')"

# AttentionLayer on the cuda target: single-attention models (bench/attention_models.py) on ref vs cuda:fp16,
# fused kernel and cuBLASLt path.
lay=/tmp/attn-layer
py=${PYTHON:-python3}
here=$(cd "$(dirname "$0")" && pwd)
$py "$here/attention_models.py" "$lay" > /dev/null && $py "$here/attention_models.py" "$lay/s512" --seq 512 > /dev/null \
  || note "layer: attention_models.py failed (needs numpy and onnx)"
llog=$out/layer.log
: > "$llog"
for spec in "attn_pad q:[2,12,128,64] kt:[2,12,64,128] v:[2,12,128,64] mask:[2,1,1,128]" \
            "attn_causal q:[2,12,128,64] kt:[2,12,64,128] v:[2,12,128,64]" \
            "s512/attn_causal q:[1,12,512,64] kt:[1,12,64,512] v:[1,12,512,64]" \
            "attn_pad q:[3,12,7,64] kt:[3,12,64,7] v:[3,12,7,64] mask:[3,1,1,7]"; do
  set -- $spec
  m=$1
  shift
  for mode in flash cublaslt; do
    if [ $mode = cublaslt ]; then export ONYX_CUDA_ATTENTION=cublaslt; else unset ONYX_CUDA_ATTENTION; fi
    echo "== $m $* $mode" >> "$llog"
    timeout 60 "$bin/onyx" run "$lay/$m.onnx" --backends ref,cuda:fp16 --input-shapes "$@" --rtol 2e-2 --atol 2e-2 \
      >> "$llog" 2>&1
    note "layer $m $1 $mode: rc=$? $(grep -E 'PASSED \||FAILED \|' "$llog" | tail -1 | tr -s ' ')"
  done
  unset ONYX_CUDA_ATTENTION
done

[ "$models" = 1 ] || exit 0
zoo=/tmp/attn-zoo
mkdir -p "$zoo"
log=$out/models.log
: > "$log"
for m in bert_encoder gpt2_decoder; do
  timeout 150 python3 tests/models/generate.py --out "$zoo" --models "$m" --opsets 17 >> "$log" 2>&1 \
    || { note "model $m: export failed"; continue; }
  f=$zoo/$m-op17.onnx
  if [ "$m" = bert_encoder ]; then acc="input_ids:[2,64] attention_mask:[2,64]"; else acc="input_ids:[1,64]"; fi
  echo "== $m accuracy ref vs cuda:fp16 ($acc)" >> "$log"
  timeout 120 "$bin/onyx" run "$f" --backends ref,cuda:fp16 --input-shapes $acc --rtol 2e-2 --atol 2e-2 >> "$log" 2>&1
  note "model $m ref vs cuda:fp16: rc=$?"
  # Whole-model A/B (BERT only: GPT-2's logits make the device-to-host copy dominate). The cuda runner copies
  # inputs and outputs each inference, so these latencies include transfers; the difference is the attention.
  [ "$m" = bert_encoder ] || continue
  for b in 1 128; do
    shp="input_ids:[$b,128] attention_mask:[$b,128]"
    for mode in flash cublaslt; do
      if [ $mode = cublaslt ]; then export ONYX_CUDA_ATTENTION=cublaslt; else unset ONYX_CUDA_ATTENTION; fi
      echo "== $m $shp $mode" >> "$log"
      timeout 60 "$bin/onyx" bench "$f" --backend cuda:fp16:graph --input-shapes $shp --duration 2 --no-progress \
        > "$out/tmp.log" 2>&1
      rc=$?
      cat "$out/tmp.log" >> "$log"
      note "bench $m b$b s128 $mode rc=$rc: $(grep -m1 -E 'Latency:' "$out/tmp.log" | sed 's/^ *//')"
    done
    unset ONYX_CUDA_ATTENTION
  done
done
rm -f "$out/tmp.log"
