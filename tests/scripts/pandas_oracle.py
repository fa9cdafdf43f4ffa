#!/usr/bin/python3
"""pandas_oracle - run a ddf script with pandas (Debian's /usr/bin/python3, pandas 1.5) and
show its values as ddf would (DESIGN §6-§7). Used by scripts_vs_pandas.py, and by hand to
check what pandas prints for a case of cases/*.ddft:

    pandas_oracle.py CASE.ddft            # pandas' text for the case's script and files
    pandas_oracle.py --json CASE.ddft     # the same values as ddf's JSON Lines

How a script runs here:
  - the text is parsed by Python's ast; `import pandas as pd`, `import dask.dataframe as
    dd` (and `import dask.dataframe`) bind a module whose read_csv is pandas' (below) and
    whose other names are pandas';
  - read_csv(path, **kw) is pandas.read_csv(path, low_memory=False,
    float_precision="round_trip", **kw) without Dask's blocksize; a glob (`part-*.csv`) reads
    the matching files in name order and concatenates them (ignore_index, as Dask numbers
    partitions' rows on);
  - df.to_csv("DIR/NAME-*.csv") writes DIR/NAME-0.csv and to_csv("DIR") DIR/part-0.csv,
    without the index, as Dask writes one file per partition; .compute() / .persist()
    return the value;
  - every expression statement, at any depth (a Python REPL prints those in a for body
    too), is shown; print(...) is shown as one print value.
Shown values, as the JSON of DESIGN §7 (to_json()):
  - a DataFrame whose index is unnamed integers (a frame, a filtered frame) is a table of
    its columns; any other index (group-by keys, describe's labels) becomes leading columns
    as after reset_index() (an unnamed one is called `index`); a two-level column header
    (agg with a list) is flattened to `<column>_<agg>`;
  - a Series: name, index (lists for a MultiIndex) and values; the record also says whether
    the index is made of labels that must match ("labelled": group-by keys, value_counts,
    describe, dtypes) or is only row positions ("positional": a column, a filtered column),
    which ddf numbers 0..n-1;
  - pandas scalars as Python's; NaN and None as null; a pandas Index, list or tuple as a
    list; a value_counts() series says so ("ties": its equal counts may come in any order).
Group-by aggregations of a frame are named as ddf names them (DESIGN §7): agg({"qty":
"sum", "price": ["mean", "max"]}) gives qty, price_mean, price_max and gb.agg(["sum",
"max"]) qty_sum, qty_max, ..., where pandas has a two-level header.
"""
import argparse
import ast
import glob
import io
import json
import math
import os
import sys
import types
import warnings

import numpy as np
import pandas as pd

pd.set_option("display.max_columns", 20)
pd.set_option("display.width", 80)


# ---- reading and writing as ddf does -------------------------------------------------------

def read_csv(path, *args, **kw):
    kw.pop("blocksize", None)
    kw.setdefault("low_memory", False)
    kw.setdefault("float_precision", "round_trip")
    if any(ch in path for ch in "*?["):
        files = sorted(glob.glob(path))
        if not files:
            raise FileNotFoundError(path)
        return pd.concat([pd.read_csv(f, *args, **kw) for f in files], ignore_index=True)
    return pd.read_csv(path, *args, **kw)


_pandas_to_csv = pd.DataFrame.to_csv


def _to_csv(self, path=None, *args, **kw):
    if path is None:
        return _pandas_to_csv(self, path, *args, **kw)
    if "*" in path:
        target = path.replace("*", "0", 1)
    else:
        target = os.path.join(path, "part-0.csv")
    os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
    kw.setdefault("index", False)
    _pandas_to_csv(self, target, *args, **kw)
    return None


pd.DataFrame.to_csv = _to_csv
for _cls in (pd.DataFrame, pd.Series):
    _cls.compute = lambda self: self
    _cls.persist = lambda self: self


class _Module(types.ModuleType):
    """pandas under another name, with ddf's read_csv."""

    def __getattr__(self, name):
        return getattr(pd, name)


