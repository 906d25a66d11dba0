#!/usr/bin/env bash
# The README's second command: install dependencies, build, and run every test (CTest + GoogleTest).
# Tests labelled `heavy` (long fuzz runs, full model zoo) run only when ONYX_TEST_HEAVY=1.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
args=(--test-dir build --output-on-failure --parallel "$(nproc)")
if [ "${ONYX_TEST_HEAVY:-0}" != 1 ]; then args+=(-LE heavy); fi
ctest "${args[@]}"
