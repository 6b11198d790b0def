"""Demo step of public health and education: Hà Tĩnh hospitals and schools, their discharges, visits and
enrolments, and a closed, published wave per instrument (inpatient, outpatient, preschool, primary, secondary).

The units and their volumes are in survey/demo_data/ha_tinh_public_services.csv (which names are real and
which illustrative is said there). Hospitals hang under Sở Y tế, so they are in no commune-level area of the
area table (survey.services.workspace.public_services.areas_of reads the managing agencies: a provincial
hospital has none at commune level); a commune health station (Thông tư 43/2025/TT-BYT, from 1 January 2026)
and, since 1 July 2025, preschools, primary and lower-secondary schools are run by the commune-level People's
Committee, so they hang under their ward (else Sở Y tế / Sở Giáo dục và Đào tạo, else the province, when the
registry lacks it). Each event carries the citizen's own commune (the official
code of a unit of the file's `catchment`: mostly the facility's own commune and its neighbours), which fills
the residence table. Each hospital's inpatients leave through its discharge desk, a service point whose kiosk
a ward clerk can hand a discharge to (demo/public_services_live.py: a live inpatient wave with discharges
just made there). Events of the last four quarters are simulated; the closed waves cover the last half-year
(as health and education surveys run, less often than the quarterly procedure waves, whose latest stays the
dashboard's first wave), are planned from the half-year before (SIPAS sizing by unit × event type), launched,
answered (simulated parents and patients), closed and published like the procedure waves.
Idempotent: units, events and waves are made once.
"""
from __future__ import annotations

import csv
import io
import math
import os
import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update

from survey.models import Agency, Answer, Dossier, Invitation, Response, Sector, ServicePoint, SourceSystem, Wave
from survey.models.fieldwork import DossierChannel, DossierKind, InvitationStatus, Outcome, WaveStatus
from survey.models.response import Language, ResponseMode, ResponseScore
from survey.services.demo import public_services_live
from survey.services.intake.areas import COMMUNE_LEVELS
from survey.services.registry.imports import import_registry

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                    "demo_data", "ha_tinh_public_services.csv")
SOURCE = "demo-dichvucong"
PROVINCE = "HT"
MANAGER = {"health_facility": "HT-SYT", "school": "HT-SGDDT"}  # when the file's parent is not in the registry
# Where the citizen lives: the facility's own commune, its neighbours, anywhere in the province (catchment "*"),
# or not sent.
OWN, NEIGHBOURS, ANYWHERE = 0.5, 0.42, 0.08
NO_AREA = 0.07  # share of events whose source sends no citizen_area_code
INSTRUMENTS = {"inpatient": "health-inpatient", "outpatient": "health-outpatient",
               "preschool": "education-preschool", "primary": "education-primary",
               "secondary": "education-secondary"}
KIND = {"inpatient": DossierKind.HOSPITAL_VISIT, "outpatient": DossierKind.HOSPITAL_VISIT,
        "preschool": DossierKind.SCHOOL_ENROLMENT, "primary": DossierKind.SCHOOL_ENROLMENT,
        "secondary": DossierKind.SCHOOL_ENROLMENT}
SECTOR = {DossierKind.HOSPITAL_VISIT: "health", DossierKind.SCHOOL_ENROLMENT: "education"}
NAMES = {"inpatient": ("Khảo sát hài lòng người bệnh nội trú", "Inpatient satisfaction survey"),
         "outpatient": ("Khảo sát hài lòng người bệnh ngoại trú", "Outpatient satisfaction survey"),
         "preschool": ("Khảo sát hài lòng phụ huynh trẻ mầm non", "Preschool parents' satisfaction survey"),
         "primary": ("Khảo sát hài lòng phụ huynh học sinh tiểu học", "Primary parents' satisfaction survey"),
         "secondary": ("Khảo sát hài lòng phụ huynh học sinh THCS", "Secondary parents' satisfaction survey")}
RESPONSE_RATE = {"inpatient": 0.6, "outpatient": 0.4, "preschool": 0.65, "primary": 0.6, "secondary": 0.5}


