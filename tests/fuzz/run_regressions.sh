#!/usr/bin/env bash
# run_regressions.sh BUILD_DIR: runs every input of tests/fuzz/regressions/<target>/ once through
# BUILD_DIR/tests/fuzz/fuzz_<target> (ASan + UBSan + LeakSanitizer). Each file is an input a fuzz campaign once
# found crashing, hanging or leaking (docs/security.md, "Bugs found"); all must now pass. The timeout is 60 s
# per input: the slowest legitimately inlines 2^17 nodes, about 2 s of CPU under ASan but far more wall time on
# a busy machine.
set -euo pipefail
build="$(cd "$1" && pwd)"
here="$(cd "$(dirname "$0")" && pwd)"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
status=0
for dir in "$here"/regressions/*/; do
  target="$(basename "$dir")"
  mapfile -t files < <(find "$dir" -type f | sort)
  [ "${#files[@]}" -gt 0 ] || continue
  if "$build/tests/fuzz/fuzz_$target" -timeout=60 -rss_limit_mb=2048 "${files[@]}" >"$build/fuzz_regressions_$target.log" 2>&1; then
    echo "fuzz_$target: ${#files[@]} regression inputs pass"
  else
    echo "fuzz_$target: a regression input fails (log: $build/fuzz_regressions_$target.log)"
    tail -40 "$build/fuzz_regressions_$target.log"
    status=1
  fi
done
exit $status
