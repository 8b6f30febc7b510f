#!/usr/bin/env bash
# Mercury reconnect cycles of a meeting's client (its socket dropped by
# usm-cloud each time) under valgrind memcheck: no invalid access, no leak,
# and no growth: what is still reachable before teardown is the same after
# 20 and after 100 cycles. Skipped in sanitizer builds and without valgrind.
set -euo pipefail
bin="$USM_BUILD_DIR/tests/test_e2e_events_faults"
cycles=${1:-100}
if ! command -v valgrind >/dev/null || [ "${USM_SANITIZE:-0}" = 1 ]; then
  echo "valgrind skipped (not installed, or a sanitizer build)"
  exit 0
fi
if valgrind "$bin" no-such-scenario 2>&1 | grep -q "debuginfo reader"; then
  echo "valgrind skipped: it cannot read this build's debug info (DWARF 5? build with -gdwarf-4)"
  exit 0
fi
# The test's own heap check is for plain runs; valgrind has its own allocator.
export USM_E2E_UNDER_VALGRIND=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
vg=(valgrind --error-exitcode=99 --num-callers=40)

# 1. the whole cycle test, teardown included: no error, no leak
"${vg[@]}" -q --leak-check=full --errors-for-leak-kinds=definite,indirect "$bin" cycles "$cycles"

# 2. growth: stop before teardown (USM_E2E_NO_CLEANUP) and compare what is reachable
reachable() {
  USM_E2E_NO_CLEANUP=1 "${vg[@]}" --leak-check=summary --show-leak-kinds=all "$bin" cycles "$1" \
    >"$tmp/out.$1" 2>&1 || { cat "$tmp/out.$1"; echo "run with $1 cycles failed"; exit 1; }
  sed -n 's/.*still reachable: \([0-9,]*\) bytes.*/\1/p' "$tmp/out.$1" | tr -d ,
}
small=$(reachable 20)
large=$(reachable "$cycles")
echo "still reachable before teardown: $small bytes after 20 cycles, $large after $cycles"
if [ -z "$small" ] || [ -z "$large" ] || [ "$large" -gt $((small + 4096)) ]; then
  echo "FAIL: memory grows with reconnect cycles"
  exit 1
fi
