#!/usr/bin/env bash
# The Mercury connection tests under valgrind memcheck, 100 connect/close
# cycles and overlapping contexts included: no invalid access, no leak.
# Skipped in sanitizer builds and without valgrind.
set -euo pipefail
bin="$USM_BUILD_DIR/tests/test_mercury_conn"
if ! command -v valgrind >/dev/null || [ "${USM_SANITIZE:-0}" = 1 ]; then
  echo "valgrind skipped (not installed, or a sanitizer build)"
  exit 0
fi
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --num-callers=40 \
  "$bin" 100
