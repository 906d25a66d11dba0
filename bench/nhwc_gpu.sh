#!/usr/bin/env bash
# Channels-last (NHWC) regions on the GPU machine in one call: GPU tests, fp16 accuracy of the convnets against ref,
# ResNet-50 fp16 b1/b256 with and without the region (ONYX_CUDA_LAYOUT=nchw), optionally per-kernel times (ncu)
# and the PyTorch peer. Run from the repository root (tests/models/generate.py exports the models there):
#   bash BINDIR/nhwc_gpu.sh BINDIR OUTDIR [stages: tests,models,bench,ncu,peer] [models]
set -u
bin=$(cd "$1" && pwd); out=$2; stages=${3:-tests,models,bench}; models=${4:-resnet50,mobilenet_v3_large,efficientnet_b0}
mkdir -p "$out"
export LD_LIBRARY_PATH=$bin
onyx=$bin/onyx
zoo=/tmp/onyx-zoo
mkdir -p "$zoo"
sum=$out/summary.txt
has() { [[ ",$stages," == *",$1,"* ]]; }
note() { echo "$*" | tee -a "$sum"; }
note "$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader) $(date -u +%FT%TZ)"
export_model() {
  [ -f "$zoo/$1-op17.onnx" ] || python3 tests/models/generate.py --out "$zoo" --models "$1" --opsets 17 \
    >> "$out/export.log" 2>&1
}
if has bench; then
  export_model resnet50
  for b in 256 1; do
    for layout in nchw nhwc; do
      args="--iterations 30"; [ "$b" = 1 ] && args="--iterations 300"
      ONYX_CUDA_LAYOUT=$layout timeout 90 "$onyx" bench "$zoo/resnet50-op17.onnx" --backend cuda:fp16 --batch $b \
        --no-data-transfers $args --no-progress --json "$out/bench-b$b-$layout.json" > "$out/bench-b$b-$layout.log" 2>&1
      note "bench resnet50 b$b $layout rc=$? $(grep -iE 'GPU compute|throughput|build' "$out/bench-b$b-$layout.log" | tr -s ' ' | tr '\n' ';')"
    done
  done
  for layout in nchw nhwc; do
    ONYX_CUDA_LAYOUT=$layout timeout 60 "$onyx" bench "$zoo/resnet50-op17.onnx" --backend cuda:fp16 --batch 1 \
      --no-data-transfers --cuda-graph --iterations 300 --no-progress > "$out/bench-b1-graph-$layout.log" 2>&1
    note "bench resnet50 b1 graph $layout rc=$? $(grep -iE 'GPU compute' "$out/bench-b1-graph-$layout.log" | tr -s ' ' | tr '\n' ';')"
  done
fi
if has models; then
  for m in ${models//,/ }; do
    export_model "$m" || { note "export $m failed"; continue; }
    tol="--rtol 2e-2 --atol 2e-2"; [ "$m" = resnet50 ] && tol="--rtol 2e-2 --atol 0.1"
    for layout in ${LAYOUTS:-nhwc nchw}; do
      log=$out/run-$m-$layout.log
      ONYX_CUDA_LAYOUT=$layout timeout 60 "$onyx" run "$zoo/$m-op17.onnx" --backends ref,cuda:fp16 \
        --input-shapes "$(python3 -c "import json;s=json.load(open('$zoo/$m.json'))['inputs'][0];print(s['name']+':[2,'+','.join(str(d) for d in s['shape'][1:])+']')")" \
        $tol > "$log" 2>&1
      note "run $m b2 fp16 $layout rc=$? $(grep -iE 'max abs|PASSED \||FAILED \|' "$log" | head -3 | tr -s ' ' | tr '\n' ';')"
    done
  done
fi
if has tests; then
  timeout 100 "$bin/onyx_gpu_tests" --gtest_brief=1 > "$out/gpu-tests.log" 2>&1
  note "gpu tests rc=$? $(grep -E '^\[  (PASSED|FAILED)' "$out/gpu-tests.log" | tr '\n' ' ')"
  grep -E '^\[  FAILED' "$out/gpu-tests.log" | head -5 | tee -a "$sum"
fi
if has convinfo; then
  cm=${CONVINFO_MODEL:-resnet50}
  export_model $cm
  ONYX_CUDA_CONV_INFO=1 timeout 60 "$onyx" bench "$zoo/$cm-op17.onnx" --backend cuda:fp16 --batch 256 \
    --no-data-transfers --iterations 1 --warm-up 0 --no-progress > "$out/convinfo-b256.log" 2>&1
  note "convinfo rc=$? $(grep -c '^\[conv\]' "$out/convinfo-b256.log") convs, fused: $(grep '^\[conv\]' "$out/convinfo-b256.log" | grep -c 'fused conv'), separate: $(grep -c 'separate' "$out/convinfo-b256.log"), via NCHW: $(grep -c 'via NCHW' "$out/convinfo-b256.log")"
fi
if has benchall; then
  bm=${BENCHALL_MODELS:-$models}
  for m in ${bm//,/ }; do
    export_model "$m"
    for b in 256 1; do
      for layout in nchw nhwc; do
        g=""; [ "$b" = 1 ] && g="--cuda-graph"
        ONYX_CUDA_LAYOUT=$layout timeout 60 "$onyx" bench "$zoo/$m-op17.onnx" --backend cuda:fp16 --batch $b $g \
          --no-data-transfers --iterations 50 --no-progress > "$out/bench-$m-b$b-$layout.log" 2>&1
        note "bench $m b$b $g $layout rc=$? $(grep -iE 'GPU compute' "$out/bench-$m-b$b-$layout.log" | sed 's/percentile.*//' | tr -s ' ')"
      done
    done
  done
fi
if has ncu; then
  export_model resnet50
  timeout 120 ncu --metrics gpu__time_duration.sum --csv --launch-count 260 "$onyx" bench "$zoo/resnet50-op17.onnx" \
    --backend cuda:fp16 --batch 256 --no-data-transfers --iterations 1 --warm-up 0 --no-progress \
    > "$out/ncu-b256.csv" 2> "$out/ncu.err"
  note "ncu rc=$? lines $(wc -l < "$out/ncu-b256.csv")"
fi
if has peer; then
  for b in ${PEER_BATCHES:-1 256}; do
    timeout 200 python3 bench/peer_torch.py --onyx "$onyx" --iterations 30 --warmup 10 --models resnet50 --batch $b \
      --no-ort --zoo "$zoo" --markdown "$out/peer-b$b.md" > "$out/peer-b$b.log" 2>&1
    note "peer b$b rc=$?"; cat "$out/peer-b$b.md" >> "$sum" 2>/dev/null
  done
fi
