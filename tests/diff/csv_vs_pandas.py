#!/usr/bin/python3
"""Differential test: ddf's CSV engine against pandas.read_csv(low_memory=False).

Generates CSV files (seeded) with nulls, quoted separators and quotes, embedded newlines,
CRLF, UTF-8, BOMs, blank lines, every number spelling pandas accepts and columns that need
widening late in the file; reads each with ddf-csvdump at many blocksizes, down to 1 byte,
and checks that the concatenated partitions equal pandas' frame: names, dtypes, values.

ddf differs from numpy-backed pandas by design in two ways, which the comparison allows:
an int column with nulls stays int64 (pandas: float64), and a bool column with nulls stays
bool (pandas: object). Floats must agree within 1e-15 relative (pandas' own float parser
may differ from a correctly rounded one in the last bit).

Usage: csv_vs_pandas.py --dump PATH/ddf-csvdump --workdir DIR [--seed N] [--quick]
Prints one line per case and "N passed, N failed" at the end; exits 1 on any failure.
"""
import argparse
import io
import math
import os
import random
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ddfcodec  # noqa: E402

import pandas as pd  # noqa: E402


# ---- reading ddf's dump ---------------------------------------------------------------

def read_dump(data):
    """Return (names, dtypes, columns) of the concatenated partitions of a csvdump output."""
    if data[:8] != b"DDFDUMP1":
        raise ValueError("not a csvdump output")
    pos = 8

    def blob():
        nonlocal pos
        (n,) = struct.unpack_from("<Q", data, pos)
        pos += 8
        b = data[pos:pos + n]
        pos += n
        return ddfcodec.decode(b)

    names, dtypes, _ = blob()
    (nparts,) = struct.unpack_from("<I", data, pos)
    pos += 4
    columns = [[] for _ in names]
    for _ in range(nparts):
        pnames, pdtypes, pcols = blob()
        if pnames != names or pdtypes != dtypes:
            raise ValueError("partition schema %r %r differs from %r %r"
                             % (pnames, pdtypes, names, dtypes))
        for i, col in enumerate(pcols):
            columns[i].extend(col)
    if pos != len(data):
        raise ValueError("trailing bytes in dump")
    return names, dtypes, columns, nparts


# ---- comparing with pandas -------------------------------------------------------------

def is_null(v):
    return v is None or (isinstance(v, float) and math.isnan(v))


def pandas_columns(df):
    out = []
    for name in df.columns:
        s = df[name]
        out.append((str(name), str(s.dtype), [None if is_null(v) else v for v in s.tolist()]))
    return out


def same_value(ours, theirs, our_dtype):
    if ours is None or theirs is None:
        return ours is None and theirs is None
    if our_dtype == "string":
        return isinstance(theirs, str) and ours == theirs
    if our_dtype == "bool":
        return isinstance(theirs, bool) and ours == theirs
    if our_dtype == "int64":
        return float(theirs) == float(ours) and (not isinstance(theirs, float)
                                                 or theirs == int(theirs))
    if isinstance(theirs, bool) or not isinstance(theirs, (int, float)):
        return False
    if math.isinf(ours) or math.isinf(theirs):
        return ours == theirs
    return math.isclose(ours, theirs, rel_tol=1e-15, abs_tol=0.0) or ours == theirs


def dtype_agrees(our_dtype, pandas_dtype, values):
    nonnull = [v for v in values if v is not None]
    has_null = len(nonnull) != len(values)
    if our_dtype == "int64":
        return pandas_dtype == "int64" or (
            pandas_dtype == "float64" and has_null
            and all(float(v).is_integer() for v in nonnull))
    if our_dtype == "float64":
        return pandas_dtype == "float64"
    if our_dtype == "bool":
        return pandas_dtype == "bool" or (pandas_dtype == "object" and has_null and
                                          all(isinstance(v, bool) for v in nonnull))
    if our_dtype == "string":
        return pandas_dtype == "object"
    return False


def compare(ours, df):
    names, dtypes, columns = ours
    theirs = pandas_columns(df)
    if names != [t[0] for t in theirs]:
        return "names differ: ddf %r, pandas %r" % (names, [t[0] for t in theirs])
    for name, our_dtype, col, (_, pdtype, pcol) in zip(names, dtypes, columns, theirs):
        if len(col) != len(pcol):
            return "column %r: ddf has %d rows, pandas %d" % (name, len(col), len(pcol))
        if not dtype_agrees(our_dtype, pdtype, pcol):
            return "column %r: ddf dtype %s, pandas %s" % (name, our_dtype, pdtype)
        for row, (a, b) in enumerate(zip(col, pcol)):
            if not same_value(a, b, our_dtype):
                return "column %r row %d: ddf %r, pandas %r" % (name, row, a, b)
    return None


