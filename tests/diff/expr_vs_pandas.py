#!/usr/bin/python3
"""Differential test: ddf's expression language (common/expr.h, eval.h) against pandas/numpy.

Generates a CSV file (seeded) with int columns with and without nulls (int64 min/max, 0,
negatives), float columns with nulls, NaN, +-inf, -0.0, tiny and huge values, bool columns
with and without nulls, string columns with UTF-8 (é É 日本 😀), quotes, commas, spaces and
nulls, and number-like string columns pinned to string. Builds several hundred expressions:
every operator, comparisons, logic, isin with short and long (thousands) lists, every
function of DESIGN §6, astype between all dtypes, 400 random well-typed compositions,
and type errors. Runs ddf-exprdump
(evaluations, and filters for the bool ones) at several blocksizes, once through a
reversed selection vector, and compares each result with what pandas/numpy compute.

The expected values come from a small translator: the expression (which is Python syntax
for everything tested) is parsed with Python's ast module and each node is computed with
numpy/pandas operations on the columns pandas.read_csv(low_memory=False) gives: numpy
int64 arithmetic (wrapping), np.floor_divide/np.remainder, np.power, np.round, np.sqrt...,
Series.isin, Series.str.*, Series.astype; values are carried as (dtype, data, null mask).
Null propagation is pandas' (nulls propagate through arithmetic and functions, comparisons
with null are False except !=, and/or/&/| read null as False).

Equivalences the comparison allows (decided for the other diff scripts, see
agg_vs_pandas.py): null, NaN and None are one thing; an int column with nulls stays int64
in ddf (float64 in numpy pandas) and a bool column with nulls stays bool (object in
pandas), so the translator keeps them int64/bool with a null mask. Ints must be exact,
floats agree within 1e-9 relative (1e-12 absolute near 0), strings and bools exactly, and
the result dtype must be the one expected.

Where ddf deliberately differs from pandas (eval.c's and expr_check.c's opening comments),
the rule is encoded in the translator with a comment saying so ("DDF RULE"):
 - int // 0 and int % 0 are null (pandas gives inf/NaN floats);
 - bool operands of arithmetic act as int64 (pandas: bool + bool is logical or);
 - ** is int64 only with a non-negative int literal exponent, else float64 (numpy would
   give int64 for an int column exponent and refuse a negative one);
 - not/~ take bool only and keep null (pandas ~ on an int is bitwise, on object fails);
 - lower/upper are ASCII-only, strip removes ASCII whitespace only;
 - substr(s, a, n) is s[a:][:n] in code points (not a pandas function);
 - round of an int with negative digits is exact (Python's round, wrapped to int64 as
   all int arithmetic is); numpy goes through float64 and loses digits for big ints;
 - astype keeps nulls null (pandas: NaN -> 'nan', None -> False, int() of None fails);
 - comparing a string with a number, and multiplying a string by an int, are type errors
   (pandas: == gives all False, * repeats the string).
Type errors pandas refuses (string + int, -string, string < int, ...) must be errors in
ddf too; each such case also checks that pandas raises.

Usage: expr_vs_pandas.py --dump PATH/ddf-exprdump --workdir DIR [--seed N] [--rows N]
Prints failures and "N passed, N failed" (one count per expression and run); exits 1 on
any failure.
"""
import argparse
import ast
import json
import math
import os
import random
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from difftest import maybe, write_csv  # noqa: E402

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1

# column -> ddf dtype (int columns with nulls stay int64, bool columns with nulls bool)
KINDS = {"i": "int64", "j": "int64", "n": "int64", "f": "float64", "g": "float64",
         "b": "bool", "c": "bool", "s": "string", "t": "string", "ui": "string",
         "uf": "string"}
PINNED = ["ui", "uf"]  # number-like strings: --dtype ui=string, read_csv(dtype=str)

# ---- generated file --------------------------------------------------------------------

ALPHABET = ["a", "b", "c", "x", "y", "z", "A", "B", "Z", "é", "É", "日本", "😀", ",", '"',
            " ", "ab"]


def word(rng):
    # Starts with a letter so no value reads as a number, bool or NA string.
    w = rng.choice("abcxyzABXZ") + "".join(rng.choice(ALPHABET)
                                           for _ in range(rng.randrange(0, 6)))
    r = rng.random()
    if r < 0.1:
        w = "  " + w + " \t"
    elif r < 0.15:
        w = w + "ab"
    return w


def int_value(rng):
    r = rng.random()
    if r < 0.06:
        return rng.choice([INT64_MIN, INT64_MAX, 0, -1, 1, INT64_MIN + 1])
    if r < 0.15:
        return rng.randrange(-10**12, 10**12)
    return rng.randrange(-50, 50)


def float_value(rng):
    r = rng.random()
    if r < 0.10:
        return rng.choice(["inf", "-inf", "-0.0", "0.0", "1e-300", "1e300", "5e-324",
                           "2.5", "-2.5", "0.5", "1.5", "-0.5"])
    if r < 0.15:
        return repr(rng.uniform(-1e-6, 1e-6))
    return repr(round(rng.uniform(-100, 100), rng.choice([1, 2, 6, 12])))


def make_rows(rng, nrows):
    rows = []
    for _ in range(nrows):
        rows.append([
            str(int_value(rng)),
            str(rng.randrange(-6, 7)),
            maybe(rng, 0.2, str(rng.randrange(-20, 21))),
            float_value(rng),
            maybe(rng, 0.2, float_value(rng)),
            rng.choice(["True", "False"]),
            maybe(rng, 0.25, rng.choice(["True", "False"])),
            word(rng),
            maybe(rng, 0.2, word(rng)),
            maybe(rng, 0.2, rng.choice([" 12", "-3", "+4", "007", "12 ", "0", "-0",
                                        "9223372036854775807", "-9223372036854775808"])),
            maybe(rng, 0.2, rng.choice(["1.5", " -2e3 ", "inf", "-Infinity", "12", ".5",
                                        "5.", "1E-7", "+0.25", "-0"])),
        ])
    return rows


