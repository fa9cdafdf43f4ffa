#!/usr/bin/python3
"""Differential test: libddf (client/ddf.h) over a real local cluster against pandas.

Generates CSV files (seeded) in WORKDIR:
  sales.csv        ints with and without nulls, floats with nulls (both zeros, tiny and
                   large values), bools with and without nulls, strings with nulls, quoted
                   fields with embedded commas, quotes and newlines;
  widen_float.csv  an int column that turns float after the inference sample (256 KiB);
  widen_str.csv    an int column that turns string after the sample;
  semi.csv         ';'-separated, with commas inside unquoted fields; semi_nohdr.csv the
                   same rows without a header (read with header=none names=...);
  multi/part-*.csv three files with one header (a glob); the last turns an int column
                   float.
Writes one query file (tests/client/ddfquery.c's format) per blocksize set, runs ddfquery
once per set (one local cluster each), decodes every result blob with
tests/diff/ddfcodec.py and compares it with pandas 1.5.3:
    pd.read_csv(path, low_memory=False, float_precision="round_trip")   (pd.concat of the
    files for a glob) followed by the same operation.

Blocksize sets: 1 byte (one partition per record), 97 bytes, 4096 bytes and the default
(one partition); the widening files are over 256 KiB, so their tiny blocksizes are 4096 and
65536 bytes. With --quick (the sanitizer build) only 97 and the default run.

Equivalences the comparison allows (those of tests/diff/agg_vs_pandas.py and
groupby_vs_pandas.py, whose helpers it reuses; ddf's deliberate differences, DESIGN §2):
 - null, NaN and None are one thing;
 - an int column with nulls stays int64 in ddf, float64 in pandas: compared numerically;
 - a bool column with nulls is object in pandas: its sum/mean/std/var/min/max are computed
   from the non-null values (agg_vs_pandas.expected; groupby_vs_pandas.expected);
 - string min/max of a column with nulls (pandas raises) are the min/max of the non-null
   values; df.min()/df.max() over all columns keep such a string column (pandas'
   numeric_only=None drops it after the TypeError) - ddf's documented rule is that only
   sum/mean/std/var leave strings out;
 - value_counts ties come in order of first appearance (ddf's documented order; pandas'
   order of ties is its hash table's): counts and the set of each tie group must agree;
 - nlargest/nsmallest with n >= rows, or several columns and keep=last: rows tied on the
   order columns are compared as a set (as topk_vs_pandas.py).
Ints exact; floats within 1e-9 relative (1e-12 absolute near 0); strings and bools exact.
Frame-shaped results (collect, head, tail, select, columns) must also have pandas' column
names and dtypes up to those equivalences, and row order.

Every comparison failure prints the query and both results. No process is left behind:
ddfquery's local cluster stops its redis-server and workers when it exits (and they die
with it: PR_SET_PDEATHSIG); the script checks that no child of ddfquery survives.

Usage: client_vs_pandas.py --ddfquery PATH --worker-bin PATH --codec-dir tests/diff
                           --workdir DIR [--seed N] [--quick] [--workers N]
Prints one line per failure, a line per blocksize set, and
"N comparisons, N failed"; exits 1 on any failure.
"""
import argparse
import csv
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

AGG_KINDS = ["count", "size", "sum", "mean", "min", "max", "std", "var", "first", "last",
             "nunique"]


# ---- generated files ---------------------------------------------------------------------

REGIONS = ["North", "South", "North, East", 'Say "hi"', "west side", "Zürich"]
PRODUCTS = ["apple", "banana", "cherry pie", "multi\nline", "comma, inside", 'quote "q"',
            "x", "yy", "zzz", "日本", "😀 emoji", "a\r\nb", "tab\there", "b", "c"]


def word(rng):
    # Starts with a letter so that no value reads as a number, bool or NA string.
    alphabet = ["a", "b", "c", "x", "y", "z", "é", ",", '"', "\n", " ", "Z", "日"]
    w = rng.choice("abcxyz") + "".join(rng.choice(alphabet) for _ in range(rng.randrange(6)))
    return w.rstrip(" \n") or "q"


