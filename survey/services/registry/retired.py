"""Staff accounts scoped to a unit that no longer exists, with the units that carry its history today.

After a merge or split, a viewer of the old commune still sees its history (their scope follows
the lineage), but nothing new: the admin page built on this lists them for reassignment, each with
the successor units as suggestions (the largest share first). Pure reads.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from survey.models import User
from survey.models.registry import Agency
from survey.services.registry.lineage import LineageGraph


@dataclass(frozen=True)
class RetiredUser:
    """An active account whose agency ended, and where that agency's history went (agency, share)."""

    user: User
    agency: Agency
    successors: list[tuple[Agency, float | None]]

    @property
    def suggested(self) -> Agency | None:
        """The successor to propose: the only one, or the one with the largest known share."""
        ranked = sorted(self.successors, key=lambda pair: -(pair[1] or 0))
        return ranked[0][0] if ranked else None


def retired_users(session: Session, on: date | None = None) -> list[RetiredUser]:
    """Active accounts whose agency is not valid on `on` (default today) or is inactive, by agency then name."""
    on = on or date.today()
    rows = session.execute(
        select(User, Agency).join(Agency, User.agency_id == Agency.id)
        .where(User.active.is_(True), or_(Agency.valid_to <= on, Agency.active.is_(False)))
        .order_by(Agency.name_vi, User.username)).all()
    if not rows:
        return []
    graph = LineageGraph(session)
    agencies = {a.id: a for a in session.scalars(select(Agency))}
    found = []
    for user, agency in rows:
        mapped = [(agencies[i], share) for i, share in graph.successors(agency.id, on) if i != agency.id]
        found.append(RetiredUser(user, agency, mapped))
    return found