# ---- the translator: expected values with numpy/pandas ---------------------------------

class Refused(Exception):
    """ddf must refuse the expression (parse or type error, or an evaluation error)."""


class V:
    """A column value: ddf dtype ('int64', 'float64', 'bool', 'string', 'null'), numpy
    data (int64, float64, bool or object) and a null mask (True = null)."""
    __slots__ = ("kind", "data", "mask")

    def __init__(self, kind, data, mask):
        self.kind, self.data, self.mask = kind, data, mask


def np_kind(kind):
    return {"int64": np.int64, "float64": np.float64, "bool": np.bool_}.get(kind, object)


class Translator:
    def __init__(self, df):
        self.df = df
        self.n = len(df)
        self.cols = {}
        for name, kind in KINDS.items():
            s = df[name]
            mask = s.isna().to_numpy()
            if kind == "string":
                data = s.where(~s.isna(), "").to_numpy(dtype=object)
            elif kind == "int64" and s.dtype != np.int64:
                # int with nulls: float64 in pandas, exact for these small values
                data = s.fillna(0).to_numpy().astype(np.int64)
            elif kind == "bool":
                data = s.fillna(False).to_numpy().astype(bool)
            else:
                data = s.to_numpy().copy()
            self.cols[name] = V(kind, data, mask)

    def full(self, kind, value):
        return V(kind, np.full(self.n, value, dtype=np_kind(kind)), np.zeros(self.n, bool))

    def nulls(self):
        return V("null", np.zeros(self.n), np.ones(self.n, bool))

    def run(self, text):
        try:
            tree = ast.parse(text, mode="eval").body
        except SyntaxError as e:
            raise Refused("python syntax error: %s" % e)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            v = self.ev(tree)
        if v.kind == "null":  # an all-null result is a float64 column
            v = V("float64", np.zeros(self.n), v.mask)
        return v

    # -- helpers --
    def literal_int(self, node):
        """The int value of an int literal node (with a folded sign), else None."""
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value
        if (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
                and isinstance(node.operand, ast.Constant) and type(node.operand.value) is int):
            return -node.operand.value
        return None

    def as_num(self, v, kind):
        if v.kind == "null":
            return V(kind, np.zeros(self.n, np_kind(kind)), v.mask)
        return V(kind, v.data.astype(np_kind(kind)), v.mask)

    def numeric(self, v):
        return v.kind in ("int64", "float64", "bool", "null")

    # -- nodes --
    def ev(self, node):
        m = getattr(self, "ev_" + type(node).__name__, None)
        if m is None:
            raise Refused("unsupported syntax " + type(node).__name__)
        return m(node)

    def ev_Constant(self, node):
        x = node.value
        if x is None:
            return self.nulls()
        if isinstance(x, bool):
            return self.full("bool", x)
        if isinstance(x, int):
            if not INT64_MIN <= x <= INT64_MAX:
                raise Refused("int literal out of range")
            return self.full("int64", x)
        if isinstance(x, float):
            return self.full("float64", x)
        if isinstance(x, str):
            return V("string", np.array([x] * self.n, dtype=object), np.zeros(self.n, bool))
        raise Refused("literal %r" % (x,))

    def ev_Name(self, node):
        if node.id not in self.cols:
            raise Refused("unknown column")
        return self.cols[node.id]

    def ev_UnaryOp(self, node):
        k = self.literal_int(node)
        if k is not None:  # -9223372036854775808 is an int64 literal (sign folded)
            if not INT64_MIN <= k <= INT64_MAX:
                raise Refused("int literal out of range")
            return self.full("int64", k)
        x = self.ev(node.operand)
        if isinstance(node.op, (ast.Not, ast.Invert)):
            # DDF RULE: not/~ take bool only; a null stays null.
            if x.kind == "null":
                return V("bool", np.zeros(self.n, bool), x.mask)
            if x.kind != "bool":
                raise Refused("not/~ of a non-bool")
            return V("bool", ~x.data & ~x.mask, x.mask)
        if not self.numeric(x):
            raise Refused("unary minus of a string")
        kind = "float64" if x.kind in ("float64", "null") else "int64"  # DDF RULE: bool as int
        x = self.as_num(x, kind)
        data = -x.data if isinstance(node.op, ast.USub) else x.data.copy()
        return V(kind, np.where(x.mask, 0, data).astype(np_kind(kind)), x.mask)

    def arith(self, op, l, r, rnode):
        if l.kind == "string" or r.kind == "string":
            if (op == "+" and l.kind in ("string", "null") and r.kind in ("string", "null")):
                mask = l.mask | r.mask
                ld = l.data if l.kind == "string" else np.full(self.n, "", object)
                rd = r.data if r.kind == "string" else np.full(self.n, "", object)
                return V("string", np.where(mask, "", ld + rd).astype(object), mask)
            raise Refused("string arithmetic")
        intlike = l.kind in ("int64", "bool") and r.kind in ("int64", "bool")
        if op == "/" or not intlike:
            kind = "float64"
        elif op == "**":
            # DDF RULE: int ** is int64 only for a non-negative int (or bool) literal
            # exponent; numpy refuses negative int powers, ddf computes them in float64.
            k = self.literal_int(rnode)
            lit_bool = isinstance(rnode, ast.Constant) and isinstance(rnode.value, bool)
            kind = "int64" if lit_bool or (k is not None and k >= 0
                                           and isinstance(rnode, ast.Constant)) else "float64"
        else:
            kind = "int64"  # DDF RULE: bool operands act as int64 (pandas: logical or)
        a, b = self.as_num(l, kind), self.as_num(r, kind)
        mask = a.mask | b.mask
        x, y = a.data, b.data
        if op == "+":
            d = x + y
        elif op == "-":
            d = x - y
        elif op == "*":
            d = x * y
        elif op == "/":
            d = np.true_divide(x, y)
        elif op in ("//", "%"):
            if kind == "int64":
                ysafe = np.where(y == 0, 1, y)
                d = np.floor_divide(x, ysafe) if op == "//" else np.remainder(x, ysafe)
                # numpy wraps INT64_MIN // -1 to INT64_MIN (and % gives 0): as ddf
                mask = mask | (y == 0)  # DDF RULE: int // 0 and % 0 are null
            else:
                d = np.floor_divide(x, y) if op == "//" else np.remainder(x, y)
        else:
            d = np.power(x, y)
        return V(kind, np.where(mask, 0, d).astype(np_kind(kind)), mask)

    def ev_BinOp(self, node):
        ops = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
               ast.Mod: "%", ast.Pow: "**", ast.BitAnd: "&", ast.BitOr: "|"}
        op = ops.get(type(node.op))
        if op is None:
            raise Refused("operator")
        l, r = self.ev(node.left), self.ev(node.right)
        if op in ("&", "|"):
            return self.logic(op == "&", [l, r])
        return self.arith(op, l, r, node.right)

    def logic(self, is_and, vals):
        acc = None
        for v in vals:
            if v.kind not in ("bool", "null"):
                raise Refused("and/or of a non-bool")
            t = v.data.astype(bool) & ~v.mask  # null reads as False
            acc = t if acc is None else (acc & t if is_and else acc | t)
        return V("bool", acc, np.zeros(self.n, bool))

    def ev_BoolOp(self, node):
        return self.logic(isinstance(node.op, ast.And), [self.ev(x) for x in node.values])

    def ev_Compare(self, node):
        if len(node.ops) != 1:
            raise Refused("chained comparison")
        op, rnode = node.ops[0], node.comparators[0]
        l = self.ev(node.left)
        if isinstance(op, (ast.In, ast.NotIn)):
            return self.isin(l, rnode, isinstance(op, ast.NotIn))
        r = self.ev(rnode)
        ne = isinstance(op, ast.NotEq)
        if l.kind == "null" or r.kind == "null":
            return self.full("bool", ne)
        if (l.kind == "string") != (r.kind == "string"):
            raise Refused("compare string with number")  # DDF RULE (pandas: == is False)
        if l.kind != "string":
            kind = "float64" if "float64" in (l.kind, r.kind) else "int64"
            l, r = self.as_num(l, kind), self.as_num(r, kind)
        x, y = l.data, r.data
        fn = {ast.Eq: np.equal, ast.NotEq: np.not_equal, ast.Lt: np.less,
              ast.LtE: np.less_equal, ast.Gt: np.greater, ast.GtE: np.greater_equal}[type(op)]
        d = np.array(fn(x, y), dtype=bool)
        nullrow = l.mask | r.mask
        d = np.where(nullrow, ne, d)
        return V("bool", d, np.zeros(self.n, bool))

    def isin(self, l, lst, negated):
        if not isinstance(lst, ast.List):
            raise Refused("in needs a list")
        items = []
        for e in lst.elts:
            k = self.literal_int(e)
            if k is not None:
                if not INT64_MIN <= k <= INT64_MAX:
                    raise Refused("int literal out of range")
                items.append(k)
            elif isinstance(e, ast.Constant):
                items.append(e.value)
            elif (isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub)
                  and isinstance(e.operand, ast.Constant)
                  and isinstance(e.operand.value, float)):
                items.append(-e.operand.value)
            else:
                raise Refused("non-literal in list")
        has_null = any(x is None for x in items)
        vals = [x for x in items if x is not None]
        for x in vals:
            if (l.kind == "string") != isinstance(x, str) and l.kind != "null":
                raise Refused("compare string with number")
        if l.kind == "null":
            return self.full("bool", has_null != negated)
        s = pd.Series(l.data)
        got = s.isin(vals).to_numpy(dtype=bool)
        got = np.where(l.mask, has_null, got)
        return V("bool", got != negated, np.zeros(self.n, bool))

    # -- functions --
    def ev_Call(self, node):
        if not isinstance(node.func, ast.Name) or node.keywords:
            raise Refused("call")
        name, a = node.func.id, node.args
        fn = getattr(self, "fn_" + name, None)
        if fn is None:
            raise Refused("unknown function")
        return fn(a)

    def arity(self, a, lo, hi=None):
        if not lo <= len(a) <= (hi if hi is not None else lo):
            raise Refused("arity")

    def num_arg(self, node):
        v = self.ev(node)
        if not self.numeric(v):
            raise Refused("number wanted")
        return v

    def str_arg(self, node):
        v = self.ev(node)
        if v.kind not in ("string", "null"):
            raise Refused("string wanted")
        if v.kind == "null":
            v = V("string", np.full(self.n, "", object), v.mask)
        return v

    def str_lit(self, node):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            raise Refused("string literal wanted")
        return node.value

    def per_row_str(self, v, f, kind="string"):
        out = [f(x) if not m else (0 if kind != "string" else "")
               for x, m in zip(v.data, v.mask)]
        return V(kind, np.array(out, dtype=np_kind(kind)), v.mask.copy())

    def fn_abs(self, a):
        self.arity(a, 1)
        x = self.num_arg(a[0])
        kind = "int64" if x.kind in ("int64", "bool") else "float64"
        x = self.as_num(x, kind)
        return V(kind, np.where(x.mask, 0, np.abs(x.data)).astype(np_kind(kind)), x.mask)

    def fn_round(self, a):
        self.arity(a, 1, 2)
        x = self.num_arg(a[0])
        nd = 0
        if len(a) == 2:
            nd = self.literal_int(a[1])
            if nd is None:
                raise Refused("round digits must be an int literal")
        if x.kind in ("int64", "bool"):
            x = self.as_num(x, "int64")
            if nd >= 0:
                return x
            # DDF RULE: exact (Python) half-even rounding, wrapped to int64.
            out = [((round(int(v), nd) + (1 << 63)) % (1 << 64)) - (1 << 63)
                   for v in x.data]
            return V("int64", np.where(x.mask, 0, np.array(out, np.int64)), x.mask)
        x = self.as_num(x, "float64")
        got = np.round(x.data, nd)
        if nd > 0:
            # DDF RULE: where x * 10**nd overflows, x is returned (Python's round does
            # the same); numpy's rint(inf) / inf makes NaN.
            p10 = 10.0 ** nd if nd <= 308 else math.inf
            over = math.isinf(p10) | (np.isinf(x.data * p10) & np.isfinite(x.data))
            got = np.where(over, x.data, got)
        return V("float64", np.where(x.mask, 0.0, got), x.mask)

    def unary_math(self, a, f):
        self.arity(a, 1)
        x = self.as_num(self.num_arg(a[0]), "float64")
        return V("float64", np.where(x.mask, 0.0, f(x.data)), x.mask)

    def fn_floor(self, a):
        return self.unary_math(a, np.floor)

    def fn_ceil(self, a):
        return self.unary_math(a, np.ceil)

    def fn_sqrt(self, a):
        return self.unary_math(a, np.sqrt)

    def fn_exp(self, a):
        return self.unary_math(a, np.exp)

    def fn_log(self, a):
        return self.unary_math(a, np.log)

    def fn_log10(self, a):
        return self.unary_math(a, np.log10)

    def fn_pow(self, a):
        self.arity(a, 2)
        return self.arith("**", self.num_arg(a[0]), self.num_arg(a[1]), a[1])

    def fn_lower(self, a):
        self.arity(a, 1)
        # DDF RULE: ASCII only (pandas' str.lower also lowers 'É').
        return self.per_row_str(self.str_arg(a[0]),
                                lambda s: "".join(c.lower() if c < "\x80" else c for c in s))

    def fn_upper(self, a):
        self.arity(a, 1)
        return self.per_row_str(self.str_arg(a[0]),
                                lambda s: "".join(c.upper() if c < "\x80" else c for c in s))

    def fn_len(self, a):
        self.arity(a, 1)
        x = self.str_arg(a[0])
        got = pd.Series(x.data).str.len().to_numpy()
        return V("int64", np.where(x.mask, 0, got).astype(np.int64), x.mask)

    def fn_strip(self, a):
        self.arity(a, 1)
        x = self.str_arg(a[0])  # DDF RULE: ASCII whitespace only
        got = pd.Series(x.data, dtype=object).str.strip(" \t\n\v\f\r").to_numpy(dtype=object)
        return V("string", np.where(x.mask, "", got).astype(object), x.mask)

    def str_pred(self, a, method):
        self.arity(a, 2)
        x, lit = self.str_arg(a[0]), self.str_lit(a[1])
        s = pd.Series(x.data, dtype=object).str
        got = (s.contains(lit, regex=False) if method == "contains"
               else getattr(s, method)(lit)).to_numpy(dtype=bool)
        return V("bool", got & ~x.mask, x.mask)

    def fn_contains(self, a):
        return self.str_pred(a, "contains")

    def fn_startswith(self, a):
        return self.str_pred(a, "startswith")

    def fn_endswith(self, a):
        return self.str_pred(a, "endswith")

    def fn_replace(self, a):
        self.arity(a, 3)
        x, old, new = self.str_arg(a[0]), self.str_lit(a[1]), self.str_lit(a[2])
        got = pd.Series(x.data, dtype=object).str.replace(old, new, regex=False)
        return V("string", np.where(x.mask, "", got.to_numpy(dtype=object)).astype(object),
                 x.mask)

    def fn_substr(self, a):
        self.arity(a, 2, 3)
        x = self.str_arg(a[0])
        args = []
        for node in a[1:]:
            v = self.ev(node)
            if v.kind not in ("int64", "bool"):
                raise Refused("substr wants ints")
            args.append(self.as_num(v, "int64"))
        mask = x.mask.copy()
        for v in args:
            mask |= v.mask
        out = []
        for i in range(self.n):
            if mask[i]:
                out.append("")
                continue
            st = int(args[0].data[i])
            r = x.data[i][st:]  # DDF RULE: s[start:][:n], negative n is empty
            if len(args) == 2:
                k = int(args[1].data[i])
                r = r[:k] if k >= 0 else ""
            out.append(r)
        return V("string", np.array(out, dtype=object), mask)

    def join(self, a, b):
        if a.kind == "null":
            return b.kind
        if b.kind == "null":
            return a.kind
        if a.kind == b.kind:
            return a.kind
        if "string" in (a.kind, b.kind):
            raise Refused("cannot join string with a number")
        if "bool" in (a.kind, b.kind):
            # DDF RULE: if_else/fillna refuse to join bool with another number
            # (expr_check.c; numpy.where would promote to int64/float64).
            raise Refused("cannot join bool with a number")
        return "float64" if "float64" in (a.kind, b.kind) else "int64"

    def cast(self, v, kind):
        if kind == "string":
            if v.kind == "null":
                return V("string", np.full(self.n, "", object), v.mask)
            return v
        return self.as_num(v, kind)

    def fn_if_else(self, a):
        self.arity(a, 3)
        c, x, y = self.ev(a[0]), self.ev(a[1]), self.ev(a[2])
        if c.kind not in ("bool", "null"):
            raise Refused("if_else condition must be bool")
        kind = self.join(x, y)
        if kind == "null":
            return self.nulls()
        x, y = self.cast(x, kind), self.cast(y, kind)
        take = c.data.astype(bool) & ~c.mask  # null condition takes the else branch
        s = pd.Series(x.data).where(take, pd.Series(y.data))
        return V(kind, s.to_numpy(dtype=np_kind(kind)), np.where(take, x.mask, y.mask))

    def fn_fillna(self, a):
        self.arity(a, 2)
        x, y = self.ev(a[0]), self.ev(a[1])
        kind = self.join(x, y)
        if kind == "null":
            return self.nulls()
        x, y = self.cast(x, kind), self.cast(y, kind)
        sx = pd.Series(x.data.copy())
        sx[x.mask] = None
        if kind in ("int64", "bool"):
            sx = sx.astype(object)
        got = sx.fillna(pd.Series(y.data))  # pandas: NaN is missing too
        miss = pd.Series(x.mask)
        if kind == "float64":
            miss = miss | pd.Series(np.isnan(x.data))
        mask = np.where(miss, y.mask, False)
        data = np.where(mask, 0 if kind != "string" else "", got.to_numpy(dtype=object))
        return V(kind, data.astype(np_kind(kind)), mask)

    def missing(self, x):
        m = x.mask.copy()
        if x.kind == "float64":
            m |= np.isnan(x.data)
        return m

    def fn_isnull(self, a):
        self.arity(a, 1)
        return V("bool", self.missing(self.ev(a[0])), np.zeros(self.n, bool))

    def fn_notnull(self, a):
        self.arity(a, 1)
        return V("bool", ~self.missing(self.ev(a[0])), np.zeros(self.n, bool))

    def fn_astype(self, a):
        self.arity(a, 2)
        x = self.ev(a[0])
        t = self.str_lit(a[1])
        to = {"int64": "int64", "Int64": "int64", "int": "int64", "float64": "float64",
              "Float64": "float64", "float": "float64", "bool": "bool", "boolean": "bool",
              "string": "string", "str": "string", "object": "string"}.get(t)
        if to is None:
            raise Refused("unknown dtype")
        if x.kind == "null":
            return V(to if to != "null" else "float64",
                     np.zeros(self.n, np_kind(to)) if to != "string"
                     else np.full(self.n, "", object), x.mask)
        live = pd.Series(x.data[~x.mask], dtype=np_kind(x.kind))
        # DDF RULE: nulls stay null; pandas' astype runs on the non-null values only.
        try:
            if to == "string":
                got = live.astype(str)
            elif x.kind == "string":
                # Series.astype calls int()/float()/bool() per value; pandas' astype to
                # int64 of object strings: values that int() reads.
                got = [{"int64": int, "float64": float, "bool": bool}[to](x) for x in live]
                if to != "bool" and any("_" in x or not x.isascii() for x in live):
                    # DDF RULE: no '_' separators or non-ASCII digits/spaces, which
                    # int()/float() take and read_csv does not.
                    raise Refused("astype: '_' or non-ASCII in a number")
                if to == "int64" and any(not INT64_MIN <= x <= INT64_MAX for x in got):
                    raise Refused("int beyond int64")  # pandas: OverflowError
                got = pd.Series(got, dtype=np_kind(to))
            else:
                got = live.astype(np_kind(to))
                if x.kind == "float64" and to == "int64" and (~np.isfinite(live)).any():
                    raise Refused("astype int of inf/nan")  # pandas raises too
                if x.kind == "float64" and to == "int64" and (
                        (live < -2.0**63) | (live >= 2.0**63)).any():
                    # DDF RULE: out of int64 is DDF_ERANGE (numpy casts to garbage)
                    raise Refused("astype int of a float beyond int64")
        except (ValueError, OverflowError, TypeError) as e:
            raise Refused("astype: %s" % e)
        data = (np.full(self.n, "", object) if to == "string"
                else np.zeros(self.n, np_kind(to)))
        data[~x.mask] = got.to_numpy()
        return V(to, data, x.mask)