def _module(name):
    m = _Module(name)
    m.read_csv = read_csv
    return m


MODULES = {"pandas": _module("pandas"), "dask.dataframe": _module("dask.dataframe")}
MODULES["dask"] = types.ModuleType("dask")
MODULES["dask"].dataframe = MODULES["dask.dataframe"]


# ---- values as ddf's JSON ------------------------------------------------------------------

def py(v):
    """A pandas/numpy scalar as plain Python; NaN, None, NaT and pd.NA as None; a dtype as
    its name."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (np.dtype, pd.api.extensions.ExtensionDtype)):
        return str(v)
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    return v


def dtype_name(s):
    """ddf's dtype name of a pandas column: object columns by what they hold."""
    kind = s.dtype.kind
    if kind == "i" or kind == "u":
        return "int64"
    if kind == "f":
        return "float64"
    if kind == "b":
        return "bool"
    held = [v for v in s if py(v) is not None]
    if held and all(isinstance(v, (bool, np.bool_)) for v in held):
        return "bool"
    return "string"


def _flat_columns(df):
    if isinstance(df.columns, pd.MultiIndex):
        df = df.copy()
        df.columns = ["_".join(str(p) for p in c if str(p) != "") for c in df.columns]
    return df


def _positional(index):
    return (not isinstance(index, pd.MultiIndex) and index.name is None
            and index.dtype.kind in "iu")


def _renumbered(v):
    """A frame or series whose rows were picked (a filter, a sort, nlargest) numbered
    0..n-1, as ddf numbers them; a range index (a frame, its head or tail) kept."""
    if _positional(v.index) and not isinstance(v.index, pd.RangeIndex):
        return v.reset_index(drop=True)
    return v


def _labelled_key(v):
    return [py(x) for x in v] if isinstance(v, tuple) else py(v)


def to_json(v, labelled=False):
    """The JSON object (a dict) of one shown value, or None for a value not shown."""
    if v is None:
        return None
    if isinstance(v, pd.DataFrame):
        df = _flat_columns(v)
        if not _positional(df.index):
            df = df.reset_index()
        else:
            df = df.reset_index(drop=True)
        return {"kind": "table", "columns": [str(c) for c in df.columns],
                "dtypes": [dtype_name(df[c]) for c in df.columns],
                "data": [[py(x) for x in row] for row in df.itertuples(index=False)]}
    if isinstance(v, pd.Series):
        positional = _positional(v.index) and not labelled and not v.attrs.get("labelled")
        return {"kind": "series", "name": None if v.name is None else py(v.name),
                "index": [_labelled_key(i) for i in v.index],
                "values": [py(x) for x in v], "labelled": not positional,
                "ties": bool(v.attrs.get("value_counts"))}
    if isinstance(v, (pd.Index, list, tuple)):
        return {"kind": "list", "values": [py(x) for x in v]}
    if isinstance(v, np.dtype) or isinstance(v, pd.api.extensions.ExtensionDtype):
        return {"kind": "scalar", "value": str(v)}
    return {"kind": "scalar", "value": py(v)}


def _print_item(v):
    j = to_json(v)
    if j is None:
        return None
    if j["kind"] in ("scalar",):
        return j["value"]
    if j["kind"] == "list":
        return j["values"]
    return j


# ---- running a script ----------------------------------------------------------------------

class _Rewrite(ast.NodeTransformer):
    """Imports become lookups in MODULES; expression statements become __show__(expr)."""

    def visit_Import(self, node):
        out = []
        for alias in node.names:
            bind = alias.asname or alias.name.split(".")[0]
            mod = alias.name if alias.asname else alias.name.split(".")[0]
            out.append(ast.Assign(
                targets=[ast.Name(id=bind, ctx=ast.Store())],
                value=ast.Subscript(value=ast.Name(id="__modules__", ctx=ast.Load()),
                                    slice=ast.Constant(value=mod), ctx=ast.Load())))
        return out

    def visit_Expr(self, node):
        self.generic_visit(node)
        return ast.Expr(value=ast.Call(func=ast.Name(id="__show__", ctx=ast.Load()),
                                       args=[node.value], keywords=[]))

    def visit_Lambda(self, node):  # an expression inside a lambda is not a statement
        return node


