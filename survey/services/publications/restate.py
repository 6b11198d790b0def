"""Restating an earlier publication onto today's units (issue 19): read-only, from its frozen frame.

A publication's frame keeps, per respondent, the agency the dossier was recorded against *then*
and the final design (weights, strata, PSUs, calibration). Restating asks, for each unit valid
today, "what would that publication have said about this unit?":

- a unit that existed then and was not reorganised: its own domain (the published number);
- a unit formed by merging (or renaming) earlier units: ONE domain made of the union of the
  predecessors' respondents, estimated with the publication's full design (domains zero out
  rows, never drop them), so its CI is the design's, not an average of the predecessors' CIs;
- a unit that took over part of a split unit whose share is unknown (or below 1): "not
  comparable" — the earlier respondents cannot be apportioned without assuming the successor's
  part looked like the whole, which this product does not assume.

The mapping comes from the registry's lineage (survey.services.registry.lineage.restatement):
{earlier agency id: [(today's agency id, share | None)]}, share 1 for a unit itself, a merge or a
rename, the split's share (None = unknown) otherwise. An id missing from it is taken as today's
unit itself; an id mapped to [] (ended without a successor) restates onto nothing. Nothing here
writes: the publication, its table and its frame are never changed.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from analysis import Estimate
from survey.services.registry.lineage import restatement

Mapping_ = Mapping[int, list[tuple[int, float | None]]]


class RestateStatus(StrEnum):
    """How an earlier publication's number for today's unit was obtained."""

    SAME = "same"                    # the unit itself, unchanged: the published domain
    RESTATED = "restated"            # the union of its predecessors' respondents (merge or rename)
    NOT_COMPARABLE = "not_comparable"  # a predecessor was split without a share of 1
    NO_DATA = "no_data"              # no respondent of the unit or its predecessors in that publication


@dataclass(frozen=True)
class Restated:
    """One earlier publication's estimate for one of today's units."""

    agency_id: int                     # today's unit
    status: RestateStatus
    estimate: Estimate | None          # None unless SAME or RESTATED with respondents
    predecessors: tuple[int, ...]      # the earlier units whose respondents form the domain (sorted)
    split_from: tuple[int, ...] = ()   # earlier units split without a usable share (when NOT_COMPARABLE)

    @property
    def comparable(self) -> bool:
        """Whether the number can sit on today's unit's trend line."""
        return self.status in (RestateStatus.SAME, RestateStatus.RESTATED)


def whole(targets: list[tuple[int, float | None]], unit: int) -> bool:
    """Whether `unit` takes over ALL of a predecessor mapped to `targets` (itself, a merge, a rename, shares
    summing to 1); an unknown share (None) or a part below 1 is not whole."""
    return any(target == unit and share is not None and share >= 1 - 1e-9 for target, share in targets)


def successors_of(mapping: Mapping_, agency_id: int) -> list[tuple[int, float | None]]:
    """Today's units an earlier unit maps onto (itself when the lineage does not know it)."""
    got = mapping.get(agency_id)
    return [(agency_id, 1.0)] if got is None else list(got)


def restate_frame(frame: Any, mapping: Mapping_, units: Iterable[int] | None = None) -> dict[int, Restated]:
    """Every today's unit that the frame's respondents map onto (or only `units`) → its Restated estimate.

    `frame` is a thawed publication frame (survey.services.workspace.wavedata.WaveFrame): its
    `agency` array and `index(by=...)`, which estimates every group as a domain of the full design
    (and within the viewer's scope). A predecessor taken over whole belongs to one unit only, so
    the comparable units partition the respondents and one grouped call estimates them all.
    """
    agency = np.asarray(frame.agency)
    present = sorted({int(a) for a in agency.tolist() if a is not None})
    preds: dict[int, list[int]] = {}
    for old in present:
        for target, _share in successors_of(mapping, old):
            preds.setdefault(target, []).append(old)
    wanted = sorted(preds) if units is None else sorted(set(units))
    out: dict[int, Restated] = {}
    label_of: dict[int, int] = {}
    for unit in wanted:
        olds = tuple(sorted(set(preds.get(unit, []))))
        split = tuple(o for o in olds if not whole(successors_of(mapping, o), unit))
        if not olds:
            out[unit] = Restated(unit, RestateStatus.NO_DATA, None, ())
        elif split:
            out[unit] = Restated(unit, RestateStatus.NOT_COMPARABLE, None, olds, split)
        else:
            label_of.update((o, unit) for o in olds)
            out[unit] = Restated(unit, RestateStatus.SAME if olds == (unit,) else RestateStatus.RESTATED, None, olds)
    if label_of:
        labels = np.array([label_of.get(a) if a is not None else None for a in agency.tolist()], dtype=object)
        results = frame.index(by=labels) or {}
        for unit, r in list(out.items()):
            if r.status in (RestateStatus.SAME, RestateStatus.RESTATED):
                got = results.get(unit)
                est = got.overall if got is not None else None
                out[unit] = replace(r, estimate=est, status=r.status if est is not None else RestateStatus.NO_DATA)
    return out


def lineage_mapping(session: Session, on: date) -> dict[int, list[tuple[int, float | None]]]:
    """The registry's restatement mapping: every agency id → the units valid on `on` that carry it, with shares."""
    return dict(restatement(session, on))
