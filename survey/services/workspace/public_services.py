"""Public health and education waves: indices per level (event type) and commune-level area, held to the
public-service targets, with the Ministry of Health's own "tỷ lệ hài lòng" beside them (docs/indicators.md
"Public health and education").

A wave is a public-service wave when its questionnaire's index has a part named `health` (QĐ 3869/QĐ-BYT
forms) or `education` (QĐ 3476/QĐ-BGDĐT forms). Per facility / school is the wave table's own "agencies"
grouping (survey.services.results.wave_index_table, already held to the public_service target of that
service by analysis.table.target_for); this module adds two groupings computed on the same design:

- level: the invitation's event type (inpatient/outpatient, preschool/primary/secondary), else the
  instrument's own level (each form is one level);
- area: the commune-level area of the facility: the nearest commune (else pre-2025 district) among the
  facility's managing agencies, walking up the registry from its parent; a facility without one is in no
  area (its row counts in the whole wave, never in an area);
- residence: the respondent's own commune-level area, the official commune code the source sent with the
  hospital visit or enrolment (Dossier.citizen_area_code), when it did.

The result (analysis.moh.ServiceTables) is frozen like the table: `compute` runs when a wave is published
(survey.services.workspace.publishing stores it in the publication's inputs under "public_services");
pages only read it back (`stored`): they read publications.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

import analysis
from analysis.moh import ServiceTables, moh_rates
from analysis.table import TargetRef, judge, target_for, targets_in_force
from analysis.wave import WaveData, WaveTable, by_code
from survey.models import Agency, Dossier, Invitation, QuestionnaireVersion, Response, Target, Wave
from survey.models.registry import AgencyVersion
from survey.services.publications import frozen
from survey.services.questionnaires.bank import iter_questions, scale_for
from survey.services.scoreboard import public_services as board_tables

SERVICES = ("health", "education")
AREA_LEVELS = ("commune", "ward", "special_zone", "district")  # commune level; districts before 1 July 2025
LEVELS = {  # event type → (label_vi, label_en)
    "inpatient": ("Khám, chữa bệnh nội trú", "Inpatient care"),
    "outpatient": ("Khám, chữa bệnh ngoại trú", "Outpatient care"),
    "preschool": ("Giáo dục mầm non", "Preschool education"),
    "primary": ("Giáo dục tiểu học", "Primary education"),
    "secondary": ("Giáo dục trung học", "Secondary education"),
}
INPUTS_KEY = board_tables.INPUTS_KEY


def service_of(content: dict) -> str | None:
    """"health" / "education" for a public-service questionnaire (by its index part), else None."""
    parts = ((content or {}).get("index") or {}).get("parts") or {}
    return next((s for s in SERVICES if s in parts), None)


def instrument_level(content: dict) -> str | None:
    """The level a form is for ("health-inpatient" → "inpatient"), when it names a known one."""
    tail = str((content or {}).get("instrument", "")).rsplit("-", 1)[-1]
    return tail if tail in LEVELS else None


def _placed(data: WaveData, rows: list, out: np.ndarray) -> np.ndarray:
    """`out` with each (response id, value) of `rows` written at its respondent's row (data.response_ids is
    sorted: a binary search, no loop over the wave); rows of responses not in `data` are left out."""
    if rows and data.response_ids is not None:
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        at = np.searchsorted(data.response_ids, ids)
        known = at < data.n
        known[known] = data.response_ids[at[known]] == ids[known]
        out[at[known]] = np.array([str(r[1]) for r in rows], dtype=object)[known]
    return out


def _respondents(data: WaveData, *columns):
    return select(Response.id, *columns).join(Invitation, Invitation.id == Response.invitation_id).where(
        Invitation.wave_id == data.wave_id, Response.probability_sample.is_(True))


def event_types(session: Session, data: WaveData, fallback: str | None) -> np.ndarray:
    """Each respondent's event type (object array in data's row order); `fallback` where none is recorded."""
    out = np.full(data.n, fallback, dtype=object)
    rows = session.execute(_respondents(data, Invitation.event_type).where(Invitation.event_type.is_not(None))
                           ).all() if data.n else []
    return _placed(data, rows, out)


def residences(session: Session, data: WaveData) -> np.ndarray:
    """Each respondent's own commune-level area code (the event's citizen_area_code, kept only when the
    source gave it and only while the invitation still links its record), else None."""
    rows = session.execute(_respondents(data, Dossier.citizen_area_code).join(
        Dossier, Dossier.id == Invitation.dossier_id).where(Dossier.citizen_area_code.is_not(None))
    ).all() if data.n else []
    return _placed(data, rows, np.full(data.n, None, dtype=object))


def area_names(session: Session, codes: set) -> dict:
    """{official commune code: (code, name_vi, name_en)}: today's unit with that code, else the latest
    version that had it, else the code itself."""
    out = {}
    for model in (AgencyVersion, Agency):  # the current unit wins over a past version of the same code
        # Retired units stay in the registry and a new commune often kept a merged one's code (CV 1027: Thành
        # Sen has Nam Hà's 18073): the still-valid unit (valid_to NULL) is read last, so its name wins.
        for code, vi, en in session.execute(select(model.official_code, model.name_vi, model.name_en)
                                            .where(model.official_code.in_(sorted(codes)))
                                            .order_by(model.valid_to.asc().nulls_last())):
            out[code] = (code, vi, en or vi)
    return {c: out.get(c, (c, "Mã địa bàn %s" % c, "Area code %s" % c)) for c in codes}


def areas_of(session: Session, agency_ids: set) -> dict:
    """{facility agency id: its commune-level area's agency id} for those that have one (see module doc)."""
    registry = {a.id: (a.parent_id, str(a.level)) for a in session.scalars(select(Agency))}
    out = {}
    for facility in agency_ids:
        at, seen = registry.get(facility, (None, ""))[0], set()
        while at is not None and at not in seen:
            seen.add(at)
            parent, level = registry.get(at, (None, ""))
            if level in AREA_LEVELS:
                out[facility] = at
                break
            at = parent
    return out


def _targets(session: Session, year: int) -> dict:
    """The targets in force in `year` as analysis.table wants them (as survey.services.results reads them)."""
    return targets_in_force([TargetRef(t.value, t.year, str(t.scope), t.sector_code, t.label_vi or "Mục tiêu %d"
                                       % t.year, t.label_en or "Target %d" % t.year)
                             for t in session.scalars(select(Target))], year)


def groupings(session: Session, data: WaveData, content: dict) -> tuple[dict, dict]:
    """({"levels", "areas", "residences": labels} arrays aligned with data's rows, {facility: area})."""
    area_of = areas_of(session, set(data.agency_id.tolist()))
    areas = np.array([area_of.get(a) for a in data.agency_id.tolist()], dtype=object)
    return {"levels": event_types(session, data, instrument_level(content)), "areas": areas,
            "residences": residences(session, data)}, area_of


def compute(session: Session, wave: Wave, table: WaveTable, data: WaveData) -> ServiceTables | None:
    """The level and area tables (and the MoH rates) of a health or education wave; None for any other."""
    content = session.get(QuestionnaireVersion, wave.questionnaire_version_id).content
    service = service_of(content)
    if service is None:
        return None
    by, area_of = groupings(session, data, content)
    measure = table.overall.measure
    target = target_for(measure, "", _targets(session, table.year), table.year)
    settings = table.settings or {}
    min_n, max_rse = int(settings.get("min_n", 30)), float(settings.get("max_rse", 0.3))
    method, level = settings.get("method", "logit"), float(settings.get("level", 0.95))
    if data.design is None or not data.items:
        raw = {"levels": {}, "areas": {}, "residences": {}}
    elif data.answers is not None:
        raw = analysis.index_table_answers(data.design, data.answers, data.structure, by, method, level,
                                           data.satisfied, data.valid)
    else:
        raw = analysis.index_table(data.design, data.sums, data.structure, by, method, level)
    names = {a.id: (a.code, a.name_vi, a.name_en or a.name_vi) for a in session.scalars(select(Agency))}
    unnamed = lambda k: (str(k), str(k), str(k))  # noqa: E731
    where = area_names(session, {k for k in raw["residences"] if k is not None})
    labels = {"levels": lambda k: (k, *LEVELS.get(k, (k, k))), "areas": lambda k: names.get(k, unnamed(k)),
              "residences": lambda k: where.get(k, unnamed(k))}
    cells = {kind: judge({k: by_code(v, data.items) for k, v in raw[kind].items()}, lambda k: target,
                         labels[kind], min_n, max_rse, measure=measure) for kind in labels}
    moh, per_facility = (None, {}) if data.design is None or data.answers is None or not data.items else moh_rates(
        data.design, data.answers, data.satisfied, data.valid, data.structure["elements"], overall_satisfied(
            data, content), data.agency_id, method, level)
    return ServiceTables(service, str(content.get("instrument", "")), cells["levels"], cells["areas"], area_of,
                         moh, per_facility, cells["residences"])


def overall_satisfied(data: WaveData, content: dict) -> np.ndarray | None:
    """1 / 0 / NaN per respondent: the overall question on the scale answered 4–5 / otherwise / not; None when
    the form has none (the health forms: G1 is a percent of expectations)."""
    code = content.get("overall_item")
    question = next((q for q in iter_questions(content) if q["code"] == code), None) if code else None
    scale = scale_for(content, question) if question else None
    if scale is None or data.overall_answer is None:
        return None
    a = data.overall_answer
    valid = np.isin(a, [c["code"] for c in scale["codes"]])
    return np.where(valid, np.isin(a, list(scale.get("satisfied") or (4, 5))).astype(float), np.nan)


def store_key(session: Session, wave: Wave, table: WaveTable, frame: Any) -> dict | None:
    """What a publication keeps under inputs["public_services"]: compute() frozen to JSON (None if nothing)."""
    got = compute(session, wave, table, frame.data)
    return frozen.table_json(got) if got is not None else None


def stored(view: Any) -> ServiceTables | None:
    """The ServiceTables a publication (PublishedView) froze, or None (not a public-service wave, or older)."""
    return board_tables.stored(view)
