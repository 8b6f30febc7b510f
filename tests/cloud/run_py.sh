#!/bin/bash
# Runs one of the Python tests of this folder (ctest passes its name); no
# bytecode is written into the source tree.
export PYTHONDONTWRITEBYTECODE=1
exec python3 "$(dirname "${BASH_SOURCE[0]}")/$1" "${@:2}"
