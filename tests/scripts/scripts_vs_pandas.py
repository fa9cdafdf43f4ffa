#!/usr/bin/python3
"""scripts_vs_pandas - differential test of the ddf program (DESIGN §6-§7, §9): the same
scripts run by `ddf` on a local cluster and by pandas (pandas_oracle.py), compared value by
value.

    scripts_vs_pandas.py --ddf PATH [--workdir DIR] [--quick] [--filter NAME]
                         [--workers N] [--timeout S] [--seed N] [-j N]

Data (seeded, written with Python's csv module into WORKDIR/data):
  sales.csv      500 records: id (0..499, the one column without nulls, a sort tiebreak),
                 region, customer (int), qty (int), price (float), returned (bool) and note
                 (strings with commas, doubled quotes, embedded newlines), nulls in every
                 other column;
  semi.csv       ';'-separated, commas inside unquoted fields;
  tabs.tsv       tab-separated;
  quoted.csv     quoted headers with a space, a comma and a quote in them;
  wide.csv       60 columns (ints, floats and strings);
  sparse.csv     mostly nulls, one column entirely null;
  part-1.csv, part-2.csv   two files of one table read as the glob part-*.csv.
Every script runs three times, each in a fresh directory holding (hard links to) the data:
  - `ddf --format json`: its JSON Lines must equal the oracle's values (below);
  - `ddf --format csv`: must parse as CSV blocks, one per value (a print(...) gives one
    block per run of scalars, list, series or table), holding the same values;
  - `ddf` (table format): must exit 0 and print something when the oracle does.
Equivalences the comparison allows (DESIGN §2 and §7):
  - null, NaN and None are one thing; an int column with nulls is int64 in ddf, float64 in
    pandas: ints and floats compare numerically, floats within 1e-9 relative (1e-12
    absolute near zero); a bool column with nulls is object in pandas, bool in ddf;
  - frames and plain column series have no row labels in ddf (numbered 0..n-1): their
    indexes are not compared, their row order is; group-by, value_counts, describe and
    per-column results keep pandas' index, which must match;
  - value_counts: counts in the same order; labels of equal counts compared as sets;
  - column names of several aggregations are ddf's <column>_<agg> (the oracle renames).
A script that fails in one program and not the other is a failure, as is a timeout.
--quick (the sanitizer build) runs every third script and skips the table-format run.

Exit status: 0 when every script agreed, 1 otherwise; prints one line per script and a
report (script, pandas' value, ddf's value) for each disagreement.
"""
import argparse
import concurrent.futures
import csv
import io
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pandas_oracle  # noqa: E402
import run_cases  # noqa: E402  (sanitizer report collection)

REL_TOL = 1e-9
ABS_TOL = 1e-12

# ---- data ----------------------------------------------------------------------------------

WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
         "kappa", "lambda", "mu"]


def _note(rng):
    r = rng.random()
    w = rng.choice(WORDS)
    if r < 0.15:
        return ""
    if r < 0.30:
        return "%s, %s" % (w, rng.choice(WORDS))
    if r < 0.42:
        return 'say "%s"' % w
    if r < 0.52:
        return "%s\n%s" % (w, rng.choice(WORDS))
    if r < 0.58:
        return '"%s", then\n"%s"' % (w, rng.choice(WORDS))
    return w


def _maybe(rng, p, text):
    return "" if rng.random() < p else text


def write_csv(path, header, rows, **fmt):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n", **fmt)
        w.writerow(header)
        w.writerows(rows)


