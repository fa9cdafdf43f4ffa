#!/usr/bin/python3
"""Differential test: ddf's hash group-by (common/groupby.h) against pandas.

Generates CSV files (seeded) keyed by 1, 2 or 3 columns of dtype int64 (negatives, int64
min and max), float64 (0.0 spelled "0.0", "-0.0", "0", "-0" as one key; inf, -inf; NaN
and empty fields as null), bool and string (UTF-8, quotes, separators; an empty field is
null in CSV, so no key is ""), with and without nulls in the keys and one all-null key,
with 1, 2, 8, ~1000, ~10,000 and 1,000,000 groups. Value columns cover every dtype, with
no nulls, some nulls, groups where a column is all null, and one all-null column.

For each file, spec (every aggregation of every value column; only count/size/sum/mean
of numbers, groupby.c's direct path; a random few; none, keys only), blocksize (tiny:
~150 partitions or more; medium: ~5; one block) and dropna, ddf-groupbydump groups the
file computing the whole spec in one pass and prints the result; pandas computes
    read_csv(low_memory=False, float_precision="round_trip")
      .groupby(keys, sort=True, dropna=dropna).agg({col: [aggs...]})
and the two must have the same columns (names per groupby.h: "<col>" or "<col>_<agg>"),
dtypes (agg.h's rules), rows in the same order, and the same values. The dump's paths:
"table" (each partition's partial serialized, round-tripped through the codec, merged in
shuffled or reversed order), "merge" (rows fed backwards through a selection vector,
ddf_groupby_merge in reversed order) and "single" (one pass). One run per case also writes the result as a codec blob, decoded with ddfcodec.py
and compared with the printed rows.

Equivalences the comparison allows (as agg_vs_pandas.py; ddf's deliberate differences):
 - null, NaN and None are one thing (ddf prints a NaN result as "NaN", a null as null);
 - an int column with nulls stays int64 in ddf, float64 in pandas: compared numerically
   (such key columns hold values below 2^53, which float64 holds exactly);
 - a bool column with nulls is object in pandas, where groupby sum/min/max/std/var fail
   or differ: pandas aggregates it as float64 (1.0/0.0/NaN) instead, and min/max are read
   back as bools;
 - string min/max of a column with nulls raise in pandas (and are slow without): they are
   groupby first/last of the frame sorted by that column (pandas sorts str as Python
   does, which is UTF-8 byte order);
 - pandas 1.5's groupby sum/mean of floats (Kahan summation in cython) turn a group
   holding an inf followed by another value into NaN, where Series.sum/mean (and ddf) give
   inf: for a float column holding an inf the expected sum/mean are Series.sum/mean per
   pandas group. (pd.DataFrame({"k": [1, 1], "v": [np.inf, 1.0]}).groupby("k").sum()
   is NaN in pandas 1.5.3; Series([np.inf, 1.0]).sum() is inf.)
 - sum/mean/std/var of strings are refused by ddf (DDF_ETYPE), checked as an error case.
Keys must be equal exactly (0.0 == -0.0); ints exact; floats within 1e-9 relative (1e-12
absolute near 0); strings and bools exactly. first/last skip nulls, as pandas' groupby.

Usage: groupby_vs_pandas.py --dump PATH/ddf-groupbydump --workdir DIR [--seed N]
                            [--skip-big]   (leave out the 1M-group case)
Prints one line per run and "N passed, N failed" (one count per run compared, and per
error case); exits 1 on any failure.
"""
import argparse
import csv
import json
import math
import os
import random
import subprocess
import sys
import time

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ddfcodec  # noqa: E402
from difftest import float_text, ours_value, py  # noqa: E402

AGGS = ["count", "size", "sum", "mean", "min", "max", "std", "var", "first", "last",
        "nunique"]
STRING_AGGS = ["count", "size", "min", "max", "first", "last", "nunique"]
DIRECT_AGGS = ["count", "size", "sum", "mean"]  # groupby.c's row-by-row fold path
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1


# ---- generated values --------------------------------------------------------------------

ALPHABET = ["a", "b", "c", "x", "y", "z", "é", "ü", "日本", "𝄞", "😀", ",", '"', "Z", "é",
            "'", " "]


