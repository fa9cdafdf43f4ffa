#!/usr/bin/python3
"""pandas on the queries of bench/client_bench.c, on the same sales file.

cold = read_csv + the query (what a pandas script pays the first time), warm = the query
on the frame already in memory. Prints the same columns as client-bench.

    /usr/bin/python3 bench/client_pandas.py FILE.csv
"""
import resource
import sys
import time

import pandas as pd

QUERIES = [
    ("count", lambda d: len(d)),
    ("max_min_all", lambda d: (d.max(), d.min())),
    ("groupby_region", lambda d: d.groupby("region").agg(
        qty=("qty", "sum"), price=("price", "mean"), discount=("discount", "max"))),
    ("groupby_product", lambda d: d.groupby("product")["qty"].sum()),
    ("isin_sum", lambda d: d[d.region.isin(["EU-East", "US-West", "LATAM"])].qty.sum()),
    ("apply_sum", lambda d: (d.price * d.qty * (1 - d.discount)).sum()),
    ("head10", lambda d: d.head(10)),
]


def main():
    path = sys.argv[1]
    t0 = time.perf_counter()
    d = pd.read_csv(path, low_memory=False)
    read_s = time.perf_counter() - t0
    print("%-16s %9s %9s %12s %10s" % ("query", "cold_s", "warm_s", "peak_MiB", "read_s"))
    for name, q in QUERIES:
        t1 = time.perf_counter()
        q(d)
        first = time.perf_counter() - t1
        t2 = time.perf_counter()
        q(d)
        warm = time.perf_counter() - t2
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        print("%-16s %9.3f %9.3f %12.1f %10.3f" % (name, read_s + first, warm, peak, read_s),
              flush=True)


if __name__ == "__main__":
    main()
