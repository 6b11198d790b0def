"""Small registry, questionnaire, source and wave factories shared by the sampling and intake tests."""
from __future__ import annotations

from datetime import date, datetime

from survey.models import (
    Agency,
    Procedure,
    Questionnaire,
    QuestionnaireVersion,
    Sector,
    ServicePoint,
    SourceSystem,
    User,
)
from survey.services.intake import apikeys
from survey.services.sampling import waves

AGENCIES = ("AG1", "AG2")
SECTORS = ("land", "civil_status")
PROCEDURES = {"P-LAND-1": "land", "P-CIV-1": "civil_status"}
POINTS = {"SP1": "AG1", "SP2": "AG2"}


def make_registry(session) -> dict:
    """Two agencies, two sectors, a procedure per sector, a service point per agency."""
    agencies = {c: Agency(code=c, name_vi=f"Cơ quan {c}", level="department") for c in AGENCIES}
    sectors = {c: Sector(code=c, name_vi=f"Lĩnh vực {c}") for c in SECTORS}
    session.add_all([*agencies.values(), *sectors.values()])
    session.flush()
    procedures = {c: Procedure(code=c, name_vi=f"Thủ tục {c}", sector_id=sectors[s].id) for c, s in PROCEDURES.items()}
    points = {c: ServicePoint(code=c, name_vi=f"Bộ phận một cửa {c}", kind="agency_counter", agency_id=agencies[a].id)
              for c, a in POINTS.items()}
    session.add_all([*procedures.values(), *points.values()])
    session.flush()
    return {"agencies": agencies, "sectors": sectors, "procedures": procedures, "points": points}


def make_version(session, instrument: str = "sipas2023-service") -> QuestionnaireVersion:
    """A minimal loaded questionnaire version (the sampling code only needs its id)."""
    q = Questionnaire(instrument=instrument, title_vi="Phiếu khảo sát thử")
    session.add(q)
    session.flush()
    v = QuestionnaireVersion(questionnaire_id=q.id, version="1", content_hash="x" * 64,
                             content={"sections": []})
    session.add(v)
    session.flush()
    return v


def make_source(session, code: str = "motcua") -> SourceSystem:
    """A source system."""
    s = SourceSystem(code=code, name=code)
    session.add(s)
    session.flush()
    return s


def make_key(session, source: SourceSystem) -> str:
    """A fresh API key (in clear) for the source."""
    return apikeys.create_key(session, source)[1]


def record(ext: str, day: str = "2025-05-10", **over) -> dict:
    """A valid intake record completed on `day` (local time)."""
    rec = {"external_id": ext, "agency": "AG1", "procedure": "P-LAND-1", "service_point": "SP1",
           "channel": "in_person", "received_at": f"{day}T08:00:00+07:00", "due_at": f"{day}T17:00:00+07:00",
           "completed_at": f"{day}T10:00:00+07:00", "outcome": "approved"}
    rec.update(over)
    return {k: v for k, v in rec.items() if v is not None}


def make_wave(session, version, start=date(2025, 4, 1), end=date(2025, 6, 30), code="W1", **kw):
    """A draft wave (fixed π 0.5 unless told otherwise)."""
    kw.setdefault("fixed_pi", 0.5)
    kw.setdefault("seed", "test-seed")
    return waves.create_wave(session, code=code, name="Đợt thử", period_start=start, period_end=end,
                             version=version, **kw)


def make_admin(session, role: str = "admin") -> User:
    """A staff user (the password hash is irrelevant: tests sign in through the session)."""
    user = User(username=f"u-{role}", password_hash="x", role=role)
    session.add(user)
    session.flush()
    return user


def login(client, user: User) -> None:
    """Sign a test client in as `user`."""
    with client.session_transaction() as s:
        s["_user_id"] = str(user.id)
        s["_fresh"] = True


def utc(y, m, d, h=0, mi=0) -> datetime:
    """A naive UTC datetime."""
    return datetime(y, m, d, h, mi)
