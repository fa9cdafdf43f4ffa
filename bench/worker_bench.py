#!/usr/bin/python3
"""worker_bench.py - a worker's plan throughput: a group-by plan over the sales file,
cold (parse included) and warm (partitions cached), with 1 and 2 plan threads.

    /usr/bin/python3 bench/worker_bench.py --worker build/worker/ddf-worker \\
        --gen-sales build/bench/gen-sales [--rows N] [--blocksize BYTES] [--repeat R]

Generates the sales file (gen-sales, N rows, default 2,000,000) in a temporary data root,
starts a private redis-server and one ddf-worker per thread count, cuts the file into
partitions the way the client does (ddf.infer, ddf.scan, quote-parity resolution) and
times ddf.run of "group by region: sum of qty, mean of price, count of discount" from
Python's xmlrpc.client: the first run (cold: every partition parsed) and the best of R
later runs (warm: cache hits). Prints seconds, rows/s and the ratios 2 threads / 1 thread
and cold / warm. A benchmark: it prints figures and asserts nothing but that every
partition answered "ok".
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "worker"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "harness"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "diff"))

import test_server  # noqa: E402  (the client's splitting in Python, and the Worker helper)
from redis_harness import RedisServer  # noqa: E402

TERMINAL = {"kind": "groupby", "keys": ["region"],
            "aggs": [{"column": "qty", "agg": "sum"}, {"column": "price", "agg": "mean"},
                     {"column": "discount", "agg": "count"}]}


def run_plan(proxy, plan):
    t0 = time.perf_counter()
    res = proxy.ddf.run(plan)["results"]
    dt = time.perf_counter() - t0
    bad = [r for r in res if r["status"] != "ok"]
    if bad:
        raise SystemExit("worker_bench: partition %d: %s" % (bad[0]["index"], bad[0]["error"]))
    return dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker", required=True)
    ap.add_argument("--gen-sales", required=True)
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--blocksize", type=int, default=8 << 20)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    test_server.WORKER = os.path.abspath(a.worker)
    root = tempfile.mkdtemp(prefix="ddf-worker-bench-")
    secret = os.path.join(root, "secret")
    with open(secret, "w") as f:
        f.write(test_server.SECRET)
    os.chmod(secret, 0o600)
    path = os.path.join(root, "sales.csv")
    subprocess.run([a.gen_sales, "--rows", str(a.rows), "--out", path], check=True)
    size = os.path.getsize(path)
    redis = RedisServer().start()
    figures = {}
    try:
        for threads in (1, 2):
            w = test_server.Worker(redis.url, root, extra=["--threads", str(threads)],
                                   secret_file=secret)
            try:
                w.wait_url()
                p = w.proxy()
                info, parts = test_server.plan_parts(p, "sales.csv", a.blocksize)
                plan = {"version": 1,
                        "schema": [{"name": c["name"], "dtype": c["dtype"]}
                                   for c in info["columns"]],
                        "parts": parts, "terminal": TERMINAL}
                cold = run_plan(p, plan)
                warm = min(run_plan(p, plan) for _ in range(max(1, a.repeat)))
                figures[threads] = (cold, warm, len(parts))
            finally:
                w.stop()
    finally:
        redis.close()
        shutil.rmtree(root, ignore_errors=True)
    print("sales file: %d rows, %.1f MB; group-by region, 3 aggregations" % (a.rows, size / 1e6))
    for threads, (cold, warm, nparts) in sorted(figures.items()):
        print("  %d thread%s, %d partitions: cold %.3f s (%.1f M rows/s), warm %.3f s "
              "(%.1f M rows/s), cold/warm %.1fx" % (threads, "" if threads == 1 else "s",
                                                    nparts, cold, a.rows / cold / 1e6, warm,
                                                    a.rows / warm / 1e6, cold / warm))
    if 1 in figures and 2 in figures:
        print("  2 threads vs 1: warm %.2fx, cold %.2fx"
              % (figures[1][1] / figures[2][1], figures[1][0] / figures[2][0]))


if __name__ == "__main__":
    main()