def word(rng):
    # Starts with a letter so that no value reads as a number, bool or NA string; never
    # ends with a space (leading/trailing blanks are the CSV test's business).
    w = rng.choice("abcxyz") + "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(7)))
    return w.rstrip(" ") or "q"


class Key:
    """One key column: its kind ("int", "float", "bool", "str"), the probability that a
    row's value is null, and whether int64 extremes are in its pool."""

    def __init__(self, kind, p_null=0.0, extremes=False):
        self.kind, self.p_null, self.extremes = kind, p_null, extremes

    def pool(self, rng, n):
        """n distinct non-null values (fewer for bool), as Python values."""
        if self.kind == "bool":
            return [False, True][:max(1, min(n, 2))]
        out, seen = [], set()
        if self.kind == "int" and self.extremes:
            out, seen = [INT64_MIN, INT64_MAX, 0, -1], {INT64_MIN, INT64_MAX, 0, -1}
        if self.kind == "float":
            out, seen = [0.0, math.inf, -math.inf], {0.0, math.inf, -math.inf}
        while len(out) < n:
            if self.kind == "int":
                span = 10**15 if self.p_null else 10**18
                v = rng.randrange(-span, span) if rng.random() < 0.3 else \
                    rng.randrange(-5 * n, 5 * n)
            elif self.kind == "float":
                v = rng.choice([round(rng.uniform(-1e3, 1e3), rng.randrange(0, 4)),
                                rng.uniform(-1e-300, 1e300), float(rng.randrange(-50, 50))])
                v = 0.0 if v == 0 else v
            else:
                v = word(rng)
            if v not in seen:
                seen.add(v)
                out.append(v)
        return out[:n]

    def text(self, rng, v):
        """CSV text of key value v (None: null)."""
        if v is None:
            return rng.choice(["", "NaN"]) if self.kind == "float" else ""
        if self.kind == "float":
            if v == 0:
                return rng.choice(["0.0", "-0.0", "0", "-0"])  # one key, four spellings
            if math.isinf(v):
                return "inf" if v > 0 else "-inf"
            return repr(v)
        return str(v)


# Value columns: name -> (kind, p_null, every m-th group all null or 0). m > 1 groups
# with index % m == 1 hold only nulls in that column.
VALUES = {
    "v_int": ("int", 0.0, 0),
    "v_inull": ("int", 0.2, 5),
    "v_float": ("float", 0.1, 0),
    "v_fnull": ("float", 0.3, 4),
    "v_bool": ("bool", 0.0, 0),
    "v_bnull": ("bool", 0.3, 7),
    "v_str": ("str", 0.0, 0),
    "v_snull": ("str", 0.25, 3),
    "v_empty": ("empty", 1.0, 0),
}


def value_text(rng, kind, p_null, allnull_every, g, inf_ok):
    if kind == "empty" or (allnull_every and g % allnull_every == 1) or \
            rng.random() < p_null:
        return rng.choice(["", "NaN"]) if kind == "float" else ""
    if kind == "int":
        return str(rng.randrange(-10**12, 10**12) if rng.random() < 0.02
                   else rng.randrange(-10**6, 10**6))
    if kind == "float":
        if inf_ok and rng.random() < 0.03:
            return rng.choice(["inf", "-inf"])
        return float_text(rng)
    if kind == "bool":
        return rng.choice(["True", "False"])
    return word(rng)


def make_groups(rng, keys, ngroups):
    """ngroups distinct key tuples (fewer when the keys cannot make that many)."""
    nulls = [k.p_null > 0 for k in keys]
    nwide = sum(k.kind != "bool" for k in keys)  # bool keys give 2 values (3 with null)
    per = max(2, math.ceil((ngroups / 2 ** (len(keys) - nwide)) ** (1.0 / max(nwide, 1)))
              + 2)
    pools = [[None] if k.p_null >= 1 else k.pool(rng, per) + ([None] if null else [])
             for k, null in zip(keys, nulls)]
    if ngroups == 1:  # one group, and its keys nulled where a key has nulls
        first = tuple(p[0] for p in pools)
        nulled = tuple(None if k.p_null > 0 else v for k, v in zip(keys, first))
        return [first] + ([nulled] if nulled != first else [])
    limit = math.prod(len(p) for p in pools)
    out, seen = [], set()
    tries = 0
    while len(out) < min(ngroups, limit) and tries < 50 * ngroups + 100:
        tries += 1
        t = tuple(rng.choice(p) if rng.random() >= k.p_null else None
                  for p, k in zip(pools, keys))
        if t not in seen:
            seen.add(t)
            out.append(t)
    return out


