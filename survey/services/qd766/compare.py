"""The 766-style score beside the sampled index: per agency, the gap in points and where the score lies
against the index's 95 % confidence interval (docs/methodology.md §17.4).

The sampled side comes from the caller (the dashboard's cells, read from the wave's publication); this
module adds the 766 side for the same agencies and period and orders the rows by gap, largest first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from survey.services.qd766 import score as qd

ABOVE, INSIDE, BELOW = "above", "inside", "below"


@dataclass(frozen=True)
class Sampled:
    """One agency's sampled index as the caller shows it: key, names, the estimate (or None), small-cell flag."""

    key: Any
    label: str
    label_en: str = ""
    est: Any = None
    small: bool = False


@dataclass(frozen=True)
class GapRow:
    """One agency (or the whole domain, key None): its 766 score, the sampled index and the gap."""

    key: Any
    label: str
    label_en: str
    score: qd.Score
    est: Any = None
    small: bool = False

    def label_in(self, lang: str) -> str:
        """The name in `lang` (English when known)."""
        return self.label_en if lang == "en" and self.label_en else self.label

    @property
    def index(self) -> float | None:
        """The sampled index (%), None when there is none or it is withheld."""
        value = getattr(self.est, "value", None)
        return value if value is not None and math.isfinite(value) else None

    @property
    def gap(self) -> float | None:
        """766 score minus sampled index, in percentage points; None when either is undefined."""
        return None if self.score.value is None or self.index is None else self.score.value - self.index

    @property
    def position(self) -> str:
        """Where the 766 score lies against the index's CI: above, inside, below; "" when not comparable
        (either side undefined, no interval, or too few answers to judge by the interval)."""
        if self.gap is None or self.small or not getattr(self.est, "has_interval", False):
            return ""
        if self.score.value > self.est.ci_high:
            return ABOVE
        return BELOW if self.score.value < self.est.ci_low else INSIDE


@dataclass(frozen=True)
class Comparison:
    """The headline row (the whole domain) and the agency rows, sorted by gap (largest first, undefined last)."""

    start: date
    end: date
    overall: GapRow
    rows: list[GapRow] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """No dossier of the domain was settled in the period: there is no 766 score to show."""
        return self.overall.score.dossiers == 0

    @property
    def above(self) -> int:
        """How many agencies have a 766 score above their index's confidence interval."""
        return sum(r.position == ABOVE for r in self.rows)


def compare(
    session: Session,
    start: date,
    end: date,
    visible: set[int] | None,
    headline: Any,
    agencies: list[Sampled],
    **filters: Any,
) -> Comparison:
    """The gap table of a period: the whole domain against `headline`, then every agency with a sampled
    index or a 766 score (agencies' own dossiers against their own respondents). `filters`: sector_id and
    channel, as the sampled side was filtered (score.by_agency)."""
    from survey.models import Agency

    own = qd.by_agency(session, start, end, visible, **filters)
    shown = {s.key: s for s in agencies}
    rows = [GapRow(s.key, s.label, s.label_en, own.get(s.key, qd.Score()), s.est, s.small) for s in agencies]
    for agency_id in sorted(set(own) - set(shown)):
        agency = session.get(Agency, agency_id)
        rows.append(GapRow(agency_id, agency.name_vi, agency.name_en, own[agency_id]))
    rows.sort(key=lambda r: (r.gap is None, -(r.gap or 0.0), r.label))
    overall = GapRow(None, "", "", qd.overall(own), headline, False)
    return Comparison(start, end, overall, rows)
