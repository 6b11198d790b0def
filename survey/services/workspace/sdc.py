"""Statistical disclosure control of microdata: k-anonymity by global recoding, then local suppression.

As sdcMicro does it (docs/methodology.md, "Disclosure control of microdata"): the quasi-identifiers
(agency, sector, service point, dossier outcome, answer mode, every profile question) are coarsened
for the whole file, then single values are withheld until every combination of released values (a
withheld value counting as a value of its own) has at least k rows. Deterministic: no random choice,
and nothing depends on the order of the input rows, so one wave and scope always release the same rows.

1. Strata: the scheme's stratification variables are never withheld (the stratum would give them
   away); strata below k are collapsed instead (sector → "khác", agency → parent, → "khác", pool).
   The days an answer was given and received are quasi-identifiers too (a counter officer knows who came
   on which day): they are never recoded, only withheld, before anything else on a tie.
2. Global recoding: an agency below k → its parent; two or more categories below k → "khác"; a
   profile category below k → merged with its smaller neighbour in code order (age bands merge).
3. Local suppression, greedy (survey.services.workspace.suppression); then the last small class of a
   stratum is filled to k.
A withheld value is released as missing and named in the row's flag whether or not it was answered,
so the flag does not tell who skipped a question.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from survey.services.workspace.suppression import local_suppression

KHAC = "khác"
FLAG = "sdc_suppressed"
SCHEME_VARS = {"agency_sector": ("agency", "sector"), "agency": ("agency",), "sector": ("sector",)}


@dataclass(frozen=True)
class Unit:
    """One quasi-identifier: the name the flag uses, its column(s) and how it may be coarsened."""

    name: str
    columns: tuple[str, ...]
    kind: Literal["agency", "category", "ordered", "binary"] = "category"
    labels: Mapping[int, str] = field(default_factory=dict)  # ordered: code → label


@dataclass(frozen=True)
class Recode:
    """A global recoding: these released values of `variable` now stand for the original ones listed."""

    variable: str
    original: tuple[str, ...]
    released: str


@dataclass
class Report:
    """What disclosure control did to one export (written into the codebook)."""

    k: int
    rows: int = 0
    withheld_rows: int = 0  # the whole file was below k rows: nothing released
    strata: int = 0  # released strata
    strata_collapsed: int = 0  # sampling strata merged into a coarser released stratum
    recodes: list[Recode] = field(default_factory=list)
    suppressed: dict[str, int] = field(default_factory=dict)  # variable → answered values withheld
    filled: int = 0  # rows fully withheld only to complete a class of k

    @property
    def total_suppressed(self) -> int:
        """Answered values withheld in all."""
        return sum(self.suppressed.values())


@dataclass
class Protected:
    """The released records (stratum recoded, flag added), the new value labels and the report."""

    records: list[dict]
    labels: dict[str, dict[int, str]]  # column → value labels after merging categories
    fpc: dict[str, int]  # released stratum → dossiers of the sampling strata in it
    report: Report


def _label(svars: tuple, cell: tuple) -> str:
    """A released stratum's key, written like the sampling strata keys (see sampling.rules.stratum_key)."""
    values = dict(zip(svars, cell, strict=True))
    return "%s|%s" % (values.get("agency", "*"), values.get("sector", "*"))


