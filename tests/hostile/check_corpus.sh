#!/usr/bin/env bash
# check_corpus.sh ONYX CORPUS: replays a corpus written by make_corpus.sh against the onyx binary ONYX: for each
# case folder, runs `ONYX ARGS` with its env (120 s limit) and requires the exit code and, where given, exactly
# the expected stderr line. Prints one line per failing case and a summary; exits 1 when any case fails.
set -uo pipefail
if [ $# -ne 2 ]; then echo "usage: check_corpus.sh ONYX CORPUS" >&2; exit 2; fi
onyx="$1"; corpus="$2"
if [ ! -x "$onyx" ]; then echo "check_corpus.sh: $onyx is not executable" >&2; exit 2; fi
shopt -s nullglob
cases=("$corpus"/*/expected)
if [ "${#cases[@]}" -eq 0 ]; then echo "check_corpus.sh: no cases in $corpus" >&2; exit 2; fi
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
for expected in "${cases[@]}"; do
  dir="$(cd "$(dirname "$expected")" && pwd)"; name="$(basename "$dir")"; model="$dir/model/model.onnx"
  env_args=(); args=(); rc_want=""; err_want=""; have_err=0
  while IFS= read -r line; do
    case "$line" in
      "env: "*) env_args+=("${line#env: }") ;;
      "arg: "*) a="${line#arg: }"; args+=("${a//\{model\}/$model}") ;;
      "rc: "*) rc_want="${line#rc: }" ;;
      "stderr: "*) err_want="${line#stderr: }"; err_want="${err_want//\{model\}/$model}"; have_err=1 ;;
    esac
  done <"$expected"
  env "${env_args[@]}" timeout 120 "$onyx" "${args[@]}" >"$tmp/out" 2>"$tmp/err" </dev/null
  rc=$?
  why=""
  if [ "$rc" != "$rc_want" ]; then
    why="exit code $rc, expected $rc_want"
  elif [ "$have_err" = 1 ] && [ "$(cat "$tmp/err")" != "$err_want" -o "$(wc -l <"$tmp/err")" != 1 ]; then
    why="stderr differs: $(head -c 300 "$tmp/err")"
  fi
  if [ -n "$why" ]; then
    echo "FAIL $name: $why"
    fail=$((fail + 1))
  else
    pass=$((pass + 1))
  fi
done
echo "check_corpus.sh: $pass passed, $fail failed ($corpus)"
[ "$fail" = 0 ]
