#!/usr/bin/env bash
# Installs every Debian package onyx needs to build and test. Idempotent: packages already present are skipped by
# apt-get itself. Run as root (or with sudo available).
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  protobuf-compiler libprotobuf-dev libonnx-dev   # ONNX schema (onnx.proto) + protobuf
  libopenblas-dev                                 # BLAS for the ref backend and the cpu target
  libgtest-dev libgmock-dev libbenchmark-dev      # tests and benchmarks
  libcli11-dev libfmt-dev nlohmann-json3-dev      # CLI
  zlib1g-dev                                      # .npz archives (deflate)
  libonnx-testdata                                # ONNX backend test data (conformance oracle)
  python3 python3-numpy                           # test-time tools: numpy interop tests, model generator
)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi
echo "setup: installing ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
