# shellcheck shell=bash
# Sourced by the CLI test scripts: sets VALGRIND to the memcheck command line,
# or to an empty array (with a notice) when memcheck cannot run here.
# Usage: usm_valgrind_setup /path/to/usm

usm_valgrind_setup() {
  VALGRIND=()
  if ! command -v valgrind >/dev/null || [ "${USM_SANITIZE:-0}" = 1 ]; then
    echo "valgrind skipped (not installed, or a sanitizer build)"
    return
  fi
  # valgrind < 3.20 cannot read clang 14's default DWARF 5 and gives up on the
  # binary; that is a tool limit, not a finding, so say so and skip.
  local probe
  probe=$(valgrind "$1" version 2>&1 >/dev/null)
  if grep -q "debuginfo reader" <<<"$probe"; then
    echo "valgrind skipped: it cannot read this build's debug info (DWARF 5? build with -gdwarf-4)"
    return
  fi
  # shellcheck disable=SC2034,SC2054 # used by the sourcing script; the comma is part of one flag
  VALGRIND=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect)
}