# ---- expressions -----------------------------------------------------------------------

NUMS = ["i", "j", "n", "f", "g", "b", "c"]
NUM_LITS = ["0", "1", "-1", "3", "0.5", "-2.5", "1e300", "True", "None", "-0.0"]
BOOLS = ["b", "c", "(i > 0)", "(g < 1)", "True", "False", "None", "(n == 3)"]
STRS = ["s", "t", "ui", "uf"]


def expressions(rng, rows):
    ex = []
    # columns and literals
    ex += list(KINDS) + ["1", "-9223372036854775808", "9223372036854775807", "2.5", "'é😀'",
                         "True", "None", "-(-9223372036854775807)"]
    # arithmetic: every operator over columns and literals
    for op in ["+", "-", "*", "/", "//", "%"]:
        for x in NUMS:
            for y in NUMS:
                ex.append("%s %s %s" % (x, op, y))
            for y in NUM_LITS:
                ex.append("%s %s %s" % (x, op, y))
                ex.append("%s %s %s" % (y, op, x))
    for x in NUMS:
        for k in ["0", "1", "2", "3", "7", "63", "64", "-1", "0.5", "2.0", "True", "-2"]:
            ex.append("%s ** %s" % (x, k))
            ex.append("pow(%s, %s)" % (x, k))
        for y in ["j", "f", "g"]:
            ex.append("%s ** %s" % (x, y))
        ex += ["-%s" % x, "+%s" % x, "--%s" % x, "-(-%s)" % x, "-%s ** 2" % x,
               "(%s + 1) * (%s - 1) // 3 %% 5" % (x, x)]
    ex += ["2 ** -1", "-2 ** 2", "(-2) ** 2", "2 ** 3 ** 2", "i - -9223372036854775808",
           "i * 0 + -9223372036854775808", "-9223372036854775808 // -1 + i * 0",
           "-9223372036854775808 % -1 + j * 0", "i // -1", "i % -1", "j // -1",
           "f // 0.0", "f % 0.0", "-f // 0.0", "f // -0.0", "g % -0.0", "f / 0", "i / 0",
           "n / 0", "0 / 0 + f * 0", "1e308 * 10 + f * 0", "s + t", "s + 'x'", "'x' + t",
           "None + s", "s + ui + uf"]
    # comparisons
    for op in ["==", "!=", "<", "<=", ">", ">="]:
        for x, y in [("i", "j"), ("i", "f"), ("n", "g"), ("f", "g"), ("b", "c"), ("b", "i"),
                     ("c", "n"), ("s", "t"), ("t", "s"), ("ui", "uf"), ("i", "None"),
                     ("None", "s"), ("g", "0"), ("f", "-0.0"), ("f", "1e300"), ("n", "2.5"),
                     ("i", "9223372036854775807"), ("i", "-9223372036854775808"),
                     ("s", "'b'"), ("t", "'é'"), ("s", "'xyz'"), ("c", "True"),
                     ("i", "9.223372036854776e18")]:
            ex.append("%s %s %s" % (x, op, y))
    # logic
    for x in BOOLS:
        ex += ["not %s" % x, "~%s" % x]
        for y in BOOLS[:5]:
            ex += ["%s and %s" % (x, y), "%s or %s" % (x, y), "%s & %s" % (x, y),
                   "%s | %s" % (x, y)]
    ex += ["b and c or not c", "not (b or c) and (i > 0)", "(f > 0) | (g > 0) & c",
           "not not c", "~~c", "b and c and (j > 0) and (n < 5)"]
    # isin
    ints = sorted({int(r[0]) for r in rows})
    strs = sorted({r[7] for r in rows})
    long_ints = ", ".join(str(x) for x in ints[::2] + [rng.randrange(-10**9, 10**9)
                                                       for _ in range(3000)])
    long_strs = ", ".join(repr(x) for x in strs[::2] + ["w%d" % k for k in range(1500)])
    ex += ["i in [%s]" % long_ints, "i not in [%s]" % long_ints,
           "j in [%s]" % long_ints, "s in [%s]" % long_strs, "s not in [%s]" % long_strs,
           "t in [%s]" % long_strs, "t not in [%s, None]" % long_strs]
    for x, lst in [("j", "[1, 2, -3]"), ("j", "[0]"), ("n", "[1, 2, None]"), ("n", "[-5, 5]"),
                   ("n", "[None]"), ("i", "[-9223372036854775808, 9223372036854775807, 0]"),
                   ("f", "[0.0, 2.5, -2.5, 1e300]"), ("f", "[-0.0]"), ("g", "[0.5, None]"),
                   ("j", "[2.0, 3.5]"), ("f", "[1, -1]"), ("b", "[True]"), ("c", "[False]"),
                   ("c", "[True, None]"), ("b", "[1]"), ("s", "['b', 'Aé', 'x']"),
                   ("t", "[None]"), ("ui", "['-3', ' 12']"), ("None", "[None, 1]"),
                   ("None", "[1]"), ("j + 1", "[1, 2]"), ("lower(s)", "['ab', 'x']")]:
        ex += ["%s in %s" % (x, lst), "%s not in %s" % (x, lst)]
    # functions
    for x in NUMS + ["-1.5", "2.5", "None", "-9223372036854775808 + j * 0"]:
        ex += ["abs(%s)" % x, "round(%s)" % x, "round(%s, 1)" % x, "round(%s, -1)" % x,
               "round(%s, 2)" % x, "floor(%s)" % x, "ceil(%s)" % x, "sqrt(%s)" % x,
               "exp(%s)" % x, "log(%s)" % x, "log10(%s)" % x, "isnull(%s)" % x,
               "notnull(%s)" % x, "fillna(%s, 7)" % x, "fillna(%s, -0.5)" % x]
    ex += ["round(f, -2)", "round(g, 3)", "round(i, -3)", "round(i, -18)", "round(i, -19)",
           "round(j * 5, -1)", "round(n * 5 + 5, -1)", "round(f * 1000, -2)",
           "round(f, 400)", "round(f, -400)", "round(2.675, 2) + f * 0"]
    for x in STRS + ["'  Hé 日本 '", "None", "s + t"]:
        ex += ["lower(%s)" % x, "upper(%s)" % x, "len(%s)" % x, "strip(%s)" % x,
               "isnull(%s)" % x, "notnull(%s)" % x, "fillna(%s, 'z')" % x]
        for lit in ["'a'", "'ab'", "''", "'é'", "'😀'", "' '", "'Z'", "'日本'"]:
            ex += ["contains(%s, %s)" % (x, lit), "startswith(%s, %s)" % (x, lit),
                   "endswith(%s, %s)" % (x, lit)]
        for old, new in [("'a'", "'A'"), ("'ab'", "''"), ("'é'", "'e'"), ("' '", "'_'"),
                         ("''", "'-'"), ("''", "''"), ("'😀'", "'smile'"), ("'zz'", "'y'")]:
            ex.append("replace(%s, %s, %s)" % (x, old, new))
        for args in ["0", "1", "-1", "2, 3", "-3, 2", "0, 0", "1, -1", "100", "-100, 2",
                     "j", "j, n", "1, j", "b, 2"]:
            ex.append("substr(%s, %s)" % (x, args))
    ex += ["len(s) + len(t) * 2", "upper(s) == lower(s)", "strip(lower(s)) + '|'",
           "len(replace(s, 'a', 'aa')) - len(s)", "substr(s + t, 1, 3)"]
    # if_else / fillna joins
    for c in ["b", "c", "(g > 0)", "None", "True"]:
        for x, y in [("i", "j"), ("n", "g"), ("f", "1"), ("s", "t"), ("t", "'x'"), ("b", "c"),
                     ("None", "n"), ("s", "None"), ("c", "1"), ("None", "None")]:
            ex.append("if_else(%s, %s, %s)" % (c, x, y))
    ex += ["fillna(n, g)", "fillna(g, n)", "fillna(t, s)", "fillna(c, b)", "fillna(n, j)",
           "fillna(g / 0, 1)", "fillna(c, None)", "fillna(None, 3)", "isnull(g / 0)",
           "notnull(0 / 0 + f * 0)"]
    # astype
    for x in NUMS + STRS + ["None", "f * 1e16 + 0.1", "g / 3e5", "i * 0.5", "-0.0 + j * 0"]:
        for t in ["int64", "float64", "bool", "str", "Int64", "float", "boolean", "string"]:
            ex.append("astype(%s, '%s')" % (x, t))
    ex += ["astype(strip(ui), 'int64')", "astype(strip(uf), 'float64') * 2",
           "astype(astype(j, 'str'), 'int64')", "astype(astype(f, 'str'), 'float64')",
           "astype(astype(g, 'str'), 'float64')", "astype('nan', 'float64') + j * 0",
           "astype('-NaN', 'float64') + j * 0", "astype(' Infinity ', 'float') + j * 0",
           "astype('', 'bool')", "astype(substr(s, 0, 0), 'bool')",
           "astype(s, 'int64')", "astype(t, 'float64')", "astype(uf, 'int64')",
           "astype(ui + 'x', 'int64')", "astype('1_000', 'int64')",
           "astype('9223372036854775808', 'int64')", "astype(f, 'int64')",
           "astype(g, 'int64')", "astype(j / 0, 'int64')", "astype(j * 0 + 1e300, 'int64')",
           "astype(j * 0 - 9.2233720368547758e18, 'int64')",
           "astype(j * 0 + 9.2233720368547758e18, 'int64')"]
    # random well-typed compositions
    for k in range(400):
        ex.append(random_expr(rng, ["num", "bool", "str"][k % 3], rng.randrange(2, 6)))
    # errors (ddf refuses; each of these is also checked to be refused by the translator)
    ex += ["s + 1", "1 + s", "s - t", "s * 2", "-s", "+t", "s < 1", "s == 1", "i < 'a'",
           "i and b", "b or 1", "not i", "~i", "~s", "abs(s)", "sqrt(t)", "round(s)",
           "round(f, j)", "round(f, 1.5)", "lower(i)", "len(f)", "strip(b)",
           "contains(s, t)", "contains(i, 'a')", "replace(s, 'a', t)", "substr(s, 1.5)",
           "substr(i, 1)", "if_else(i, 1, 2)", "if_else(b, 1, 's')", "fillna(n, 'x')",
           "astype(i, 'complex')", "astype(i, t)", "nosuch + 1", "nosuchfn(i)",
           "abs(i, j)", "pow(i)", "a < b < c", "i < j < n", "9223372036854775808",
           "i + 9223372036854775808", "-9223372036854775809", "-9223372036854775808 ** 2",
           "i in [9223372036854775808]", "s in [1, 2]", "i in ['a']", "i in j",
           "i ++", "(i", "i = 1", "i ** s", "pow(s, 2)", "isnull()", "s % 2"]
    return ex


