#!/usr/bin/env bash
# run_parse.sh - the CSV engine's parse benchmark: ddf on 1 and 2 threads against libcsv
# alone and against pandas, on one generated "sales" file, with a summary of ratios.
#
#     [BUILD=dir] [ROWS=n] [SEED=s] [REPEAT=r] [BLOCKSIZE=b] [OUT=dir] bench/run_parse.sh
#
#   BUILD      build directory holding bench/gen-sales and bench/parse-bench
#              (default <repo>/build; build it first with cmake --build)
#   ROWS       rows of the sales file (default 1000000)
#   SEED       gen-sales seed (default 1)
#   REPEAT     runs per measurement, best reported (default 3)
#   BLOCKSIZE  ddf partition size, parse-bench syntax (default 16M, so that 2 threads get
#              several partitions to share even on a small file)
#   OUT        where the sales file is kept between runs (default <repo>/bench/out,
#              git-ignored); it is generated only when missing
#
# The file is read once with cat before timing so every figure comes from the page cache.
# Benchmarks print, they never assert: ratios are reported, not judged.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
ROWS=${ROWS:-1000000}
SEED=${SEED:-1}
REPEAT=${REPEAT:-3}
BLOCKSIZE=${BLOCKSIZE:-16M}
OUT=${OUT:-$ROOT/bench/out}
PYTHON=/usr/bin/python3 # the interpreter with pandas; the python3 on PATH may lack it

GEN=$BUILD/bench/gen-sales
PARSE=$BUILD/bench/parse-bench
PANDAS=$ROOT/bench/pandas_parse.py

die() {
    echo "run_parse.sh: $*" >&2
    exit 2
}

for v in ROWS SEED REPEAT; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "$v='${!v}' is not a whole number"
done
for exe in "$GEN" "$PARSE"; do
    [[ -x $exe ]] || die "$exe not found; build first: cmake --build $BUILD (or set BUILD=)"
done
[[ -x $PYTHON ]] || die "$PYTHON not found (pandas baseline)"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

mkdir -p "$OUT"
FILE=$OUT/sales-$ROWS-s$SEED.csv
if [[ ! -s $FILE ]]; then
    echo "== generating $FILE"
    # Into a temporary name first: an interrupted run must not leave a short file behind
    # that the next run would take as complete.
    "$GEN" --rows "$ROWS" --seed "$SEED" --out "$FILE.tmp.$$"
    mv "$FILE.tmp.$$" "$FILE"
fi
cat "$FILE" >/dev/null # warm the page cache

# run NAME CMD...: run one measurement, show its output and keep it as $WORK/NAME.
run() {
    local name=$1
    shift
    echo
    echo "== $name: $*"
    "$@" >"$WORK/$name"
    cat "$WORK/$name"
}

# get KEY NAME: the value of "KEY:" in measurement NAME.
get() {
    awk -v key="$1:" 'index($0, key) == 1 { sub(/^[^:]*:[ ]*/, ""); print; exit }' \
        "$WORK/$2"
}

# ratio A B: A / B to two decimals.
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'
}

echo "== machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
run ddf1 "$PARSE" "$FILE" --threads 1 --blocksize "$BLOCKSIZE" --repeat "$REPEAT"
run ddf2 "$PARSE" "$FILE" --threads 2 --blocksize "$BLOCKSIZE" --repeat "$REPEAT"
run libcsv "$PARSE" "$FILE" --tokenize-only --repeat "$REPEAT"
run pandas "$PYTHON" "$PANDAS" "$FILE" --repeat "$REPEAT"

pandas_label="pandas $(get mode pandas | awk '{ print $2 }')"
echo
echo "== summary: $(get rows ddf1) rows, $(get 'file MB' ddf1) MB," \
    "blocksize $BLOCKSIZE ($(get partitions ddf1) partitions), best of $REPEAT"
printf '%-24s %10s %10s %12s\n' "" seconds MB/s rows/s
for m in "ddf, 1 thread:ddf1" "ddf, 2 threads:ddf2" "libcsv tokenize-only:libcsv" \
    "$pandas_label:pandas"; do
    printf '%-24s %10s %10s %12s\n' "${m%:*}" "$(get seconds "${m##*:}")" \
        "$(get MB/s "${m##*:}")" "$(get rows/s "${m##*:}")"
done
echo
printf '%-34s %8s  %s\n' "ddf 1 thread vs pandas:" \
    "$(ratio "$(get MB/s ddf1)" "$(get MB/s pandas)")" "(MB/s; above 1x ddf is faster)"
printf '%-34s %8s  %s\n' "ddf 2 threads vs pandas:" \
    "$(ratio "$(get MB/s ddf2)" "$(get MB/s pandas)")" "(MB/s)"
printf '%-34s %8s  %s\n' "ddf 2 threads vs ddf 1 thread:" \
    "$(ratio "$(get MB/s ddf2)" "$(get MB/s ddf1)")" "(scaling; 2.00x is perfect)"
printf '%-34s %8s  %s\n' "ddf 1 thread vs libcsv tokenize:" \
    "$(ratio "$(get MB/s ddf1)" "$(get MB/s libcsv)")" \
    "(share of libcsv's bare speed ddf keeps while typing columns)"
