#!/usr/bin/env bash
# Everything that needs the GPU, in one go on a GPU machine: build onyx there (or use a build carried from a
# machine with the same toolkit), run the GPU unit tests, compute-sanitizer, the conformance suites on the cuda
# target, the PyTorch models on ref/cuda/cuda:fp16, and the GPU peer benchmark. Logs go to OUTDIR.
#
#   bash scripts/gpu.sh OUTDIR [--prebuilt DIR] [--stages tests,sanitizer,conformance,models,bench]
#                              [--models resnet50,vit_b_16,...] [--batches 1,4] [--bench-args "..."]
#
# --prebuilt DIR: DIR holds onyx, libonyx.so and onyx_gpu_tests built elsewhere (scripts/pack-gpu.sh makes it);
#   without it the script configures and builds build-gpu/ here (about 2 minutes on 16 cores).
# Test data: /usr/share/libonnx-testdata/data when installed, else .testdata/libonnx-testdata.tar.xz
#   (scripts/pack-testdata.sh). Models are exported on the machine by tests/models/generate.py (its PyTorch).
# Every stage runs even when an earlier one fails; the exit status is non-zero when any failed. OUTDIR gets
# summary.txt (one line per stage) and logs.tgz (every log), so that few files come back from a remote run.
set -uo pipefail
out=${1:?usage: scripts/gpu.sh OUTDIR [--prebuilt DIR] [--stages LIST]}
shift
prebuilt=""
stages="tests,conformance"
models="resnet50,mobilenet_v3_large,efficientnet_b0,vit_b_16,bert_encoder,gpt2_decoder"
bench_args=""
batches="1 4"
while [ $# -gt 0 ]; do
  case "$1" in
    --prebuilt) prebuilt=$(cd "$2" && pwd); shift 2 ;;
    --stages) stages=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    --bench-args) bench_args=$2; shift 2 ;;
    --batches) batches=${2//,/ }; shift 2 ;;
    *) echo "gpu.sh: error: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
root=$PWD
mkdir -p "$out/logs"
out=$(cd "$out" && pwd)
logs=$out/logs
summary=$out/summary.txt
: > "$summary"
note() { echo "$*" | tee -a "$summary"; }
has() { [[ ",$stages," == *",$1,"* ]]; }
status=0

data=/usr/share/libonnx-testdata/data
if [ ! -d "$data" ] && [ -f .testdata/libonnx-testdata.tar.xz ]; then
  mkdir -p /tmp/onyx-testdata && tar -xJf .testdata/libonnx-testdata.tar.xz -C /tmp/onyx-testdata
  data=/tmp/onyx-testdata/data
  [ -d "$data" ] || data=$(dirname "$(find /tmp/onyx-testdata -maxdepth 3 -type d -name node | head -1)")
fi
{ nvidia-smi; date -u; uname -a; } > "$logs/machine.txt" 2>&1
note "machine: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1); $(date -u '+%Y-%m-%d %H:%M UTC')"

if [ -n "$prebuilt" ]; then
  bin=$prebuilt
  export LD_LIBRARY_PATH="$prebuilt${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  gpu_tests=$prebuilt/onyx_gpu_tests
else
  # Warnings are errors in CI (Debian 12, g++ 12); g++ 13 gives false positives (-Wfree-nonheap-object).
  start=$(date +%s)
  cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DONYX_TEST_DATA_DIR="$data" \
    -DONYX_WERROR=OFF > "$logs/configure.log" 2>&1 || { tail -30 "$logs/configure.log"; exit 1; }
  cmake --build build-gpu --parallel "$(nproc)" > "$logs/build.log" 2>&1 || { tail -60 "$logs/build.log"; exit 1; }
  note "build: $(( $(date +%s) - start )) s"
  bin=$root/build-gpu
  gpu_tests=$bin/tests/onyx_gpu_tests
fi
onyx=$bin/onyx
"$onyx" info > "$logs/info.txt" 2>&1
note "onyx: $(grep -i cuda "$logs/info.txt" | head -1)"