def sales_file(path, rng, nrows):
    from difftest import float_text, maybe, write_csv
    header = ["id", "region", "product", "qty", "units", "price", "discount", "returned",
              "flag", "note"]
    rows = []
    for i in range(nrows):
        rows.append([
            str(i * 7 - 1000),
            maybe(rng, 0.1, rng.choice(REGIONS)),
            maybe(rng, 0.05, rng.choice(PRODUCTS)),
            maybe(rng, 0.15, str(rng.randrange(0, 21))),
            str(rng.randrange(-50, 51) if rng.random() > 0.01 else rng.randrange(-10**12, 10**12)),
            maybe(rng, 0.1, float_text(rng)),
            "%.2f" % rng.uniform(0, 0.5),
            rng.choice(["True", "False"]),
            maybe(rng, 0.2, rng.choice(["True", "False", "true", "FALSE"])),
            maybe(rng, 0.3, word(rng)),
        ])
    rows[0][3] = "5"  # the sample starts with an int qty
    write_csv(path, header, rows)
    return {"id": "int", "region": "str", "product": "str", "qty": "int", "units": "int",
            "price": "float", "discount": "float", "returned": "bool", "flag": "bool",
            "note": "str"}


def widen_file(path, rng, kind):
    """k (int key), x (int, turning float or string after the sample), y (float)."""
    lines = ["k,x,y"]
    size = 0
    late = None
    i = 0
    while size < 300 * 1024:
        if size > 270 * 1024 and late is None:
            late = i
        if late is not None and rng.random() < 0.3:
            x = ("%.3f" % rng.uniform(-100, 100)) if kind == "float" else \
                rng.choice(["x%d" % rng.randrange(100), "n/a?", "12abc"])
        else:
            x = "" if rng.random() < 0.05 else str(rng.randrange(-10**6, 10**6))
        line = "%d,%s,%s" % (rng.randrange(7), x, "" if rng.random() < 0.1 else
                             repr(rng.uniform(-1e3, 1e3)))
        lines.append(line)
        size += len(line) + 1
        i += 1
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return {"k": "int", "x": kind, "y": "float"}


def semi_files(path, path_nohdr, rng, nrows):
    rows = []
    for i in range(nrows):
        rows.append("%d;%s;%s;%s" % (rng.randrange(-30, 30),
                                     "" if rng.random() < 0.1 else "%.4f" % rng.uniform(-9, 9),
                                     rng.choice(["a,b", "c", "d,e,f", "", "g h"]),
                                     rng.choice(["True", "False"])))
    with open(path, "w", encoding="utf-8") as f:
        f.write("a;b;c;d\n" + "\n".join(rows) + "\n")
    with open(path_nohdr, "w", encoding="utf-8") as f:
        f.write("\n".join(rows) + "\n")
    return {"a": "int", "b": "float", "c": "str", "d": "bool"}


def multi_files(folder, rng, nfiles, nrows):
    from difftest import maybe, write_csv
    os.makedirs(folder, exist_ok=True)
    for k in range(nfiles):
        rows = []
        for i in range(nrows):
            v = str(rng.randrange(-100, 100))
            if k == nfiles - 1 and i > nrows // 2 and rng.random() < 0.3:
                v = "%.1f" % rng.uniform(-100, 100)   # int turns float in the last file
            rows.append([str(k * 1000 + i), rng.choice(["g1", "g2", "g3"]), v,
                         maybe(rng, 0.2, word(rng))])
        write_csv(os.path.join(folder, "part-%d.csv" % k), ["id", "grp", "val", "name"], rows)
    return {"id": "int", "grp": "str", "val": "float", "name": "str"}


# ---- values and comparing ----------------------------------------------------------------

def norm(v):
    """A pandas/numpy or decoded value as plain Python: None for every missing value."""
    if v is None or v is pd.NA:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def same_value(ours, theirs):
    """ddf's value against pandas': the equivalences of the docstring."""
    ours, theirs = norm(ours), norm(theirs)
    if ours is None or theirs is None:
        return ours is None and theirs is None
    if isinstance(theirs, bool) or isinstance(ours, bool):
        return isinstance(theirs, bool) and isinstance(ours, bool) and ours == theirs
    if isinstance(theirs, str) or isinstance(ours, str):
        return isinstance(theirs, str) and isinstance(ours, str) and ours == theirs
    if isinstance(ours, int) and isinstance(theirs, int):
        return ours == theirs
    ours, theirs = float(ours), float(theirs)
    if math.isinf(ours) or math.isinf(theirs):
        return ours == theirs
    return math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-12)


