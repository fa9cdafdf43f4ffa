#!/usr/bin/python3
"""Differential test: ddf's value_counts and nlargest/nsmallest kernels
(common/value_counts.h, common/topk.h) against pandas 1.5.3.

Generates CSV files (seeded) with int columns with few values (ties), extreme ints, ints
with nulls, floats with -0.0, 0.0, inf, -inf, NaN and nulls, bools with and without nulls,
and UTF-8 string columns with few and with many distinct values. Runs ddf-topkdump at
several blocksizes (each partition folded into its own partial, through the codec, merged
in reverse order) and compares with pandas read_csv(low_memory=False), then
Series.value_counts(dropna, normalize) and DataFrame.nlargest/nsmallest(n, columns, keep).

What is compared, and where pandas 1.5.3 has no rule to compare against (see the headers
for the reasons):
 - value_counts: counts (proportions exactly: both divide doubles), and the values of each
   run of equal counts as a set. Within a run ddf must list values in order of first
   appearance; pandas' order is that too when it has at most 16 values (numpy's quicksort
   is an insertion sort there), else arbitrary, so the order is compared exactly only
   then. The zero ddf shows must have the sign of the one pandas shows.
 - nlargest/nsmallest: the rows (pandas' index) in order. Two cases compare the sequence
   of order-value tuples and the set of rows for each tuple instead: n >= rows (pandas
   then sorts with an unstable quicksort) and several columns with keep='last' (pandas
   lists fully tied rows it takes whole earliest first). Several-column specs keep nulls
   out of all but the last column, where pandas 1.5.3 can return more than n rows.
   A bool column with nulls is object in pandas, which nlargest refuses; it is compared
   as pandas' "boolean" dtype, which orders as ddf's nullable bool does. A string column
   must be refused by both (TypeError / DDF_ETYPE).
Files are read with float_precision="round_trip" (pandas' default parser can be 1 ulp
off, ddf's is correctly rounded; csv_vs_pandas.py owns that). Equivalences: null, NaN, None and pd.NA are one thing; an int column with nulls is
nullable int64 in ddf and float64 in pandas, compared numerically.

Usage: topk_vs_pandas.py --dump PATH/ddf-topkdump --workdir DIR [--seed N]
Prints a line per failure and per (file, blocksize), then "N passed, N failed" (one count
per value_counts or top-k result compared); exits 1 on any failure.
"""
import argparse
import json
import math
import os
import random
import subprocess
import sys

import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from difftest import maybe, missing_file_fails, write_csv  # noqa: E402

BLOCKSIZES = [64, 1000, 1 << 30]
ALPHABET = ["a", "b", "é", "ü", "日本", "𝄞", "😀", ",", '"', "Z"]


# ---- generated files -------------------------------------------------------------------

def word(rng, k):
    # Starts with a letter so that no value reads as a number, bool or NA string.
    return "w" + "".join(ALPHABET[(k * 7 + j) % len(ALPHABET)] for j in range(k % 4))


FLOATS = ["0.0", "-0.0", "1.5", "-2.25", "inf", "-inf", "1e300", "3", "NaN"]


def main_file(rng, nrows):
    header = ["i_few", "i_big", "i_null", "f", "f_wide", "b", "b_null", "s", "s_many"]
    rows = []
    extremes = [str(2**63 - 1), str(-2**63), str(-2**63 + 1), "0"]
    for _ in range(nrows):
        rows.append([
            str(rng.randrange(-3, 4)),
            rng.choice(extremes) if rng.random() < 0.05 else str(rng.randrange(-10**15, 10**15)),
            maybe(rng, 0.2, str(rng.randrange(0, 6))),
            maybe(rng, 0.1, rng.choice(FLOATS)),
            maybe(rng, 0.03, repr(rng.uniform(-1e6, 1e6))),
            rng.choice(["True", "False"]),
            maybe(rng, 0.3, rng.choice(["True", "False"])),
            maybe(rng, 0.15, word(rng, rng.randrange(6))),
            maybe(rng, 0.05, word(rng, rng.randrange(60))),
        ])
    return header, rows


def small_file(rng):
    header = ["i", "f", "b_null", "s"]
    rows = [["2", "", "", "x"], ["", "-0.0", "True", ""], ["2", "0.0", "", "é"],
            ["7", "inf", "False", "x"], ["", "", "True", "日本"]]
    return header, rows


def ties_file(rng):
    # A constant column ties every row (keep='all' takes all), an all-null column.
    header = ["const", "empty", "b", "f"]
    rows = [["5", "", rng.choice(["True", "False"]), maybe(rng, 0.5, "1.0")]
            for _ in range(120)]
    return header, rows


