#!/usr/bin/env bash
# The shared library exports usm_* and nothing else, every USM_API function
# of the headers is exported, and the SONAME carries the ABI version.
set -euo pipefail
lib=$(ls "$USM_BUILD_DIR"/lib/libusm.so.*.*.* | head -n1)
# Names without the version-node suffix (usm_x@@USM_0 -> usm_x).
syms=$(nm -D --defined-only "$lib" | awk '{print $3}' | sed 's/@@.*//' | grep -v '^USM_0$' | sort -u)
bad=$(grep -v '^usm_' <<<"$syms" || true)
[ -z "$bad" ] || { echo "non-public symbols exported:"; echo "$bad"; exit 1; }
! grep -q '^usm__' <<<"$syms" || { echo "internal usm__ symbols exported"; exit 1; }
count=$(wc -l <<<"$syms")
soname=$(objdump -p "$lib" | awk '/SONAME/ {print $2}')
[ "$soname" = "libusm.so.0" ] || { echo "unexpected SONAME $soname"; exit 1; }
declared=$(grep -ho 'USM_API [^(]*(' "$USM_SOURCE_DIR"/include/usm/*.h | sed -nE 's/.*[ *](usm_[a-z0-9_]+)\($/\1/p' | sort -u)
missing=$(comm -23 <(echo "$declared") <(echo "$syms"))
[ -z "$missing" ] || { echo "declared but not exported:"; echo "$missing"; exit 1; }
extra=$(comm -13 <(echo "$declared") <(echo "$syms"))
[ -z "$extra" ] || { echo "exported but not declared USM_API in a header:"; echo "$extra"; exit 1; }
echo "exported_symbols: $count public symbols, nothing else: 1 passed, 0 failed"