# ddf's names for several aggregations of a frame's columns (DESIGN §7): agg({"qty":
# "sum", "price": ["mean", "max"]}) gives columns qty, price_mean, price_max and
# gb.agg(["sum", "max"]) <column>_sum, <column>_max where pandas has a two-level header.
# (One column's gb.price.agg(["min", "max"]) is min, max in both.)
_DataFrameGroupBy = pd.core.groupby.generic.DataFrameGroupBy
_pandas_frame_agg = _DataFrameGroupBy.aggregate


def _frame_agg(self, func=None, *a, **kw):
    r = _pandas_frame_agg(self, func, *a, **kw)
    if isinstance(r, pd.DataFrame) and isinstance(r.columns, pd.MultiIndex):
        single = {c for c, f in func.items() if isinstance(f, str)} \
            if isinstance(func, dict) else set()
        r.columns = [c if c in single else "%s_%s" % (c, f) for c, f in r.columns]
    return r


_DataFrameGroupBy.aggregate = _DataFrameGroupBy.agg = _frame_agg


def _value_counts(self, *a, **kw):
    r = _pandas_value_counts(self, *a, **kw)
    r.attrs["labelled"] = True
    r.attrs["value_counts"] = True
    return r


_pandas_value_counts = pd.Series.value_counts
pd.Series.value_counts = _value_counts


def run(text, cwd, mode, out):
    """Run script 'text' in directory 'cwd'. mode "json": write one JSON line per shown
    value to 'out'; mode "table": write pandas' repr of each (strings as str(), as ddf
    prints a string scalar; a two-level column header flattened; rows picked by a filter or
    a sort numbered 0..n-1) and print() as Python's. Exceptions propagate."""
    tree = _Rewrite().visit(ast.parse(text))
    ast.fix_missing_locations(tree)
    code = compile(tree, "<script>", "exec")

    def show(v):
        if v is None:
            return
        if mode == "json":
            j = to_json(v)
            if j is not None:
                out.write(json.dumps(j) + "\n")
        elif isinstance(v, str):
            out.write(v + "\n")
        elif isinstance(v, pd.DataFrame):
            out.write(repr(_renumbered(_flat_columns(v))) + "\n")
        elif isinstance(v, pd.Series) and not v.attrs.get("labelled"):
            out.write(repr(_renumbered(v)) + "\n")
        else:
            out.write(repr(v) + "\n")

    def jprint(*args, **kw):
        if mode == "json":
            out.write(json.dumps({"kind": "print",
                                  "values": [_print_item(a) for a in args]}) + "\n")
        else:
            print(*args, file=out, **kw)
        return None

    ns = {"__modules__": MODULES, "__show__": show, "read_csv": read_csv, "print": jprint,
          "__name__": "__ddf_script__"}
    old = os.getcwd()
    os.chdir(cwd)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas' FutureWarnings about numeric_only
            exec(code, ns)
    finally:
        os.chdir(old)


def main():
    sys.dont_write_bytecode = True
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import tempfile
    from run_cases import parse_case

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", action="store_true", help="print ddf's JSON Lines")
    ap.add_argument("case", help="a cases/*.ddft file")
    a = ap.parse_args()
    case = parse_case(a.case)
    with tempfile.TemporaryDirectory(prefix="ddf-oracle-") as tmp:
        for name, data in case.files:
            path = os.path.join(tmp, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(data)
        buf = io.StringIO()
        try:
            run(case.script or "", tmp, "json" if a.json else "table", buf)
        finally:
            sys.stdout.write(buf.getvalue())


if __name__ == "__main__":
    main()
