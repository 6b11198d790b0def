"""Turning label arrays (any hashable values) into dense integer codes, fast for numeric labels."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def _is_missing(value: Any) -> bool:
    """True for None and float NaN (the two spellings of a missing label)."""
    return value is None or (isinstance(value, float) and value != value)


def factorize(labels: Any, n: int | None = None, name: str = "labels") -> tuple[np.ndarray, list]:
    """Codes 0..L-1 (−1 = missing label) and the sorted list of distinct labels.

    Numeric and string arrays are factorised in C (np.unique); object arrays with mixed
    hashables fall back to a dictionary pass.  Labels are sorted when they are mutually
    comparable, otherwise kept in order of first appearance.
    """
    arr = np.asarray(labels) if not isinstance(labels, np.ndarray) else labels
    if arr.ndim != 1:
        raise ValueError("%s must be one-dimensional" % name)
    if n is not None and arr.shape[0] != n:
        raise ValueError("%s has %d values, expected %d" % (name, arr.shape[0], n))
    if arr.dtype.kind in "iu":
        return _factorize_ints(arr)
    if arr.dtype.kind == "f":
        missing = np.isnan(arr)
        codes = np.full(arr.shape[0], -1, dtype=np.int64)
        uniq, inv = np.unique(arr[~missing], return_inverse=True)
        codes[~missing] = inv
        return codes, uniq.tolist()
    if arr.dtype.kind in "USb":  # strings, bytes, booleans
        uniq, codes = np.unique(arr, return_inverse=True)
        return codes.astype(np.int64, copy=False), uniq.tolist()
    return _factorize_objects(arr)


def _factorize_ints(arr: np.ndarray) -> tuple[np.ndarray, list]:
    """Integers: a presence table over the value range (no sort) when the range is small."""
    if arr.shape[0] == 0:
        return np.zeros(0, dtype=np.int64), []
    arr = arr.astype(np.int64, copy=False)
    lo, hi = int(arr.min()), int(arr.max())
    if hi - lo > 4 * arr.shape[0] + 1024:
        uniq, codes = np.unique(arr, return_inverse=True)
        return codes.reshape(-1).astype(np.int64, copy=False), uniq.tolist()
    shifted = arr - lo
    present = np.bincount(shifted, minlength=hi - lo + 1) > 0
    remap = np.cumsum(present) - 1
    return remap[shifted], (np.flatnonzero(present) + lo).tolist()


def _factorize_objects(arr: np.ndarray) -> tuple[np.ndarray, list]:
    """Dictionary factorisation for object arrays (mixed hashables, None/NaN = missing)."""
    index: dict = {}
    codes = np.empty(arr.shape[0], dtype=np.int64)
    for i, value in enumerate(arr.tolist()):
        if _is_missing(value):
            codes[i] = -1
            continue
        code = index.get(value)
        if code is None:
            code = index[value] = len(index)
        codes[i] = code
    labels = list(index)
    if not labels:  # every label missing
        return codes, []
    try:
        order = sorted(range(len(labels)), key=labels.__getitem__)
    except TypeError:  # incomparable labels: keep first-appearance order
        return codes, labels
    remap = np.empty(len(labels), dtype=np.int64)
    remap[order] = np.arange(len(labels))
    codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
    return codes, [labels[i] for i in order]


def group_codes(by: Any, n: int) -> tuple[np.ndarray, list]:
    """Group codes for `by`: one label array, or a tuple of arrays crossed into tuple labels.

    A row whose label (or any of its crossed labels) is missing belongs to no group.
    Only combinations present in the data become groups.
    """
    if isinstance(by, tuple) and len(by) > 0 and _looks_like_columns(by, n):
        parts = [factorize(col, n, "by[%d]" % k) for k, col in enumerate(by)]
        combined = np.zeros(n, dtype=np.int64)
        missing = np.zeros(n, dtype=bool)
        for codes, labels in parts:
            missing |= codes < 0
            combined = combined * max(len(labels), 1) + np.maximum(codes, 0)
        combined[missing] = -1
        codes = np.full(n, -1, dtype=np.int64)
        inv, present = _factorize_ints(combined[~missing]) if (~missing).any() else (codes[:0], [])
        codes[~missing] = inv
        present = np.asarray(present, dtype=np.int64)
        sizes = [max(len(labels), 1) for _, labels in parts]
        keys = []
        for value in present.tolist():
            digits = []
            for size in reversed(sizes):
                value, digit = divmod(value, size)
                digits.append(digit)
            digits.reverse()
            keys.append(tuple(parts[k][1][d] for k, d in enumerate(digits)))
        return codes, keys
    return factorize(by, n, "by")


def _looks_like_columns(by: Sequence, n: int) -> bool:
    """A tuple of equally long arrays (crossed grouping) rather than one tuple of labels."""
    return all(hasattr(col, "__len__") and not isinstance(col, (str, bytes)) and len(col) == n
               for col in by)
