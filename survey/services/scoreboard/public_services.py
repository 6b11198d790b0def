"""The health and education tables of a publication (analysis.moh.ServiceTables, stored by
survey.services.workspace.public_services under the publication's inputs["public_services"]), read back
for the pages and the public scoreboard."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from survey.services.publications import frozen

INPUTS_KEY = "public_services"
TITLES = {"health": ("Y tế", "Health"), "education": ("Giáo dục", "Education")}


def stored(view: Any) -> Any:
    """The ServiceTables a publication (PublishedView) froze, or None (not a public-service wave, or older)."""
    doc = (getattr(view, "inputs", None) or {}).get(INPUTS_KEY)
    return frozen.thaw_table(doc) if doc else None  # the generic decoder: any registered result class


@dataclass(frozen=True)
class PublicService:
    """A health or education wave on the public pages: the service and its per-level, per-area and
    per-residence cells (scoreboard PublicCells; the facilities / schools are the board's agencies)."""

    service: str
    levels: tuple
    areas: tuple
    residences: tuple = ()

    def title(self, lang: str) -> str:
        """"Y tế" / "Giáo dục" in `lang`."""
        vi, en = TITLES.get(self.service, (self.service, self.service))
        return en if lang == "en" else vi


def public(view: Any, cell: Any) -> PublicService | None:
    """The PublicService of a publication, its cells made by `cell(scope, analysis Cell)`; None for other waves."""
    tables = stored(view)
    if tables is None:
        return None
    ordered = lambda cells: sorted(cells.values(), key=lambda c: c.code)  # noqa: E731
    return PublicService(tables.service, tuple(cell("level", c) for c in ordered(tables.levels)),
                         tuple(cell("area", c) for c in ordered(tables.areas)),
                         tuple(cell("residence", c) for c in ordered(tables.residences)))
