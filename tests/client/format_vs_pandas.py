#!/usr/bin/python3
"""format_vs_pandas.py - the table format (client/format.h) against pandas 1.5 itself.

Builds random tables, series, scalars and lists; has format_driver print each with the
printer, builds the same pandas objects, and compares the text character for character
with what print() shows in a script (display.max_columns = 20, every other option at its
default). Tables and series go through the printer three ways: whole, as a head and tail
view (long ones) and streamed in small tables. Exits 1 on the first differences (a diff
of each, at most 5).

Cases left out on purpose, as format.h documents:
  - a null or NaN in a key column of a group-by with several keys (pandas lays the level
    out with another label in the null's place), and -0.0 there (pandas' levels merge it
    with 0.0 and show whichever came first): multi-key columns hold neither here;
  - an int64 or bool column whose only nulls fall outside a head/tail view (the view
    cannot know them): a column with nulls gets one in its first row;
  - a head/tail view of a keyed frame without value columns (pandas' "Empty DataFrame"
    lists the first 100 keys; the view holds only its head's);
  - strings whose Python repr depends on Unicode tables we do not carry (unassigned code
    points, rare separators): the generated strings use the characters in CHARS.

Usage: format_vs_pandas.py --driver PATH [--cases N] [--seed S]
"""
import argparse
import difflib
import math
import random
import struct
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd

pd.set_option("display.max_columns", 20)
warnings.simplefilter("ignore")  # pandas' FutureWarnings about object Index inference

SEP = "----8<----\n"
CHARS = (
    "abcdefghijklmnopqrstuvwxyz" * 3
    + "ABCXYZ0123456789 ,;:._-/'\"\\"
    + "\t\n\r\x01\x7f"
    + "éüß中文😀\u00a0\u2028"
)
WORDS = ["east", "west", "north", "south", "EU-West", "a", "", "x y", "qty", "price",
         "region", "returned", "1.5", "NaN", "None", "True"]


def rand_string(rng):
    r = rng.random()
    if r < 0.5:
        return rng.choice(WORDS)
    if r < 0.65:
        return "".join(rng.choice("abcdefghij ") for _ in range(rng.randint(40, 70)))
    return "".join(rng.choice(CHARS) for _ in range(rng.randint(0, 12)))


def rand_float(rng, style):
    if style == "tiny":
        return rng.uniform(-1, 1) * 10.0 ** rng.randint(-12, -5)
    if style == "huge":
        return rng.uniform(-1, 1) * 10.0 ** rng.randint(6, 22)
    if style == "int":
        return float(rng.randint(-1000, 1000))
    if style == "round":
        return rng.randint(-10000, 10000) / rng.choice([2, 4, 10, 100, 8])
    if style == "special":
        return rng.choice([math.inf, -math.inf, math.nan, -0.0, 0.0, 1e6, 1e-6, 1e-7,
                           999999.5, 1234567.0, 0.1, 2.5e-300, 5e-324,
                           1.7976931348623157e308])
    if style == "bits":
        return struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
    if style == "mixed":
        return rng.uniform(-1, 1) * 10.0 ** rng.randint(-8, 9)
    return rng.uniform(-1000, 1000)


def rand_int(rng, style):
    if style == "small":
        return rng.randint(0, 100)
    if style == "signed":
        return rng.randint(-5000, 5000)
    if style == "big":
        return rng.randint(-10**15, 10**15)
    return rng.choice([-2**63, 2**63 - 1, 0, -1, 1, 2**53 + 1])


def rand_column(rng, dtype, n, null_p, sorted_keys=False):
    """Python values (None = null) of one column of 'dtype'."""
    if dtype == "int64":
        style = rng.choice(["small", "signed", "big", "edge"])
        vals = [rand_int(rng, style) for _ in range(n)]
    elif dtype == "float64":
        style = rng.choice(["tiny", "huge", "int", "round", "special", "bits", "mixed",
                            "plain", "plain"])
        vals = [rand_float(rng, style) for _ in range(n)]
    elif dtype == "bool":
        vals = [rng.random() < 0.5 for _ in range(n)]
    else:
        pool = [rand_string(rng) for _ in range(rng.randint(1, 6))]
        vals = [rng.choice(pool) if rng.random() < 0.7 else rand_string(rng)
                for _ in range(n)]
    if sorted_keys:
        vals.sort(key=lambda v: (isinstance(v, float) and math.isnan(v), v))
    vals = [None if rng.random() < null_p else v for v in vals]
    if null_p > 0 and n > 0 and any(v is None for v in vals):
        vals[0] = None  # see the module doc: a head/tail view sees it
    return vals