def random_expr(rng, kind, depth):
    """A random well-typed expression of 'kind' ('num', 'bool', 'str'), fully parenthesized
    so that Python and ddf group & and | alike."""
    leaf = depth <= 0 or rng.random() < 0.25
    if kind in ("num", "numx"):  # numx: no bool leaves (if_else cannot join bool and int)
        if leaf:
            return rng.choice([x for x in NUMS if kind == "num" or x not in ("b", "c")]
                              + ["0", "1", "-1", "2", "0.5", "-2.5", "1e300", "7"])
        sub = "num" if kind == "num" else "numx"
        a, b = random_expr(rng, sub, depth - 1), random_expr(rng, sub, depth - 1)
        r = rng.randrange(8)
        if r < 4:
            return "(%s %s %s)" % (a, rng.choice(["+", "-", "*", "/", "//", "%"]), b)
        if r == 4:
            return "%s(%s)" % (rng.choice(["abs", "round", "floor", "ceil", "sqrt", "exp",
                                           "log", "log10", "-", "+"]), a)
        if r == 5:
            return "if_else(%s, %s, %s)" % (random_expr(rng, "bool", depth - 1),
                                            random_expr(rng, "numx", depth - 1),
                                            random_expr(rng, "numx", depth - 1))
        if r == 6:
            return "len(%s)" % random_expr(rng, "str", depth - 1)
        return "(%s ** %s)" % (a, rng.choice(["0", "1", "2", "3", "0.5", "-1", "j"]))
    if kind == "bool":
        if leaf:
            return rng.choice(["b", "c", "True", "False"])
        r = rng.randrange(6)
        if r < 2:
            return "(%s %s %s)" % (random_expr(rng, "num", depth - 1),
                                   rng.choice(["==", "!=", "<", "<=", ">", ">="]),
                                   random_expr(rng, "num", depth - 1))
        if r == 2:
            return "(%s %s %s)" % (random_expr(rng, "bool", depth - 1),
                                   rng.choice(["and", "or", "&", "|"]),
                                   random_expr(rng, "bool", depth - 1))
        if r == 3:
            return "(%s%s)" % (rng.choice(["not ", "~"]), random_expr(rng, "bool", depth - 1))
        if r == 4:
            return "%s(%s, %s)" % (rng.choice(["contains", "startswith", "endswith"]),
                                   random_expr(rng, "str", depth - 1),
                                   rng.choice(["'a'", "'b'", "'é'", "''", "' '"]))
        return "(%s %s [%s])" % (random_expr(rng, "num", depth - 1),
                                 rng.choice(["in", "not in"]),
                                 ", ".join(rng.choice(["0", "1", "-1", "2.5", "None", "3"])
                                           for _ in range(rng.randrange(1, 5))))
    if leaf:
        return rng.choice(["s", "t", "'x'", "'é😀'", "None"] if rng.random() < 0.9
                          else ["ui", "uf"])
    r = rng.randrange(6)
    a = random_expr(rng, "str", depth - 1)
    if r == 0:
        return "(%s + %s)" % (a, random_expr(rng, "str", depth - 1))
    if r == 1:
        return "%s(%s)" % (rng.choice(["lower", "upper", "strip"]), a)
    if r == 2:
        return "substr(%s, %s, %s)" % (a, rng.choice(["0", "1", "-2", "j"]),
                                       rng.choice(["0", "2", "5", "n"]))
    if r == 3:
        return "replace(%s, %s, %s)" % (a, rng.choice(["'a'", "' '", "''", "'ab'"]),
                                        rng.choice(["''", "'Q'", "'日'"]))
    if r == 4:
        return "fillna(%s, %s)" % (a, rng.choice(["'z'", "s"]))
    return "astype(%s, 'str')" % random_expr(rng, "num", depth - 1)


