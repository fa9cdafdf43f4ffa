#!/usr/bin/python3
"""groupby_pandas.py - pandas' side of bench/groupby_bench.c on the same data.

    /usr/bin/python3 bench/groupby_pandas.py [--rows N] [--repeat R] [--sparse] [--strings]

For 8, 10,000 and 1,000,000 groups: k = (i * 2654435761) % ngroups (int64),
v = (i % 1000) / 10.0 (float64), then times df.groupby('k')['v'].sum() (best of R).
--sparse multiplies each key by 0x9E3779B97F4A7C15 (mod 2^64, as int64): the same
groups, spread over the whole int64 range; --strings makes the keys strings "P-00042"
(object dtype, as read_csv gives the sales file's product codes).
"""
import argparse
import time

import numpy as np
import pandas as pd


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sparse", action="store_true")
    ap.add_argument("--strings", action="store_true")
    a = ap.parse_args()
    i = np.arange(a.rows, dtype=np.uint64)
    for ngroups in (8, 10_000, 1_000_000):
        k = (i * np.uint64(2654435761)) % np.uint64(ngroups)
        if a.sparse:
            k = k * np.uint64(0x9E3779B97F4A7C15)
        k = k.view(np.int64)
        if a.strings:
            k = pd.Series(k).map(lambda x: "P-%05d" % x).to_numpy(dtype=object)
        v = (i % np.uint64(1000)).astype(np.float64) / 10.0
        df = pd.DataFrame({"k": k, "v": v})
        best = 1e30
        for _ in range(max(1, a.repeat)):
            t0 = time.perf_counter()
            r = df.groupby("k")["v"].sum()
            best = min(best, time.perf_counter() - t0)
        print(f"pandas groupby-sum groups={ngroups:<8} rows={a.rows}  {best:.3f} s  "
              f"{a.rows / best / 1e6:.1f} Mrows/s  (ngroups={len(r)} sum[0]={r.iloc[0]:.1f})"
              + (" sparse" if a.sparse else " strings" if a.strings else ""))


if __name__ == "__main__":
    main()
