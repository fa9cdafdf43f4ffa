#!/usr/bin/python3
"""Differential test: ddf's aggregation kernels (common/agg.h) against pandas.

Generates CSV files (seeded) with int columns with and without nulls, float columns with
nulls, negative, large and infinite values and both zeros, bool columns with and without
nulls, string columns with UTF-8, quotes, separators and nulls, and an all-null column.
Runs ddf-aggdump at several blocksizes (each partition aggregated into its own state, the
states merged in reverse order) and compares each (column, aggregation) with pandas,
read_csv(low_memory=False) then Series.count/len/sum/mean/min/max/std/var/nunique, and
first/last as groupby.first/last do (the first/last non-null value).

Equivalences the comparison allows (ddf's deliberate differences from numpy pandas):
 - null, NaN and None are one thing (ddf prints a NaN result as "NaN", a null as null);
 - an int column with nulls stays int64 in ddf, float64 in pandas: compared numerically;
 - a bool column with nulls is object in pandas, where sum/mean/std/var/min/max fail or
   differ: the expected values are computed in Python from the non-null values.
Ints must be exact; floats agree within 1e-9 relative (1e-12 absolute near 0); strings
and bools exactly. ddf-aggdump prints non-finite floats as "Infinity"/"-Infinity"/"NaN".

Usage: agg_vs_pandas.py --dump PATH/ddf-aggdump --workdir DIR [--seed N]
Prints one line per (file, blocksize, column) and "N passed, N failed" (one count per
aggregation compared); exits 1 on any failure.
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
from difftest import (float_text, maybe, missing_file_fails, ours_value, py,  # noqa: E402
                      write_csv)

AGGS = ["count", "size", "sum", "mean", "min", "max", "std", "var", "first", "last",
        "nunique"]
STRING_AGGS = ["count", "size", "min", "max", "first", "last", "nunique"]
BLOCKSIZES = [64, 1000, 1 << 30]


# ---- generated files -------------------------------------------------------------------

ALPHABET = ["a", "b", "c", "x", "y", "z", "é", "ü", "日本", "𝄞", "😀", ",", '"', "Z", "é"]


def word(rng):
    # Starts with a letter so that no value reads as a number, bool or NA string.
    return rng.choice("abcxyz") + "".join(rng.choice(ALPHABET)
                                          for _ in range(rng.randrange(0, 7)))


def main_file(rng, nrows):
    header = ["i_full", "i_null", "f_full", "f_null", "b_full", "b_null", "s_full",
              "s_null"]
    rows = []
    for _ in range(nrows):
        big = rng.random() < 0.02
        rows.append([
            str(rng.randrange(-10**12, 10**12) if big else rng.randrange(-10**6, 10**6)),
            maybe(rng, 0.2, str(rng.randrange(-1000, 1000))),
            float_text(rng),
            maybe(rng, 0.15, float_text(rng) if rng.random() > 0.02 else "NaN"),
            rng.choice(["True", "False"]),
            maybe(rng, 0.25, rng.choice(["True", "False"])),
            word(rng),
            maybe(rng, 0.2, word(rng)),
        ])
    return header, rows


def small_file(rng):
    # One value in some columns: var/std null, first == last; leading and trailing nulls.
    header = ["i_one", "f_one", "b_one", "s_one", "i_two"]
    rows = [["", "", "", "", "7"],
            ["42", "-2.5", "False", "日本語", "-9"],
            ["", "", "", "", "7"]]
    return header, rows


def allnull_file(rng):
    header = ["empty", "b_true", "s_mixed", "f_neg"]
    rows = []
    for k in range(40):
        rows.append(["", maybe(rng, 0.5, "True"),
                     maybe(rng, 0.3, rng.choice(["", "é", "e", "ée", "z😀", "Z", "a,b"])
                           or "q"),
                     maybe(rng, 0.1, repr(-rng.uniform(0.5, 9.5) * 10 ** rng.randrange(6)))])
    rows[0][1] = "True"  # never all-null, so it stays bool
    return header, rows


def extreme_file(rng):
    # Int sums whose partials leave int64 but whose total fits; infinities.
    header = ["i_huge", "f_inf", "f_both", "i_neg"]
    rows = []
    for k in range(61):
        rows.append([str(4 * 10**18 if k % 2 == 0 else -4 * 10**18),
                     maybe(rng, 0.1, "inf" if k == 30 else repr(rng.uniform(-5, 5))),
                     "inf" if k == 3 else "-inf" if k == 50 else repr(rng.uniform(0, 1)),
                     str(-rng.randrange(1, 10**9))])
    # Three 4e18 in a row: a partition's partial sum (and pandas' running int64 sum)
    # passes 2^63 while the total fits.
    rows.insert(1, [str(4 * 10**18), "", "1.0", "-1"])
    rows.insert(2, [str(4 * 10**18), "", "1.0", "-1"])
    rows.append([str(-4 * 10**18), "", "1.0", "-1"])
    rows.append([str(-4 * 10**18), "", "1.0", "-1"])
    return header, rows


# ---- expected values -------------------------------------------------------------------

def py_var(vals):
    n = len(vals)
    if n < 2:
        return None
    mean = sum(vals) / n
    return sum((x - mean) ** 2 for x in vals) / (n - 1)


def expected(s):
    """{agg: expected value} for the pandas Series 's'."""
    nonnull = s.dropna()
    vals = [py(v) for v in nonnull.tolist()]
    out = {
        "count": int(s.count()),
        "size": len(s),
        "first": vals[0] if vals else None,
        "last": vals[-1] if vals else None,
        "nunique": int(s.nunique()),
    }
    if s.dtype == object and all(isinstance(v, bool) for v in vals) and \
            s.isna().any():
        # bool with nulls: pandas works on object values; compute from the non-null ones.
        ints = [int(v) for v in vals]
        var = py_var(ints)
        out.update(sum=sum(ints), mean=sum(ints) / len(ints) if ints else None,
                   min=min(vals) if vals else None, max=max(vals) if vals else None,
                   var=var, std=math.sqrt(var) if var is not None else None)
        return out
    if s.dtype == object:
        # strings: pandas' min/max raise on NaN; Python's order of str is UTF-8 byte order.
        if s.isna().any():
            out.update(min=min(vals) if vals else None, max=max(vals) if vals else None)
        else:
            out.update(min=py(s.min()), max=py(s.max()))
        return out
    out.update(sum=py(s.sum()), mean=py(s.mean()), min=py(s.min()), max=py(s.max()),
               std=py(s.std(ddof=1)), var=py(s.var(ddof=1)))
    if s.dtype == bool:
        out["sum"] = int(out["sum"])
    return out


# ---- comparing ---------------------------------------------------------------------------

def same(ours, theirs, agg):
    if ours is None or theirs is None:
        return ours is None and theirs is None
    if isinstance(theirs, bool) or isinstance(ours, bool):
        return isinstance(theirs, bool) and isinstance(ours, bool) and ours == theirs
    if isinstance(theirs, str) or isinstance(ours, str):
        return isinstance(theirs, str) and isinstance(ours, str) and ours == theirs
    if agg in ("count", "size", "nunique"):
        return isinstance(ours, int) and isinstance(theirs, int) and ours == theirs
    if isinstance(ours, int) and isinstance(theirs, int):
        return ours == theirs
    ours, theirs = float(ours), float(theirs)
    if math.isinf(ours) or math.isinf(theirs):
        return ours == theirs
    return math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-12)


def run_dump(dump, path, bs):
    proc = subprocess.run([dump, path, "--blocksize", str(bs)], capture_output=True,
                          timeout=120)
    if proc.returncode != 0:
        return None, "ddf-aggdump exit %d: %s" % (proc.returncode,
                                                 proc.stderr.decode(errors="replace"))
    results = {}
    for line in proc.stdout.decode("utf-8").splitlines():
        rec = json.loads(line)
        results[(rec["column"], rec["agg"])] = ours_value(rec["value"])
    return results, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dump", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--seed", type=int, default=20261126)
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    rng = random.Random(args.seed)
    files = [("agg_main", main_file(rng, 1500)), ("agg_small", small_file(rng)),
             ("agg_allnull", allnull_file(rng)), ("agg_extreme", extreme_file(rng))]
    passed = failed = 0

    for name, (header, rows) in files:
        path = os.path.join(args.workdir, name + ".csv")
        write_csv(path, header, rows)
        df = pd.read_csv(path, low_memory=False)
        want = {col: expected(df[col]) for col in df.columns}
        for bs in BLOCKSIZES:
            ours, problem = run_dump(args.dump, path, bs)
            if problem:
                failed += 1
                print("FAIL %s blocksize=%d: %s" % (name, bs, problem))
                continue
            for col in df.columns:
                aggs = STRING_AGGS if df[col].dtype == object and not \
                    df[col].dropna().map(lambda v: isinstance(v, bool)).all() else AGGS
                bad = []
                for agg in aggs:
                    if (col, agg) not in ours:
                        bad.append("%s missing" % agg)
                    elif not same(ours[(col, agg)], want[col][agg], agg):
                        bad.append("%s: ddf %r, pandas %r" % (agg, ours[(col, agg)],
                                                               want[col][agg]))
                extra = sorted(a for (c, a) in ours if c == col and a not in aggs)
                if extra:
                    bad.append("unexpected aggregations %s" % extra)
                failed += len(bad)
                passed += len(aggs) - len(bad)
                label = "%s blocksize=%d column %s" % (name, bs, col)
                if bad:
                    print("FAIL %s: %s" % (label, "; ".join(bad)))
                else:
                    print("ok   %s (%d aggregations)" % (label, len(aggs)))

    if missing_file_fails(args.dump, args.workdir, "aggdump"):
        passed += 1
    else:
        failed += 1

    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
