#!/usr/bin/env bash
# parallel_campaign.sh pack BUILD_DIR TARGET PACK.tar.xz
#     Packs an ASan fuzz target for another machine: the fuzzer, its (stripped) libonyx.so and the target's
#     corpus and seeds, xz-compressed (~8 MB for onnx_model: small enough to carry to the GPU machine).
# parallel_campaign.sh run PACK.tar.xz TARGET SECONDS JOBS OUTDIR
#     Runs JOBS independent libFuzzer processes (-jobs/-workers) for SECONDS each on one shared corpus, with the
#     sanitizer options, timeout (30 s) and memory cap (2 GiB per process) of run_fuzz.sh. Writes OUTDIR/summary.txt
#     (executions per job and in total, findings) and OUTDIR/campaign.tgz (job logs, artifacts, the grown corpus).
#     Exit status: non-zero when any job found something (crash, leak, timeout, sanitizer report).
# The long campaign of docs/security.md on a many-core machine; run_fuzz.sh / campaign.sh are the one-core forms.
set -uo pipefail
mode=${1:?usage: parallel_campaign.sh pack|run ...}
shift
case "$mode" in
  pack)
    build=$(cd "$1" && pwd); target=$2; pack=$3
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    cp "$build/tests/fuzz/fuzz_$target" "$tmp/" && strip --strip-debug "$tmp/fuzz_$target"
    strip --strip-unneeded -o "$tmp/libonyx.so" "$build/libonyx.so"
    mkdir -p "$tmp/corpus" "$tmp/seeds"
    cp -r "$build/fuzz/corpus/$target/." "$tmp/corpus/" 2>/dev/null
    cp -r "$build/fuzz/seeds/$target/." "$tmp/seeds/"
    tar -cJf "$pack" -C "$tmp" .
    echo "packed $(du -h "$pack" | cut -f1) into $pack"
    ;;
  run)
    pack=$(readlink -f "$1"); target=$2; seconds=$3; jobs=$4; out=$5
    mkdir -p "$out"; out=$(cd "$out" && pwd)
    work=$(mktemp -d)
    tar -xJf "$pack" -C "$work"
    cd "$work"
    mkdir -p artifacts
    max_len=65536
    case "$target" in cli_args) max_len=256 ;; npy | json) max_len=4096 ;; esac
    export LD_LIBRARY_PATH="$work${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
    export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
    start=$(date +%s)
    "./fuzz_$target" corpus seeds -jobs="$jobs" -workers="$jobs" -max_total_time="$seconds" -timeout=30 \
      -rss_limit_mb=2048 -max_len="$max_len" -artifact_prefix=artifacts/ -print_final_stats=1 > main.log 2>&1
    wall=$(( $(date +%s) - start ))
    total=0; findings=0
    {
      echo "fuzz_$target: $jobs jobs x ${seconds} s on $(nproc) cores, $(date -u '+%Y-%m-%d %H:%M UTC'), wall ${wall} s"
      for f in fuzz-*.log; do
        n=$(grep -m1 'stat::number_of_executed_units:' "$f" | awk '{print $2}')
        r=$(grep -m1 'stat::average_exec_per_sec:' "$f" | awk '{print $2}')
        bad=$(grep -m1 -E 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer)|runtime error:' "$f")
        [ -n "$bad" ] && findings=$((findings + 1))
        total=$((total + ${n:-0}))
        echo "  $f: ${n:-?} executions, ${r:-?} exec/s${bad:+, FINDING: $bad}"
      done
      # slow-unit-* files are libFuzzer's reports of inputs slower than 10 s (legal, large expansions), not findings;
      # crash-/leak-/timeout-/oom- files are.
      bad_files=$(ls artifacts | grep -v '^slow-unit-' | wc -l)
      echo "total executions: $total; jobs with findings: $findings; finding files: $bad_files; slow units: $(ls artifacts | grep -c '^slow-unit-'); corpus: $(ls corpus | wc -l) files"
    } | tee "$out/summary.txt"
    tar -czf "$out/campaign.tgz" main.log fuzz-*.log artifacts corpus
    [ "$findings" = 0 ] && [ -z "$(ls artifacts | grep -v '^slow-unit-')" ]
    ;;
  *) echo "parallel_campaign.sh: unknown mode '$mode' (pack or run)" >&2; exit 2 ;;
esac
