#!/usr/bin/env bash
# make_corpus.sh ONYX_TESTS OUT: writes the malformed-model corpus of tests/hostile/hostile_test.cpp to OUT, one
# self-contained folder per case (docs/security.md, "The malformed-model corpus"):
#   OUT/hostile_<Suite>_<Test>_<n>/model/model.onnx   the hostile model (and any external data beside it)
#   OUT/hostile_<Suite>_<Test>_<n>/outside/           files external data must never reach (links are relative)
#   OUT/hostile_<Suite>_<Test>_<n>/expected           `env:`/`arg:` lines, the exit code (`rc:`) and the exact
#                                                     stderr line (`stderr:`), {model} standing for the model
# ONYX_TESTS is the built GoogleTest binary (build/tests/onyx_tests). check_corpus.sh replays the corpus.
set -euo pipefail
if [ $# -ne 2 ]; then echo "usage: make_corpus.sh ONYX_TESTS OUT" >&2; exit 2; fi
tests="$1"; out="$2"
if [ ! -x "$tests" ]; then echo "make_corpus.sh: $tests is not an executable test binary" >&2; exit 2; fi
rm -rf "$out"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
# The cases are the Hostile tests themselves: each writes its case folder as it runs and checks the same result.
if ! ONYX_HOSTILE_CORPUS_DIR="$out" "$tests" --gtest_filter='Hostile.*' --gtest_brief=1 >"$out.log" 2>&1; then
  echo "make_corpus.sh: some Hostile tests failed (log: $out.log); the corpus is incomplete" >&2
  exit 1
fi
rm -f "$out.log"
echo "make_corpus.sh: $(find "$out" -name expected | wc -l) cases in $out"