def make_file(path, rng, keys, ngroups, nrows, values, inf_ok=False):
    groups = make_groups(rng, keys, ngroups)
    order = list(range(len(groups))) + [rng.randrange(len(groups))
                                        for _ in range(max(0, nrows - len(groups)))]
    rng.shuffle(order)
    header = ["k%d" % i for i in range(len(keys))] + list(values)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for g in order:
            row = [k.text(rng, v) for k, v in zip(keys, groups[g])]
            row += [value_text(rng, *VALUES[c], g, inf_ok) for c in values]
            w.writerow(row)
    return header[:len(keys)], len(groups)


def make_big_file(path, rng, ngroups, nrows):
    """One int key, v_int and v_float, ngroups groups plus the null key's (every 997th
    row): plain string joins for speed."""
    ids = list(range(ngroups)) + [rng.randrange(ngroups) for _ in range(nrows - ngroups)]
    rng.shuffle(ids)
    lines = ["k0,v_int,v_float"]
    rnd = rng.random
    for i, g in enumerate(ids):
        if i % 997 == 0:
            lines.append(",%d,1.5" % i)
        key = str(g * 7 - 3_000_000)
        vf = "" if rnd() < 0.1 else "%.6f" % (rnd() * 2000 - 1000)
        lines.append("%s,%d,%s" % (key, (g * 31 + i) % 200001 - 100000, vf))
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
        f.write("\n")
    return ["k0"], ngroups


# ---- specs --------------------------------------------------------------------------------

def col_kind(df, col, kinds):
    """"int", "float", "bool", "bnull" (bool with nulls: object in pandas) or "str", from
    the generated kind (kinds[col]) and pandas' dtype. An int column with nulls is
    float64 in pandas but "int" here, as in ddf."""
    kind = kinds[col]
    if kind == "bool":
        return "bool" if df[col].dtype == bool else "bnull"
    return "float" if kind == "empty" else kind


def allowed(kind):
    return STRING_AGGS if kind == "str" else AGGS


def spec_full(df, values, kinds):
    return [(c, a) for c in values for a in allowed(col_kind(df, c, kinds))]


def spec_direct(df, values, kinds):
    return [(c, a) for c in values if col_kind(df, c, kinds) in ("int", "float", "bool")
            for a in DIRECT_AGGS]


def spec_mixed(df, values, kinds, rng):
    """A few aggregations of a few columns, some columns once (named "<col>")."""
    out = []
    for c in values:
        aggs = allowed(col_kind(df, c, kinds))
        for a in rng.sample(aggs, rng.choice([1, 1, 2, 3])):
            out.append((c, a))
    rng.shuffle(out)
    return out


def result_names(keys, spec):
    uses = {}
    for c, _ in spec:
        uses[c] = uses.get(c, 0) + 1
    return list(keys) + [c if uses[c] == 1 else "%s_%s" % (c, a) for c, a in spec]


DDF_DTYPE = {"int": "int64", "float": "float64", "bool": "bool", "bnull": "bool",
             "str": "string"}


def result_dtypes(df, keys, spec, kinds):
    out = [DDF_DTYPE[col_kind(df, k, kinds)] for k in keys]
    for c, a in spec:
        kind = DDF_DTYPE[col_kind(df, c, kinds)]
        if a in ("count", "size", "nunique"):
            out.append("int64")
        elif a == "sum":
            out.append("float64" if kind == "float64" else "int64")
        elif a in ("mean", "std", "var"):
            out.append("float64")
        else:
            out.append(kind)
    return out


# ---- expected values ------------------------------------------------------------------------

