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
{earlier agency id: [(today's agency id, share | None)]}. An id missing from it is today's unit
itself. Nothing here writes: the publication, its table and its frame are never changed.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from analysis import Estimate

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
    """Whether `unit` takes over ALL of a predecessor mapped to `targets` (a merge, rename or share of 1)."""
    shares = [share for target, share in targets if target == unit]
    if not shares:
        return False
    if any(share is not None and share >= 1 for share in shares):
        return True
    return len(targets) == 1 and shares[0] is None


def successors_of(mapping: Mapping_, agency_id: int) -> list[tuple[int, float | None]]:
    """Today's units an earlier unit maps onto (itself when the lineage says nothing about it)."""
    got = mapping.get(agency_id)
    return list(got) if got else [(agency_id, None)]


def restate_frame(frame: Any, mapping: Mapping_, units: Iterable[int] | None = None) -> dict[int, Restated]:
    """Every today's unit that the frame's respondents map onto (or only `units`) → its Restated estimate.

    `frame` is a thawed publication frame (survey.services.workspace.wavedata.WaveFrame): its
    `agency` array and `index(mask=...)`, which keeps the full design and the viewer's scope.
    """
    agency = np.asarray(frame.agency)
    present = sorted({int(a) for a in agency.tolist() if a is not None})
    preds: dict[int, list[int]] = {}
    for old in present:
        for target, _share in successors_of(mapping, old):
            preds.setdefault(target, []).append(old)
    wanted = sorted(preds) if units is None else sorted(set(units))
    out: dict[int, Restated] = {}
    for unit in wanted:
        olds = tuple(sorted(set(preds.get(unit, []))))
        if not olds:
            out[unit] = Restated(unit, RestateStatus.NO_DATA, None, ())
            continue
        split = tuple(o for o in olds if not whole(successors_of(mapping, o), unit))
        if split:
            out[unit] = Restated(unit, RestateStatus.NOT_COMPARABLE, None, olds, split)
            continue
        result = frame.index(mask=np.isin(agency, list(olds)))
        est = result.overall if result else None
        status = RestateStatus.SAME if olds == (unit,) else RestateStatus.RESTATED
        out[unit] = Restated(unit, status if est is not None else RestateStatus.NO_DATA, est, olds)
    return out


def lineage_mapping(session: Session, on: date) -> dict[int, list[tuple[int, float | None]]]:
    """The registry's restatement mapping onto the units valid on `on` (empty when the registry has no lineage)."""
    from survey.services.registry.lineage import restatement

    return dict(restatement(session, on))
