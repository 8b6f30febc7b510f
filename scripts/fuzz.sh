#!/usr/bin/env bash
# Build the libFuzzer targets with clang and run each for SECONDS (default 20)
# over a scratch copy of its seed corpus (the checked-in corpus is not
# changed), as many at a time as there are cores.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-20}
CC=clang "$src/scripts/build.sh" "$src/build-fuzz" -DUSM_FUZZ=ON -DUSM_BUILD_TESTS=OFF -DUSM_BUILD_TOOLS=OFF

run_one() {
  local f=$1 secs=$2 src=$3
  local name corpus work
  name=$(basename "$f")
  corpus="$src/fuzz/corpus/${name#fuzz_}"
  work=$(mktemp -d)
  cp -r "$corpus"/. "$work"/ 2>/dev/null || true
  if (cd "$work" && "$f" -max_total_time="$secs" -max_len=4096 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$src/build-fuzz/$name-" "$work" 2>"$work.log"); then
    echo "fuzz: $name ${secs}s, $(grep -oE 'number_of_executed_units: *[0-9]+' "$work.log" | head -1)"
    rm -rf "$work" "$work.log"
  else
    tail -50 "$work.log"
    echo "fuzz: $name FAILED (input kept as $src/build-fuzz/$name-*)"
    rm -rf "$work"
    return 1
  fi
}
export -f run_one
# xargs exits non-zero when any run failed
find "$src/build-fuzz/fuzz" -maxdepth 1 -type f -name 'fuzz_*' -perm -u+x | sort |
  xargs -P "$(nproc)" -I{} bash -c 'run_one "$@"' _ {} "$secs" "$src"
