#!/usr/bin/env bash
# Configure and build one flavour of ddf: `scripts/build.sh [normal|asan]`.
# normal -> build/, asan -> build-asan/ (AddressSanitizer + UndefinedBehaviorSanitizer).
# Incremental: a second run with nothing changed only checks timestamps.
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-normal}
case "$flavour" in
  normal) dir=build; flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  # -O1: ASan's recommended level, about twice as fast as -O0 and still exact in reports
  asan)   dir=build-asan; flags=(-DCMAKE_BUILD_TYPE=Debug "-DCMAKE_C_FLAGS_DEBUG=-g -O1" -DDDF_SANITIZE=ON -DDDF_BUILD_BENCH=OFF) ;;
  *) echo "usage: scripts/build.sh [normal|asan]" >&2; exit 2 ;;
esac
if [ ! -f "$dir/CMakeCache.txt" ]; then
  cmake -S . -B "$dir" "${flags[@]}" >/dev/null
fi
cmake --build "$dir" -j"$(nproc)"
