"""Local suppression for survey.services.workspace.sdc: withhold single values until every combination of
released values has at least k rows, greedily and deterministically."""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from survey.services.workspace.sdc import Unit


class _Withheld:
    def __repr__(self) -> str:
        return "<withheld>"


WITHHELD = _Withheld()  # a withheld value: a value of its own when combinations are counted


def local_suppression(rows: list[dict], svars: tuple, units: Sequence[Unit], k: int) -> tuple[list[set], int]:
    """Local suppression; returns the names withheld in each row and how many rows were withheld in full
    only to fill a class.

    Each round looks at the rows whose combination has fewer than k rows and, for every quasi-identifier,
    at how many of them withholding it would put in a combination of at least k; the one that rescues the
    most is withheld in exactly the rows it rescues (ties: the order of `units`). Rows in a combination
    of k or more never move, so such a combination never shrinks. When no single value rescues a row,
    the one that merges the most small combinations is withheld in all the small rows; when everything
    is withheld, the rows left form one class per stratum, filled up to k from classes that can spare rows.
    Last, a withheld value that every row of its class shares is given back (the class stays the same)."""
    cells = [tuple(r[v] for v in svars) for r in rows]
    # The released combination of each row: its stratum, then one value (or WITHHELD) per unit.
    cur = [[cells[i], *(tuple(rows[i][c] for c in u.columns) for u in units)] for i in range(len(rows))]
    strata: dict[tuple, list[int]] = {}
    for i, cell in enumerate(cells):
        strata.setdefault(cell, []).append(i)
    for members in strata.values():  # combinations never span strata: each is done on its own
        while True:
            keys = {i: tuple(cur[i]) for i in members}
            size = Counter(keys.values())
            small = [i for i in members if size[keys[i]] < k]
            if not small:
                break
            old = Counter(keys[i] for i in small)
            best, rescued, merging, merged = 0, [], 0, -1
            for j in range(1, len(units) + 1):
                if all(cur[i][j] is WITHHELD for i in small):
                    continue
                moved = [keys[i][:j] + (WITHHELD,) + keys[i][j + 1:] for i in small]
                new = Counter(moved)
                saved = [i for i, kk in zip(small, moved, strict=True)
                         if cur[i][j] is not WITHHELD and size[kk] - old[kk] + new[kk] >= k]
                if len(saved) > len(rescued):
                    best, rescued = j, saved
                if len(old) - len(new) > merged:
                    merging, merged = j, len(old) - len(new)
            if not best:  # nothing rescues a row yet: withhold what merges the most small combinations
                if not merging:
                    break  # everything is withheld in the small rows: fill their class below
                best, rescued = merging, small
            for i in rescued:
                cur[i][best] = WITHHELD
    classes: dict[tuple, dict[tuple, list[int]]] = {}   # stratum → combination → rows
    for i in range(len(rows)):
        classes.setdefault(cells[i], {}).setdefault(tuple(cur[i]), []).append(i)
    filled = 0
    small_classes = [(kk, m) for by_key in classes.values() for kk, m in by_key.items() if len(m) < k]
    for kk, members in sorted(small_classes, key=lambda km: repr(km[0])):
        need = k - len(members)
        donors = [(c, m) for c, m in classes[kk[0]].items() if c != kk and len(m) >= k]
        spare = sum(len(m) - k for _c, m in donors)
        if spare >= need:  # take single rows from the classes that can spare them, largest first
            order = sorted(donors, key=lambda cm: (-len(cm[1]), repr(cm[0])))
        else:              # or whole classes, smallest first
            order = sorted(donors, key=lambda cm: (len(cm[1]), repr(cm[0])))
        for _c, m in order:
            if need <= 0:
                break
            take = min(len(m) - k, need) if spare >= need else len(m)
            for i in sorted(m, key=lambda j: _content(rows[j]))[:take]:
                cur[i][1:] = [WITHHELD] * len(units)
                filled += 1
            need -= take
    # A value all rows of a class share tells nothing about which of them is whom: give it back.
    final: dict[tuple, list[int]] = {}
    for i in range(len(rows)):
        final.setdefault(tuple(cur[i]), []).append(i)
    for members in final.values():
        for j, u in enumerate(units, 1):
            values = {tuple(rows[i][c] for c in u.columns) for i in members}
            if cur[members[0]][j] is WITHHELD and len(values) == 1:
                for i in members:
                    cur[i][j] = values.copy().pop()
    return [{u.name for j, u in enumerate(units, 1) if cur[i][j] is WITHHELD} for i in range(len(rows))], filled


def _content(row: Mapping) -> str:
    """A row's content as a sortable text, so which of two rows is chosen never depends on their order."""
    return repr(sorted((c, repr(v)) for c, v in row.items()))