# ---- canonical values ------------------------------------------------------------------

def canon(v):
    """A value as a hashable key: None for every missing value, -0.0 as 0.0 (one value),
    the strings ddf prints for non-finite floats as floats."""
    if v is None or v is pd.NA:
        return None
    if hasattr(v, "item"):
        v = v.item()
    if v == "NaN":
        return None
    if v == "Infinity":
        return math.inf
    if v == "-Infinity":
        return -math.inf
    if isinstance(v, float):
        if math.isnan(v):
            return None
        return v + 0.0  # -0.0 + 0.0 == 0.0
    return v


def is_neg_zero(v):
    return isinstance(v, float) and v == 0 and math.copysign(1, v) < 0


def runs(keys, items):
    """[(key, set(items))] for runs of equal consecutive keys."""
    out = []
    for k, it in zip(keys, items):
        if out and out[-1][0] == k:
            out[-1][1].add(it)
        else:
            out.append((k, {it}))
    return out


# ---- value_counts ------------------------------------------------------------------------

def short(x):
    r = repr(x)
    return r if len(r) < 300 else r[:300] + "..."


def check_value_counts(s, rec, cache):
    """Problems with ddf's value_counts 'rec' of the pandas Series 's'."""
    dropna, normalize = rec["dropna"], rec["normalize"]
    key = (rec["column"], dropna, normalize)
    if key not in cache:
        cache[key] = s.value_counts(dropna=dropna, normalize=normalize)
    want = cache[key]
    wvals = [canon(v) for v in want.index.tolist()]
    wcnts = [c.item() if hasattr(c, "item") else c for c in want.tolist()]
    ovals = [canon(v) for v in rec["values"]]
    ocnts = rec["counts"]
    if len(ovals) != len(wvals):
        return ["%d values, pandas %d" % (len(ovals), len(wvals))]
    if ocnts != wcnts:
        return ["counts %s, pandas %s" % (short(ocnts), short(wcnts))]
    if runs(ocnts, ovals) != runs(wcnts, wvals):
        return ["tie groups differ: %s vs pandas %s" % (short(runs(ocnts, ovals)),
                                                        short(runs(wcnts, wvals)))]
    first = {}
    for i, v in enumerate(s.tolist()):
        first.setdefault(canon(v), i)
    for a, b, ca, cb in zip(ovals, ovals[1:], ocnts, ocnts[1:]):
        if ca == cb and first[a] > first[b]:
            return ["tie %r before %r: not in order of first appearance" % (a, b)]
    if len(wvals) <= 16 and ovals != wvals:
        return ["order %s, pandas %s" % (short(ovals), short(wvals))]
    for o, w in zip(rec["values"], want.index.tolist()):
        if canon(o) == 0 and isinstance(w, float) and is_neg_zero(w) != is_neg_zero(o):
            return ["zero shown as %r, pandas %r" % (o, w)]
    return []


# ---- nlargest / nsmallest ----------------------------------------------------------------

def specs_for(df, rng):
    """--topk specs: every orderable column alone at several n, methods and keeps, some
    several-column ones, and the string columns (refused)."""
    nrows = len(df)
    numeric = [c for c in df.columns if df[c].dtype != object or is_bool_col(df[c])]
    nonnull = [c for c in numeric if not df[c].isna().any()]
    strings = [c for c in df.columns if c not in numeric]
    ns = sorted({0, 1, 2, 7, 40, nrows - 1, nrows, nrows + 3} - {-1})
    specs = []
    for col in numeric:
        for n in ns:
            for method in ("nlargest", "nsmallest"):
                for keep in ("first", "last", "all"):
                    if rng.random() < 0.5 or n in (7, nrows + 3):
                        specs.append("%d:%s:%s:%s" % (n, method, keep, col))
    for _ in range(40 if len(nonnull) else 0):
        k = rng.randrange(1, 3)
        cols = [rng.choice(nonnull) for _ in range(k)] + [rng.choice(numeric)]
        specs.append("%d:%s:%s:%s" % (rng.choice(ns), rng.choice(["nlargest", "nsmallest"]),
                                      rng.choice(["first", "last", "all"]), ",".join(cols)))
    for col in strings:
        specs.append("3:nlargest:first:%s" % col)
    return specs


def is_bool_col(s):
    vals = s.dropna()
    return s.dtype == bool or (len(vals) > 0 and vals.map(lambda v: isinstance(v, bool)).all())


