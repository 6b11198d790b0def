"""The sampled index of a service point, shown beside its walk-up ratings (counter_ratings.py), never mixed in.

It comes from a publication, as every page's numbers do: the published cell of the point, or for an agency
viewer a domain estimate inside his agencies from the publication's frozen frame, as the dashboard does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from survey.models import ServicePoint
from survey.services.workspace import dashboard as dash
from survey.services.workspace import wavedata

if TYPE_CHECKING:
    from survey.services.workspace.counter_ratings import Period


@dataclass(frozen=True)
class Sampled:
    """The point's sampled index from a publication (never combined with walk-up ratings)."""

    wave: Any
    view: Any
    est: Any
    n: int
    small: bool

    def overlaps(self, period: Period) -> bool:
        """Whether the wave's period shares a day with `period`."""
        return self.wave.period_start <= period.end and self.wave.period_end >= period.start



def sampled_index(
    session: Session, point: ServicePoint, visible: set[int] | None, min_n: int, period: Period | None = None
) -> Sampled | None:
    """The point's index in the newest wave whose current publication has respondents there, a wave whose
    period overlaps `period` first (None if no publication has the point)."""
    waves = dash.list_waves(session)  # newest period first
    if period is not None:
        waves.sort(key=lambda w: not (w.period_start <= period.end and w.period_end >= period.start))
    for wave in waves:
        shown = wavedata.published(session, wave)
        if shown is None:
            continue
        if visible is None:  # the published cell itself
            cell = (shown.view.table.service_points or {}).get(point.id)
            if cell is None or cell.est.n == 0:
                continue
            return Sampled(wave, shown.view, cell.est, cell.est.n, dash.status_of(cell.est, None, min_n) == "small")
        frame = wavedata.scoped(shown.frame, visible)  # a viewer: a domain estimate inside his agencies
        mask = frame.point == point.id
        result = frame.index(mask=mask) if mask.any() else None
        if result is None:
            continue
        est = result.overall
        return Sampled(wave, shown.view, est, est.n, dash.status_of(est, None, min_n) == "small")
    return None