# ---- running and comparing -------------------------------------------------------------

def same_value(kind, got, want):
    if want is None:
        return got is None or got == "NaN"
    if kind == "float64":
        if isinstance(want, float) and math.isnan(want):
            return got is None or got == "NaN"
        if got is None or isinstance(got, str) and got not in ("Infinity", "-Infinity"):
            return False
        g = {"Infinity": math.inf, "-Infinity": -math.inf}.get(got, got)
        if math.isinf(want) or math.isinf(g):
            return g == want
        return abs(g - want) <= max(1e-12, 1e-9 * abs(want))
    return got == want and type(got) is type(want)


def expected_values(v):
    out = []
    for d, m in zip(v.data, v.mask):
        if m:
            out.append(None)
        elif v.kind == "int64":
            out.append(int(d))
        elif v.kind == "float64":
            out.append(float(d))
        elif v.kind == "bool":
            out.append(bool(d))
        else:
            out.append(d)
    return out


def compare(text, mode, want, got):
    """Returns None when they agree, else a message."""
    if isinstance(want, Refused):
        if "error" in got:
            return None
        return "ddf accepted what must be refused (%s)" % want
    if "error" in got:
        return "ddf error %s: %s" % (got["error"], got["message"])
    if mode == "f":
        rows = [i for i, (d, m) in enumerate(zip(want.data, want.mask)) if d and not m]
        if got["rows"] != rows:
            diff = sorted(set(rows) ^ set(got["rows"]))[:5]
            return "filter rows differ at %s" % diff
        return None
    if got["dtype"] != want.kind:
        return "dtype %s, want %s" % (got["dtype"], want.kind)
    vals = expected_values(want)
    if len(got["values"]) != len(vals):
        return "%d values, want %d" % (len(got["values"]), len(vals))
    for r, (g, w) in enumerate(zip(got["values"], vals)):
        if not same_value(want.kind, g, w):
            return "row %d: got %r, want %r" % (r, g, w)
    return None