def dtype_ok(ours, s, kind):
    """Whether ddf's dtype 'ours' is what pandas' Series 's' allows, 'kind' being what the
    generator wrote in the column ("int", "float", "bool", "str", or None for a computed
    column): an int column (with nulls somewhere in the file) may be int64 where pandas
    has float64; a bool column with nulls is object in pandas."""
    vals = [norm(v) for v in s.tolist()]
    nonnull = [v for v in vals if v is not None]
    if s.dtype == np.int64:
        return ours == "int64"
    if s.dtype == np.float64:
        if ours == "float64":
            return True
        return ours == "int64" and kind == "int" and \
            all(float(v).is_integer() for v in nonnull)
    if s.dtype == bool:
        return ours == "bool"
    if s.dtype == object:
        if kind == "bool" or (nonnull and all(isinstance(v, bool) for v in nonnull)):
            return ours == "bool"
        return ours == "string"
    return False


def frame_rows(df):
    return [list(r) for r in zip(*[df[c].tolist() for c in df.columns])] if len(df.columns) \
        else []


def table_rows(cols):
    return [list(r) for r in zip(*cols)] if cols else []


def show_rows(names, rows, limit=12):
    out = ["    " + " | ".join(str(n) for n in names)]
    for r in rows[:limit]:
        out.append("    " + " | ".join(repr(norm(v)) for v in r))
    if len(rows) > limit:
        out.append("    ... %d rows" % len(rows))
    return "\n".join(out)


def compare_rows(got_rows, want_rows):
    if len(got_rows) != len(want_rows):
        return "%d rows, pandas %d" % (len(got_rows), len(want_rows))
    for i, (o, t) in enumerate(zip(got_rows, want_rows)):
        if len(o) != len(t):
            return "row %d: %d columns, pandas %d" % (i, len(o), len(t))
        for j, (a, b) in enumerate(zip(o, t)):
            if not same_value(a, b):
                return "row %d column %d: ddf %r, pandas %r" % (i, j, norm(a), norm(b))
    return None


# ---- expectations ------------------------------------------------------------------------

class Expect:
    """What pandas says a query gives: a frame (names, dtypes checked), a table of rows
    (names checked, values compared), a custom check, or an error code."""

    def __init__(self, kind, **kw):
        self.kind = kind
        self.__dict__.update(kw)


def expect_frame(df):
    return Expect("frame", df=df)


def expect_table(names, rows, dtypes=None, unordered_groups=None):
    return Expect("table", names=names, rows=rows, dtypes=dtypes, groups=unordered_groups)


def check(exp, got):
    """None when 'got' ((names, dtypes, cols) or ("error", text)) meets 'exp', else a
    description of the difference (with both results)."""
    if exp.kind == "error":
        if got[0] == "error" and got[1].startswith(exp.code + " "):
            return None
        return "expected %s, ddf gave %s" % (exp.code, got[1] if got[0] == "error"
                                              else "a result")
    if got[0] == "error":
        return "ddf failed: %s" % got[1]
    names, dtypes, cols = got
    rows = table_rows(cols)
    if exp.kind == "frame":
        df = exp.df
        want_names = [str(c) for c in df.columns]
        want_rows = frame_rows(df)
        problem = None
        if names != want_names:
            problem = "names %s, pandas %s" % (names, want_names)
        else:
            kinds = getattr(exp, "kinds", {})
            bad = [(c, d, str(df[c].dtype)) for c, d in zip(df.columns, dtypes)
                   if not dtype_ok(d, df[c], kinds.get(c))]
            if bad:
                problem = "dtypes (column, ddf, pandas): %s" % bad
            else:
                problem = compare_rows(rows, want_rows)
    else:
        want_names, want_rows = exp.names, exp.rows
        problem = None
        if names != want_names:
            problem = "names %s, expected %s" % (names, want_names)
        elif exp.dtypes is not None and dtypes != exp.dtypes:
            problem = "dtypes %s, expected %s" % (dtypes, exp.dtypes)
        elif exp.groups is not None:
            problem = exp.groups(rows, want_rows)
        else:
            problem = compare_rows(rows, want_rows)
    if problem is None:
        return None
    return "%s\n  ddf (%s):\n%s\n  pandas:\n%s" % (
        problem, ", ".join("%s:%s" % nd for nd in zip(names, dtypes)),
        show_rows(names, rows), show_rows(want_names, want_rows))