def read_units(path: str = DATA) -> list[dict]:
    """The rows of the demo file (one per unit × event type), comments skipped."""
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def _quarter(day: date, back: int) -> tuple[date, date, str]:
    """The quarter `back` quarters before the one containing `day`: (start, end, "2025-Q3")."""
    index = (day.year * 4 + (day.month - 1) // 3) - back
    year, q = divmod(index, 4)
    start = date(year, 3 * q + 1, 1)
    end = date(year + (q == 3), (3 * q + 3) % 12 + 1, 1) - timedelta(days=1)
    return start, end, "%d-Q%d" % (year, q + 1)


def _registry(ctx, rows: list[dict]) -> dict[str, Agency]:
    """Import the hospitals, schools and discharge desks (the registry import: versions, audit-free, idempotent)."""
    s = ctx.session
    known = set(s.scalars(select(Agency.code)))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["kind", "code", "name_vi", "name_en", "level", "parent_code", "sector_code", "agency_code",
                     "point_type", "agencies_served", "address"])
    seen = set()
    for r in rows:
        if r["code"] not in seen:
            parent = next((c for c in (r["parent_code"], MANAGER.get(r["level"])) if c in known), PROVINCE)
            writer.writerow(["agency", r["code"], r["name_vi"], r["name_en"], r["level"], parent, "", "", "", "", ""])
            seen.add(r["code"])
    for r in rows:
        if r["desk_vi"]:
            writer.writerow(["service_point", r["code"] + "-RV", r["desk_vi"], r["desk_en"], "", "", "", r["code"],
                             "agency_counter", r["code"], "phường Thành Sen, tỉnh Hà Tĩnh"])
    report = import_registry(s, io.StringIO(out.getvalue()), name="ha_tinh_public_services.csv")
    if report.errors:  # the bundled file is ours: an error here is a bug, not user input
        raise RuntimeError("Demo public services have errors:\n" + "\n".join(map(str, report.errors)))
    return {a.code: a for a in s.scalars(select(Agency).where(Agency.code.in_(seen)))}


def catchments(session, rows: list[dict]) -> dict[str, tuple[list[str], list[str], list[str]]]:
    """{unit code: (own, neighbours, anywhere)} official commune codes of today's units named in the file's
    `catchment` (own = the first); anywhere = every current commune-level unit when the catchment ends in
    "*" (a provincial hospital), else none; codes the registry lacks are left out (no code at all: the
    events carry none)."""
    current = dict(session.execute(select(Agency.code, Agency.official_code).where(
        Agency.level.in_(COMMUNE_LEVELS), Agency.official_code.is_not(None), Agency.valid_to.is_(None))).all())
    anywhere = sorted(set(current.values()))
    out = {}
    for r in rows:
        names = r.get("catchment", "").split(";")
        codes = [current[c] for c in names if c in current]
        out[r["code"]] = (codes[:1], codes[1:], anywhere if names[-1] == "*" else [])
    return out


def resident_of(rng, catchment: tuple[list[str], list[str], list[str]] | None) -> str | None:
    """One citizen's commune code drawn from a catchment (None: the source did not send it)."""
    if not catchment or rng.random() < NO_AREA:
        return None
    x = rng.random()  # without an "anywhere", its share goes to the neighbours
    for codes in (catchment[0] if x < OWN else [], catchment[1] if x < OWN + NEIGHBOURS or not catchment[2] else [],
                  catchment[2]):
        if codes:
            return rng.choice(codes)
    return None


def _events(ctx, source: SourceSystem, rows: list[dict], units: dict, sectors: dict, desks: dict,
            start: date, end: date, label: str) -> int:
    """Simulated discharges, visits and enrolments of one quarter (Core executemany: fast)."""
    rng, tz, days = ctx.rng, ZoneInfo("Asia/Ho_Chi_Minh"), (end - start).days + 1
    out, where = [], catchments(ctx.session, rows)
    for r in rows:
        unit, kind, departments = units[r["code"]], KIND[r["event_type"]], r["departments"].split(";")
        for k in range(max(5, round(int(r["per_quarter"]) * rng.uniform(0.85, 1.15)))):
            moment = datetime.combine(start + timedelta(days=rng.randrange(days)),
                                      time(7 + rng.randrange(10), rng.randrange(60)), tz)
            completed = moment.astimezone(UTC).replace(tzinfo=None)
            stay = timedelta(days=rng.randint(2, 12)) if r["event_type"] == "inpatient" else timedelta(hours=2)
            out.append({"source_system_id": source.id, "external_id": "%s-%s-%s-%05d" % (label, r["code"],
                        r["event_type"], k), "kind": kind, "event_type": r["event_type"], "agency_id": unit.id,
                        "sector_id": sectors[SECTOR[kind]], "unit_department": rng.choice(departments),
                        "service_point_id": desks.get(r["code"]) if r["event_type"] == "inpatient" else None,
                        "channel": DossierChannel.IN_PERSON, "received_at": completed - stay, "due_at": None,
                        "completed_at": completed, "outcome": Outcome.APPROVED, "on_time": True,
                        "citizen_area_code": resident_of(rng, where.get(r["code"])),
                        "content_hash": uuid.UUID(int=rng.getrandbits(128)).hex})
    if out:
        ctx.session.execute(insert(Dossier.__table__), out)
    return len(out)


