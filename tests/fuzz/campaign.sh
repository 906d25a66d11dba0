#!/usr/bin/env bash
# campaign.sh BUILD_DIR RUNS SECONDS TARGET... : the long fuzz campaign of docs/security.md. Runs each target in
# turn (one process at a time, nice 19) until RUNS executions or SECONDS, on its growing corpus (run_fuzz.sh),
# with a hang timeout of CAMPAIGN_TIMEOUT seconds (default 10; wall clock, so raise it on a busy machine) and a
# 2 GiB memory cap, and prints one markdown table row per target:
# | target | executions | wall time | exec/s | corpus files (size) | new units | peak RSS | result | date |
# Logs: BUILD_DIR/fuzz/logs/campaign-TARGET.log. Exits non-zero when any target found something.
set -uo pipefail
build="$(cd "$1" && pwd)"; runs="$2"; seconds="$3"; shift 3
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$build/fuzz/logs"
status=0
for t in "$@"; do
  log="$build/fuzz/logs/campaign-$t.log"
  start=$(date +%s); day=$(date -u +%F)
  nice -n 19 bash "$here/run_fuzz.sh" "$build" "$t" "$seconds" -runs="$runs" -timeout="${CAMPAIGN_TIMEOUT:-10}" >"$log" 2>&1
  rc=$?
  wall=$(( $(date +%s) - start ))
  stat() { grep -m1 "stat::$1:" "$log" | awk '{print $2}'; }
  execs=$(stat number_of_executed_units); rate=$(stat average_exec_per_sec)
  newu=$(stat new_units_added); rss=$(stat peak_rss_mb)
  corpus="$build/fuzz/corpus/$t"
  files=$(find "$corpus" -type f | wc -l); size=$(du -sh "$corpus" | cut -f1)
  result="clean"
  if [ "$rc" != 0 ]; then
    result="FINDING rc=$rc: $(grep -m1 -E 'ERROR|SUMMARY|deadly' "$log" | cut -c1-80)"
    status=1
  fi
  printf '| `fuzz_%s` | %s | %dm%02ds | %s | %s (%s) | %s | %s MB | %s | %s |\n' \
    "$t" "${execs:-?}" $((wall / 60)) $((wall % 60)) "${rate:-?}" "$files" "$size" "${newu:-?}" "${rss:-?}" \
    "$result" "$day"
done
exit $status