def pandas_values(dtype, vals):
    """The numpy array pandas holds for our column (format.h's dtype mapping)."""
    has_null = any(v is None for v in vals)
    if dtype == "int64":
        if has_null:
            return np.array([np.nan if v is None else float(v) for v in vals], dtype=float)
        return np.array(vals, dtype=np.int64)
    if dtype == "float64":
        return np.array([np.nan if v is None else v for v in vals], dtype=float)
    if dtype == "bool":
        if has_null:
            return np.array([np.nan if v is None else v for v in vals], dtype=object)
        return np.array(vals, dtype=bool)
    arr = np.empty(len(vals), dtype=object)
    for i, v in enumerate(vals):
        arr[i] = np.nan if v is None else v
    return arr


def token(dtype, v):
    if v is None:
        return "."
    if dtype == "bool":
        return "T" if v else "F"
    if dtype == "int64":
        return str(v)
    if dtype == "float64":
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v.hex()
    return "x" + v.encode("utf-8").hex()


def scalar_dtype(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int64"
    if isinstance(v, float):
        return "float64"
    return "string"


def name_token(name):
    return "-" if name is None else "x" + name.encode("utf-8").hex()


def rand_name(rng):
    r = rng.random()
    if r < 0.1:
        return "".join(rng.choice("abc_") for _ in range(rng.randint(55, 65)))
    if r < 0.15:
        return "tab\there"
    base = rng.choice(["a", "b", "qty", "price", "region", "x", "value", "n", "total",
                       "customer_id", "é"])
    return base + ("" if rng.random() < 0.6 else str(rng.randint(0, 99)))


def make_table_case(rng):
    """A random table or series case: (record text, list of modes, expected text)."""
    series = rng.random() < 0.35
    n = rng.choice([0, 1, 2, 3, 5, 9, 10, 11, 30, 59, 60, 61, 62, 75, 200, 1000])
    if series:
        ndata = 1
    else:
        ndata = rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 12, 19, 20, 21, 25, 30])
    nkeys = rng.choice([0, 0, 0, 1, 1, 2, 3])
    if n == 0 and rng.random() < 0.5:
        nkeys = 0
    hide = nkeys > 0 and rng.random() < 0.2
    start = 0 if rng.random() < 0.8 else rng.randint(1, 10**6)
    dtypes, names, cols = [], [], []
    for k in range(nkeys):
        dt = rng.choice(["int64", "float64", "string", "bool", "string"])
        null_p = 0.0 if nkeys > 1 else rng.choice([0.0, 0.0, 0.2])
        col = rand_column(rng, dt, n, null_p, sorted_keys=True)
        if nkeys > 1 and dt == "float64":  # no NaN or -0.0 in a MultiIndex level
            col = [0.0 if math.isnan(v) or v == 0 else v for v in col]
        cols.append(col)
        dtypes.append(dt)
        names.append(rand_name(rng))
    for c in range(ndata):
        dt = rng.choice(["int64", "float64", "string", "bool"])
        null_p = rng.choice([0.0, 0.0, 0.1, 0.5, 1.0])
        cols.append(rand_column(rng, dt, n, null_p))
        dtypes.append(dt)
        names.append(rand_name(rng))
    if not series and ndata >= 2 and rng.random() < 0.1:
        names[nkeys + 1] = names[nkeys]  # duplicate names: pandas' header quirk
    sname = None if rng.random() < 0.3 else rand_name(rng)

    # the pandas object
    if nkeys == 0:
        index = pd.RangeIndex(start, start + n)
    elif nkeys == 1:
        index = pd.Index(pandas_values(dtypes[0], cols[0]),
                         name=None if hide else names[0])
    else:
        index = pd.MultiIndex.from_arrays(
            [pandas_values(dtypes[k], cols[k]) for k in range(nkeys)],
            names=[None] * nkeys if hide else names[:nkeys])
    if series:
        obj = pd.Series(pandas_values(dtypes[nkeys], cols[nkeys]), index=index, name=sname)
    else:
        data = [pandas_values(dtypes[c], cols[c]) for c in range(nkeys, nkeys + ndata)]
        obj = pd.DataFrame(dict(enumerate(data)), index=index)
        if ndata == 0:
            obj = pd.DataFrame(index=index)
        obj.columns = pd.Index(names[nkeys:], dtype=object)
    expected = repr(obj) + "\n"

    modes = ["full"]
    if n > 60 and (series or ndata > 0 or nkeys == 0):
        modes.append("headtail")  # module doc: a keyed frame of no columns lists all keys
    if nkeys == 0 and (series or (ndata > 0 and start == 0)):
        modes.append("stream")  # a streamed frame is a whole frame: its index starts at 0
    ncols = nkeys + ndata
    body = []
    for c in range(ncols):
        body.append(f"col {dtypes[c]} {name_token(names[c])}")
    for r in range(n):
        body.append("r " + " ".join(token(dtypes[c], cols[c][r]) for c in range(ncols)))
    records = []
    for mode in modes:
        head = (f"table {mode} {int(series)} {nkeys} {start} {int(hide)} "
                f"{name_token(sname if series else None)} {ncols} {n}")
        records.append((head + "\n" + "\n".join(body) + ("\n" if body else ""),
                        expected, f"{mode} {'series' if series else 'frame'} n={n} "
                                  f"ncols={ncols} nkeys={nkeys}"))
    return records


