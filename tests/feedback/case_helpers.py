"""A small world for the feedback-case tests: a province with units, a service point, the SIPAS and kiosk
questionnaires, and responses with chosen ratings (by invitation for a dossier, or walk-up)."""

from __future__ import annotations

import os
import uuid
from datetime import date, datetime, timedelta

from survey import QUESTIONNAIRE_DIR
from survey.models import (
    Agency,
    Answer,
    Comment,
    CommentTag,
    ContactRequest,
    Dossier,
    Invitation,
    Procedure,
    QuestionnaireVersion,
    Response,
    Sector,
    ServicePoint,
    SourceSystem,
    Theme,
    User,
    Wave,
)
from survey.models._base import utcnow
from survey.services.questionnaires.bank import load_file

SIPAS_ITEMS = ["ACC1", "ACC2", "ACC3", "PRO1", "PRO2", "PRO3", "PRO4", "CIV1", "CIV2", "CIV3", "RES1", "RES2", "RES3"]


def version(session, instrument: str = "sipas2023-service") -> QuestionnaireVersion:
    """The bank's version of an instrument, loaded once per test."""
    loaded = load_file(session, os.path.join(QUESTIONNAIRE_DIR, f"{instrument}.yaml"))
    return session.get(QuestionnaireVersion, loaded.version_id)


def make_world(session) -> dict:
    """A province, two departments (one with a commune-level unit below), a centre, a dossier source and a wave."""
    prov = Agency(code="C-UBND", name_vi="UBND tỉnh Thử", level="province")
    session.add(prov)
    session.flush()
    land = Agency(code="C-STNMT", name_vi="Sở Tài nguyên và Môi trường", level="department", parent_id=prov.id)
    build = Agency(code="C-SXD", name_vi="Sở Xây dựng", level="department", parent_id=prov.id)
    session.add_all([land, build])
    session.flush()
    sub = Agency(code="C-VPDK", name_vi="Văn phòng đăng ký đất đai", level="department", parent_id=land.id)
    sector = Sector(code="land", name_vi="Đất đai")
    session.add_all([sub, sector])
    session.flush()
    procedure = Procedure(code="P-LAND", name_vi="Cấp giấy chứng nhận", sector_id=sector.id)
    centre = ServicePoint(
        code="C-TTHCC", name_vi="Trung tâm Phục vụ HCC tỉnh", kind="province_centre", agency_id=prov.id
    )
    source = SourceSystem(code="motcua", name="motcua")
    session.add_all([procedure, centre, source])
    session.flush()
    sipas = version(session)
    wave = Wave(
        code="CW1",
        name="Đợt thử",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        questionnaire_version_id=sipas.id,
        seed="s",
    )
    session.add(wave)
    session.flush()
    return {
        "province": prov,
        "land": land,
        "build": build,
        "sub": sub,
        "sector": sector,
        "procedure": procedure,
        "centre": centre,
        "source": source,
        "sipas": sipas,
        "wave": wave,
    }


def dossier_response(
    session,
    world,
    overall: int | None,
    items: dict | None = None,
    agency=None,
    external_id: str | None = None,
    comment: str | None = None,
    phone: str | None = None,
) -> Response:
    """A response by invitation for a dossier decided by `agency` (land by default), received at the centre."""
    agency = agency or world["land"]
    now = utcnow()
    dossier = Dossier(
        source_system_id=world["source"].id,
        external_id=external_id or uuid.uuid4().hex[:12],
        agency_id=agency.id,
        sector_id=world["sector"].id,
        procedure_id=world["procedure"].id,
        service_point_id=world["centre"].id,
        channel="in_person",
        received_at=now - timedelta(days=3),
        completed_at=now - timedelta(days=1),
        outcome="approved",
        content_hash="h" * 64,
    )
    session.add(dossier)
    session.flush()
    invitation = Invitation(
        wave_id=world["wave"].id,
        dossier_id=dossier.id,
        token_hash=uuid.uuid4().hex,
        pi=0.5,
        agency_id=agency.id,
        sector_id=world["sector"].id,
        service_point_id=world["centre"].id,
        outcome="approved",
        expires_at=now + timedelta(days=30),
    )
    session.add(invitation)
    session.flush()
    # The response's own agency is the centre's, on purpose: the case must follow the dossier instead.
    return _response(
        session,
        world["sipas"],
        overall,
        items,
        invitation_id=invitation.id,
        wave_id=world["wave"].id,
        agency_id=world["province"].id,
        service_point_id=world["centre"].id,
        mode="link",
        comment=comment,
        phone=phone,
    )


def walkup_response(session, world, faces: dict, point=None, comment: str | None = None) -> Response:
    """A walk-up kiosk answer (kiosk-quick, faces 1–3) at a service point, without a dossier."""
    point = point or world["centre"]
    return _response(
        session,
        version(session, "kiosk-quick"),
        None,
        faces,
        invitation_id=None,
        wave_id=None,
        agency_id=None,
        service_point_id=point.id,
        mode="kiosk_walkup",
        probability_sample=False,
        comment=comment,
    )


def _response(session, qv, overall, items, comment=None, phone=None, **fields) -> Response:
    response = Response(uuid=str(uuid.uuid4()), questionnaire_version_id=qv.id, submitted_at=utcnow(), **fields)
    session.add(response)
    session.flush()
    answers = dict(items or {})
    if overall is not None:
        answers["OVR1"] = overall
    session.add_all(
        [Answer(response_id=response.id, item_code=code, value_int=value) for code, value in answers.items()]
    )
    if comment is not None:
        session.add(
            Comment(
                response_id=response.id,
                item_code="COMMENT",
                text=comment,
                folded=comment.lower(),
                day=response.submitted_at.date(),
                agency_id=fields.get("agency_id"),
                service_point_id=fields.get("service_point_id"),
            )
        )
    if phone is not None:
        session.add(ContactRequest(response_id=response.id, phone=phone))
    session.flush()
    return response


def complaint_theme(session, code: str = "tham_nhung", keyword: str = "boi duong") -> Theme:
    """An active complaint theme."""
    theme = Theme(code=code, name_vi="Nhũng nhiễu", keywords=keyword, complaint=True, active=True)
    session.add(theme)
    session.flush()
    return theme


def tag(session, response: Response, theme: Theme) -> None:
    """Tag the response's comment with a theme by hand, marking it looked at."""
    comment = session.query(Comment).filter_by(response_id=response.id).one()
    comment.tagged_at = datetime(2026, 1, 1)
    session.add(CommentTag(comment_id=comment.id, theme_id=theme.id, auto=False))
    session.flush()


def staff(
    session, username: str, role: str = "agency_viewer", agency=None, email: str = "", digest: bool = False
) -> User:
    """A staff account (tests sign in through the session cookie)."""
    user = User(
        username=username,
        password_hash="x",
        role=role,
        agency_id=agency.id if agency else None,
        email=email,
        case_digest=digest,
        full_name=username.title(),
    )
    session.add(user)
    session.flush()
    return user


def login(client, user: User) -> None:
    """Sign a test client in as `user` (a TESTING app accepts the bare user id)."""
    with client.session_transaction() as s:
        s["_user_id"] = str(user.id)
        s["_fresh"] = True