# ---- generated files -------------------------------------------------------------------

WORDS = ["alpha", "beta", "gamma", "delta", "épsilon", "ζeta", "東京", "naïve café", "x"]


def quote(s):
    return '"' + s.replace('"', '""') + '"'


def text_value(rng):
    r = rng.random()
    if r < 0.1:
        return ""
    if r < 0.2:
        return quote(rng.choice(WORDS) + ", with comma")
    if r < 0.3:
        return quote('he said "%s"' % rng.choice(WORDS))
    if r < 0.4:
        return quote("line one\nline two " + rng.choice(WORDS))
    if r < 0.45:
        return quote("crlf\r\ninside")
    if r < 0.5:
        return quote("")
    if r < 0.55:
        return rng.choice(["NA", "null", "N/A", "nan", "#N/A"])
    if r < 0.6:
        return " " + rng.choice(WORDS) + " "
    return rng.choice(WORDS)


def int_value(rng):
    r = rng.random()
    if r < 0.08:
        return ""
    if r < 0.12:
        # Not INT64_MIN: pandas 1.5 reads it as NaN in a column with nulls (it is
        # pandas' internal NA sentinel); the int64-extremes case covers it without nulls.
        return rng.choice(["+5", " 6 ", "007", "-0", "9223372036854775807", "NA"])
    return str(rng.randint(-10**6, 10**6))


def float_value(rng):
    r = rng.random()
    if r < 0.08:
        return ""
    if r < 0.2:
        return rng.choice(["1e3", "1E-7", ".5", "5.", "-0.0", "inf", "-inf", "Infinity",
                           "+inf", "-Infinity", " 1.5 ", "+2.25", "nan", "-nan", "NaN",
                           "123456789.123456789", "1.7976931348623157e308", "4.9e-324",
                           "0.1", "3"])
    return "%.*f" % (rng.randint(0, 6), rng.uniform(-1e5, 1e5))


def bool_value(rng):
    r = rng.random()
    if r < 0.05:
        return ""
    return rng.choice(["True", "False", "true", "false", "TRUE", "FALSE"])


def mixed_file(rng, rows, eol="\n"):
    header = ["id", "qty", "price", "ok", "note", "empty", "note"]  # duplicate name
    lines = [",".join(header)]
    for i in range(rows):
        lines.append(",".join([str(i), int_value(rng), float_value(rng), bool_value(rng),
                               text_value(rng), "", text_value(rng)]))
    return eol.join(lines) + eol


def widening_file(rng, rows):
    """Columns whose dtype changes only far past the inference sample."""
    lines = ["i_to_f,f_to_s,b_to_s,null_to_i,null_to_s,i_to_s,stay_i"]
    late = rows - rows // 10
    for i in range(rows):
        a = "%d" % rng.randint(0, 999) if i != late else "2.5"
        b = "%.2f" % rng.uniform(0, 99) if i != late + 1 else "oops"
        c = rng.choice(["True", "False"]) if i != late + 2 else "1"
        d = "" if i < late else str(i)
        e = "" if i != late + 3 else "text"
        f = str(i) if i != rows - 1 else "x"
        lines.append(",".join([a, b, c, d, e, f, str(i * 7)]))
    return "\n".join(lines) + "\n"


def wide_file(rng, ncols, rows):
    makers = [int_value, float_value, bool_value, text_value]
    kinds = [rng.choice(makers) for _ in range(ncols)]
    lines = [",".join("c%d" % i for i in range(ncols))]
    for _ in range(rows):
        lines.append(",".join(k(rng) for k in kinds))
    return "\n".join(lines) + "\n"


def spellings_file():
    rows = ["+5", " 6 ", "1e3", "inf", "-inf", "Infinity", ".5", "5.", "-0.0", "1.5e",
            "0x10", "1_000", "", "NA"]
    lines = ["a,b,c"]
    for i, r in enumerate(rows):
        lines.append("%s,%d,%s" % (r, i, r if i < 9 else "1"))
    return "\n".join(lines) + "\n"


# ---- cases ------------------------------------------------------------------------------