if has tests; then
  "$gpu_tests" > "$logs/gpu-tests.log" 2>&1 || status=1
  note "gpu tests: $(grep -E '^\[  (PASSED|FAILED)  \]' "$logs/gpu-tests.log" | tr '\n' ' ')"
fi

if has sanitizer; then
  cs=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
  for tool in memcheck racecheck; do
    extra=()
    [ $tool = memcheck ] && extra=(--leak-check full)
    # --report-api-errors no: CudaBuffer.ReportsCudaErrorsAsRuntimeErrors asks for an impossible cudaMalloc on purpose.
    "$cs" --tool $tool --error-exitcode 9 --report-api-errors no "${extra[@]}" "$gpu_tests" > "$logs/sanitizer-$tool.log" 2>&1
    rc=$?
    [ $rc -ne 0 ] && status=1
    note "compute-sanitizer $tool: exit $rc; $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$logs/sanitizer-$tool.log" | tail -1)"
  done
fi

if has conformance; then
  for suite in node pytorch-converted pytorch-operator simple; do
    manifest=tests/conformance/cuda-$suite.manifest
    args=()
    [ -f "$manifest" ] && args=(--manifest "$manifest")
    "$onyx" conformance "$data/$suite" --backend cuda "${args[@]}" > "$logs/conformance-cuda-$suite.log" 2>&1 \
      || status=1
    note "conformance cuda $suite: $(tail -1 "$logs/conformance-cuda-$suite.log")"
  done
fi

if has models; then
  zoo=/tmp/onyx-zoo
  mkdir -p "$zoo"
  for m in ${models//,/ }; do
    python3 tests/models/generate.py --out "$zoo" --models "$m" --opsets 17 >> "$logs/models-export.log" 2>&1 \
      || { note "model $m: export failed"; status=1; continue; }
    for b in $batches; do
      shapes=$(python3 - "$zoo/$m.json" "$b" <<'EOF'
import json, sys
spec = json.load(open(sys.argv[1]))["inputs"]
b = int(sys.argv[2])
print(" ".join(s["name"] + ":[" + ",".join(str(b if d == "batch" else 64 if d == "seq" else d) for d in s["shape"]) + "]"
               for s in spec))
EOF
)
      log=$logs/model-$m-b$b.log
      # fp32 within rtol 1e-3 of ref (issue #6); fp16 within the README's documented tolerance.
      "$onyx" run "$zoo/$m-op17.onnx" --backends ref,cuda --input-shapes $shapes --rtol 1e-3 --atol 1e-4 \
        > "$log" 2>&1 || status=1
      r32=$(grep -E 'PASSED \||FAILED \|' "$log" | grep -v "All outputs" | head -3 | tr -s ' ' | tr '\n' ';')
      "$onyx" run "$zoo/$m-op17.onnx" --backends ref,cuda:fp16 --input-shapes $shapes --rtol 2e-2 --atol 2e-2 \
        >> "$log" 2>&1 || status=1
      r16=$(grep -E 'PASSED \||FAILED \|' "$log" | grep -v "All outputs" | tail -n +2 | head -3 | tr -s ' ' | tr '\n' ';')
      note "model $m b$b: fp32 $r32 fp16 $r16"
    done
  done
fi

if has bench; then
  # shellcheck disable=SC2086
  PYTHONUNBUFFERED=1 python3 bench/peer_torch.py --onyx "$onyx" --models "$models" --zoo /tmp/onyx-zoo \
    --markdown "$logs/gpu-bench.md" --json "$logs/gpu-bench.json" $bench_args > "$logs/bench.log" 2>&1 || status=1
  cat "$logs/gpu-bench.md" >> "$summary" 2>/dev/null || note "bench: failed ($(tail -1 "$logs/bench.log"))"
fi

tar -czf "$out/logs.tgz" -C "$out" logs
note "exit status: $status"
exit $status
