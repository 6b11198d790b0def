"""A small closed wave for workspace tests: two departments, a district with a commune, answers with known
tendencies (land poor, construction middling, the district good, the commune too small to rank)."""
from __future__ import annotations

import os
import random
import uuid
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import insert

from survey import QUESTIONNAIRE_DIR
from survey.models import (
    Agency,
    Answer,
    Invitation,
    QuestionnaireVersion,
    Response,
    Sector,
    ServicePoint,
    Target,
    Wave,
    WaveStratum,
)
from survey.services.accounts.users import create_user
from survey.services.common.tokens import hash_token
from survey.services.questionnaires.bank import index_structure, load_file
from survey.services.workspace import publishing
from tests.auth.conftest import PASSWORD, sign_in  # noqa: F401  (re-exported for the tests)

# (agency key, sector code, population, respondents, P(satisfied answer), service point key)
CELLS = [("land", "land", 400, 90, 0.62, "centre"), ("build", "construction", 300, 70, 0.80, "centre"),
         ("district", "land", 200, 60, 0.93, "dcentre"), ("district", "civil_status", 150, 45, 0.95, "dcentre"),
         ("commune", "civil_status", 40, 12, 0.9, "dcentre")]
NAMES = {"province": ("T-UBND", "Ủy ban nhân dân tỉnh Thử", "province", None),
         "land": ("T-STNMT", "Sở Tài nguyên và Môi trường", "department", "province"),
         "build": ("T-SXD", "Sở Xây dựng", "department", "province"),
         "district": ("T-HCX", "Ủy ban nhân dân huyện Cẩm Xuyên", "district", "province"),
         "commune": ("T-XCB", "Ủy ban nhân dân xã Cẩm Bình", "commune", "district")}


def build_world(session, period=(date(2025, 7, 1), date(2025, 9, 30)), code="W-2025Q3", seed=7, shift=0.0,
                publish=True):
    """Registry, targets, one closed wave with invitations, responses and answers, published as closing
    publishes it (returns handles)."""
    rng = random.Random(seed)
    version = session.info.get("hl_version")
    if version is None:
        loaded = load_file(session, os.path.join(QUESTIONNAIRE_DIR, "sipas2023-service.yaml"))
        version = session.get(QuestionnaireVersion, loaded.version_id)
        session.info["hl_version"] = version
    handles = session.info.setdefault("hl_handles", {})
    if not handles:
        for key, (acode, name, level, parent) in NAMES.items():
            a = Agency(code=acode, name_vi=name, name_en=name + " (en)", level=level,
                       parent_id=handles[parent].id if parent else None)
            session.add(a)
            session.flush()
            handles[key] = a
        for scode, name in (("land", "Đất đai"), ("construction", "Xây dựng"), ("civil_status", "Hộ tịch")):
            s = Sector(code=scode, name_vi=name, name_en=scode)
            session.add(s)
            handles["sector:" + scode] = s
        handles["centre"] = ServicePoint(code="T-PVHCC", name_vi="Trung tâm Phục vụ HCC tỉnh Thử",
                                         kind="province_centre", agency_id=handles["province"].id)
        handles["dcentre"] = ServicePoint(code="T-HCC-CX", name_vi="Trung tâm HCC huyện Cẩm Xuyên",
                                          kind="district_centre", agency_id=handles["district"].id)
        session.add_all([handles["centre"], handles["dcentre"]])
        session.add_all([Target(year=2025, scope="tthc", value=90, label_vi="Mục tiêu TTHC 2025"),
                         Target(year=2030, scope="tthc", value=95, label_vi="Mục tiêu TTHC 2030"),
                         Target(year=2025, scope="tthc_sector", sector_code="land", value=85,
                                label_vi="Mục tiêu đất đai 2025"),
                         Target(year=2025, scope="tthc_sector", sector_code="construction", value=85,
                                label_vi="Mục tiêu xây dựng 2025"),
                         Target(year=2021, scope="province", value=91, label_vi="Chỉ tiêu của tỉnh 2021")])
        session.flush()
    items = index_structure(version.content)["items"]
    wave = Wave(code=code, name="Đợt thử " + code, period_start=period[0], period_end=period[1],
                questionnaire_version_id=version.id, seed="s", status="closed", design={"scheme": "agency_sector"},
                launched_at=datetime(2025, 7, 1), closed_at=datetime.combine(period[1], datetime.min.time()) +
                timedelta(days=20))
    session.add(wave)
    session.flush()
    for akey, scode, population, n, p, spkey in CELLS:
        agency, sector, point = handles[akey], handles["sector:" + scode], handles[spkey]
        invited = int(n * 1.6)
        stratum = WaveStratum(wave_id=wave.id, key="%s|%s" % (agency.code, scode), agency_id=agency.id,
                              sector_id=sector.id, pi=invited / population, population=population,
                              population_prev=population)
        session.add(stratum)
        session.flush()
        inv_rows = [{"wave_id": wave.id, "stratum_id": stratum.id, "token_hash": hash_token(uuid.uuid4().hex),
                     "pi": stratum.pi, "agency_id": agency.id, "sector_id": sector.id, "service_point_id": point.id,
                     "outcome": "approved" if k % 10 else "rejected", "channel": "link",
                     "status": "completed" if k < n else "expired", "expires_at": datetime(2025, 11, 1),
                     "created_at": datetime(2025, 7, 2)} for k in range(invited)]
        inv_ids = session.execute(insert(Invitation.__table__).returning(Invitation.__table__.c.id,
                                                                         sort_by_parameter_order=True),
                                  inv_rows).scalars().all()
        resp_rows = [{"uuid": str(uuid.UUID(int=rng.getrandbits(128))), "invitation_id": inv_ids[k],
                      "questionnaire_version_id": version.id, "wave_id": wave.id, "agency_id": agency.id,
                      "sector_id": sector.id, "service_point_id": point.id, "mode": "link",
                      "probability_sample": True, "partial": False, "language": "vi",
                      "submitted_at": datetime(2025, 8, 1)} for k in range(n)]
        resp_ids = session.execute(insert(Response.__table__).returning(Response.__table__.c.id,
                                                                        sort_by_parameter_order=True),
                                   resp_rows).scalars().all()
        rows = []
        for k, rid in enumerate(resp_ids):
            person = rng.random() < min(1.0, p + shift)
            rows += [{"response_id": rid, "item_code": code,
                      "value_int": rng.choice([4, 5]) if (rng.random() < 0.97) == person else rng.choice([1, 2, 3]),
                      "value_text": None} for code in items if code not in ("FBK2", "FBK3")]
            rows += [{"response_id": rid, "item_code": code, "value_int": value, "value_text": text}
                     for code, value, text in (("OVR1", 5 if person else 2, None), ("CHANNEL", 1 if k % 3 else 2, None),
                                               ("SEX", 1 + k % 2, None),
                                               ("CMT1", None, "Tôi là Nguyễn Văn A, 0912345678"))]
        session.execute(Answer.__table__.insert(), rows)
    session.flush()
    if publish:
        publishing.publish(session, "test", wave)
    return {"wave": wave, **handles}


@pytest.fixture
def world(db_session):
    """The small province with one closed wave (rolled back after the test)."""
    return build_world(db_session)


@pytest.fixture
def viewer(world, db_session):
    """An agency viewer of the land department (sees it and nothing else)."""
    return create_user(db_session, "xem.tnmt", PASSWORD, "agency_viewer", agency_id=world["land"].id)


@pytest.fixture
def analyst(db_session):
    """A province-wide analyst."""
    return create_user(db_session, "phan.tich", PASSWORD, "analyst")
