"""The agency tree: an agency and every unit below it, and what an agency viewer may see.

A viewer's scope follows the lineage: the units merged, split or renamed into their subtree are
visible too, so the history of a merged unit (its predecessors' dossiers, answers and earlier
waves, all of past periods since those units ended) stays readable by the unit that carries it.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Agency
from survey.models.user import Role
from survey.services.registry.lineage import predecessors_of


def descendants(pairs: Iterable[tuple[int, int | None]], root: int) -> set[int]:
    """Ids of `root` and all agencies below it, from (id, parent_id) pairs."""
    children: dict[int | None, list[int]] = {}
    for agency_id, parent_id in pairs:
        children.setdefault(parent_id, []).append(agency_id)
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(children.get(node, []))
    return seen


def agency_subtree_ids(session: Session, root_id: int) -> set[int]:
    """Ids of an agency and every agency below it."""
    return descendants(session.execute(select(Agency.id, Agency.parent_id)), root_id)


def visible_agency_ids(session: Session, user) -> set[int] | None:
    """Agencies a user may see: None means all (admin, analyst); for viewers their subtree and its predecessors."""
    if user.role in (Role.ADMIN, Role.ANALYST):
        return None
    if user.agency_id is None:
        return set()
    subtree = agency_subtree_ids(session, user.agency_id)
    return subtree | predecessors_of(session, subtree)