def expected(df, keys, spec, dropna, kinds):
    """(rows, note): pandas' result as a list of rows, keys first then spec order."""
    g = df.groupby(keys, sort=True, dropna=dropna)
    native, fallback = {}, []
    for c, a in spec:
        kind = col_kind(df, c, kinds)
        if kind == "bnull" and a in ("sum", "mean", "min", "max", "std", "var"):
            native.setdefault("__f_" + c, []).append(a)
        elif kind == "str" and a in ("min", "max"):
            fallback.append((c, a))
        elif kind == "float" and a in ("sum", "mean") and np.isinf(df[c]).any():
            fallback.append((c, a))
        else:
            native.setdefault(c, []).append(a)
    cols = {}
    if native:
        res = g.agg(native)
        for c, aggs in native.items():
            for a in aggs:
                vals = [py(v) for v in res[(c, a)].tolist()]
                if c.startswith("__f_"):
                    orig = c[4:]
                    if a in ("min", "max"):
                        vals = [None if v is None else bool(v) for v in vals]
                    cols[(orig, a)] = vals
                else:
                    cols[(c, a)] = vals
        index = res.index
    for c, a in fallback:
        if a in ("sum", "mean"):
            s = g[c].agg(lambda v: getattr(v, a)())  # Series.sum/mean: see the docstring
            cols[(c, a)] = [py(v) for v in s.tolist()]
        else:
            # The first (last) non-null value in sorted order (pandas sorts str as Python).
            g2 = df.sort_values(c, kind="stable", na_position="last").groupby(
                keys, sort=True, dropna=dropna)[c]
            s = g2.first() if a == "min" else g2.last()
            cols[(c, a)] = [py(v) for v in s.tolist()]
        index = s.index
    if not spec:
        index = g.size().index
    keyvals = index.tolist()
    if len(keys) == 1:
        keyvals = [(k,) for k in keyvals]
    rows = []
    for i, kt in enumerate(keyvals):
        rows.append([py(k) for k in kt] + [cols[(c, a)][i] for c, a in spec])
    return rows


# ---- comparing --------------------------------------------------------------------------------

def same_key(ours, theirs):
    if ours is None or theirs is None:
        return ours is None and theirs is None
    if isinstance(theirs, bool) or isinstance(ours, bool):
        return type(ours) is type(theirs) and ours == theirs
    if isinstance(theirs, str) or isinstance(ours, str):
        return isinstance(theirs, str) and isinstance(ours, str) and ours == theirs
    return ours == theirs  # int vs float compares exactly in Python; 0.0 == -0.0


def same(ours, theirs, agg):
    if ours is None or theirs is None:
        return ours is None and theirs is None
    if isinstance(theirs, bool) or isinstance(ours, bool):
        return isinstance(theirs, bool) and isinstance(ours, bool) and ours == theirs
    if isinstance(theirs, str) or isinstance(ours, str):
        return isinstance(theirs, str) and isinstance(ours, str) and ours == theirs
    if agg in ("count", "size", "nunique"):
        return isinstance(ours, int) and ours == theirs
    if isinstance(ours, int) and isinstance(theirs, int):
        return ours == theirs
    ours, theirs = float(ours), float(theirs)
    if math.isinf(ours) or math.isinf(theirs):
        return ours == theirs
    return math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-12)


def run_dump(dump, path, keys, spec, bs, dropna, mode, order, seed, blob=None):
    cmd = [dump, path, "--keys", ",".join(keys),
           "--aggs", ",".join("%s:%s" % ca for ca in spec), "--blocksize", str(bs),
           "--dropna" if dropna else "--no-dropna", "--mode", mode, "--order", order,
           "--seed", str(seed)]
    if blob:
        cmd += ["--blob", blob]
    proc = subprocess.run(cmd, capture_output=True, timeout=400)
    if proc.returncode != 0:
        return None, "ddf-groupbydump exit %d: %s" % (
            proc.returncode, proc.stderr.decode(errors="replace").strip())
    text = proc.stdout.decode("utf-8")
    first = text.find("\n")
    head = json.loads(text[:first])
    body = text[first + 1:].rstrip("\n")
    rows = json.loads("[" + body.replace("\n", ",") + "]") if body else []
    floats = [j for j, d in enumerate(head.get("dtypes", [])) if d == "float64"]
    for row in rows:
        for j in floats:
            if isinstance(row[j], str):
                row[j] = ours_value(row[j])
    return (head, rows), None


