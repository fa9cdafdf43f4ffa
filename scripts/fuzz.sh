#!/usr/bin/env bash
# Run the libFuzzer targets (tests/fuzz/) for a while: `bash scripts/fuzz.sh [SECONDS]`.
#
# Briefly in CI (the default, 20 s per target), long on demand (e.g. 3600). Configures
# build-fuzz/ with clang and -DDDF_FUZZ=ON when it is missing, builds fuzz-csv,
# fuzz-codec and fuzz-expr, and runs them at once, each for SECONDS on a copy of its
# seed corpus in a temporary directory (tests/fuzz/corpus/ is never modified). Prints one line per target
# and exits non-zero when any target found a crash, a leak or a timeout; then the work
# directory is kept and named, with the log and the reproducer (rerun it with
# `build-fuzz/tests/fuzz/fuzz-<target> <file>`).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-20}
case "$seconds" in
  '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS]" >&2; exit 2 ;;
esac
build="$root/build-fuzz"
targets=(csv codec expr script)

if [ ! -f "$build/CMakeCache.txt" ]; then
  CC=clang cmake -S "$root" -B "$build" -DDDF_FUZZ=ON -DDDF_BUILD_BENCH=OFF >/dev/null
fi
cmake --build "$build" -j"$(nproc)" --target "${targets[@]/#/fuzz-}" >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/ddf-fuzz.XXXXXX")
keep=0
declare -A pid
cleanup() {
  for p in "${pid[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ "$keep" = 0 ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for t in "${targets[@]}"; do
  mkdir -p "$work/$t/corpus" "$work/$t/artifacts" "$work/$t/tmp"
  cp "$root/tests/fuzz/corpus/$t/"* "$work/$t/corpus/"
  # TMPDIR: fuzz-csv's scratch file lands in the work directory, even after a crash.
  TMPDIR="$work/$t/tmp" "$build/tests/fuzz/fuzz-$t" \
    -max_total_time="$seconds" -max_len=65536 -timeout=30 -print_final_stats=1 \
    -artifact_prefix="$work/$t/artifacts/" "$work/$t/corpus" >"$work/$t/log" 2>&1 &
  pid[$t]=$!
done

status=0
for t in "${targets[@]}"; do
  rc=0
  wait "${pid[$t]}" || rc=$?
  unset "pid[$t]"
  log="$work/$t/log"
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1 || true)
  corpus=$(find "$work/$t/corpus" -type f | wc -l)
  if [ "$rc" = 0 ]; then
    echo "fuzz-$t: ok: ${runs:-?} runs in ${seconds}s (${rate:-?}/s), ${cov:-cov: ?}," \
         "corpus $(find "$root/tests/fuzz/corpus/$t" -type f | wc -l) -> $corpus inputs"
  else
    status=1
    keep=1
    what=$(grep -m1 -E '^SUMMARY: |ERROR: libFuzzer: |check failed' "$log" || echo "exit $rc")
    echo "fuzz-$t: FAILED (exit $rc): $what"
    echo "  log: $log"
    for a in "$work/$t/artifacts/"*; do
      [ -e "$a" ] && echo "  reproducer: $a  (rerun: $build/tests/fuzz/fuzz-$t $a)"
    done
  fi
done
exit $status