def protect(
    records: Sequence[Mapping[str, Any]],
    *,
    k: int,
    scheme: str,
    agencies: Mapping[str, str | None],
    population: Mapping[str, int],
    profile: Sequence[Unit] = (),
    first: Sequence[Unit] = (),
) -> Protected:
    """Apply the disclosure control above to microdata records (dicts with the original "stratum" key,
    agency, sector, service_point, outcome, mode and the profile columns); `agencies` maps an agency
    code to its parent's code, `population` a sampling stratum key to its dossier count; `first` are
    further quasi-identifiers (the days of an answer) that are withheld before any other on a tie and
    never recoded."""
    report = Report(k=max(int(k), 1), rows=len(records))
    k = report.k
    rows = [dict(r) for r in records]
    svars = SCHEME_VARS.get(scheme, SCHEME_VARS["agency_sector"])
    scheme = scheme if scheme in SCHEME_VARS else "agency_sector"
    units = [*first, *_units(svars, profile)]
    labels = {u.columns[0]: dict(u.labels) for u in profile if u.kind == "ordered"}
    if len(rows) < k:  # no recoding can make a file of fewer than k rows k-anonymous
        report.withheld_rows, report.rows = len(rows), 0
        return Protected([], labels, {}, report)
    if k > 1:
        _collapse_strata(rows, svars, agencies, k, report)
        for unit in units:
            _recode(rows, unit, agencies, k, report, labels)
    fpc: dict[str, int] = {}
    originals: dict[str, set] = {}
    for r in rows:
        released = _label(svars, tuple(r[v] for v in svars))
        originals.setdefault(released, set()).add(r["stratum"])
        r["stratum"] = released
    for released, keys in originals.items():
        fpc[released] = sum(population.get(key, 0) for key in keys)
    report.strata = len(originals)
    withheld, report.filled = local_suppression(rows, svars, units, k) if k > 1 else ([set() for _ in rows], 0)
    for r, names in zip(rows, withheld, strict=True):
        for u in units:
            if u.name in names:
                if any(r[c] not in (None, "") for c in u.columns):
                    report.suppressed[u.name] = report.suppressed.get(u.name, 0) + 1
                for c in u.columns:
                    r[c] = None
        r[FLAG] = " ".join(u.name for u in units if u.name in names)
    return Protected(rows, labels, fpc, report)


def _units(svars: tuple, profile: Sequence[Unit]) -> list[Unit]:
    """The non-stratum quasi-identifiers in suppression order (the first is withheld first)."""
    units = [Unit("service_point", ("service_point",))]
    units += list(reversed(profile))
    units += [Unit("mode", ("mode",)), Unit("outcome", ("outcome",))]
    if "sector" not in svars:
        units.append(Unit("sector", ("sector",)))
    if "agency" not in svars:
        units.append(Unit("agency", ("agency",), "agency"))
    return units


def _depth(code: str, agencies: Mapping[str, str | None]) -> int:
    depth, seen = 0, {code}
    while agencies.get(code) is not None and agencies[code] not in seen:
        code = agencies[code]
        seen.add(code)
        depth += 1
    return depth


def _collapse_strata(rows: list[dict], svars: tuple, agencies: Mapping, k: int, report: Report) -> None:
    """Merge released strata below k rows into coarser ones until none is left (see the module docstring)."""
    counts = Counter(tuple(r[v] for v in svars) for r in rows)
    current = {c: c for c in counts}  # original stratum cell → released cell
    pool = tuple(KHAC for _ in svars)
    while True:
        size: Counter = Counter()
        for orig, cell in current.items():
            size[cell] += counts[orig]
        small = sorted((_stage(c, svars, agencies, pool), n, repr(c), c) for c, n in size.items() if n < k)
        if not small:
            break
        cell = small[0][3]
        if cell == pool:  # the pool itself is too small: it takes the smallest other stratum in
            other = min(((n, repr(c), c) for c, n in size.items() if c != pool))[2]
            source, target = other, pool
        else:
            source, target = cell, _coarser(cell, svars, agencies, pool)
        for orig, released in current.items():
            if released == source:
                current[orig] = target
    merged: dict[tuple, list] = {}
    for orig, cell in current.items():
        if orig != cell:
            merged.setdefault(cell, []).append(orig)
            report.strata_collapsed += 1
    for cell, origs in sorted(merged.items(), key=lambda kv: repr(kv[0])):
        report.recodes.append(Recode("stratum", tuple(sorted(_label(svars, o) for o in origs)), _label(svars, cell)))
    for r in rows:
        cell = current[tuple(r[v] for v in svars)]
        for var, value in zip(svars, cell, strict=True):
            r[var] = value


