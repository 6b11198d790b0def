"""Queries over the registry's history: which units are valid on a day, and where a unit's dossiers went.

A unit is valid on day d when valid_from ≤ d < valid_to (a missing bound is open). The lineage is a
graph of merges, splits and renames (agency_lineage); following it from a retired unit leads to the
units that carry its history on a later day. A share says which part of the predecessor's dossiers
a successor took over: 1 for a merge or rename, the split's share for a split, the product along a
chain, summed when two paths reach the same unit; None when a split on the way gave no shares (the
unit's numbers cannot be apportioned: not comparable). Pure reads: nothing here writes.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from survey.models.registry import Agency, AgencyLineage, LineageKind, ServicePoint

Mapping = list[tuple[int, float | None]]


def valid_on(session: Session, on: date) -> Select:
    """A select of the agencies valid on `on` (add .where/.order_by as needed; session is for symmetry)."""
    return select(Agency).where(_valid_clause(on))


def _valid_clause(on: date):
    return and_(or_(Agency.valid_from.is_(None), Agency.valid_from <= on),
                or_(Agency.valid_to.is_(None), Agency.valid_to > on))


def valid_ids(session: Session, on: date) -> set[int]:
    """Ids of the agencies valid on `on`."""
    return set(session.scalars(select(Agency.id).where(_valid_clause(on))))


def valid_during(session: Session, start: date, end: date) -> set[int]:
    """Ids of the agencies valid on at least one day of [start, end) (a wave's period, say)."""
    clause = and_(or_(Agency.valid_from.is_(None), Agency.valid_from < end),
                  or_(Agency.valid_to.is_(None), Agency.valid_to > start))
    return set(session.scalars(select(Agency.id).where(clause)))


def valid_service_point_ids(session: Session, on: date) -> set[int]:
    """Ids of the service points open on `on` (their own validity; the owning agency's is not looked at)."""
    clause = and_(or_(ServicePoint.valid_from.is_(None), ServicePoint.valid_from <= on),
                  or_(ServicePoint.valid_to.is_(None), ServicePoint.valid_to > on))
    return set(session.scalars(select(ServicePoint.id).where(clause)))


def is_valid(agency: Agency, on: date) -> bool:
    """Whether an agency (as loaded) is valid on `on`."""
    return (agency.valid_from is None or agency.valid_from <= on) and (agency.valid_to is None or agency.valid_to > on)


class LineageGraph:
    """The lineage edges and the validity of every unit, loaded once for a batch of questions.

    Intake and sampling keep one per batch: `out`/`into` (steps by predecessor/successor id),
    `bounds`, `valid()`, `successors()`, `predecessors()` are their interface; keep them stable.
    """

    def __init__(self, session: Session) -> None:
        self.out: dict[int, list[AgencyLineage]] = defaultdict(list)
        self.into: dict[int, list[AgencyLineage]] = defaultdict(list)
        for row in session.scalars(select(AgencyLineage).order_by(AgencyLineage.id)):
            self.out[row.predecessor_id].append(row)
            self.into[row.successor_id].append(row)
        self.bounds = {agency_id: (start, end) for agency_id, start, end in
                       session.execute(select(Agency.id, Agency.valid_from, Agency.valid_to))}

    def valid(self, agency_id: int, on: date) -> bool:
        start, end = self.bounds.get(agency_id, (None, None))
        return (start is None or start <= on) and (end is None or end > on)

    def successors(self, agency_id: int, on: date) -> Mapping:
        found: dict[int, float | None] = {}
        order: list[int] = []

        def walk(node: int, weight: float | None, path: frozenset[int]) -> None:
            if self.valid(node, on):
                if node not in found:
                    order.append(node)
                    found[node] = weight
                else:
                    previous = found[node]
                    found[node] = None if previous is None or weight is None else previous + weight
                return
            for edge in self.out.get(node, ()):
                if edge.effective_on > on or edge.successor_id in path:  # not yet happened; a cycle guard
                    continue
                factor = edge.share if edge.kind == LineageKind.SPLIT else 1.0
                walk(edge.successor_id, None if weight is None or factor is None else weight * factor,
                     path | {edge.successor_id})

        walk(agency_id, 1.0, frozenset({agency_id}))
        return [(node, None if found[node] is None else round(found[node], 12)) for node in order]

    def predecessors(self, agency_id: int) -> set[int]:
        seen: set[int] = set()
        stack = [agency_id]
        while stack:
            for edge in self.into.get(stack.pop(), ()):
                if edge.predecessor_id not in seen and edge.predecessor_id != agency_id:
                    seen.add(edge.predecessor_id)
                    stack.append(edge.predecessor_id)
        return seen


_Graph = LineageGraph  # the first name, which intake and sampling use


def successors(session: Session, agency_id: int, on: date) -> Mapping:
    """The units valid on `on` that an agency's dossiers map to, each with its share (None = unknown).

    A unit valid on `on` maps to itself with share 1. A unit that had ended without a successor,
    or that did not exist yet on `on`, maps to nothing.
    """
    return LineageGraph(session).successors(agency_id, on)


def predecessors(session: Session, agency_id: int) -> set[int]:
    """Every unit whose history the agency carries, transitively (not the agency itself)."""
    return LineageGraph(session).predecessors(agency_id)


def predecessors_of(session: Session, agency_ids: set[int]) -> set[int]:
    """The predecessors of a set of units, transitively, minus the set itself (one load of the graph)."""
    graph = LineageGraph(session)
    found: set[int] = set()
    for agency_id in agency_ids:
        found |= graph.predecessors(agency_id)
    return found - agency_ids


def restatement(session: Session, on: date) -> dict[int, Mapping]:
    """For every agency id ever: the units valid on `on` that carry its dossiers, with shares."""
    graph = LineageGraph(session)
    return {agency_id: graph.successors(agency_id, on) for agency_id in sorted(graph.bounds)}


def comparable(mapping: Mapping) -> bool:
    """Whether a unit's numbers can be carried onto the mapped units (every share known)."""
    return bool(mapping) and all(share is not None for _, share in mapping)