def make_data(d, seed):
    rng = random.Random(seed)
    os.makedirs(d, exist_ok=True)
    regions = ["EU-West", "EU-East", "US", "APAC", "LATAM"]
    rows = []
    for i in range(500):
        rows.append([
            i,
            _maybe(rng, 0.05, rng.choice(regions)),
            _maybe(rng, 0.05, str(rng.randint(1, 40))),
            _maybe(rng, 0.08, str(rng.randint(0, 50))),
            _maybe(rng, 0.08, repr(round(rng.uniform(-20, 300), rng.choice([0, 2, 4, 6])))),
            _maybe(rng, 0.10, rng.choice(["True", "False"])),
            _note(rng),
        ])
    write_csv(os.path.join(d, "sales.csv"),
              ["id", "region", "customer", "qty", "price", "returned", "note"], rows)

    rows = []
    for i in range(60):
        rows.append([rng.choice(["Lyon", "Nice", "Paris"]),
                     "%d,%d" % (rng.randint(0, 9), rng.randint(0, 99)),
                     _maybe(rng, 0.1, str(rng.randint(-5, 5))),
                     _maybe(rng, 0.1, repr(round(rng.uniform(0, 10), 3)))])
    write_csv(os.path.join(d, "semi.csv"), ["city", "code", "delta", "amount"], rows,
              delimiter=";")

    rows = [[rng.choice("abc"), _maybe(rng, 0.1, str(rng.randint(0, 9))),
             _maybe(rng, 0.1, rng.choice(WORDS))] for _ in range(40)]
    write_csv(os.path.join(d, "tabs.tsv"), ["k", "v", "w"], rows, delimiter="\t")

    rows = [[rng.choice(["x", "y"]), repr(round(rng.uniform(0, 9), 2)), rng.randint(0, 3),
             rng.choice(WORDS)] for _ in range(30)]
    write_csv(os.path.join(d, "quoted.csv"), ["group", "unit price", "a,b", 'say "q"'], rows,
              quoting=csv.QUOTE_ALL)

    header = []
    for c in range(60):
        header.append("c%02d" % c)
    rows = []
    for _ in range(80):
        row = []
        for c in range(60):
            if c % 3 == 0:
                row.append(_maybe(rng, 0.05, str(rng.randint(-100, 100))))
            elif c % 3 == 1:
                row.append(_maybe(rng, 0.05, repr(round(rng.uniform(-1, 1), 5))))
            else:
                row.append(_maybe(rng, 0.05, rng.choice(WORDS)))
        rows.append(row)
    write_csv(os.path.join(d, "wide.csv"), header, rows)

    rows = []
    for i in range(120):
        rows.append([rng.choice(["p", "q", "r"]),
                     _maybe(rng, 0.95, str(rng.randint(0, 9))),
                     _maybe(rng, 0.9, repr(round(rng.uniform(0, 1), 3))),
                     _maybe(rng, 0.97, rng.choice(WORDS)),
                     ""])
    write_csv(os.path.join(d, "sparse.csv"), ["k", "n", "x", "s", "empty"], rows)

    for part in (1, 2):
        rows = [[rng.choice(["a", "b", "c", "d"]), _maybe(rng, 0.1, str(rng.randint(0, 99))),
                 repr(round(rng.uniform(0, 1), 4))] for _ in range(25 * part)]
        write_csv(os.path.join(d, "part-%d.csv" % part), ["k", "v", "x"], rows)


# ---- scripts -------------------------------------------------------------------------------

