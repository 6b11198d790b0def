"""A small world for the inbox tests: a province with two departments and a commune, two service points,
two waves, and comments written as the write path stores them (redacted text, folded, raw apart)."""

from __future__ import annotations

import os
import uuid
from datetime import date

from survey import QUESTIONNAIRE_DIR
from survey.models import Agency, Comment, CommentRaw, QuestionnaireVersion, Response, ServicePoint, Wave
from survey.services.accounts.users import create_user
from survey.services.common.redact import fold, redact
from survey.services.questionnaires.bank import load_file
from tests.auth.conftest import PASSWORD, sign_in  # noqa: F401  (re-exported for the tests)


def make_world(session) -> dict:
    """Agencies (province › land, build; province › district › commune), a centre per level, two waves."""
    prov = Agency(code="I-UBND", name_vi="UBND tỉnh Thử", name_en="Thu Province People's Committee", level="province")
    session.add(prov)
    session.flush()
    land = Agency(
        code="I-STNMT",
        name_vi="Sở Tài nguyên và Môi trường",
        name_en="Department of Natural Resources",
        level="department",
        parent_id=prov.id,
    )
    build = Agency(code="I-SXD", name_vi="Sở Xây dựng", level="department", parent_id=prov.id)
    district = Agency(code="I-HCX", name_vi="UBND huyện Cẩm Xuyên", level="district", parent_id=prov.id)
    session.add_all([land, build, district])
    session.flush()
    commune = Agency(code="I-XCB", name_vi="UBND xã Cẩm Bình", level="commune", parent_id=district.id)
    session.add(commune)
    session.flush()
    centre = ServicePoint(
        code="I-TTHCC", name_vi="Trung tâm Phục vụ HCC tỉnh", kind="province_centre", agency_id=prov.id
    )
    dcentre = ServicePoint(
        code="I-HCC-CX", name_vi="Bộ phận một cửa huyện Cẩm Xuyên", kind="district_centre", agency_id=district.id
    )
    session.add_all([centre, dcentre])
    session.flush()
    loaded = load_file(session, os.path.join(QUESTIONNAIRE_DIR, "sipas2023-service.yaml"))
    version = session.get(QuestionnaireVersion, loaded.version_id)
    waves = []
    for code, start, end in (
        ("I-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("I-Q2", date(2026, 4, 1), date(2026, 6, 30)),
    ):
        wave = Wave(
            code=code,
            name="Đợt " + code,
            period_start=start,
            period_end=end,
            questionnaire_version_id=version.id,
            seed="s",
        )
        session.add(wave)
        waves.append(wave)
    session.flush()
    return {
        "province": prov,
        "land": land,
        "build": build,
        "district": district,
        "commune": commune,
        "centre": centre,
        "dcentre": dcentre,
        "version": version,
        "q1": waves[0],
        "q2": waves[1],
    }


def add_comment(
    session,
    world,
    text: str,
    *,
    agency: str = "land",
    point: str = "centre",
    wave: str = "q1",
    day: date = date(2026, 2, 10),
    overall: int | None = 4,
    probability: bool = True,
    item: str = "CMT1",
) -> Comment:
    """A response and its comment as the write path stores them: redacted, folded, the raw text apart."""
    response = Response(
        uuid=str(uuid.uuid4()),
        questionnaire_version_id=world["version"].id,
        wave_id=world[wave].id,
        agency_id=world[agency].id,
        service_point_id=world[point].id,
        mode="link" if probability else "kiosk_walkup",
        probability_sample=probability,
    )
    session.add(response)
    session.flush()
    clean = redact(text)
    comment = Comment(
        response_id=response.id,
        item_code=item,
        text=clean.text,
        folded=fold(clean.text),
        redactions=clean.count,
        wave_id=world[wave].id,
        agency_id=world[agency].id,
        service_point_id=world[point].id,
        day=day,
        overall=overall,
        probability_sample=probability,
    )
    session.add(comment)
    session.flush()
    session.add(CommentRaw(comment_id=comment.id, text=text))
    session.flush()
    return comment


def users(session, world) -> dict:
    """An admin, a province analyst and an agency viewer of the land department."""
    return {
        "admin": create_user(session, "i.admin", PASSWORD, "admin"),
        "analyst": create_user(session, "i.analyst", PASSWORD, "analyst"),
        "viewer": create_user(session, "i.viewer", PASSWORD, "agency_viewer", agency_id=world["land"].id),
    }
