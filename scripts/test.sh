#!/usr/bin/env bash
# The whole test suite on a fresh or a used machine: install dependencies, build the
# normal and the sanitizer flavours, run every test in both, then run the fuzz targets
# briefly (FUZZ_SECONDS, default 20; 0 skips them). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
status=0
for flavour in normal asan; do
  bash scripts/build.sh "$flavour"
  dir=build; [ "$flavour" = asan ] && dir=build-asan
  echo "== tests ($flavour build) =="
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  if ! (cd "$dir" && ctest --output-on-failure -j"$(nproc)" --timeout 900); then
    status=1
  fi
done
if [ "${FUZZ_SECONDS:-20}" -gt 0 ]; then
  echo "== fuzz targets (${FUZZ_SECONDS:-20} s) =="
  bash scripts/fuzz.sh "${FUZZ_SECONDS:-20}" || status=1
fi
exit $status
