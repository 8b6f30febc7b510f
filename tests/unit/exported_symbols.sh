#!/usr/bin/env bash
# The shared library exports usm_* and nothing else, and has the versioned SONAME.
set -euo pipefail
lib=$(ls "$USM_BUILD_DIR"/lib/libusm.so.*.*.* | head -n1)
bad=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^usm_' | grep -v '^USM_0$' || true)
if [ -n "$bad" ]; then echo "non-public symbols exported:"; echo "$bad"; exit 1; fi
count=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -c '^usm_')
[ "$count" -ge 30 ] || { echo "only $count usm_ symbols exported"; exit 1; }
nm -D --defined-only "$lib" | grep -q ' usm__' && { echo "internal usm__ symbols exported"; exit 1; }
soname=$(objdump -p "$lib" | awk '/SONAME/ {print $2}')
[ "$soname" = "libusm.so.0" ] || { echo "unexpected SONAME $soname"; exit 1; }
# Every function declared USM_API in the headers is exported.
for f in $(grep -ho 'USM_API [^(]*(' "$USM_SOURCE_DIR"/include/usm/*.h | sed -nE 's/.*[ *](usm_[a-z0-9_]+)\($/\1/p' | sort -u); do
  nm -D --defined-only "$lib" | grep -Eq " $f(@@USM_0)?$" || { echo "declared but not exported: $f"; exit 1; }
done
echo "exported_symbols: $count public symbols, nothing else: 1 passed, 0 failed"