def pandas_refuses(df, text):
    """For the error cases: whether pandas itself refuses the spelled-out operation.
    Returns True/False, or None when there is no direct pandas spelling."""
    spell = {
        "s + 1": lambda: df.s + 1, "1 + s": lambda: 1 + df.s, "s - t": lambda: df.s - df.t,
        "-s": lambda: -df.s, "s < 1": lambda: df.s < 1, "i < 'a'": lambda: df.i < "a",
        "abs(s)": lambda: df.s.abs(), "sqrt(t)": lambda: np.sqrt(df.t),
        "lower(i)": lambda: df.i.str.lower(), "len(f)": lambda: df.f.str.len(),
        "contains(i, 'a')": lambda: df.i.str.contains("a"),
        "i and b": lambda: df.i and df.b, "s % 2": lambda: df.s % 2,
        "astype(s, 'int64')": lambda: df.s.astype("int64"),
        "astype(t, 'float64')": lambda: df.t.dropna().astype("float64"),
        "astype(uf, 'int64')": lambda: df.uf.dropna().astype("int64"),
        "astype(f, 'int64')": lambda: df.f.astype("int64"),
        "i ** s": lambda: df.i ** df.s, "~s": lambda: ~df.s,
    }
    f = spell.get(text)
    if f is None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f()
    except Exception:
        return True
    return False