def _answers(rng, base: float, items: list[str], overall: str | None) -> dict[str, int]:
    """One simulated questionnaire: a personal level shared by the items, so that they correlate."""
    person, answers, sat = rng.gauss(0, 0.9), {}, []
    for item in items:
        if rng.random() < 0.04:  # "not used / no opinion": no answer
            continue
        p = 1 / (1 + math.exp(-(base + person + rng.gauss(0, 0.5))))
        answers[item] = rng.choice([4, 5, 5] if rng.random() < p else [1, 2, 3, 3])
        sat.append(answers[item] >= 4)
    if overall:
        share = sum(sat) / len(sat) if sat else 0.5
        answers[overall] = rng.choice([4, 5]) if rng.random() < 0.1 + 0.85 * share else rng.choice([2, 3])
    return answers


def _respond(ctx, wave: Wave, version, event_type: str, tendency: dict[int, float], end: date) -> int:
    """Simulate who answers each invitation of the wave and what; writes answers and score rows."""
    from survey.services.questionnaires.bank import index_structure
    from survey.services.respond.rescore import computed

    s, rng = ctx.session, ctx.rng
    tree = index_structure(version.content)
    invs = s.execute(select(Invitation.id, Invitation.agency_id, Invitation.sector_id, Invitation.service_point_id,
                            Dossier.completed_at).join(Dossier, Dossier.id == Invitation.dossier_id)
                     .where(Invitation.wave_id == wave.id).order_by(Invitation.id)).all()
    last = datetime.combine(end, time(23)) + timedelta(days=20)
    responses = []
    for inv in invs:
        if rng.random() >= RESPONSE_RATE[event_type]:
            continue
        submitted = min(inv.completed_at + timedelta(hours=rng.randint(1, 200)), last)
        at_desk = inv.service_point_id is not None and rng.random() < 0.5  # the discharge desk's kiosk
        responses.append({"uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "invitation_id": inv.id,
                          "questionnaire_version_id": version.id, "wave_id": wave.id, "agency_id": inv.agency_id,
                          "sector_id": inv.sector_id, "service_point_id": inv.service_point_id,
                          "mode": ResponseMode.KIOSK if at_desk else ResponseMode.LINK, "probability_sample": True,
                          "partial": False, "language": Language.VI, "started_at": submitted - timedelta(minutes=8),
                          "submitted_at": submitted})
    if not responses:
        return 0
    ids = s.execute(insert(Response.__table__).returning(Response.__table__.c.id, sort_by_parameter_order=True),
                    responses).scalars().all()
    rows = []
    for rid, r in zip(ids, responses):
        answers = _answers(rng, tendency[r["agency_id"]], tree["items"], tree.get("overall_item"))
        rows += [{"response_id": rid, "item_code": c, "value_int": v, "value_text": None} for c, v in answers.items()]
    s.execute(insert(Answer.__table__), rows)
    scores = [{**row, "response_id": rid} for rid, found in computed(s, list(ids)).items() for row in found]
    if scores:
        s.execute(insert(ResponseScore.__table__), scores)
    s.execute(update(Invitation), [{"id": r["invitation_id"], "status": InvitationStatus.COMPLETED,
                                    "opened_at": r["started_at"], "completed_at": r["submitted_at"]}
                                   for r in responses])
    return len(responses)