def check_topk(df, rec, cache):
    n, method, keep, cols = rec["spec"].split(":", 3)
    n, cols = int(n), cols.split(",")
    if rec["spec"] not in cache:
        try:
            cache[rec["spec"]] = getattr(df, method)(n, cols, keep=keep)
        except TypeError as e:
            cache[rec["spec"]] = e
    want = cache[rec["spec"]]
    if isinstance(want, TypeError):
        if rec.get("error") == "DDF_ETYPE":
            return []
        return ["pandas refused (%s), ddf did not" % want]
    if "error" in rec:
        return ["ddf refused (%s), pandas did not" % rec["message"]]
    wrows = [int(i) for i in want.index]
    orows = rec["rows"]
    okeys = [tuple(canon(v) for v in k) for k in rec["keys"]]
    if "canon" not in cache:  # the file's values, canonical, by column: fast lookups
        cache["canon"] = {c: [canon(v) for v in df[c].tolist()] for c in df.columns}
    vals = cache["canon"]
    for r, k in zip(orows, okeys):
        if not 0 <= r < len(df) or k != tuple(vals[c][r] for c in cols):
            return ["row %d: ddf's order values %r are not the file's" % (r, k)]
    wkeys = [tuple(vals[c][r] for c in cols) for r in wrows]
    if n >= len(df) or (len(cols) > 1 and keep == "last"):
        if runs(okeys, orows) != runs(wkeys, wrows):
            return ["rows %s, pandas %s (compared as tie groups)" % (short(orows),
                                                                     short(wrows))]
    elif orows != wrows:
        return ["rows %s, pandas %s" % (short(orows), short(wrows))]
    return []


# ---- driver ------------------------------------------------------------------------------

def run_dump(dump, path, bs, specs):
    args = [dump, path, "--blocksize", str(bs)]
    for s in specs:
        args += ["--topk", s]
    proc = subprocess.run(args, capture_output=True, timeout=120)
    if proc.returncode != 0:
        return None, "ddf-topkdump exit %d: %s" % (proc.returncode,
                                                  proc.stderr.decode(errors="replace"))
    return [json.loads(line) for line in proc.stdout.decode("utf-8").splitlines()], None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dump", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--seed", type=int, default=20261127)
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    rng = random.Random(args.seed)
    files = [("topk_main", main_file(rng, 1200)), ("topk_small", small_file(rng)),
             ("topk_ties", ties_file(rng))]
    passed = failed = 0

    for name, (header, rows) in files:
        path = os.path.join(args.workdir, name + ".csv")
        write_csv(path, header, rows)
        # round_trip: pandas' default float parser may be 1 ulp off; ddf's is correctly
        # rounded, and parsing is csv_vs_pandas.py's business, not this test's.
        df = pd.read_csv(path, low_memory=False, float_precision="round_trip")
        dfn = df.copy()  # for nlargest: bools with nulls as pandas' nullable "boolean"
        for c in df.columns:
            if df[c].dtype == object and is_bool_col(df[c]):
                dfn[c] = df[c].astype("boolean")
        specs = specs_for(df, rng)
        cache = {}
        for bs in BLOCKSIZES:
            recs, problem = run_dump(args.dump, path, bs, specs)
            if problem:
                failed += 1
                print("FAIL %s blocksize=%d: %s" % (name, bs, problem))
                continue
            nvc = sum(1 for r in recs if r["op"] == "value_counts")
            ntk = sum(1 for r in recs if r["op"] == "topk")
            if nvc != 4 * len(df.columns) or ntk != len(specs):
                failed += 1
                print("FAIL %s blocksize=%d: %d value_counts and %d top-k lines, expected "
                      "%d and %d" % (name, bs, nvc, ntk, 4 * len(df.columns), len(specs)))
            bad = 0
            for rec in recs:
                if rec["op"] == "value_counts":
                    what = "value_counts(%s, dropna=%s, normalize=%s)" % (
                        rec["column"], rec["dropna"], rec["normalize"])
                    problems = check_value_counts(df[rec["column"]], rec, cache)
                else:
                    what = "topk %s" % rec["spec"]
                    problems = check_topk(dfn, rec, cache)
                if problems:
                    bad += 1
                    print("FAIL %s blocksize=%d %s: %s" % (name, bs, what, "; ".join(problems)))
            failed += bad
            passed += len(recs) - bad
            print("%s %s blocksize=%d (%d value_counts, %d top-k)" %
                  ("ok  " if bad == 0 else "FAIL", name, bs, nvc, ntk))

    if missing_file_fails(args.dump, args.workdir, "topkdump"):
        passed += 1
    else:
        failed += 1

    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
