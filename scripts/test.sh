#!/usr/bin/env bash
# The README's second command: install dependencies, build, and run every test (CTest + GoogleTest).
# Tests labelled `heavy` (long fuzz runs, full model zoo) run only when ONYX_TEST_HEAVY=1; tests labelled `gpu`
# only where nvidia-smi sees a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
args=(--test-dir build --output-on-failure --parallel "$(nproc)")
# GPU tests need a GPU; heavy suites need ONYX_TEST_HEAVY=1.
exclude=()
if ! nvidia-smi -L >/dev/null 2>&1; then exclude+=(gpu); fi
if [ "${ONYX_TEST_HEAVY:-0}" != 1 ]; then exclude+=(heavy); fi
if [ "${#exclude[@]}" -gt 0 ]; then args+=(-LE "^($(IFS='|'; echo "${exclude[*]}"))$"); fi
ctest "${args[@]}"
