#!/usr/bin/python3
"""difftest - helpers the differential tests (*_vs_pandas.py) share, kept in one place so
that they generate, read and check alike:

    maybe(rng, p_null, text)        "" (a CSV null) with probability p_null, else text
    float_text(rng)                 a float literal: zeros, large, tiny or moderate values
    write_csv(path, header, rows)   a UTF-8 CSV file with "\\n" line ends
    py(v)                           a pandas/numpy scalar as plain Python, missing as None
    ours_value(v)                   a value a dump tool printed, "NaN" as None and
                                    "Infinity"/"-Infinity" as floats
    missing_file_fails(dump, workdir, tool)
                                    whether the tool exits 1 with "<tool>: ..." for a
                                    missing file; prints the ok/FAIL line

Each is the one version the scripts used before it moved here; tolerances and the other
comparisons stay in the scripts, where they differ.
"""
import csv
import math
import os
import subprocess

import numpy as np
import pandas as pd


def maybe(rng, p_null, text):
    return "" if rng.random() < p_null else text


def float_text(rng):
    r = rng.random()
    if r < 0.05:
        return rng.choice(["0.0", "-0.0", "0"])
    if r < 0.10:
        return repr(rng.uniform(1e11, 1e12))  # large, positive: no cancellation
    if r < 0.15:
        return repr(rng.uniform(-1e-6, 1e-6))
    return repr(rng.uniform(-1e3, 1e3))


def write_csv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def py(v):
    """A pandas/numpy scalar as plain Python; NaN, None and pd.NA as None."""
    if v is None or v is pd.NA:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def ours_value(v):
    if v == "NaN":
        return None
    if v == "Infinity":
        return math.inf
    if v == "-Infinity":
        return -math.inf
    return v


def missing_file_fails(dump, workdir, tool):
    """Runs 'dump' on a file that does not exist: it must exit 1 with a message that
    starts "<tool>: ". Prints the ok/FAIL line; returns whether it passed."""
    proc = subprocess.run([dump, os.path.join(workdir, "no_such_file.csv")],
                          capture_output=True, timeout=60)
    if proc.returncode == 1 and proc.stderr.startswith(tool.encode() + b": "):
        print("ok   missing file: exit 1 with a message")
        return True
    print("FAIL missing file: exit %d, stderr %r" % (proc.returncode, proc.stderr))
    return False
