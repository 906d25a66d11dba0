#!/usr/bin/env bash
# Installs every Debian package onyx needs to build and test. Idempotent: packages already present are skipped by
# apt-get itself. Run as root (or with sudo available).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build ccache pkg-config
  protobuf-compiler libprotobuf-dev libonnx-dev   # ONNX schema (onnx.proto) + protobuf
  libopenblas-dev                                 # BLAS for the ref backend and the cpu target
  libgtest-dev libgmock-dev libbenchmark-dev      # tests and benchmarks
  libcli11-dev libfmt-dev nlohmann-json3-dev      # CLI
  zlib1g-dev                                      # .npz archives (deflate)
  clang libclang-rt-dev                           # sanitizer + libFuzzer build (build-asan, test.sh)
  libonnx-testdata                                # ONNX backend test data (conformance oracle)
  python3 python3-numpy                           # test-time tools: numpy interop tests
  python3-torch python3-torchvision               # test-time: the real PyTorch ONNX exporter (tests/models)
)
command -v node >/dev/null 2>&1 || packages+=(nodejs npm)  # ONNX Runtime oracle (npm onnxruntime-node)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup: all ${#packages[@]} Debian packages present"
else
  echo "setup: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# ONNX Runtime 1.30 (CPU) from npm, pinned by tools/ort/package-lock.json. --ignore-scripts: its install script
# would try to download GPU binaries, which nothing here needs; the CPU binaries ship inside the package.
if [ ! -f tools/ort/node_modules/onnxruntime-node/package.json ]; then
  echo "setup: installing onnxruntime-node (npm)"
  (cd tools/ort && ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm ci --ignore-scripts --no-audit --no-fund --silent)
fi
