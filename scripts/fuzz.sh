#!/usr/bin/env bash
# Build the libFuzzer targets with clang and run each for SECONDS (default 20)
# over a scratch copy of its seed corpus (the checked-in corpus is not changed).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-20}
CC=clang "$src/scripts/build.sh" "$src/build-fuzz" -DUSM_FUZZ=ON -DUSM_BUILD_TESTS=OFF -DUSM_BUILD_TOOLS=OFF
for f in "$src"/build-fuzz/fuzz/fuzz_*; do
  name=$(basename "$f"); corpus="$src/fuzz/corpus/${name#fuzz_}"
  work=$(mktemp -d); cp -r "$corpus"/. "$work"/ 2>/dev/null || true
  echo "fuzz: $name for ${secs}s"
  "$f" -max_total_time="$secs" -max_len=4096 -timeout=10 -print_final_stats=1 "$work" 2>"$work.log" \
    || { tail -50 "$work.log"; echo "fuzz: $name FAILED"; exit 1; }
  grep -E "stat::number_of_executed_units" "$work.log" || true
  rm -rf "$work" "$work.log"
done