def tie_groups(keyidx):
    """A check comparing runs of rows with equal order keys as sets (canonical values)."""
    def canon_row(r):
        return tuple(norm(v) + 0.0 if isinstance(norm(v), float) else norm(v) for v in r)

    def runs(rows):
        out = []
        for r in rows:
            k = tuple(canon_row([r[i] for i in keyidx]))
            if out and out[-1][0] == k:
                out[-1][1].add(canon_row(r))
            else:
                out.append((k, {canon_row(r)}))
        return out

    def check_groups(got, want):
        if len(got) != len(want):
            return "%d rows, pandas %d" % (len(got), len(want))
        if runs(got) != runs(want):
            return "tie groups differ"
        return None
    return check_groups


def vc_check(got, want):
    """value_counts: same counts in order, each tie group the same set of values, ties
    in order of first appearance (want is already in that order: compared exactly)."""
    return compare_rows(got, want)


# Known differences, reported (with both results) on every run as KNOWN, not counted as
# failures; a known case that passes is fine. Each is a finding to fix or to document.
KNOWN_LAZY_WIDENING = (
    "the schema is widened only when an action reads the partition that needs it: before "
    "(ddf_frame_schema) or for a head that stops early, a column pandas reads as float64 / "
    "object is still int64 (the values are equal)")




# ---- the queries -------------------------------------------------------------------------

class Source:
    """One CSV input: its read tokens (blocksize added per set), its kinds, its pandas frame."""

    def __init__(self, name, tokens, df, kinds, tiny):
        self.name, self.tokens, self.df, self.kinds, self.tiny = name, tokens, df, kinds, tiny


def read_pandas(path, **kw):
    return pd.read_csv(path, low_memory=False, float_precision="round_trip", **kw)


def agg_expect(src, spec, gvp, avp):
    """agg:col/kind,...: one row; names as groupby.h names them; agg_vs_pandas values."""
    df = src.df
    names = gvp.result_names([], spec)
    row = []
    for c, a in spec:
        row.append(avp.expected(df[c])[a])
    dtypes = gvp.result_dtypes(df, [], spec, src.kinds)
    return expect_table(names, [row], dtypes)


def reduce_columns(src, kind, gvp):
    df = src.df
    if kind in ("sum", "mean", "std", "var"):
        return [c for c in df.columns if gvp.col_kind(df, c, src.kinds) != "str"]
    return list(df.columns)


def groupby_expect(src, keys, spec, dropna, gvp):
    df = src.df.copy()
    for c in df.columns:
        if gvp.col_kind(df, c, src.kinds) == "bnull":
            df["__f_" + c] = df[c].map(lambda v: np.nan if pd.isna(v) else float(v))
    rows = gvp.expected(df, keys, spec, dropna, src.kinds)
    names = gvp.result_names(keys, spec)
    dtypes = gvp.result_dtypes(df, keys, spec, src.kinds)
    return expect_table(names, rows, dtypes)


def value_counts_expect(s, dropna, normalize):
    want = s.value_counts(dropna=dropna, normalize=normalize)
    first = {}
    for i, v in enumerate(s.tolist()):
        first.setdefault(norm(v), i)
    items = [(norm(v), norm(c)) for v, c in zip(want.index.tolist(), want.tolist())]
    # ddf: count descending, ties in order of first appearance (a stable sort of pandas'
    # pairs keeps pandas' counts; only the order of ties can move)
    items.sort(key=lambda vc: (-vc[1], first[vc[0]]))
    return expect_table(["value", "proportion" if normalize else "count"],
                        [list(vc) for vc in items])


def topk_expect(df, n, cols, largest, keep):
    want = (df.nlargest if largest else df.nsmallest)(n, cols, keep=keep)
    exp = expect_frame(want)
    if n >= len(df) or (len(cols) > 1 and keep == "last"):
        exp = Expect("frame_groups", df=want,
                     groups=tie_groups([list(df.columns).index(c) for c in cols]))
    return exp


def describe_expect(df):
    d = df.describe()
    names = [""] + [str(c) for c in d.columns]
    rows = [[str(i)] + [d[c][i] for c in d.columns] for i in d.index]
    return expect_table(names, rows)


