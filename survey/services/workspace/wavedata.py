"""Wave data for the workspace: survey.services.results' design and arrays, plus what the dashboard filters on.

survey.services.results.wave_data (the ANALYSIS engineer's bridge) gives the respondents, their
weights (1/π → nonresponse adjustment within strata → post-stratification to the period's dossier
counts, fpc = stratum dossier count) and the SIPAS index by any grouping. This module adds the
submission channel (from the dossier, else the respondent's own answer) and the viewer's scope;
the overall-satisfaction item (for element importance) is results' own overall_answer.

Scope: a frame made for an agency viewer carries a mask of the viewer's agencies; every estimate
is a domain estimate restricted to it (domains keep the full design, as R's subset()), so no
number of another agency is ever computed for display.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Answer, Dossier, Invitation, QuestionnaireVersion, Response, Wave
from survey.models.fieldwork import DossierChannel
from survey.services import publications, results
from survey.services.common.periods import local_tz

CHANNEL_FROM_ANSWER = {1: DossierChannel.IN_PERSON, 2: DossierChannel.ONLINE, 3: DossierChannel.ONLINE,
                       4: DossierChannel.POSTAL}


@dataclass(frozen=True)
class WaveExtras:
    """Per-respondent arrays results.WaveData does not carry, aligned with its rows."""

    channel: np.ndarray           # in_person | online | postal (object, None when unknown)
    labels: dict                  # item/element/part code → Vietnamese label; "en:"+code → English


@dataclass(frozen=True)
class WaveFrame:
    """A wave's respondents (results.WaveData + extras) seen through one viewer's scope."""

    data: results.WaveData
    extras: WaveExtras
    scope: np.ndarray | None      # rows the viewer may see (None = everything)

    wave_id = property(lambda self: self.data.wave_id)
    design = property(lambda self: self.data.design)
    answers = property(lambda self: self.data.answers)
    agency = property(lambda self: self.data.agency_id)
    sector = property(lambda self: self.data.sector_code)
    point = property(lambda self: self.data.service_point_id)
    outcome = property(lambda self: self.data.outcome)
    stratum = property(lambda self: self.data.stratum)
    channel = property(lambda self: self.extras.channel)
    @property
    def overall(self) -> np.ndarray:
        """The overall-satisfaction item's code per respondent (NaN = no answer or no such item)."""
        got = self.data.overall_answer
        return got if got is not None else np.full(self.data.n, np.nan)
    labels = property(lambda self: self.extras.labels)

    @property
    def structure(self) -> dict:
        """The index tree as columns, with the item codes (as analysis expects it, plus "items")."""
        return {**self.data.structure, "items": list(self.data.items), "satisfied": self.data.satisfied}

    @property
    def n(self) -> int:
        """All respondents of the wave (use mask() for the viewer's)."""
        return self.data.n

    def mask(self) -> np.ndarray:
        """Rows inside the viewer's scope."""
        return np.ones(self.n, dtype=bool) if self.scope is None else self.scope

    def index(self, by: Any = None, mask: np.ndarray | None = None):
        """SIPAS indices of the rows in `mask` (and the scope), overall or by groups (None = in no group)."""
        if self.design is None or not self.data.items:  # no respondents, or no index items to estimate
            return {} if by is not None else None
        inside = self.mask() if mask is None else (mask & self.mask())
        if not inside.any():  # an empty domain: nothing to estimate
            return {} if by is not None else None
        labels = np.array(by if by is not None else [1] * self.n, dtype=object)
        labels = np.where(inside, labels, None)
        if all(v is None for v in labels.tolist()):  # no row has a group: every group is empty
            return {} if by is not None else None
        out = self.data.index(by=labels)
        return out if by is not None else out.get(1)


def has_index(session: Session, wave: Wave) -> bool:
    """Whether the wave's questionnaire has items that count towards the satisfaction index."""
    content = session.get(QuestionnaireVersion, wave.questionnaire_version_id).content
    return bool(results.index_structure(content)["items"])


def index_labels(content: dict) -> dict:
    """Labels of questions, elements and parts (Vietnamese; English under "en:" + code)."""
    from survey.services.questionnaires.bank import iter_questions

    labels: dict = {}
    for q in iter_questions(content):
        text = q.get("short") or q.get("text") or {}
        labels[q["code"]] = text.get("vi", q["code"]) if isinstance(text, dict) else str(text)
        labels["en:" + q["code"]] = text.get("en", labels[q["code"]]) if isinstance(text, dict) else str(text)
    index = content.get("index") or {}
    for group in ("elements", "parts"):
        for name, node in (index.get(group) or {}).items():
            labels[name] = (node.get("label") or {}).get("vi", name)
            labels["en:" + name] = (node.get("label") or {}).get("en", name)
    return labels