S = 's = read_csv("sales.csv", blocksize=3000)\n'
SCRIPTS = [
    ("shape", S + "len(s)\ns.columns\nlen(s.columns)\n"),
    ("series_reductions", S + "s.qty.sum()\ns.qty.mean()\ns.qty.count()\ns.qty.min()\n"
     "s.qty.max()\ns.price.std()\ns.price.var()\ns.customer.nunique()\ns.price.sum()\n"
     "s.region.nunique()\ns.region.count()\n"),
    ("frame_reductions", S + 'n = s[["customer", "qty", "price"]]\nn.sum()\nn.mean()\n'
     "n.count()\nn.std()\nn.var()\nn.min()\nn.max()\nn.nunique()\n"),
    ("head_tail", S + "s.head()\ns.head(12)\ns.tail(3)\ns.price.head(4)\ns.note.tail(6)\n"),
    ("whole_frame", S + "s\n"),
    ("masks", S + "s[(s.qty > 10) & (s.price < 50)]\n"
     's[(s.region == "US") | (s.qty < 3)].id\n'
     "s[~(s.price > 10)].price\n"
     "s[s.returned == True].qty.sum()\n"),
    ("isin", S + 'e = s[s.region.isin(["EU-West", "EU-East"])]\nlen(e)\n'
     'e.groupby("region").qty.sum()\ns[s.customer.isin([1, 2, 3])].customer.value_counts()\n'),
    ("groupby_agg", S + 's.groupby("region").agg({"qty": "sum", "price": ["mean", "max"]})\n'
     's.groupby("region").agg({"qty": ["min", "max", "count"], "price": "std"})\n'
     's[["region", "qty", "price"]].groupby("region").agg(["sum", "mean"])\n'
     's[["region", "qty", "price"]].groupby("region").agg("max")\n'
     's.groupby("region").price.agg(["min", "max", "count"])\n'
     's.groupby("returned").qty.agg("mean")\n'),
    ("groupby_methods", S + 'g = s.groupby("region")\ng.qty.sum()\ng.qty.mean()\n'
     "g.price.std()\ng.price.var()\ng.size()\ng.qty.count()\ng.price.min()\ng.price.max()\n"
     "g.customer.nunique()\n"),
    ("groupby_first_last", S + 'g = s.groupby("region")\ng.note.first()\ng.qty.last()\n'
     'g.price.first()\ng[["qty", "price"]].last()\n'),
    ("groupby_frame", S + 'g = s[["region", "customer", "qty", "price"]].groupby("region")\n'
     "g.sum()\ng.mean()\ng.count()\ng.max()\n"),
    ("groupby_multikey", S + 's.groupby(["region", "returned"]).qty.sum()\n'
     's.groupby(["returned", "region"]).size()\n'
     's.groupby(["region", "customer"]).agg({"price": "max", "qty": "sum"})\n'),
    ("groupby_int_key", S + 's.groupby("customer").qty.sum()\n'
     's.groupby("qty").price.mean().head(10)\n'),
    ("groupby_dropna", S + 's.groupby("region", dropna=False).qty.sum()\n'
     's.groupby("returned", dropna=False).size()\n'),
    ("value_counts", S + "s.region.value_counts()\ns.customer.value_counts()\n"
     "s.returned.value_counts()\ns.qty.value_counts()\n"),
    ("query", S + 's.query("qty > 20 and region == \'US\'")\nlim = 100\n'
     's.query("price > @lim").id\n'
     's.query("returned == False and not (qty < 40)")[["id", "qty"]]\n'
     's.query("region in [\'APAC\', \'LATAM\'] or customer == 7").id\n'),
    ("assign", S + 't = s.assign(total=s.qty * s.price, twice=lambda d: d.qty * 2)\n'
     't[["id", "total", "twice"]]\nt.total.sum()\n'),
    ("sort_values", S + 's[["id", "price"]].sort_values(["price", "id"])\n'
     's[["id", "qty"]].sort_values(["qty", "id"], ascending=[False, True]).head(20)\n'
     's.sort_values("id", ascending=False).head(3)\n'
     's.sort_values(["region", "id"]).tail(4)\n'),
    ("nlargest", S + 's.nlargest(5, "price")\ns[["id", "price"]].nsmallest(7, "price")\n'
     "s.qty.nlargest(6)\ns.price.nsmallest(4)\n"),
    ("describe", S + "s.describe()\ns.price.describe()\ns.qty.describe()\n"),
    ("apply", S + 's["total"] = s.apply(lambda r: r.price * r.qty, axis=1)\n'
     "s.total.sum()\ns.groupby(\"region\").total.max()\n"
     "s.price.apply(lambda x: abs(x - 100) * 2).sum()\n"
     "s.apply(lambda r: r.qty + r.customer, axis=1).head(8)\n"),
    ("subscript_assign", S + 's["big"] = s.qty > 25\ns["qty2"] = s.qty * 2 + 1\n'
     's["label"] = "x"\ns[["id", "big", "qty2", "label"]].tail(10)\n'
     's.groupby("big").qty2.sum()\n'),
    ("strings", S + 'w = s[s.note.notnull()]\nw.note.str.upper().head(10)\n'
     'w[w.note.str.contains("alpha")].id\nw.note.str.len().sum()\n'
     's.region.str.lower().value_counts()\n'),
    ("arithmetic", S + "(s.price * s.qty).sum()\n(s.qty // 7).value_counts()\n"
     "(s.qty % 5).head(10)\n(s.price ** 2).max()\n(s.price / s.qty).head(12)\n"
     "(-s.price + 1.5 * s.customer).mean()\n(s.qty - s.customer).min()\n"),
    ("nulls", S + "s.qty.isnull().sum()\nlen(s[s.region.isnull()])\n"
     "s.qty.fillna(-1).sum()\ns.price.fillna(0).mean()\ns.qty.notnull().sum()\n"
     "s[s.returned.isnull()].id\n"),
    ("comparisons", S + 's[s.region > "EU"].region.value_counts()\n'
     "s[s.qty.between(10, 20)].qty.count()\ns[s.price != s.price].id.count()\n"
     "s[(s.qty >= 25) == (s.price >= 100)].id.count()\n"),
    ("reset_index", S + 's.groupby("region").qty.sum().reset_index()\n'
     's.groupby(["region", "returned"]).price.max().reset_index()\n'),
    ("many_partitions", 's = read_csv("sales.csv", blocksize=256)\nlen(s)\n'
     "s.note.str.len().sum()\ns.groupby(\"region\").agg({\"note\": \"count\"})\n"
     "s.tail(5)\ns.nlargest(3, \"id\")\n"),
    ("loops_print", S + 'for c in ["qty", "price"]:\n    print(c, s[c].sum(), s[c].max())\n'
     'for name, col in s[["customer", "region"]].items():\n    print(name, col.count())\n'
     'print("rows", len(s), s.price.min())\nprint(s.qty.head(3))\n'),
    ("imports", "import pandas as pd\nimport dask.dataframe as dd\n"
     'a = pd.read_csv("sales.csv")\nb = dd.read_csv("sales.csv", blocksize=2000)\n'
     "a.qty.sum()\nb.qty.sum()\nlen(b)\n"),
    ("dtype_pinned", 's = read_csv("sales.csv", dtype={"customer": "float64", "id": "str"})\n'
     "s.customer.sum()\ns.id.max()\ns.head(3)\n"),
    ("to_csv", S + "s[s.qty > 30].to_csv(\"out/part-*.csv\")\n"
     'r = read_csv("out/part-*.csv")\nlen(r)\nr\nr.price.sum()\n'),
    ("semicolon", 't = read_csv("semi.csv", sep=";")\nt\nt.groupby("city").amount.sum()\n'
     "t.delta.mean()\n"),
    ("tabs", 't = read_csv("tabs.tsv", sep="\\t")\nt\nt.groupby("k").v.sum()\n'
     "t.w.value_counts()\n"),
    ("quoted_headers", 'q = read_csv("quoted.csv")\nq.columns\nq["unit price"].sum()\n'
     'q.query("`unit price` > 3").group.value_counts()\nq.groupby("group")["a,b"].max()\n'
     'q[\'say "q"\'].nunique()\n'),
    ("wide", 'w = read_csv("wide.csv", blocksize=4000)\nlen(w.columns)\nw.sum()\n'
     "w.count()\nw.describe()\nw.c37.max()\nw.head(3)\n"),
    ("sparse", 'm = read_csv("sparse.csv")\nm.count()\nm.n.sum()\nm.x.mean()\n'
     'm.groupby("k").x.max()\nm[m.n.notnull()]\nm.s.value_counts()\n'),
    ("glob", 'g = read_csv("part-*.csv")\nlen(g)\ng\ng.groupby("k").v.sum()\n'
     "g.x.max()\n"),
]


