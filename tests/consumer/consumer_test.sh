#!/usr/bin/env bash
# Install the build into a scratch prefix, then build an outside project
# against it with find_package(usm) (shared and static) and with pkg-config.
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$USM_BUILD_DIR" --prefix "$tmp/prefix" >/dev/null
test -f "$tmp/prefix/include/usm/usm.h"
test -f "$tmp/prefix/include/usm/version.h"
libdir=$(dirname "$(find "$tmp/prefix" -name 'libusm.so.0' | head -n1)")
test -f "$libdir/pkgconfig/usm.pc"
test -f "$libdir/libusm.a"

# A sanitized libusm needs sanitized consumers built by the same compiler.
cc=${USM_CC:-cc}
flags=""
[ "${USM_SANITIZE:-0}" = 1 ] && flags="-fsanitize=address,undefined"
cmake -S "$USM_SOURCE_DIR/tests/consumer" -B "$tmp/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="$flags" >/dev/null
cmake --build "$tmp/build" >/dev/null
LD_LIBRARY_PATH="$libdir" "$tmp/build/consumer_shared"
"$tmp/build/consumer_static"
# the shared consumer really resolved libusm from the install, by SONAME
deps=$(LD_LIBRARY_PATH="$libdir" ldd "$tmp/build/consumer_shared")  # no pipe into grep -q: SIGPIPE + pipefail
grep -q "libusm.so.0 => $libdir/libusm.so.0" <<<"$deps"

# pkg-config users
PKG_CONFIG_PATH="$libdir/pkgconfig" "$cc" $flags -o "$tmp/pc_consumer" "$USM_SOURCE_DIR/tests/consumer/main.c" \
  $(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --cflags --libs usm)
LD_LIBRARY_PATH="$libdir" "$tmp/pc_consumer"
echo "find_package_consumer: 1 passed, 0 failed"
