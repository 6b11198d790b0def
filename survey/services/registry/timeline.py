"""An agency's history for its page: its versions, what it came from, what it became, and today's units.

Events are in date order: the unit begins (possibly formed from predecessors), its versions change
its name, codes, level or parent, it ends (possibly merged, split or renamed into successors). Pure
reads.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import User
from survey.models.registry import Agency, AgencyLineage, AgencyVersion
from survey.services.registry.lineage import LineageGraph
from survey.services.registry.versions import versions_of

RANK = {"came_from": 0, "version": 1, "became": 2, "ended": 3}  # the order of events of one day


@dataclass
class Event:
    """One entry of the timeline: `kind` came_from | version | became | ended, on `day` (None = since ever)."""

    day: date | None
    kind: str
    steps: list[AgencyLineage] = field(default_factory=list)
    version: AgencyVersion | None = None
    first: bool = False


@dataclass
class Timeline:
    """Everything the agency page's timeline shows."""

    agency: Agency
    versions: list[AgencyVersion]
    came_from: list[AgencyLineage]  # steps whose successor is this unit (predecessor loaded)
    became: list[AgencyLineage]  # steps whose predecessor is this unit (successor loaded)
    ancestry: list[Agency]  # every unit, transitively, whose history this one carries
    today: list[tuple[Agency, float | None]]  # where this unit's dossiers map today (itself when still valid)
    users: list[User] = field(default_factory=list)
    parents: dict[int, Agency] = field(default_factory=dict)  # the parents the versions name

    @property
    def events(self) -> list[Event]:
        """What happened, in date order: formed from predecessors, versions, merged/split/renamed, ended."""
        found = [Event(v.valid_from, "version", version=v, first=i == 0) for i, v in enumerate(self.versions)]
        for kind, steps in (("came_from", self.came_from), ("became", self.became)):
            for day in sorted({s.effective_on for s in steps}):
                found.append(Event(day, kind, steps=[s for s in steps if s.effective_on == day]))
        if self.agency.valid_to is not None and not self.became:
            found.append(Event(self.agency.valid_to, "ended"))
        return sorted(found, key=lambda e: (e.day or date.min, RANK[e.kind]))

    @property
    def ended(self) -> bool:
        """Whether the unit has ended (by today)."""
        return self.agency.valid_to is not None and self.agency.valid_to <= date.today()


def timeline(session: Session, agency: Agency, on: date | None = None) -> Timeline:
    """The timeline of `agency`; `today` is mapped on `on` (default today)."""
    on = on or date.today()
    graph = LineageGraph(session)
    steps = session.scalars(select(AgencyLineage).where(
        (AgencyLineage.successor_id == agency.id) | (AgencyLineage.predecessor_id == agency.id))
        .order_by(AgencyLineage.effective_on, AgencyLineage.id)).all()
    versions = versions_of(session, agency.id)
    ids = graph.predecessors(agency.id)
    mapped = graph.successors(agency.id, on)
    wanted = ids | {i for i, _ in mapped} | {v.parent_id for v in versions if v.parent_id}
    agencies = {a.id: a for a in session.scalars(select(Agency).where(Agency.id.in_(wanted)))} if wanted else {}
    ancestry = sorted((agencies[i] for i in ids), key=lambda a: (a.valid_to or date.max, a.name_vi))
    users = session.scalars(select(User).where(User.agency_id == agency.id).order_by(User.username)).all()
    return Timeline(agency=agency, versions=versions,
                    came_from=[s for s in steps if s.successor_id == agency.id],
                    became=[s for s in steps if s.predecessor_id == agency.id], ancestry=ancestry,
                    today=[(agencies.get(i) or agency, share) for i, share in mapped], users=list(users),
                    parents=agencies)