# ---- running -------------------------------------------------------------------------------

def run_ddf(ddf, script, datadir, fmt, workers, timeout):
    """(exit status or None on timeout, stdout, stderr) of one run in a fresh directory;
    sanitizer reports of ddf and its workers are appended to stderr and make the status
    -1000 when the run otherwise succeeded."""
    with tempfile.TemporaryDirectory(prefix="ddf-vs-") as root:
        tmp = os.path.join(root, "work")
        logdir = os.path.join(root, "sanitizer")
        os.mkdir(tmp)
        os.mkdir(logdir)
        for name in os.listdir(datadir):
            os.link(os.path.join(datadir, name), os.path.join(tmp, name))
        with open(os.path.join(tmp, "script.py"), "w", encoding="utf-8") as f:
            f.write(script)
        env = run_cases.sanitizer_env(dict(os.environ), logdir)
        env.pop("DDF_REDIS", None)
        proc = subprocess.Popen([ddf, "--workers", str(workers), "--format", fmt, "script.py"],
                                cwd=tmp, env=env, start_new_session=True,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        try:
            out, err = proc.communicate(timeout=timeout)
            code = proc.returncode
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            out, err = proc.communicate(timeout=30)
            code = None
        out, err = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
        reports = run_cases.sanitizer_reports(logdir)
        if reports:
            err += reports
            if code == 0:
                code = -1000
        return code, out, err


_ORACLE_LOCK = threading.Lock()  # the oracle changes the process' directory


def run_oracle(script, datadir):
    """(list of JSON values, or None and the exception text)."""
    with _ORACLE_LOCK, tempfile.TemporaryDirectory(prefix="ddf-oracle-") as tmp:
        for name in os.listdir(datadir):
            os.link(os.path.join(datadir, name), os.path.join(tmp, name))
        buf = io.StringIO()
        try:
            pandas_oracle.run(script, tmp, "json", buf)
        except Exception as e:  # the script fails in pandas: compared with ddf's exit
            return None, "%s: %s" % (type(e).__name__, e)
        return [json.loads(line) for line in buf.getvalue().splitlines()], None


# ---- comparing -----------------------------------------------------------------------------

def same_scalar(a, b):
    """pandas' value a and ddf's value b."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, int) and isinstance(b, int):
            return a == b
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_scalar(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return not compare_value(a, b)
    return type(a) == type(b) and a == b


def same_dtype(pandas_dtype, ddf_dtype, values):
    if pandas_dtype == ddf_dtype:
        return True
    held = [v for v in values if v is not None]
    # an int column with nulls: float64 in pandas, int64 in ddf
    if pandas_dtype == "float64" and ddf_dtype == "int64":
        return all(float(v).is_integer() for v in held)
    # a column with no value at all: pandas float64, ddf may infer another type
    if not held:
        return True
    return False


def compare_value(p, d):
    """What differs between pandas' JSON value p and ddf's d ('' when they agree)."""
    if d.get("kind") != p["kind"]:
        return "kind %s, pandas %s" % (d.get("kind"), p["kind"])
    kind = p["kind"]
    if kind == "scalar":
        return "" if same_scalar(p["value"], d.get("value")) else "value differs"
    if kind == "list":
        a, b = p["values"], d.get("values", [])
        if len(a) != len(b):
            return "%d items, pandas %d" % (len(b), len(a))
        for i, (x, y) in enumerate(zip(a, b)):
            if not same_scalar(x, y):
                return "item %d: %r, pandas %r" % (i, y, x)
        return ""
    if kind == "print":
        a, b = p["values"], d.get("values", [])
        if len(a) != len(b):
            return "%d arguments, pandas %d" % (len(b), len(a))
        for i, (x, y) in enumerate(zip(a, b)):
            if isinstance(x, dict):
                if not isinstance(y, dict):
                    return "argument %d is not a %s" % (i, x["kind"])
                why = compare_value(x, y)
                if why:
                    return "argument %d: %s" % (i, why)
            elif not same_scalar(x, y):
                return "argument %d: %r, pandas %r" % (i, y, x)
        return ""
    if kind == "table":
        if p["columns"] != d.get("columns"):
            return "columns %r, pandas %r" % (d.get("columns"), p["columns"])
        rows_p, rows_d = p["data"], d.get("data", [])
        if len(rows_p) != len(rows_d):
            return "%d rows, pandas %d" % (len(rows_d), len(rows_p))
        for c, (tp, td) in enumerate(zip(p["dtypes"], d.get("dtypes", []))):
            if not same_dtype(tp, td, [r[c] for r in rows_p]):
                return "column %s: dtype %s, pandas %s" % (p["columns"][c], td, tp)
        for i, (rp, rd) in enumerate(zip(rows_p, rows_d)):
            if len(rp) != len(rd):
                return "row %d has %d fields, pandas %d" % (i, len(rd), len(rp))
            for c, (x, y) in enumerate(zip(rp, rd)):
                if not same_scalar(x, y):
                    return "row %d column %s: %r, pandas %r" % (i, p["columns"][c], y, x)
        return ""
    if kind == "series":
        if p["name"] != d.get("name"):
            return "name %r, pandas %r" % (d.get("name"), p["name"])
        vp, vd = p["values"], d.get("values", [])
        ip, idd = p["index"], d.get("index", [])
        if len(vp) != len(vd) or len(idd) != len(vd):
            return "%d values, pandas %d" % (len(vd), len(vp))
        if p.get("ties"):  # value_counts: the counts in order, each tie group as a set
            for i, (x, y) in enumerate(zip(vp, vd)):
                if not same_scalar(x, y):
                    return "count %d: %r, pandas %r" % (i, y, x)
            groups_p, groups_d = {}, {}
            for lab, cnt in zip(ip, vp):
                groups_p.setdefault(cnt, []).append(json.dumps(_label(lab)))
            for lab, cnt in zip(idd, vd):
                groups_d.setdefault(cnt, []).append(json.dumps(_label(lab)))
            for cnt in groups_p:
                if sorted(groups_p[cnt]) != sorted(groups_d.get(cnt, [])):
                    return "labels counted %r: %r, pandas %r" % (cnt, groups_d.get(cnt),
                                                                 groups_p[cnt])
            return ""
        for i, (x, y) in enumerate(zip(vp, vd)):
            if not same_scalar(x, y):
                lab = ip[i] if p["labelled"] else i
                return "value %d (%r): %r, pandas %r" % (i, lab, y, x)
        if p["labelled"]:
            for i, (x, y) in enumerate(zip(ip, idd)):
                if not same_scalar(x, y):
                    return "index %d: %r, pandas %r" % (i, y, x)
        return ""
    return "unknown kind %r" % kind


def _label(v):
    """A label to compare as a set member: an integral float as the int (an int key with
    nulls is float in pandas)."""
    if isinstance(v, list):
        return [_label(x) for x in v]
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def expected_blocks(values):
    """The CSV blocks a list of JSON values prints as: ('scalars', text) for a print's run
    of scalars, ('value', obj) otherwise."""
    out = []
    for v in values:
        if v["kind"] != "print":
            out.append(("value", v))
            continue
        run = []
        for a in v["values"]:
            if isinstance(a, dict) or isinstance(a, list):
                if run:
                    out.append(("scalars", run))
                    run = []
                out.append(("value", a if isinstance(a, dict) else
                            {"kind": "list", "values": a}))
            else:
                run.append(a)
        if run or not v["values"]:
            out.append(("scalars", run))
    return out


def _text(v):
    if v is None:
        return "None"
    if isinstance(v, bool):
        return "True" if v else "False"
    return str(v)


def same_field(x, field):
    """Whether CSV field 'field' holds JSON value x."""
    if x is None:
        return field == ""
    if isinstance(x, bool):
        return field == ("True" if x else "False")
    if isinstance(x, (int, float)):
        try:
            return same_scalar(x, float(field))
        except ValueError:
            return False
    if isinstance(x, list):  # a label with several keys: one field per key
        return False
    return field == str(x)


def compare_csv_block(kind, v, records):
    if kind == "scalars":  # a print line: the values' text separated by spaces
        line = ",".join(records[0]) if records else ""
        want = []
        for x in v:
            want += x.split(" ") if isinstance(x, str) else [x]
        parts = line.split(" ") if want else []
        if len(records) > 1 or len(parts) != len(want):
            return "print line %r for %r" % (line, v)
        for x, part in zip(want, parts):
            if x is None:  # NaN prints nan, None None
                ok = part in ("nan", "None")
            elif isinstance(x, (int, float)) and not isinstance(x, bool):
                ok = same_field(x, part)
            else:
                ok = part == _text(x)
            if not ok:
                return "print line %r for %r" % (line, v)
        return ""
    k = v["kind"]
    if k == "scalar":
        if len(records) != 1 or len(records[0]) != 1 or not same_field(v["value"],
                                                                       records[0][0]):
            return "scalar %r as %r" % (v["value"], records)
        return ""
    if k == "list":
        fields = [r[0] if len(r) == 1 else r for r in records]
        if len(fields) != len(v["values"]) or not all(
                same_field(x, f) for x, f in zip(v["values"], fields)):
            return "list %r as %r" % (v["values"], fields)
        return ""
    if k == "table":
        if not records or records[0] != v["columns"]:
            return "header %r, expected %r" % (records[:1], v["columns"])
        if len(records) - 1 != len(v["data"]):
            return "%d rows, expected %d" % (len(records) - 1, len(v["data"]))
        for i, (row, rec) in enumerate(zip(v["data"], records[1:])):
            if len(rec) != len(row) or not all(same_field(x, f) for x, f in zip(row, rec)):
                return "row %d %r, expected %r" % (i, rec, row)
        return ""
    if k == "series":
        if len(records) - 1 != len(v["values"]):
            return "%d rows, expected %d" % (len(records) - 1, len(v["values"]))
        for i, rec in enumerate(records[1:]):
            if not rec or not same_field(v["values"][i], rec[-1]):
                return "row %d %r, expected value %r" % (i, rec, v["values"][i])
            lab = v["index"][i]
            labels = lab if isinstance(lab, list) else [lab]
            if v.get("labelled") and not v.get("ties") and (
                    len(rec) != len(labels) + 1 or
                    not all(same_field(x, f) for x, f in zip(labels, rec))):
                return "row %d %r, expected index %r" % (i, rec, lab)
        return ""
    return "unknown kind %r" % k


def csv_blocks(text):
    """The records of each block of ddf's csv output (blocks end with an empty line)."""
    blocks, cur = [], []
    for rec in csv.reader(io.StringIO(text)):
        if rec == []:
            blocks.append(cur)
            cur = []
        else:
            cur.append(rec)
    if cur:
        blocks.append(cur)
    return blocks


def check_script(name, script, a, datadir):
    """The problems of one script (a list of text), and the seconds it took."""
    t0 = time.monotonic()
    problems = []
    expected, pandas_error = run_oracle(script, datadir)
    code, out, err = run_ddf(a.ddf, script, datadir, "json", a.workers, a.timeout)
    if code is None:
        return ["json: timed out"], time.monotonic() - t0
    if pandas_error is not None:
        if code == 0:
            problems.append("pandas fails (%s) where ddf exits 0" % pandas_error)
        return problems, time.monotonic() - t0
    if code != 0:
        problems.append("json: exit %d\n%s" % (code, err.rstrip()))
        return problems, time.monotonic() - t0
    try:
        got = [json.loads(line) for line in out.splitlines()]
    except ValueError as e:
        return ["json: not JSON Lines (%s)" % e], time.monotonic() - t0
    if len(got) != len(expected):
        problems.append("json: %d values, pandas %d" % (len(got), len(expected)))
    for i, (p, d) in enumerate(zip(expected, got)):
        why = compare_value(p, d)
        if why:
            problems.append("json value %d: %s\n  pandas: %s\n  ddf:    %s"
                            % (i + 1, why, _short(p), _short(d)))
    code, out, err = run_ddf(a.ddf, script, datadir, "csv", a.workers, a.timeout)
    if code != 0:
        problems.append("csv: exit %s\n%s" % (code, err.rstrip()))
    else:
        want = expected_blocks(expected)
        blocks = csv_blocks(out)
        if len(blocks) != len(want):
            problems.append("csv: %d blocks, expected %d" % (len(blocks), len(want)))
        for i, ((kind, v), recs) in enumerate(zip(want, blocks)):
            why = compare_csv_block(kind, v, recs)
            if why:
                problems.append("csv block %d: %s" % (i + 1, why))
    if not a.quick:
        code, out, err = run_ddf(a.ddf, script, datadir, "table", a.workers, a.timeout)
        if code != 0:
            problems.append("table: exit %s\n%s" % (code, err.rstrip()))
        elif expected and not out.strip():
            problems.append("table: printed nothing")
    return problems, time.monotonic() - t0


def _short(v, limit=600):
    text = json.dumps({k: x for k, x in v.items() if k not in ("labelled", "ties")}
                      if isinstance(v, dict) else v)
    return text if len(text) <= limit else text[:limit] + "..."


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ddf", required=True)
    ap.add_argument("--workdir", help="where the data goes (default: a temporary directory)")
    ap.add_argument("--quick", action="store_true", help="a third of the scripts, no table run")
    ap.add_argument("--filter", default="", help="scripts whose name contains this")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per ddf run")
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument("-j", "--jobs", type=int, default=2)
    a = ap.parse_args()
    a.ddf = os.path.abspath(a.ddf)
    if not os.access(a.ddf, os.X_OK):
        print("scripts_vs_pandas: %s is not an executable" % a.ddf, file=sys.stderr)
        return 2
    own = a.workdir is None
    workdir = tempfile.mkdtemp(prefix="ddf-scripts-vs-") if own else a.workdir
    datadir = os.path.join(workdir, "data")
    shutil.rmtree(datadir, ignore_errors=True)
    make_data(datadir, a.seed)
    scripts = [s for i, s in enumerate(SCRIPTS)
               if a.filter in s[0] and (not a.quick or i % 3 == 0)]
    failed = []
    t0 = time.monotonic()
    try:
        with concurrent.futures.ThreadPoolExecutor(max(1, a.jobs)) as pool:
            futs = [pool.submit(check_script, n, s, a, datadir) for n, s in scripts]
            for (name, script), fut in zip(scripts, futs):
                problems, secs = fut.result()
                if not problems:
                    print("ok   %s (%.1f s)" % (name, secs), flush=True)
                    continue
                failed.append(name)
                print("FAIL %s (%.1f s)" % (name, secs))
                print("     script:\n" + "".join("       " + l for l in
                                                 script.splitlines(True)).rstrip())
                for p in problems:
                    print("     " + p.replace("\n", "\n     "))
                sys.stdout.flush()
    finally:
        if own:
            shutil.rmtree(workdir, ignore_errors=True)
    print("%d scripts, %d failed (%.1f s)%s" % (len(scripts), len(failed),
                                                time.monotonic() - t0,
                                                ": " + " ".join(failed) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
