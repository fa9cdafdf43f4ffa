#!/usr/bin/env python3
"""gen_sales.py - write examples/sales.csv, the small file the example scripts read.

    python3 examples/gen_sales.py > examples/sales.csv

200 rows of seven columns; pandas.read_csv (and ddf) read them as

    region    object   one of 5 names; empty (NaN) in 5 rows
    product   object   one of 6 names, one of them quoted: "Cable, 2 m"
    qty       int64    1..20; empty in 5 rows (pandas: float64, ddf: nullable int64)
    price     float64  the product's list price, two decimals
    discount  float64  0.0, 0.05, 0.1 or 0.2; empty (NaN) in 20 rows
    returned  bool     True in 20 rows
    date      object   an ISO-8601 day in 2024 ("2024-03-05"); ddf has no datetime dtype

The output is a pure function of SEED: one splitmix64 stream drawn in a fixed order per
row (the generator bench/gen_sales.c uses), so the file can always be rebuilt exactly.
Python's standard library only.
"""
import sys

SEED = 7
ROWS = 200
MASK = (1 << 64) - 1

REGIONS = ["EU-West", "EU-East", "US", "LATAM", "APAC"]
PRODUCTS = [  # name, list price
    ("Widget", 4.99),
    ("Gadget", 12.50),
    ("Gizmo", 7.25),
    ("Cable, 2 m", 3.10),
    ("Adapter", 9.99),
    ("Charger", 19.00),
]
DISCOUNTS = ["0.0", "0.05", "0.1", "0.2"]
MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]  # 2024 is a leap year


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n):
        """A draw in 0..n-1 (the modulo bias is nothing at these sizes)."""
        return self.next() % n


def quote(field):
    """CSV quoting as Python's csv module does it: only when needed."""
    if any(c in field for c in ',"\r\n'):
        return '"' + field.replace('"', '""') + '"'
    return field


def main():
    rng = SplitMix64(SEED)
    out = sys.stdout
    out.write("region,product,qty,price,discount,returned,date\n")
    for _ in range(ROWS):
        region = REGIONS[rng.below(len(REGIONS))]
        name, price = PRODUCTS[rng.below(len(PRODUCTS))]
        qty = str(1 + rng.below(20))
        discount = DISCOUNTS[rng.below(len(DISCOUNTS))]
        returned = "True" if rng.below(100) < 8 else "False"
        month = rng.below(12)
        day = 1 + rng.below(MONTH_DAYS[month])
        holes = rng.below(1000)  # one draw decides the nulls, so each row draws 7 times
        if holes < 15:
            region = ""
        elif holes < 45:
            qty = ""
        if holes % 10 == 9:
            discount = ""
        row = [region, name, qty, "%.2f" % price, discount, returned,
               "2024-%02d-%02d" % (month + 1, day)]
        out.write(",".join(quote(f) for f in row) + "\n")


if __name__ == "__main__":
    main()
