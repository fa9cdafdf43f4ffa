#!/usr/bin/python3
"""pandas_parse.py - the pandas baseline for parse-bench: times pandas.read_csv on a file.

    /usr/bin/python3 bench/pandas_parse.py FILE [--repeat R]

Runs pandas.read_csv(FILE, low_memory=False) R times (pandas' C engine, one thread, the
whole file typed at once as ddf types it) and prints the best wall time from
time.perf_counter in parse-bench's "key: value" format: MB is 10^6 bytes of the file.
The DataFrame is dropped outside the timed region. Warm the page cache first
(cat FILE > /dev/null). It prints, never asserts. Exit status: 0 done, 1 the file could
not be read, 2 usage error.

Run it with /usr/bin/python3: that is the interpreter with pandas on the ddf machines
(the python3 first on PATH may be another one without it)."""

import argparse
import os
import sys
import time

MAX_REPEAT = 1000


def print_kv(key, value):
    """One "key: value" line, values aligned as parse-bench aligns them."""
    print(f"{key + ':':<18}{value}")


def positive_repeat(text):
    try:
        value = int(text, 10)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_REPEAT:
        raise argparse.ArgumentTypeError(f"'{text}' is not in 1..{MAX_REPEAT}")
    return value


def main():
    parser = argparse.ArgumentParser(
        prog="pandas_parse.py",
        description="Time pandas.read_csv(FILE, low_memory=False), best of R runs.")
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("--repeat", "-r", type=positive_repeat, default=3, metavar="R",
                        help=f"runs, 1..{MAX_REPEAT}; the best is reported (default 3)")
    args = parser.parse_args()  # exits with status 2 on a usage error

    try:
        import pandas
    except ImportError as e:
        print(f"pandas_parse.py: cannot import pandas with {sys.executable}: {e}",
              file=sys.stderr)
        return 1

    try:
        size = os.stat(args.file).st_size
        runs = []
        rows = 0
        dtypes = ""
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            df = pandas.read_csv(args.file, low_memory=False)
            runs.append(time.perf_counter() - t0)
            rows = len(df)
            dtypes = " ".join(f"{name}:{dtype}" for name, dtype in df.dtypes.items())
            del df
    except (OSError, ValueError, pandas.errors.ParserError) as e:
        print(f"pandas_parse.py: {args.file}: {e}", file=sys.stderr)
        return 1

    best = min(runs)
    mb = size / 1e6
    print_kv("mode", f"pandas {pandas.__version__} read_csv(low_memory=False)")
    print_kv("file", args.file)
    print_kv("schema", dtypes)
    print_kv("file MB", f"{mb:.2f}")
    print_kv("rows", rows)
    print_kv("threads", 1)
    print_kv("repeat", args.repeat)
    print_kv("runs", " ".join(f"{r:.4f}" for r in runs))
    print_kv("seconds", f"{best:.4f}")
    print_kv("MB/s", f"{mb / best:.1f}")
    print_kv("MB/s per thread", f"{mb / best:.1f}")
    print_kv("rows/s", f"{rows / best:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