def _extras(session: Session, wave: Wave, n: int) -> WaveExtras:
    """Channel per respondent, in results.wave_data's row order (response id)."""
    content = session.get(QuestionnaireVersion, wave.questionnaire_version_id).content
    rows = session.execute(
        select(Response.id, Dossier.channel).join(Invitation, Invitation.id == Response.invitation_id)
        .outerjoin(Dossier, Dossier.id == Invitation.dossier_id)
        .where(Invitation.wave_id == wave.id, Response.probability_sample.is_(True))
        .order_by(Response.id)).all()
    if len(rows) != n:  # the two queries must see the same respondents in the same order
        raise RespondentsMoved("wave %s: %d respondents in results.wave_data, %d here" % (wave.code, n, len(rows)))
    position = {r[0]: i for i, r in enumerate(rows)}
    channel = np.array([r[1] for r in rows], dtype=object)
    ids = [r[0] for r in rows]
    for start in range(0, n, 5000):
        for rid, _code, value in session.execute(
                select(Answer.response_id, Answer.item_code, Answer.value_int)
                .where(Answer.response_id.in_(ids[start:start + 5000]),
                       Answer.item_code == "CHANNEL", Answer.value_int.is_not(None))):
            i = position[rid]
            if channel[i] is None:  # no dossier link (anonymised wave): the respondent's own answer
                channel[i] = CHANNEL_FROM_ANSWER.get(value)
    return WaveExtras(channel, index_labels(content))


class RespondentsMoved(RuntimeError):
    """A response was stored between the two reads of a live wave (they must see the same rows)."""


def load_live(session: Session, wave: Wave) -> WaveFrame:
    """A wave's frame computed from its raw answers now: what a publication freezes (never read by a page)."""
    # The two reads are separate statements: on PostgreSQL (read committed) a citizen submitting
    # in between adds a row to the second only. Read both again; a few tries always settle it.
    for attempt in range(LOAD_ATTEMPTS):
        data = results.wave_data(session, wave.id, source="memory")
        try:
            return WaveFrame(data, _extras(session, wave, data.n), None)
        except RespondentsMoved:
            if attempt == LOAD_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


LOAD_ATTEMPTS = 3


class NotPublished(LookupError):
    """The wave has no publication (or not the version asked for): pages show that it is not yet published."""


@dataclass(frozen=True)
class Shown:
    """The publication a page reads: its frozen frame and its version (publications.PublishedView)."""

    frame: Any
    view: Any

    @property
    def provisional(self) -> bool:
        """A provisional publication of a running wave (labelled with its time)."""
        return str(self.view.kind) == "provisional"


def published(session: Session, wave: Wave, version: int | None = None) -> Shown | None:
    """The wave's current publication (final for a closed wave, else its latest provisional one), or the
    final `version` asked for; None when there is none."""
    if version is not None:
        view = next((v for v in publications.versions(session, wave.id) if v.version == version
                     and str(v.kind) == "final"), None)
    else:
        view = publications.current(session, wave.id)
    if view is None:
        return None
    return Shown(publications.frame(session, view), view)  # memoised per process by id and hash


def scoped(frame: Any, visible: set[int] | None) -> Any:
    """The frame seen through a viewer's scope (None = everything)."""
    if visible is None:
        return frame
    return replace(frame, scope=np.isin(frame.agency, sorted(visible)))


def cached_load(session: Session, wave: Wave, visible: set[int] | None = None, version: int | None = None):
    """The frame of the wave's publication for a viewer's scope (raises NotPublished when there is none)."""
    shown = published(session, wave, version)
    if shown is None:
        raise NotPublished(wave.code)
    return scoped(shown.frame, visible)


def banner(view) -> tuple[str, int | None]:
    """What the version banner says about a publication (pages and the PDF): the text and, when an older
    final version is shown, the number of the latest one (else None)."""
    from flask_babel import gettext as _

    moment = view.published_at.replace(tzinfo=UTC) if view.published_at.tzinfo is None else view.published_at
    local = moment.astimezone(ZoneInfo(local_tz()))
    if str(view.kind) == "provisional":
        return _("Số liệu tạm tính lúc %(time)s (đợt đang thu)", time=local.strftime("%H:%M %d/%m/%Y")), None
    text = _("Số liệu công bố phiên bản %(version)d, ngày %(date)s", version=view.version,
             date=local.strftime("%d/%m/%Y"))
    latest = getattr(view, "latest_version", None)
    newer = latest if getattr(view, "newer_exists", False) and latest is not None else None
    return text, newer


def final_versions(session: Session, wave: Wave) -> list:
    """The wave's final publication versions, oldest first (for the version links of the pages)."""
    return sorted((v for v in publications.versions(session, wave.id) if str(v.kind) == "final"),
                  key=lambda v: v.version)