def compare(head, rows, want, names, dtypes, nkeys, spec):
    """A list of problems (at most a few rows' worth)."""
    bad = []
    if head["names"] != names:
        bad.append("names: ddf %s, expected %s" % (head["names"], names))
    if head["dtypes"] != dtypes:
        bad.append("dtypes: ddf %s, expected %s" % (head["dtypes"], dtypes))
    if len(rows) != len(want):
        bad.append("%d groups, pandas %d" % (len(rows), len(want)))
    for i, (o, t) in enumerate(zip(rows, want)):
        if o == t:
            continue  # equal as Python values; the dtypes are checked above
        if len(o) != len(t):
            bad.append("row %d: %d columns, expected %d" % (i, len(o), len(t)))
            break
        diffs = []
        for j in range(nkeys):
            if not same_key(o[j], t[j]):
                diffs.append("key %s: ddf %r, pandas %r" % (names[j], o[j], t[j]))
        for j, (c, a) in enumerate(spec, nkeys):
            if not same(o[j], t[j], a):
                diffs.append("%s(%s): ddf %r, pandas %r" % (a, c, o[j], t[j]))
        if diffs:
            bad.append("row %d keys ddf %r pandas %r: %s" % (i, o[:nkeys], t[:nkeys],
                                                             "; ".join(diffs[:4])))
        if len(bad) >= 4:
            break
    return bad


def check_blob(blob, head, rows):
    """Problems between the printed result and its codec blob read by ddfcodec."""
    with open(blob, "rb") as f:
        names, dtypes, columns = ddfcodec.decode(f.read())
    if names != head["names"] or dtypes != head["dtypes"]:
        return ["blob header %s %s differs" % (names, dtypes)]
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            b = columns[j][i]
            if isinstance(b, float) and math.isnan(b):
                b = None
            if b is None or v is None:
                ok = b is None and v is None
            elif dtypes[j] == "float64":
                ok = float(b) == float(v)  # "%.17g" round-trips; "-0" and "3" read as ints
            else:
                ok = type(b) is type(v) and b == v
            if not ok:
                return ["blob row %d column %s: %r, printed %r" % (i, names[j], b, v)]
    return []


# ---- cases -----------------------------------------------------------------------------------

ALLV = list(VALUES)
NUMV = ["v_int", "v_inull", "v_float", "v_fnull", "v_bool"]
# 10k groups: one column per dtype, no-null and with-null paths both (keeps ASan quick).
SOMEV = ["v_int", "v_fnull", "v_bnull", "v_str", "v_snull"]


