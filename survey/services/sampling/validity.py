"""Waves on the structure of their own period (issue 19, item 3): strata only for units valid in it.

A wave's strata cover the units (agencies; hospitals and schools for event waves) valid on at least one
day of its period. Planning counts the previous period, which may belong to the old structure: a unit
retired before the period gives its count to the units that carry its dossiers on the period's last day
(registry lineage: merge or rename whole, a split by its shares, equally among the successors when the
shares are not known), and a unit valid on part of the period expects only that part of its count.

A period that straddles a reorganisation (15 June → 15 July 2025 across 1 July) is allowed, not refused:
intake files each dossier under the unit valid on its own day, so the old unit's June dossiers and the new
unit's July ones are both real and both sampled, each in its own stratum. Those strata are kept with a
note (wave.design["unit_validity"]) saying the part of the period they cover. Dossiers recorded against
a unit that was not valid on their day (only possible before intake checked it) are not sampled.
"""
from __future__ import annotations

from datetime import UTC, date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Agency, Wave
from survey.services.common import formats
from survey.services.common.i18n import tr as _
from survey.services.common.periods import local_tz
from survey.services.registry import lineage

Bounds = tuple[date | None, date | None]


def _bounds(session: Session) -> dict[int, Bounds]:
    return {i: (lo, hi) for i, lo, hi in session.execute(select(Agency.id, Agency.valid_from, Agency.valid_to))}


def _stop(wave: Wave) -> date:
    return wave.period_end + timedelta(days=1)  # the period's end day is included; validity ends are not


def coverage(bounds: dict[int, Bounds], start: date, stop: date) -> dict[int, float]:
    """Unit id → the share of the days of [start, stop) it is valid on, for the units valid on at least one."""
    days = (stop - start).days
    out = {}
    for unit_id, (lo, hi) in bounds.items():
        first, end = max(start, lo or start), min(stop, hi or stop)
        if first < end:
            out[unit_id] = (end - first).days / days
    return out


def restrict(session: Session, wave: Wave, previous: dict[tuple, int],
             current: dict[tuple, int]) -> tuple[dict[tuple, int], dict[tuple, int]]:
    """A draft's plan counts (cell → dossiers) kept to units of its period; notes go to the wave's design.

    `previous` is restated onto the period's units through the lineage and prorated to the part of the
    period each unit is valid on; `current` loses the cells of units not valid in the period.
    """
    bounds = _bounds(session)
    if wave.design.get("scheme") == "sector" or all(b == (None, None) for b in bounds.values()):
        _keep_notes(wave, {})  # no unit in the cells, or a registry without history: nothing to restrict
        return previous, current
    start, stop = wave.period_start, _stop(wave)
    valid = coverage(bounds, start, stop)
    graph, last = lineage.LineageGraph(session), stop - timedelta(days=1)  # loaded once per plan
    codes = dict(session.execute(select(Agency.id, Agency.code)).all())
    notes: dict[str, dict] = {}
    restated: dict[tuple, float] = {}
    for cell, n in previous.items():
        unit = cell[0]
        targets = [(unit, 1.0, False)] if unit is None else _targets(graph, unit, valid, last)
        for target, weight, equal in targets:
            key = (target, *cell[1:])
            restated[key] = restated.get(key, 0.0) + n * weight
            if target != unit:
                note = notes.setdefault(codes[target], {})
                note["restated_from"] = sorted(set(note.get("restated_from", [])) | {codes[unit]})
                note["equal_split"] = note.get("equal_split", False) or equal
    planned = {cell: _expected(x, 1.0 if cell[0] is None else valid[cell[0]]) for cell, x in restated.items()}
    kept = {cell: n for cell, n in current.items() if cell[0] is None or cell[0] in valid}
    for unit_id, share in valid.items():
        if share < 1 and unit_id in {c[0] for c in (*planned, *kept)}:
            lo, hi = bounds[unit_id]
            notes.setdefault(codes[unit_id], {})["valid"] = [lo.isoformat() if lo else None,
                                                             hi.isoformat() if hi else None]
    excluded = sum(current.values()) - sum(kept.values())
    _keep_notes(wave, {"units": notes, "excluded": excluded} if notes or excluded else {})
    return planned, kept


def _targets(graph: lineage.LineageGraph, unit: int, valid: dict[int, float],
             last: date) -> list[tuple[int, float, bool]]:
    """(unit of the period, share of the count, shared equally for want of shares) for a previous-period unit."""
    out = [(unit, 1.0, False)] if unit in valid else []
    if graph.valid(unit, last):
        return out
    mapping = [(node, share) for node, share in graph.successors(unit, last) if node in valid and node != unit]
    equal = any(share is None for _node, share in mapping)
    return out + [(node, 1 / len(mapping) if equal else share, equal) for node, share in mapping]


def _expected(count: float, share_of_period: float) -> int:
    """Dossiers expected from a restated count over the part of the period the unit exists (≥ 1 if any)."""
    if count <= 0:
        return 0
    return max(1, round(count * share_of_period))


def _keep_notes(wave: Wave, notes: dict) -> None:
    design = dict(wave.design)
    if notes:
        design["unit_validity"] = notes
    else:
        design.pop("unit_validity", None)
    if design != wave.design:
        wave.design = design  # reassign: JSON columns do not track in-place changes


def valid_rows(session: Session, wave: Wave, rows: list) -> list:
    """The dossier rows (agency_id, completed_at) whose unit was valid on the dossier's own local day."""
    bounds = _bounds(session)
    if all(b == (None, None) for b in bounds.values()):
        return rows
    zone = ZoneInfo(wave.design.get("timezone") or local_tz())
    kept = []
    for row in rows:
        lo, hi = bounds.get(row.agency_id, (None, None))
        day = row.completed_at.replace(tzinfo=UTC).astimezone(zone).date()
        if (lo is None or lo <= day) and (hi is None or day < hi):
            kept.append(row)
    return kept


def notes_text(wave: Wave) -> list[str]:
    """The plan's validity notes in words (Vietnamese source strings), for the wave page and the CLI."""
    notes = wave.design.get("unit_validity") or {}
    lines = []
    for code, note in sorted(notes.get("units", {}).items()):
        if "valid" in note:
            lo, hi = note["valid"]
            lines.append(_("Tầng của %(code)s chỉ gồm phần kỳ khảo sát đơn vị còn hiệu lực (%(lo)s – %(hi)s); "
                           "số hồ sơ dự kiến tính theo phần đó.", code=code, lo=formats.day(lo) if lo else "…",
                           hi=formats.day(date.fromisoformat(hi) - timedelta(days=1)) if hi else "…"))
        if note.get("restated_from"):
            how = (_("chia đều vì chưa biết tỷ lệ tách") if note.get("equal_split")
                   else _("theo quan hệ kế thừa trong danh mục"))
            lines.append(_("Số hồ sơ kỳ trước của %(code)s gồm số của %(old)s (%(how)s).", code=code,
                           old=", ".join(note["restated_from"]), how=how))
    if notes.get("excluded"):
        lines.append(_("%(n)d hồ sơ trong kỳ ghi đơn vị không còn hiệu lực vào ngày của hồ sơ: không đưa vào "
                       "mẫu.", n=notes["excluded"]))
    return lines
