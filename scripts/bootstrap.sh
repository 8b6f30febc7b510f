#!/usr/bin/env bash
# Installs everything libusm needs to build and test, on Debian 12, as root
# (or through sudo). Idempotent: installs only what is missing, and says so.
set -euo pipefail

DEBS=(
  # build
  build-essential cmake ninja-build pkg-config git
  clang libclang-rt-14-dev            # fuzzers (libFuzzer) and sanitizers
  # libraries
  libcurl4-openssl-dev libcjson-dev libuv1-dev zlib1g-dev
  libwebsockets-dev libwebsockets-evlib-uv
  libssl-dev libsrtp2-dev libopus-dev libvpx-dev libopenh264-dev libpng-dev
  # tools used by the tests and docs
  openssl valgrind doxygen python3 binutils
  coturn iproute2                      # a real TURN server for the ICE tests (loopback only)
  # independent media peers for the interop tests (webrtcbin; ffmpeg and srtpenc/srtpdec)
  ffmpeg gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-nice python3-gi gir1.2-gstreamer-1.0
  gir1.2-gst-plugins-base-1.0 gir1.2-gst-plugins-bad-1.0 gir1.2-nice-0.1
)
PRISM_VERSION=5.14   # @stoplight/prism-cli; newer releases need Node 22+

say() { printf 'bootstrap: %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for p in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm for Prism: the machine image may carry its own Node build.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "all Debian packages present"
fi

if prism --version 2>/dev/null | grep -q "^${PRISM_VERSION}\."; then
  say "prism $(prism --version) present"
else
  say "installing @stoplight/prism-cli@${PRISM_VERSION} with npm"
  as_root npm install -g --no-fund --no-audit "@stoplight/prism-cli@${PRISM_VERSION}" >/dev/null
  say "prism $(prism --version) installed"
fi
