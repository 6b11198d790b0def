"""Writes singleton_strata.csv and singleton_respondents.csv (run once; the files are committed).

A wave of ten agency × sector strata, five of them with a single respondent (one of them a
census: its only dossier answered), for the collapse rule of docs/methodology.md §5.  Read by
tests/analysis/r/goldens.R and tests/analysis/test_singleton_*.py.

    .venv/bin/python tests/analysis/r/make_singleton_data.py
"""
from __future__ import annotations

import csv
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
# agency, parent, sector, π, dossiers N (stratum population = calibration total), invited, responded,
# P(satisfied)
STRATA = [
    ("H1", "HT", "civil", 0.5, 40, 22, 12, 0.80), ("H1", "HT", "land", 0.5, 30, 14, 1, 0.50),
    ("H1", "HT", "tax", 0.5, 10, 6, 4, 0.70), ("H2", "HT", "land", 0.4, 50, 19, 9, 0.60),
    ("H2", "HT", "tax", 1.0, 5, 5, 1, 0.90), ("H2", "HT", "civil", 1.0, 1, 1, 1, 0.90),
    ("X1", "H1", "civil", 0.5, 12, 7, 1, 0.40), ("X2", "H1", "civil", 0.5, 8, 4, 1, 0.95),
    ("X2", "H1", "land", 0.5, 20, 11, 6, 0.75), ("X3", "H2", "land", 0.5, 6, 3, 1, 0.30),
]
# The collapsed stratum (= calibration cell) each stratum must end in under the §5 rule, worked by
# hand: agency keys (parent, code) rank X1 < X2 < X3 < H1 < H2; sectors civil < land < tax;
# H2|civil is a census (its one dossier answered): never merged, never a neighbour.
#   H1|land  → same agency, nearest sector: civil and tax tie at 1 → the first, H1|civil
#   H2|tax   → same agency: H2|land (H2|civil is a census)
#   X1|civil → no other X1 stratum with 2 respondents; same sector, nearest agency: H1|civil
#   X2|civil → same agency: X2|land
#   X3|land  → same sector, nearest agency: X2|land (distance 1) before H2|land (2)
COLLAPSED = {"H1|land": "H1|civil", "H2|tax": "H2|land", "X1|civil": "H1|civil", "X2|civil": "X2|land",
             "X3|land": "X2|land"}


def main() -> None:
    rng = random.Random(16)
    with open(HERE / "singleton_strata.csv", "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["stratum", "agency", "parent", "sector", "pi", "N", "invited", "responded", "stratum_c"])
        for a, parent, s, pi, n_doss, invited, responded, _ in STRATA:
            key = "%s|%s" % (a, s)
            out.writerow([key, a, parent, s, pi, n_doss, invited, responded, COLLAPSED.get(key, key)])
    with open(HERE / "singleton_respondents.csv", "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["id", "stratum", "agency", "sector", "pi", "q1", "q2", "q3", "q4"])
        serial = 0
        for a, _, s, pi, _, _, responded, p_sat in STRATA:
            for _ in range(responded):
                serial += 1
                answers = []
                for j in range(4):
                    if serial % 7 == j + 1 and j != 0:  # a few items unanswered (never q1)
                        answers.append("")
                        continue
                    answers.append(rng.choice([4, 5]) if rng.random() < p_sat else rng.choice([1, 2, 3]))
                out.writerow([serial, "%s|%s" % (a, s), a, s, pi, *answers])


if __name__ == "__main__":
    main()