def cases():
    """(name, keys, groups, rows, value columns, inf values?)"""
    K = Key
    return [
        ("g1_int", [K("int")], 1, 60, ALLV, False),
        ("g1_str_null", [K("str", 0.3)], 1, 60, ALLV, False),
        ("g1_allnull_key", [K("int"), K("float", 1.0)], 1, 40, ALLV, False),
        ("g2_bool", [K("bool")], 2, 200, ALLV, False),
        ("g2_bool_null", [K("bool", 0.2)], 3, 200, ALLV, False),
        ("g8_bool3", [K("bool"), K("bool"), K("bool")], 8, 400, ALLV, False),
        ("g8_str_null", [K("str", 0.15)], 8, 300, ALLV, False),
        ("g8_float_zero_inf", [K("float", 0.1)], 8, 300, ALLV, True),
        ("g8_int_bool_null", [K("int", 0.2), K("bool", 0.2)], 8, 300, ALLV, False),
        ("g1000_int_ext", [K("int", extremes=True)], 1000, 4000, ALLV, False),
        ("g1000_int_null", [K("int", 0.05)], 1000, 4000, ALLV, False),
        ("g1000_float_null", [K("float", 0.05)], 1000, 4000, ALLV, True),
        ("g1000_str_null", [K("str", 0.05)], 1000, 4000, ALLV, False),
        ("g1000_int_str_null", [K("int", 0.1), K("str", 0.1)], 1000, 4000, ALLV, False),
        ("g1000_float_int", [K("float"), K("int", extremes=True)], 1000, 4000, ALLV, False),
        ("g1000_str_bool_float", [K("str", 0.1), K("bool", 0.1), K("float", 0.1)], 1000,
         4000, ALLV, False),
        ("g1000_half_null_keys", [K("int", 0.5), K("str", 0.5)], 1000, 3000, ALLV, False),
        ("g10k_int", [K("int", extremes=True)], 10000, 30000, SOMEV, False),
        ("g10k_str_int_null", [K("str", 0.05), K("int", 0.05)], 10000, 30000, SOMEV, False),
        ("g10k_int_float_bool", [K("int"), K("float", 0.05), K("bool")], 10000, 30000,
         NUMV + ["v_snull"], False),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dump", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--seed", type=int, default=20261127)
    ap.add_argument("--skip-big", action="store_true", help="leave out the 1M-group case")
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    rng = random.Random(args.seed)
    passed = failed = 0
    started = time.time()

    def report(label, bad, extra=""):
        nonlocal passed, failed
        if bad:
            failed += 1
            print("FAIL %s: %s" % (label, " | ".join(bad)))
        else:
            passed += 1
            print("ok   %s%s" % (label, extra))
        sys.stdout.flush()

    spent = {"ddf": 0.0, "pandas": 0.0}  # seconds in ddf-groupbydump runs, in pandas

    def run_case(name, path, keys, kinds, values, runs, specs):
        df = pd.read_csv(path, low_memory=False, float_precision="round_trip")
        for c in values:
            if col_kind(df, c, kinds) == "bnull":
                df["__f_" + c] = df[c].map(lambda v: np.nan if pd.isna(v) else float(v))
        size = os.path.getsize(path)
        bss = {"tiny": max(64, size // 150), "medium": size // 5 + 1, "one": 1 << 30}
        for sname, spec in specs(df, values, kinds):
            names = result_names(keys, spec)
            dtypes = result_dtypes(df, keys, spec, kinds)
            want = {}
            for bsname, dropna, mode, order in runs:
                if dropna not in want:
                    t0 = time.time()
                    want[dropna] = expected(df, keys, spec, dropna, kinds)
                    spent["pandas"] += time.time() - t0
                blob = None
                if bsname == "one" and mode == "table" and len(want[dropna]) <= 2000:
                    blob = os.path.join(args.workdir, name + ".blob")
                seed = rng.randrange(1 << 32)
                t0 = time.time()
                got, problem = run_dump(args.dump, path, keys, spec, bss[bsname], dropna,
                                        mode, order, seed, blob)
                spent["ddf"] += time.time() - t0
                label = "%s %s blocksize=%s(%d) dropna=%s %s/%s" % (
                    name, sname, bsname, bss[bsname], dropna, mode, order)
                if problem:
                    report(label, [problem])
                    continue
                bad = compare(got[0], got[1], want[dropna], names, dtypes, len(keys), spec)
                if blob and not bad:
                    bad = check_blob(blob, *got)
                report(label, bad, " (%d groups, %d aggregations)" % (len(got[1]),
                                                                       len(spec)))

    # Cases of up to ~1000 groups: the table path at every blocksize, merge and single at
    # two, each path with both dropna. Larger cases: every blocksize and path once.
    runs_all = [("tiny", True, "table", "shuffle"), ("tiny", False, "table", "reverse"),
                ("medium", True, "table", "shuffle"), ("one", False, "table", "shuffle"),
                ("tiny", True, "merge", "reverse"), ("medium", False, "merge", "reverse"),
                ("tiny", False, "single", "reverse"), ("one", True, "single", "reverse")]
    runs_some = [("tiny", True, "table", "shuffle"), ("medium", False, "merge", "reverse"),
                 ("one", False, "table", "shuffle"), ("medium", True, "single", "reverse")]
    for name, keys, ngroups, nrows, values, inf_ok in cases():
        t0 = time.time()
        runs = runs_all if ngroups <= 1000 else runs_some
        path = os.path.join(args.workdir, name + ".csv")
        knames, _ = make_file(path, rng, keys, ngroups, nrows, values, inf_ok)
        kinds = dict(zip(knames, (k.kind for k in keys)))
        kinds.update((c, VALUES[c][0]) for c in values)
        spec_rng = random.Random(rng.randrange(1 << 32))
        run_case(name, path, knames, kinds, values, runs,
                 lambda df, vals, kk: [("full", spec_full(df, vals, kk)),
                                       ("direct", spec_direct(df, vals, kk)),
                                       ("mixed", spec_mixed(df, vals, kk, spec_rng)),
                                       ("keys-only", [])])
        print("     %s: %.1fs (ddf-groupbydump %.1fs, pandas %.1fs so far)"
              % (name, time.time() - t0, spent["ddf"], spent["pandas"]))

    if not args.skip_big:
        path = os.path.join(args.workdir, "g1m_int.csv")
        t0 = time.time()
        knames, _ = make_big_file(path, rng, 1_000_000, 1_200_000)
        print("     g1m_int.csv written in %.1fs" % (time.time() - t0))
        big_runs_direct = [("medium", True, "table", "shuffle")]
        big_runs_mixed = [("one", False, "single", "reverse")]
        kinds = {"k0": "int", "v_int": "int", "v_float": "float"}
        run_case("g1m_int", path, knames, kinds, ["v_int", "v_float"], big_runs_direct,
                 lambda df, vals, kk: [("direct", [("v_int", "sum"), ("v_int", "mean"),
                                               ("v_float", "count"), ("v_float", "size")])])
        run_case("g1m_int", path, knames, kinds, ["v_int", "v_float"], big_runs_mixed,
                 lambda df, vals, kk: [("mixed", [("v_int", "sum"), ("v_float", "max"),
                                              ("v_float", "first"), ("v_float", "std"),
                                              ("v_int", "nunique")])])

    # Errors: a clean exit 1 with the error's name.
    src = os.path.join(args.workdir, "errors.csv")
    make_file(src, rng, [Key("str")], 5, 30, ALLV)
    for mode in ("table", "merge", "single"):
        argv = [args.dump, src, "--keys", "k0", "--aggs", "v_int:sum", "--blocksize", "100",
                "--mode", mode, "--max-groups"]
        at = subprocess.run(argv + ["5"], capture_output=True, timeout=60)
        over = subprocess.run(argv + ["4"], capture_output=True, timeout=60)
        report("group limit (%s): 5 groups fit a limit of 5, not of 4" % mode,
               [] if at.returncode == 0 and at.stdout.count(b"\n") == 6 and
               over.returncode == 1 and over.stderr.startswith(b"groupbydump: DDF_ETOOBIG: ")
               else ["limit 5: exit %d %r; limit 4: exit %d %r"
                     % (at.returncode, at.stderr, over.returncode, over.stderr)])
    for label, argv, code in [
            ("missing file", [os.path.join(args.workdir, "no_such_file.csv"), "--keys", "k0"],
             "DDF_ENOENT"),
            ("unknown key column", [src, "--keys", "nope", "--aggs", "v_int:sum"],
             "DDF_EINVAL"),
            ("sum of strings", [src, "--keys", "k0", "--aggs", "v_str:sum"], "DDF_ETYPE"),
            ("mean of strings", [src, "--keys", "k0", "--aggs", "v_snull:mean"],
             "DDF_ETYPE"),
            ("four keys", [src, "--keys", "k0,v_int,v_str,v_bool", "--aggs", "v_int:sum"],
             "DDF_EINVAL")]:
        proc = subprocess.run([args.dump] + argv, capture_output=True, timeout=60)
        want = ("groupbydump: %s: " % code).encode()
        report("error: " + label, [] if proc.returncode == 1 and proc.stderr.startswith(want)
               else ["exit %d, stderr %r" % (proc.returncode, proc.stderr)])

    print("%d passed, %d failed (%.1fs)" % (passed, failed, time.time() - started))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
