"""The shared test dataset (tests/analysis/data/design.csv) and comparison helpers."""
from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parent / "data" / "design.csv"
TEXT = {"stratum", "psu", "g", "cellA", "cellB", "hl"}


def load_table() -> dict:
    """Columns of design.csv as numpy arrays (text → object, numbers → float with NaN)."""
    with open(DATA, newline="") as f:
        rows = list(csv.DictReader(f))
    out = {}
    for key in rows[0]:
        if key in TEXT:
            out[key] = np.array([r[key] for r in rows], dtype=object)
        else:
            out[key] = np.array([float(r[key]) if r[key] != "" else np.nan for r in rows])
    out["fpc_rows"] = out["fpc"] * 5
    return out


@pytest.fixture(scope="session")
def df() -> dict:
    """The dataset R reads in tests/analysis/r/goldens.R."""
    return load_table()


def close(a: float, b: float, rtol: float = 1e-6, atol: float = 1e-12) -> bool:
    """Relative comparison that treats NaN == NaN."""
    if math.isnan(b):
        return math.isnan(a)
    return abs(a - b) <= atol + rtol * abs(b)


def assert_matches(est, golden: dict, rtol: float = 1e-6, fields=("value", "se", "ci_low", "ci_high", "df")) -> None:
    """Every field of the golden dict present in `fields` matches the Estimate."""
    for field in fields:
        if field not in golden:
            continue
        got = getattr(est, field)
        assert close(got, golden[field], rtol), "%s: got %r, R gives %r" % (field, got, golden[field])