def _waves(ctx, rows: list[dict], units: dict, start: date, end: date, label: str, period: tuple) -> list[str]:
    """One wave per event type present: planned, launched, answered, closed and published."""
    from survey.services.questionnaires.bank import get_version
    from survey.services.sampling import waves
    from survey.services.workspace import publishing

    s, made = ctx.session, []
    for event_type, instrument in INSTRUMENTS.items():
        mine = [r for r in rows if r["event_type"] == event_type]
        code = "%s-%s" % ({"inpatient": "NOITRU", "outpatient": "NGOAITRU", "preschool": "MAMNON",
                           "primary": "TIEUHOC", "secondary": "THCS"}[event_type], label)
        version = get_version(s, instrument)
        if not mine or version is None or s.scalar(select(Wave.id).where(Wave.code == code)) is not None:
            continue
        name_vi, name_en = NAMES[event_type]
        wave = waves.create_wave(s, code=code, name="%s %s (demo)" % (name_vi, period[0]), period_start=start,
                                 period_end=end, version=version, margin=0.1, response_rate=RESPONSE_RATE[event_type],
                                 min_responses=10, seed="demo-%s-%s" % (event_type, label),
                                 name_en="%s, %s (demo)" % (name_en, period[1]))
        waves.launch(s, wave, now=datetime.combine(start, time(1)))
        tendency = {units[r["code"]].id: float(r["tendency"]) for r in mine}
        n = _respond(ctx, wave, version, event_type, tendency, end)
        waves.close(s, wave, now=datetime.combine(end, time(12)) + timedelta(days=21))
        if wave.status == WaveStatus.CLOSED:
            publishing.publish(s, "demo", wave)
        made.append("%s (%d câu trả lời)" % (code, n))
    return made


def seed(ctx) -> None:
    """Hospitals, schools, four quarters of their events and the last half-year's closed, published waves."""
    s = ctx.session
    if s.scalar(select(Agency.id).where(Agency.code == PROVINCE)) is None:
        ctx.notes.append("Demo y tế, giáo dục: chưa có danh mục tỉnh nên chưa tạo bệnh viện, trường học.")
        return
    rows = read_units()
    units = _registry(ctx, rows)
    sectors = dict(s.execute(select(Sector.code, Sector.id).where(Sector.code.in_(["health", "education"]))).all())
    if len(sectors) < 2:
        ctx.notes.append("Demo y tế, giáo dục: danh mục chưa có lĩnh vực y tế, giáo dục.")
        return
    desks = {p.agency.code: p.id for p in s.scalars(select(ServicePoint).where(
        ServicePoint.code.in_([r["code"] + "-RV" for r in rows if r["desk_vi"]])))}
    source = s.scalar(select(SourceSystem).where(SourceSystem.code == SOURCE))
    if source is None:
        source = SourceSystem(code=SOURCE, name="Phần mềm quản lý bệnh viện, trường học (demo)")
        s.add(source)
        s.flush()
    today = date.today()
    (start, _e, first), (_s, end, last) = _quarter(today, 2), _quarter(today, 1)
    label = "%s-%s" % (first, last)
    period = ("quý %s/%s – quý %s/%s" % (first[-1], first[:4], last[-1], last[:4]),
              "Q%s %s – Q%s %s" % (first[-1], first[:4], last[-1], last[:4]))
    if s.scalar(select(Dossier.id).where(Dossier.source_system_id == source.id).limit(1)) is None:
        for back in (4, 3, 2, 1):
            q_start, q_end, q_label = _quarter(today, back)
            _events(ctx, source, rows, units, sectors, desks, q_start, q_end, q_label)
        s.flush()
    made = _waves(ctx, rows, units, start, end, label, period)
    ctx.data["public_service_waves"] = sorted(s.scalars(select(Wave.code).where(
        Wave.code.in_(["%s-%s" % (p, label) for p in ("NOITRU", "NGOAITRU", "MAMNON", "TIEUHOC", "THCS")]))))
    ctx.notes.append("Demo y tế, giáo dục: %d cơ sở y tế, %d trường; đợt đã đóng và công bố: %s — xem /analyst/."
                     % (len({r["code"] for r in rows if r["level"] == "health_facility"}),
                        len({r["code"] for r in rows if r["level"] == "school"}),
                        ", ".join(made) if made else ", ".join(ctx.data["public_service_waves"]) or "—"))
    public_services_live.seed(ctx, rows)
