#!/usr/bin/env bash
# The README's second command: install dependencies, build, and run every test (CTest + GoogleTest).
# Tests labelled `heavy` (long fuzz runs, full model zoo) run only when ONYX_TEST_HEAVY=1; tests labelled `gpu`
# only where nvidia-smi sees a GPU. A second stage (skipped with ONYX_TEST_SANITIZE=0) builds build-asan (ASan +
# UBSan + LeakSanitizer) and runs the unit, conformance and fuzz-regression tests there, plus a short run of each
# fuzz target (docs/security.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR="$PWD"
bash scripts/setup.sh
bash scripts/build.sh
args=(--test-dir build --output-on-failure --parallel "$(nproc)")
# GPU tests need a GPU; heavy suites need ONYX_TEST_HEAVY=1.
exclude=()
if ! nvidia-smi -L >/dev/null 2>&1; then exclude+=(gpu); fi
if [ "${ONYX_TEST_HEAVY:-0}" != 1 ]; then exclude+=(heavy); fi
if [ "${#exclude[@]}" -gt 0 ]; then args+=(-LE "^($(IFS='|'; echo "${exclude[*]}"))$"); fi
ctest "${args[@]}"

# ---- sanitizer stage (docs/security.md) ------------------------------------------------------------------------
# A separate build folder with ASan + UBSan + LeakSanitizer and no CUDA, on by default (ONYX_TEST_SANITIZE=0
# skips it). With clang it also builds the libFuzzer targets (ONYX_FUZZ): labels unit + conformance (the whole
# unit suite, the hostile corpus included, and the four conformance suites), fuzz_regression (every input an
# earlier campaign found, once) and fuzz (each target for ONYX_FUZZ_SECONDS, default 20, after the seeds).
# With gcc only unit + conformance. The PyTorch `models` label stays in the normal stage only. Timed on the
# 2-core CI machine in docs/security.md ("Sanitizers and the CI stage"): a cold build is the bulk of it.
if [ "${ONYX_TEST_SANITIZE:-1}" = 1 ]; then
  san=(-DONYX_SANITIZE=ON -DONYX_WITH_CUDA=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo)
  labels="unit|conformance"
  if command -v clang++ >/dev/null 2>&1; then
    opt="-O1 -gline-tables-only"
    san+=(-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DONYX_FUZZ=ON
          -DONYX_FUZZ_SECONDS="${ONYX_FUZZ_SECONDS:-20}")
    labels+="|fuzz_regression|fuzz"
  else
    opt="-O1 -g1"
  fi
  san+=("-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$opt" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=$opt")
  cmake -S . -B build-asan -G Ninja "${san[@]}" >/dev/null
  cmake --build build-asan --parallel "$(nproc)"
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:check_initialization_order=1}" \
  UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
    ctest --test-dir build-asan --output-on-failure --parallel "$(nproc)" -L "^(${labels})$"
fi
