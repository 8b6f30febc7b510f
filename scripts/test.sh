#!/usr/bin/env bash
# Build and run every test: the suite (gcc), the suite again under
# AddressSanitizer + UndefinedBehaviorSanitizer (clang), short fuzz runs,
# and the API reference with warnings as errors.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
"$src/scripts/bootstrap.sh"
jobs=$(nproc)

echo "== build and test (gcc)"
CC=gcc "$src/scripts/build.sh" "$src/build"
ctest --test-dir "$src/build" --output-on-failure -j "$jobs"

echo "== build and test under ASan+UBSan (clang)"
CC=clang "$src/scripts/build.sh" "$src/build-asan" -DUSM_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$src/build-asan" --output-on-failure -j "$jobs"

echo "== fuzz (short runs over the seed corpora)"
"$src/scripts/fuzz.sh" "${USM_FUZZ_SECONDS:-20}"

echo "== API reference (Doxygen, warnings are errors)"
cmake --build "$src/build" --target docs
echo "all tests passed"
