#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build for SECONDS each, starting from its seed corpus
# in tests/fuzz/corpus/<name>/ (never modified: new inputs go to a scratch directory). A
# fuzzer that needs its own time has it in tests/fuzz/seconds/<name> (a whole number of
# seconds), which overrides SECONDS for that fuzzer only.
# Fails on the first crash, leak or sanitizer report; the crashing input is kept and named.
# Usage: tools/run-fuzzers.sh BUILD_DIR SECONDS
set -euo pipefail
build=${1:?usage: run-fuzzers.sh BUILD_DIR SECONDS}
seconds=${2:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/passledger-fuzz.XXXXXX")
found=0
for fuzzer in "$build"/tests/fuzz/*_fuzz; do
  [ -x "$fuzzer" ] || continue
  found=1
  name=$(basename "$fuzzer" _fuzz)
  mkdir -p "$scratch/$name"
  time_limit=$seconds
  if [ -f "$root/tests/fuzz/seconds/$name" ]; then
    time_limit=$(tr -d '[:space:]' < "$root/tests/fuzz/seconds/$name")
    [[ $time_limit =~ ^[0-9]+$ ]] || {
      echo "fuzz: tests/fuzz/seconds/$name must hold a number of seconds" >&2
      exit 1
    }
  fi
  echo "fuzz: $name for ${time_limit}s"
  if ! "$fuzzer" -max_total_time="$time_limit" -print_final_stats=1 \
      -artifact_prefix="$scratch/$name-" "$scratch/$name" "$root/tests/fuzz/corpus/$name" \
      > "$scratch/$name.log" 2>&1; then
    tail -40 "$scratch/$name.log"
    echo "fuzz: $name FAILED; crashing input kept in $scratch" >&2
    exit 1
  fi
  grep -E '^stat::number_of_executed_units' "$scratch/$name.log" || true
done
[ $found -eq 1 ] || { echo "fuzz: no fuzz targets in $build" >&2; exit 1; }
rm -rf "$scratch"