def make_queries(srcs, gvp, avp):
    """[(source, [step tokens], action, Expect)]."""
    Q = []
    s = srcs["sales"]
    df = s.df

    def add(src, steps, action, exp, known=None):
        exp.kinds = src.kinds
        exp.known = known
        Q.append((src, steps, action, exp))

    # count, head, tail
    add(s, [], "count", expect_table(["count"], [[len(df)]], ["int64"]))
    for n in (0, 1, 5, 37, -3, -(len(df) - 2), len(df) + 10):
        add(s, [], "head:%d" % n, expect_frame(df.head(n)))
    for n in (0, 1, 7, -4, len(df) + 3):
        add(s, [], "tail:%d" % n, expect_frame(df.tail(n)))
    # filters (nulls compare false, as NaN does in pandas) + head / count / collect
    flt = [("qty > 10", df[df.qty > 10]),
           ("price < 0 and returned", df[(df.price < 0) & df.returned]),
           ('region == "North, East"', df[df.region == "North, East"]),
           ("units % 2 == 0 | qty <= 3", df[(df.units % 2 == 0) | (df.qty <= 3)]),
           ("id > 1000000", df[df.id > 1000000])]
    for expr, sub in flt:
        add(s, ["filter=" + expr], "head:6", expect_frame(sub.head(6)))
        add(s, ["filter=" + expr], "count", expect_table(["count"], [[len(sub)]]))
    add(s, ["filter=qty > 10"], "collect", expect_frame(df[df.qty > 10]))
    add(s, ["filter=qty > 10"], "tail:4", expect_frame(df[df.qty > 10].tail(4)))
    # assign + reductions of the new column
    d2 = df.copy()
    d2["total"] = d2.qty * d2.price
    d2["gross"] = d2.units * 3 + d2.id
    add(s, ["assign=total:qty * price"], "reduce:sum:total",
        expect_table(["total"], [[d2.total.sum()]]))
    add(s, ["assign=total:qty * price"], "reduce:mean:total",
        expect_table(["total"], [[d2.total.mean()]]))
    add(s, ["assign=gross:units * 3 + id"], "reduce:sum:gross",
        expect_table(["gross"], [[int(d2.gross.sum())]], ["int64"]))
    add(s, ["assign=total:qty * price", "filter=total > 100", "select=id,total"], "collect",
        expect_frame(d2[d2.total > 100][["id", "total"]]))
    # select
    add(s, ["select=price,region,qty"], "collect", expect_frame(df[["price", "region", "qty"]]))
    add(s, ["select=note,flag"], "head:9", expect_frame(df[["note", "flag"]].head(9)))
    add(s, ["select=id"], "tail:-5", expect_frame(df[["id"]].tail(-5)))
    # reductions per column and over all applicable columns
    for kind in ["sum", "mean", "min", "max", "count", "std", "var", "nunique"]:
        cols = reduce_columns(s, kind, gvp)
        exp = agg_expect(s, [(c, kind) for c in cols], gvp, avp)
        add(s, [], "reduce:%s" % kind, exp)
        for c in ("qty", "price", "flag") + (("note",) if kind in
                                             ("min", "max", "count", "nunique") else ()):
            add(s, [], "reduce:%s:%s" % (kind, c), agg_expect(s, [(c, kind)], gvp, avp))
    spec = [("qty", "sum"), ("qty", "mean"), ("price", "std"), ("region", "nunique"),
            ("note", "first"), ("note", "last"), ("returned", "sum"), ("units", "size")]
    add(s, [], "agg:" + ",".join("%s/%s" % ca for ca in spec), agg_expect(s, spec, gvp, avp))
    # group-by: 1 and 2 keys, several aggregations, dropna both ways
    gspecs = [
        (["region"], [("qty", "sum"), ("price", "mean"), ("price", "count"), ("units", "max")]),
        (["region", "returned"], [("price", "sum"), ("price", "min"), ("qty", "std"),
                                  ("note", "nunique"), ("flag", "sum")]),
        (["qty"], [("units", "mean"), ("discount", "var"), ("product", "first"),
                   ("product", "last"), ("id", "size")]),
        (["flag", "product"], [("qty", "count"), ("price", "max")]),
    ]
    for keys, spec in gspecs:
        for dropna in (True, False):
            act = "groupby:%s:%s%s" % (",".join(keys), ",".join("%s/%s" % ca for ca in spec),
                                       "" if dropna else ":nodropna")
            add(s, [], act, groupby_expect(s, keys, spec, dropna, gvp))
    d3 = df[df.qty > 3]
    s3 = Source("sales>3", s.tokens, d3, s.kinds, s.tiny)
    add(s, ["filter=qty > 3"], "groupby:region:price/sum,qty/mean",
        groupby_expect(s3, ["region"], [("price", "sum"), ("qty", "mean")], True, gvp))
    # value_counts
    for col in ("region", "qty", "flag", "returned", "product"):
        for dropna, normalize in ((True, False), (False, False), (True, True), (False, True)):
            act = "value_counts:%s%s%s" % (col, ":normalize" if normalize else "",
                                          "" if dropna else ":keepna")
            add(s, [], act, value_counts_expect(df[col], dropna, normalize))
    # nlargest / nsmallest
    for n, cols, keep in [(5, ["qty"], "first"), (5, ["qty"], "last"), (5, ["qty"], "all"),
                          (12, ["price"], "first"), (3, ["qty", "price"], "first"),
                          (4, ["qty", "units"], "last"), (6, ["units"], "all"),
                          (len(df) + 5, ["qty"], "first"), (0, ["price"], "first")]:
        for largest in (True, False):
            act = "%s:%d:%s:%s" % ("nlargest" if largest else "nsmallest", n, ",".join(cols),
                                   keep)
            add(s, [], act, topk_expect(df, n, cols, largest, keep))
    # collect, describe, columns
    add(s, [], "collect", expect_frame(df))
    add(s, [], "collect_each", expect_frame(df))
    add(s, [], "describe", describe_expect(df))
    add(s, [], "columns", expect_frame(df.head(0)))
    # errors
    add(s, ["filter=nope > 1"], "count", Expect("error", code="DDF_ETYPE"))
    add(s, [], "reduce:sum:region", Expect("error", code="DDF_ETYPE"))
    add(s, ["filter=qty +"], "count", Expect("error", code="DDF_EPARSE"))

    # read options on sales.csv: usecols, a pinned dtype, an extra NA string
    du = read_pandas(s.path, usecols=["id", "qty", "price", "region"])
    su = Source("sales-usecols", s.tokens + ["usecols=id,qty,price,region"], du,
                s.kinds, s.tiny)
    add(su, [], "collect", expect_frame(du))
    dp = read_pandas(s.path, dtype={"qty": np.float64})
    sp = Source("sales-pin", s.tokens + ["dtype=qty:float64"], dp, s.kinds, s.tiny)
    add(sp, [], "columns", expect_frame(dp.head(0)))
    add(sp, [], "reduce:mean:qty", expect_table(["qty"], [[dp.qty.mean()]], ["float64"]))
    dn = read_pandas(s.path, na_values=["North"])
    sn = Source("sales-na", s.tokens + ["na=North"], dn, s.kinds, s.tiny)
    add(sn, [], "value_counts:region:keepna", value_counts_expect(dn.region, False, False))
    add(Source("sales-pinbad", s.tokens + ["dtype=region:int64"], df, s.kinds, s.tiny),
        [], "count", Expect("error", code="DDF_ETYPE"))

    # schema widening
    for name in ("widen_float", "widen_str"):
        w = srcs[name]
        wd = w.df
        add(w, [], "columns", expect_frame(wd.head(0)), known=KNOWN_LAZY_WIDENING)
        add(w, [], "count", expect_table(["count"], [[len(wd)]]))
        add(w, [], "collect", expect_frame(wd))
        add(w, [], "collect_each", expect_frame(wd))  # widens before streaming
        add(w, [], "tail:6", expect_frame(wd.tail(6)))
        add(w, [], "head:3", expect_frame(wd.head(3)), known=KNOWN_LAZY_WIDENING)
        add(w, [], "reduce:max:x", agg_expect(w, [("x", "max")], gvp, avp))
        add(w, [], "reduce:nunique:x", agg_expect(w, [("x", "nunique")], gvp, avp))
        aggs = [("x", "count"), ("x", "min"), ("y", "mean")]
        if name == "widen_float":
            aggs += [("x", "sum"), ("x", "std")]
        act = "groupby:k:" + ",".join("%s/%s" % ca for ca in aggs)
        add(w, [], act, groupby_expect(w, ["k"], aggs, True, gvp))
        add(w, ["filter=k == 3"], "tail:4", expect_frame(wd[wd.k == 3].tail(4)))
    # ';'-separated, header and no header
    for name in ("semi", "semi_nohdr"):
        m = srcs[name]
        md = m.df
        add(m, [], "collect", expect_frame(md))
        add(m, [], "columns", expect_frame(md.head(0)))
        add(m, [], "groupby:c:a/sum,b/mean,d/sum:nodropna",
            groupby_expect(m, ["c"], [("a", "sum"), ("b", "mean"), ("d", "sum")], False, gvp))
        add(m, [], "reduce:sum", agg_expect(m, [(c, "sum") for c in
                                                reduce_columns(m, "sum", gvp)], gvp, avp))
    # a glob of files
    g = srcs["multi"]
    gd = g.df
    add(g, [], "collect", expect_frame(gd))
    add(g, [], "count", expect_table(["count"], [[len(gd)]]))
    add(g, [], "head:70", expect_frame(gd.head(70)))
    add(g, [], "tail:70", expect_frame(gd.tail(70)))
    add(g, [], "groupby:grp:val/sum,val/max,name/count",
        groupby_expect(g, ["grp"], [("val", "sum"), ("val", "max"), ("name", "count")], True,
                       gvp))
    add(g, [], "nlargest:5:val:all", topk_expect(gd, 5, ["val"], True, "all"))
    add(g, [], "value_counts:grp:normalize", value_counts_expect(gd.grp, True, True))
    add(g, [], "describe", describe_expect(gd))
    return Q