def rand_scalar(rng):
    r = rng.random()
    if r < 0.05:
        return None
    if r < 0.1:
        return rng.random() < 0.5
    if r < 0.2:
        return rand_int(rng, rng.choice(["small", "signed", "big", "edge"]))
    if r < 0.85:
        return rand_float(rng, rng.choice(["tiny", "huge", "int", "round", "special",
                                           "bits", "bits", "bits", "mixed", "plain"]))
    return rand_string(rng)


def make_scalar_cases(rng, count):
    out = []
    # powers of two: where the shortest repr is easiest to get wrong
    specials = [2.0 ** e for e in range(-1074, 1024, 7)] + [-(2.0 ** 1023), 2.0 ** -1022]
    for v in specials + [rand_scalar(rng) for _ in range(count)]:
        out.append((f"scalar {scalar_dtype(v)} {token(scalar_dtype(v), v)}\n",
                    str(v) + "\n", f"scalar {v!r}"))
    return out


def make_list_cases(rng, count):
    out = []
    for _ in range(count):
        as_index = rng.random() < 0.5
        n = rng.choice([0, 1, 2, 3, 5, 8, 12, 30, 99, 100, 101, 150])
        if as_index:
            items = [rand_string(rng) if rng.random() < 0.6 else rng.choice(WORDS)
                     for _ in range(n)]
            items = [s.replace("\u2028", "").replace("\u00a0", "") for s in items]
            expected = repr(pd.Index(items, dtype=object)) + "\n"
        else:
            items = [rand_scalar(rng) for _ in range(min(n, 12))]
            expected = repr(items) + "\n"
        lines = [f"list {1 if as_index else 0} {len(items)}"]
        lines += [f"item {scalar_dtype(v)} {token(scalar_dtype(v), v)}" for v in items]
        out.append(("\n".join(lines) + "\n", expected,
                    f"{'index' if as_index else 'list'} of {len(items)}"))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--driver", required=True)
    ap.add_argument("--cases", type=int, default=600)
    ap.add_argument("--seed", type=int, default=20240601)
    args = ap.parse_args()
    rng = random.Random(args.seed)

    cases = []
    for _ in range(args.cases):
        cases.extend(make_table_case(rng))
    cases.extend(make_scalar_cases(rng, args.cases))
    cases.extend(make_list_cases(rng, args.cases // 4))

    stdin = "".join(c[0] for c in cases)
    proc = subprocess.run([args.driver, "table"], input=stdin.encode("utf-8"),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    if proc.returncode != 0:
        print(proc.stderr.decode("utf-8", "replace"), file=sys.stderr)
        return 1
    outputs = proc.stdout.decode("utf-8", "surrogateescape").split(SEP)
    if len(outputs) != len(cases) + 1:
        print(f"driver printed {len(outputs) - 1} records for {len(cases)} cases",
              file=sys.stderr)
        return 1
    failures = 0
    kinds = {}
    for (record, expected, what), got in zip(cases, outputs):
        words = what.split()
        kind = " ".join(words[:2] if words[0] in ("full", "headtail", "stream") else words[:1])
        kinds[kind] = kinds.get(kind, 0) + 1
        if got == expected:
            continue
        failures += 1
        if failures <= 5:
            print(f"--- mismatch: {what}", file=sys.stderr)
            sys.stderr.writelines(difflib.unified_diff(
                expected.splitlines(True), got.splitlines(True), "pandas", "ddf"))
            print(f"--- input:\n{record[:2000]}", file=sys.stderr)
    summary = ", ".join(f"{v} {k.strip()}" for k, v in sorted(kinds.items()))
    print(f"format_vs_pandas: {len(cases) - failures}/{len(cases)} equal ({summary})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
