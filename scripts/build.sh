#!/usr/bin/env bash
# Configure and build one tree. Usage: scripts/build.sh BUILD_DIR [cmake options...]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
dir=$1; shift
cmake -S "$src" -B "$dir" -G Ninja "$@" >/dev/null
cmake --build "$dir"
