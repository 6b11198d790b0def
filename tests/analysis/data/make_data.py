"""Writes design.csv, the small deterministic dataset that the tests and goldens.R both read.

Run once (the CSV is committed): .venv/bin/python tests/analysis/data/make_data.py
"""
import csv
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def main() -> None:
    rng = np.random.default_rng(20250101)
    strata = {"A": (4, 40), "B": (3, 25), "C": (5, 60), "D": (3, 12)}  # sampled PSUs, population PSUs
    rows = []
    for h, (npsu, N) in strata.items():
        for p in range(1, npsu + 1):
            for _ in range(int(rng.integers(3, 7))):
                k = "ABCD".index(h)
                q = [int(v) for v in rng.choice([1, 2, 3, 4, 5], p=[.05, .1, .2, .35, .3], size=8)]
                base = int(rng.integers(2, 5))  # correlated items a1..a4 (for Cronbach's alpha)
                a = [int(min(5, max(1, base + rng.choice([-1, 0, 0, 1])))) for _ in range(4)]
                rows.append(dict(
                    id=len(rows) + 1, stratum=h, psu="%s%d" % (h, p), fpc=N,
                    w=round(float(rng.uniform(5, 30)), 3),
                    y=round(float(rng.normal(50 + 5 * k, 10)), 2),
                    x=round(float(rng.uniform(1, 4)), 2),
                    b=int(rng.random() < 0.7), rare=int(rng.random() < 0.06),
                    g=str(rng.choice(["u", "v", "t"])), cellA=str(rng.choice(["m", "f"])),
                    cellB=str(rng.choice(["young", "mid", "old"])),
                    # stratum variant with a lonely PSU: D's first PSU becomes stratum "E"
                    hl="E" if (h == "D" and p == 1) else h,
                    **{"q%d" % (j + 1): q[j] for j in range(8)},
                    **{"c%d" % (j + 1): q[j] for j in range(8)},
                    **{"a%d" % (j + 1): a[j] for j in range(4)},
                ))
    n = len(rows)
    for i in (3, 11, 20, 33, 47, 60):
        rows[i]["y"] = ""
    for i in (5, 6, 40):  # domain "e": rows whose y are all missing (an empty domain for y)
        rows[i]["g"] = "e"
        rows[i]["y"] = ""
    for i in range(n):
        for j in range(8):
            if (i * 7 + j * 3) % 11 == 0:
                rows[i]["q%d" % (j + 1)] = ""
        if rows[i]["g"] == "t":  # item q8 never answered in domain t (an all-missing item)
            rows[i]["q8"] = ""
        if i % 13 == 4:
            rows[i]["b"] = ""
        if i % 17 == 3:
            rows[i]["a3"] = ""
    for i in (2, 30, n - 3):  # zero weights in the column w0
        rows[i]["w0"] = 0.0
    for r in rows:
        r.setdefault("w0", r["w"])
    with open(HERE / "design.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(n, "rows")


if __name__ == "__main__":
    main()
