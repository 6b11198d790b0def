"""What an intake API key may send: its scope rows, compiled once per batch and checked per record.

A key is either whole-province (`all_agencies`) or limited to its ApiKeyScope rows. The named columns of
one row must all match a dossier; the key may send the dossier when any row matches:
- agency: the dossier's agency is that agency or a unit below it, and the service point it names (if any)
  belongs to or serves one of those agencies, so a scoped key cannot fill another agency's counter;
- service point: the dossier was returned at that service point (for whichever agency it serves);
- sector: the dossier's sector.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Agency, ApiKey, ServicePoint
from survey.models.registry import service_point_agencies


@dataclass(frozen=True)
class Scope:
    """One scope row as admins give it (ids; None = not restricted on that column)."""

    agency_id: int | None = None
    service_point_id: int | None = None
    sector_id: int | None = None

    def sort_key(self) -> tuple[int, int, int]:
        """An order for rows whose columns may be None."""
        return self.agency_id or 0, self.service_point_id or 0, self.sector_id or 0

    def empty(self) -> bool:
        """Whether the row names nothing (such a row would admit everything, so it is never stored)."""
        return self.agency_id is None and self.service_point_id is None and self.sector_id is None


def scopes_of(key: ApiKey) -> list[Scope] | None:
    """The key's scope rows, sorted; None for a whole-province key."""
    if key.all_agencies:
        return None
    return sorted((Scope(s.agency_id, s.service_point_id, s.sector_id) for s in key.scopes), key=Scope.sort_key)


def signature(scopes: list[Scope] | None) -> str:
    """A stable text naming a scope (two keys with the same signature may see the same dossiers)."""
    if scopes is None:
        return "all"
    return ";".join("/".join(str(v or "") for v in s.sort_key()) for s in sorted(scopes, key=Scope.sort_key))


def subtree(session: Session, agency_ids: set[int]) -> set[int]:
    """The agencies given and every agency below them."""
    return _descend(_children(session), agency_ids)


def _children(session: Session) -> dict[int, list[int]]:
    children: dict[int, list[int]] = defaultdict(list)
    for agency_id, parent_id in session.execute(select(Agency.id, Agency.parent_id)):
        if parent_id is not None:
            children[parent_id].append(agency_id)
    return children


def _descend(children: dict[int, list[int]], agency_ids: set[int]) -> set[int]:
    found, todo = set(agency_ids), list(agency_ids)
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:  # a cycle in a hand-edited registry must not loop forever
                found.add(child)
                todo.append(child)
    return found


@dataclass(frozen=True)
class _Rule:
    agencies: frozenset[int] | None      # the agency's subtree
    points: frozenset[int] | None        # service points of (or serving) that subtree
    service_point_id: int | None
    sector_id: int | None


class KeyScope:
    """A key's scope ready to test records against (a few registry queries, then no database use)."""

    def __init__(self, rules: list[_Rule] | None) -> None:
        self.rules = rules

    @classmethod
    def load(cls, session: Session, scopes: list[Scope] | None) -> KeyScope:
        """Compile scope rows: agency subtrees and the service points that belong to or serve them."""
        if scopes is None:
            return cls(None)
        point_agencies: dict[int, set[int]] = defaultdict(set)
        children: dict[int, list[int]] = {}
        if any(s.agency_id is not None for s in scopes):
            children = _children(session)
            for point_id, agency_id in session.execute(select(ServicePoint.id, ServicePoint.agency_id)):
                point_agencies[point_id].add(agency_id)
            for point_id, agency_id in session.execute(select(service_point_agencies.c.service_point_id,
                                                              service_point_agencies.c.agency_id)):
                point_agencies[point_id].add(agency_id)
        rules = []
        for s in scopes:
            agencies = points = None
            if s.agency_id is not None:
                agencies = frozenset(_descend(children, {s.agency_id}))
                points = frozenset(p for p, served in point_agencies.items() if served & agencies)
            rules.append(_Rule(agencies, points, s.service_point_id, s.sector_id))
        return cls(rules)

    @property
    def everything(self) -> bool:
        """Whether the key is whole-province."""
        return self.rules is None

    def refusal(self, row: dict) -> str | None:
        """None when the key may send this dossier (validated column values), else the field to blame."""
        if self.rules is None:
            return None
        agency, point, sector = row["agency_id"], row.get("service_point_id"), row["sector_id"]
        blame = "agency"
        for rule in self.rules:
            if rule.agencies is not None and agency not in rule.agencies:
                continue
            if rule.sector_id is not None and sector != rule.sector_id:
                blame = "sector" if blame == "agency" else blame
                continue
            if rule.service_point_id is not None and point != rule.service_point_id:
                blame = "service_point"
                continue
            if rule.points is not None and point is not None and point not in rule.points:
                blame = "service_point"
                continue
            return None
        return blame
