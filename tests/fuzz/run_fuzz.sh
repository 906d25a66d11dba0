#!/usr/bin/env bash
# run_fuzz.sh BUILD_DIR TARGET SECONDS [libFuzzer args...]: runs BUILD_DIR/tests/fuzz/fuzz_TARGET for SECONDS
# on one core, on the corpus BUILD_DIR/fuzz/corpus/TARGET (grown across runs) seeded from
# BUILD_DIR/fuzz/seeds/TARGET (make_seeds.sh). Crash/leak/timeout inputs land in BUILD_DIR/fuzz/artifacts/.
# Exits non-zero on any finding. The long campaign (docs/security.md) is the same command with a larger SECONDS.
set -euo pipefail
build="$(cd "$1" && pwd)"; target="$2"; seconds="$3"; shift 3
corpus="$build/fuzz/corpus/$target"
artifacts="$build/fuzz/artifacts"
mkdir -p "$corpus" "$artifacts"
max_len=4096
case "$target" in onnx_model | plan | tensor_pb | npz) max_len=65536 ;; cli_args) max_len=256 ;; esac
# Symbolized reports; LeakSanitizer is on (ASan's default on Linux).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
exec "$build/tests/fuzz/fuzz_$target" "$corpus" "$build/fuzz/seeds/$target" \
  -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -max_len="$max_len" \
  -artifact_prefix="$artifacts/$target-" -print_final_stats=1 "$@"