def cases(rng, quick):
    small = [1, 2, 3, 5, 7, 16, 61, 256, 1000, 4096, 1 << 30]
    big = [997, 4096, 65536, 300000, 1 << 30] if not quick else [65536, 1 << 30]
    yield "mixed", mixed_file(rng, 150), {}, small
    yield "mixed-crlf", mixed_file(rng, 120, "\r\n"), {}, small
    yield "mixed-bom-no-final-newline", "\ufeff" + mixed_file(rng, 60).rstrip("\n"), {}, small
    yield "blank-and-space-lines", "a,b\n\n1,x\n   \n2,y\n\n\n3, z\n", {}, small
    yield "spellings", spellings_file(), {}, small
    yield "int64-extremes", ("a,b\n-9223372036854775808,9223372036854775807\n"
                              "0,-9223372036854775807\n"), {}, small
    yield "header-only", "a,b,c\n", {}, small
    yield "header-only-no-newline", "a,b,c", {}, small
    yield "short-rows-padded", "a,b,c\n1,2,3\n4\n5,6\n", {}, small
    yield "empty-and-dup-names", "a,,a,a.1\n1,2,3,4\n", {}, small
    yield "all-null-column", "a,b\n1,\n2,\n", {}, small
    yield "semicolon", "a;b\n1;\"x;y\"\n2;z\n", {"sep": ";"}, small
    yield "tab", "a\tb\n1\tx y\n2\tz\n", {"sep": "\t"}, small
    yield "header-none", "1,x\n2,y\n", {"header": None}, small
    yield "names", "a,b\n1,x\n2,y\n", {"names": ["p", "q"], "header": 0}, small
    yield "usecols", mixed_file(rng, 40), {"usecols": ["price", "id"]}, small
    yield "skiprows", "junk line\n\nmore\"junk\"\na,b\n1,2\n", {"skiprows": 3}, small
    yield "dtype-pinned", "a,b\n1,2\n3,4\n", {"dtype": {"a": "float64", "b": "string"}}, small
    yield "na-values", "a,b\n1,missing\n-1,x\n", {"na_values": ["missing", "-1"]}, small
    yield "bad-lines-skip", "a,b\n1,x\n2,y,z\n3,\"q\nq\"\n4,w,v,u\n5,t\n", \
        {"on_bad_lines": "skip"}, small
    yield "wide", wide_file(rng, 300, 30), {}, [1, 97, 4096, 1 << 30]
    yield "widening", widening_file(rng, 40000 if not quick else 25000), {}, big
    yield "mixed-large", mixed_file(rng, 6000 if not quick else 3000), {}, big


def dump_args(kw):
    args = []
    if "sep" in kw:
        args += ["--sep", "\\t" if kw["sep"] == "\t" else kw["sep"]]
    if kw.get("header", 0) is None:
        args.append("--no-header")
    if "names" in kw:
        args += ["--names", ",".join(kw["names"])]
    if "usecols" in kw:
        args += ["--usecols", ",".join(kw["usecols"])]
    if "skiprows" in kw:
        args += ["--skiprows", str(kw["skiprows"])]
    for col, t in kw.get("dtype", {}).items():
        args += ["--dtype", "%s=%s" % (col, t)]
    for v in kw.get("na_values", []):
        args += ["--na-value", v]
    if "on_bad_lines" in kw:
        args += ["--on-bad-lines", kw["on_bad_lines"]]
    return args


def pandas_read(path, kw):
    kw = dict(kw)
    if "dtype" in kw:
        kw["dtype"] = {k: ("object" if v == "string" else v) for k, v in kw["dtype"].items()}
    df = pd.read_csv(path, low_memory=False, **kw)
    if "usecols" in kw:  # pandas keeps file order for usecols, as ddf does
        pass
    df.columns = [str(c) for c in df.columns]
    return df


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dump", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--seed", type=int, default=20261126)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    rng = random.Random(args.seed)
    passed = failed = 0
    for name, text, kw, blocksizes in cases(rng, args.quick):
        path = os.path.join(args.workdir, name + ".csv")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        df = pandas_read(path, kw)
        for bs in blocksizes:
            if bs < 64 and os.path.getsize(path) > 40000:
                continue
            proc = subprocess.run([args.dump, path, "--blocksize", str(bs)] + dump_args(kw),
                                  capture_output=True, timeout=300)
            label = "%s blocksize=%d" % (name, bs)
            if proc.returncode != 0:
                failed += 1
                print("FAIL %s: csvdump exit %d: %s" % (label, proc.returncode,
                                                      proc.stderr.decode(errors="replace")))
                continue
            names, dtypes, columns, nparts = read_dump(proc.stdout)
            problem = compare((names, dtypes, columns), df)
            if problem:
                failed += 1
                print("FAIL %s (%d partitions): %s" % (label, nparts, problem))
            else:
                passed += 1
                print("ok   %s (%d partitions, %d rows)" % (label, nparts, len(df)))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