# ---- running -----------------------------------------------------------------------------

def decode_result(codec, outdir, qn):
    blob = os.path.join(outdir, "q%d.blob" % qn)
    err = os.path.join(outdir, "q%d.err" % qn)
    if os.path.exists(blob):
        with open(blob, "rb") as f:
            return codec.decode(f.read())
    if os.path.exists(err):
        with open(err, encoding="utf-8", errors="replace") as f:
            return ("error", f.read().strip())
    return ("error", "NO RESULT (neither q%d.blob nor q%d.err)" % (qn, qn))


def leftover_processes(tmpdir):
    """Processes whose command line names 'tmpdir': ddfquery's local cluster lives in
    $TMPDIR/ddf-local-*, named on its redis-server's and workers' command lines."""
    proc = subprocess.run(["pgrep", "-af", tmpdir], capture_output=True, text=True)
    return [line for line in proc.stdout.splitlines() if line.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ddfquery", required=True)
    ap.add_argument("--worker-bin", required=True)
    ap.add_argument("--codec-dir", required=True, help="tests/diff (ddfcodec.py, difftest.py)")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--seed", type=int, default=20261128)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="fewer blocksizes (sanitizers)")
    args = ap.parse_args()
    sys.path.insert(0, os.path.abspath(args.codec_dir))
    import ddfcodec  # noqa: E402
    import agg_vs_pandas as avp  # noqa: E402
    import groupby_vs_pandas as gvp  # noqa: E402

    started = time.time()
    work = os.path.abspath(args.workdir)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    rng = random.Random(args.seed)

    srcs = {}
    p = os.path.join(work, "sales.csv")
    kinds = sales_file(p, rng, 150)
    srcs["sales"] = Source("sales", ["csv=" + p], read_pandas(p), kinds, True)
    srcs["sales"].path = p
    for name in ("widen_float", "widen_str"):
        p = os.path.join(work, name + ".csv")
        kinds = widen_file(p, rng, "float" if name == "widen_float" else "str")
        srcs[name] = Source(name, ["csv=" + p], read_pandas(p), kinds, False)
    p, p2 = os.path.join(work, "semi.csv"), os.path.join(work, "semi_nohdr.csv")
    kinds = semi_files(p, p2, rng, 150)
    srcs["semi"] = Source("semi", ["csv=" + p, "sep=;"], read_pandas(p, sep=";"), kinds, True)
    srcs["semi_nohdr"] = Source("semi_nohdr", ["csv=" + p2, "sep=;", "header=none",
                                               "names=a,b,c,d"],
                                read_pandas(p2, sep=";", header=None,
                                            names=["a", "b", "c", "d"]), kinds, True)
    folder = os.path.join(work, "multi")
    kinds = multi_files(folder, rng, 3, 50)
    files = sorted(os.path.join(folder, f) for f in os.listdir(folder))
    srcs["multi"] = Source("multi", ["csv=" + os.path.join(folder, "part-*.csv")],
                           pd.concat([read_pandas(f) for f in files], ignore_index=True),
                           kinds, True)

    queries = make_queries(srcs, gvp, avp)
    # (label, blocksize for small sources, for the >256 KiB widening files)
    sets = [("bs1", 1, 4096), ("bs97", 97, 65536), ("bs4096", 4096, 4096),
            ("default", None, None)]
    if args.quick:
        sets = [("bs97", 97, 4096), ("default", None, None)]

    # a short private TMPDIR (local_cluster.c takes one under 32 bytes) for the cluster
    tmpdir = tempfile.mkdtemp(prefix="cvp", dir="/tmp")
    env = dict(os.environ, TMPDIR=tmpdir)
    env.pop("DDF_REDIS", None)
    try:
        return run_sets(args, sets, queries, work, tmpdir, env, ddfcodec, started)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def run_sets(args, sets, queries, work, tmpdir, env, ddfcodec, started):
    comparisons = failures = known = 0
    for label, small, big in sets:
        t0 = time.time()
        outdir = os.path.join(work, "out-" + label)
        os.makedirs(outdir)
        lines = []
        for src, steps, action, _ in queries:
            bs = small if src.tiny else big
            toks = list(src.tokens) + (["blocksize=%d" % bs] if bs else []) + steps + [action]
            assert not any("\t" in t or "\n" in t for t in toks)
            lines.append("\t".join(toks))
        qfile = os.path.join(work, "queries-%s.txt" % label)
        with open(qfile, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        try:
            proc = subprocess.run([args.ddfquery, "--workers", str(args.workers),
                                   "--worker-bin", args.worker_bin, qfile, outdir],
                                  capture_output=True, timeout=400, env=env)
            rc, stderr = proc.returncode, proc.stderr.decode(errors="replace")
        except subprocess.TimeoutExpired as e:
            rc, stderr = "timeout", (e.stderr or b"").decode(errors="replace")
        if rc != 0:
            failures += 1
            comparisons += 1
            print("FAIL %s: ddfquery exit %s: %s" % (label, rc, stderr.strip()[-2000:]))
        set_failed = 0
        for qn, (src, steps, action, exp) in enumerate(queries, 1):
            comparisons += 1
            try:
                got = decode_result(ddfcodec, outdir, qn)
                if exp.kind == "frame_groups":
                    problem = check(Expect("frame", df=exp.df, kinds=exp.kinds), got)
                    if problem is not None and got[0] != "error":
                        names, dtypes, cols = got
                        want = exp.df
                        if names == [str(c) for c in want.columns]:
                            problem = exp.groups(table_rows(cols), frame_rows(want))
                            if problem:
                                problem += "\n" + check(Expect("frame", df=want,
                                                                kinds=exp.kinds), got)
                else:
                    problem = check(exp, got)
            except Exception as e:  # a decode error or a bug of this script: a failure
                problem = "%s: %s" % (type(e).__name__, e)
            if problem and exp.known:
                known += 1
                print("KNOWN [%s] q%d: %s\n  (%s)\n  %s" % (label, qn, lines[qn - 1].replace(
                    "\t", " \u21e5 "), exp.known, problem))
            elif problem:
                failures += 1
                set_failed += 1
                print("FAIL [%s] q%d: %s\n  %s" % (label, qn, lines[qn - 1].replace(
                    "\t", " \u21e5 "), problem))
        print("     %s: %d queries, %d failed, %.1fs" % (label, len(queries), set_failed,
                                                        time.time() - t0))
        sys.stdout.flush()
        left = leftover_processes(tmpdir)
        if left:
            time.sleep(2)
            left = leftover_processes(tmpdir)
        if left:
            failures += 1
            print("FAIL %s: processes left running after ddfquery exited: %s" % (label, left))
    print("%d comparisons, %d failed, %d known differences (%.1fs)"
          % (comparisons, failures, known, time.time() - started))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
