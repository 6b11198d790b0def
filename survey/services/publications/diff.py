"""What a restatement changed: every number that moved, by how much, and every status that changed."""
from __future__ import annotations

import math
from typing import Any

from analysis import Estimate
from analysis.wave import WaveTable

SCOPES = ("overall", "agencies", "sectors", "agency_sectors", "service_points")
FIELDS = ("value", "se", "ci_low", "ci_high", "df", "n")


def _cells(table: WaveTable, scope: str) -> dict:
    return {None: table.overall} if scope == "overall" else dict(getattr(table, scope))


def _estimates(cell: Any) -> dict[str, Estimate]:
    """Every estimate of a cell: the overall index, its parts, elements and items."""
    out = {"overall": cell.index.overall}
    out.update({"part:%s" % k: e for k, e in cell.index.parts.items()})
    out.update({"element:%s" % k: e for k, e in cell.index.elements.items()})
    out.update({"item:%s" % k: e for k, e in cell.index.items.items()})
    return out


def _same(a: float, b: float) -> bool:
    return (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)) or a == b


def _plain(e: Estimate) -> dict:
    return {f: (None if isinstance(getattr(e, f), float) and not math.isfinite(getattr(e, f)) else getattr(e, f))
            for f in FIELDS}


def _key(key: Any) -> Any:
    return list(key) if isinstance(key, tuple) else key


def table_diff(before: WaveTable, after: WaveTable) -> dict:
    """The numbers and statuses that differ between two versions of a wave's table (JSON-able)."""
    changes, statuses, added, removed = [], [], [], []
    for scope in SCOPES:
        old, new = _cells(before, scope), _cells(after, scope)
        for key in old.keys() - new.keys():
            removed.append({"scope": scope, "key": _key(key), "label": old[key].label_vi})
        for key in new.keys() - old.keys():
            added.append({"scope": scope, "key": _key(key), "label": new[key].label_vi})
        for key in [k for k in new if k in old]:
            a, b = old[key], new[key]
            ea, eb = _estimates(a), _estimates(b)
            for name in sorted(ea.keys() | eb.keys()):
                x, y = ea.get(name), eb.get(name)
                if x is not None and y is not None and all(_same(getattr(x, f), getattr(y, f)) for f in FIELDS):
                    continue
                delta = (y.value - x.value) if x is not None and y is not None else None
                changes.append({"scope": scope, "key": _key(key), "label": b.label_vi, "estimate": name,
                                "before": _plain(x) if x is not None else None,
                                "after": _plain(y) if y is not None else None,
                                "delta": delta if delta is None or math.isfinite(delta) else None})
            if (a.status, tuple(a.flags)) != (b.status, tuple(b.flags)):
                statuses.append({"scope": scope, "key": _key(key), "label": b.label_vi, "before": a.status,
                                 "after": b.status, "flags_before": list(a.flags), "flags_after": list(b.flags)})
    return {"respondents": [before.respondents, after.respondents], "changes": changes,
            "statuses": statuses, "added": added, "removed": removed}