def _stage(cell: tuple, svars: tuple, agencies: Mapping, pool: tuple) -> tuple:
    """Which small stratum to coarsen first: one whose sector is still open, then the deepest agency, the pool last."""
    values = dict(zip(svars, cell, strict=True))
    agency = values.get("agency")
    depth = _depth(agency, agencies) if agency not in (None, KHAC) else -1
    return (cell == pool, "sector" not in values or values["sector"] == KHAC, -depth)


def _coarser(cell: tuple, svars: tuple, agencies: Mapping, pool: tuple) -> tuple:
    values = dict(zip(svars, cell, strict=True))
    if "sector" in values and values["sector"] != KHAC:
        values["sector"] = KHAC
    elif "agency" in values and values["agency"] != KHAC and agencies.get(values["agency"]) is not None:
        values["agency"] = agencies[values["agency"]]
    else:
        return pool
    return tuple(values[v] for v in svars)


def _recode(rows: list[dict], unit: Unit, agencies: Mapping, k: int, report: Report, labels: dict) -> None:
    """Global recoding of one non-stratum quasi-identifier from its frequencies in the whole file."""
    if unit.kind == "binary":
        return
    col = unit.columns[0]
    counts = Counter(r[col] for r in rows if r[col] not in (None, ""))
    mapping: dict = {}
    if unit.kind == "category":
        rare = sorted((v for v, n in counts.items() if n < k), key=str)
        if len(rare) >= 2:  # a single rare category renamed "khác" would be just as rare
            mapping = {v: KHAC for v in rare}
            report.recodes.append(Recode(col, tuple(map(str, rare)), KHAC))
    elif unit.kind == "agency":
        current = {v: v for v in counts}
        while True:
            size: Counter = Counter()
            for v, cur in current.items():
                size[cur] += counts[v]
            rare = sorted((-_depth(c, agencies), c) for c, n in size.items() if n < k and agencies.get(c) is not None)
            if not rare:
                break
            code = rare[0][1]
            for v, cur in current.items():
                if cur == code:
                    current[v] = agencies[code]
        mapping = {v: cur for v, cur in current.items() if v != cur}
        for target in sorted(set(mapping.values())):
            report.recodes.append(Recode(col, tuple(sorted(v for v, t in mapping.items() if t == target)), target))
    else:
        mapping = _merge_ordered(counts, k, unit, labels.setdefault(col, {}), report)
    if mapping:
        for r in rows:
            if r[col] in mapping:
                r[col] = mapping[r[col]]


def _merge_ordered(counts: Counter, k: int, unit: Unit, labels: dict, report: Report) -> dict:
    """Merge each profile category below k with its smaller neighbour (in code order) until none is left."""
    groups = [[c] for c in sorted(counts)]
    size = [counts[c] for c in sorted(counts)]
    while len(groups) > 1:
        rare = [i for i, n in enumerate(size) if n < k]
        if not rare:
            break
        i = min(rare, key=lambda j: (size[j], groups[j][0]))
        left = size[i - 1] if i > 0 else None
        right = size[i + 1] if i + 1 < len(groups) else None
        j = i - 1 if right is None or (left is not None and left <= right) else i + 1
        lo, hi = min(i, j), max(i, j)
        groups[lo : hi + 1] = [groups[lo] + groups[hi]]
        size[lo : hi + 1] = [size[lo] + size[hi]]
    mapping = {}
    for g in groups:
        if len(g) > 1:
            texts = [labels.get(c, str(c)) for c in g]
            for c in g:
                labels.pop(c, None)
            labels[g[0]] = " / ".join(texts)
            mapping.update({c: g[0] for c in g[1:]})
            report.recodes.append(Recode(unit.columns[0], tuple(map(str, g)), str(g[0])))
    return mapping