def run_dump(dump, path, exprs_path, extra):
    cmd = [dump] + extra + ["--dtype", "ui=string", "--dtype", "uf=string", "--exprs",
                            exprs_path, path]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        sys.exit("ddf-exprdump failed (%d): %s" % (p.returncode, p.stderr.decode()[:2000]))
    return [json.loads(line) for line in p.stdout.decode("utf-8").splitlines()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dump", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--seed", type=int, default=20261127)
    ap.add_argument("--rows", type=int, default=300)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(args.workdir, exist_ok=True)
    header = list(KINDS)
    rows = make_rows(rng, args.rows)
    path = os.path.join(args.workdir, "frame.csv")
    write_csv(path, header, rows)
    # round_trip: pandas' default float parser may be 1 ulp off; ddf's is correctly rounded.
    df = pd.read_csv(path, low_memory=False, float_precision="round_trip",
                     dtype={c: str for c in PINNED})
    tr = Translator(df)

    exprs = expressions(rng, rows)
    cases = []  # (mode, text, expected V or Refused)
    for text in exprs:
        try:
            want = tr.run(text)
        except Refused as e:
            want = e
        cases.append(("e", text, want))
        if not isinstance(want, Refused) and want.kind == "bool":
            cases.append(("f", text, want))
    for text in ["i", "s", "f + 1", "None + i"]:  # a filter must be bool
        cases.append(("f", text, Refused("filter of a non-bool")))
    exprs_path = os.path.join(args.workdir, "exprs.txt")
    with open(exprs_path, "w", encoding="utf-8") as f:
        for mode, text, _ in cases:
            f.write("%s\t%s\n" % (mode, text))

    passed = failed = 0
    runs = [("whole file", []), ("blocksize 997", ["--blocksize", "997"]),
            ("blocksize 4096, reversed selection", ["--blocksize", "4096", "--reverse"])]
    for label, extra in runs:
        out = run_dump(args.dump, path, exprs_path, extra)
        if len(out) != len(cases):
            sys.exit("ddf-exprdump printed %d lines for %d expressions" % (len(out), len(cases)))
        for (mode, text, want), got in zip(cases, out):
            msg = compare(text, mode, want, got)
            if msg is None:
                passed += 1
                continue
            failed += 1
            shown = text if len(text) < 200 else text[:200] + "..."
            print("FAIL [%s] %s %s: %s" % (label, "filter" if mode == "f" else "eval",
                                           shown, msg))
    # The error cases must be refused by pandas too, where pandas has a spelling.
    for text in exprs:
        want = next(w for m, t, w in cases if t == text and m == "e")
        r = pandas_refuses(df, text)
        if r is None:
            continue
        if r == isinstance(want, Refused):
            passed += 1
        else:
            failed += 1
            print("FAIL pandas %s %s but the translator %s" % (
                "refuses" if r else "accepts", text,
                "refuses" if isinstance(want, Refused) else "accepts"))
    nerr = sum(1 for m, t, w in cases if m == "e" and isinstance(w, Refused))
    print("%d expressions (%d must be refused), %d filters, %d runs" % (
        len(exprs), nerr, sum(1 for c in cases if c[0] == "f"), len(runs)))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
