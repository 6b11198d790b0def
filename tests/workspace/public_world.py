"""A small province's public health (or education) wave for tests: facilities under two communes and one
under the Department of Health, invitations with event types, answers with known tendencies, published.

Facilities (key, code, name, parent, event type, population, respondents, P(satisfied)): the district
hospital (commune A, inpatient, good), the commune health station (commune B, outpatient, middling) and the
provincial hospital (under the department: no commune-level area; too few answers to rank).
"""
from __future__ import annotations

import os
import random
import uuid
from datetime import date, datetime

from sqlalchemy import insert

from survey import QUESTIONNAIRE_DIR
from survey.models import (
    Agency,
    Answer,
    Dossier,
    Invitation,
    QuestionnaireVersion,
    Response,
    Sector,
    SourceSystem,
    Target,
    Wave,
    WaveStratum,
)
from survey.services.common.tokens import hash_token
from survey.services.questionnaires.bank import index_structure, load_file
from survey.services.workspace import publishing

FACILITIES = {
    "health": [("h1", "BV-CX", "Bệnh viện đa khoa Cẩm Xuyên", "commune_a", "inpatient", 500, 80, 0.93),
               ("h2", "TYT-CB", "Trạm y tế xã Cẩm Bình", "commune_b", "outpatient", 300, 60, 0.70),
               ("h3", "BV-T", "Bệnh viện đa khoa tỉnh", "doh", "inpatient", 900, 14, 0.85)],
    "education": [("s1", "TH-CX", "Trường Tiểu học Cẩm Xuyên", "commune_a", "primary", 400, 70, 0.95),
                  ("s2", "TH-CB", "Trường Tiểu học Cẩm Bình", "commune_b", "primary", 250, 50, 0.75),
                  ("s3", "TH-T", "Trường Tiểu học Thực hành", "doh", "primary", 200, 10, 0.8)]}
INSTRUMENT = {"health": "health-inpatient.yaml", "education": "education-primary.yaml"}
LEVEL = {"health": "health_facility", "education": "school"}
AREA_CODES = {"commune_a": "42001", "commune_b": "42002"}
KIND = {"health": "hospital_visit", "education": "school_enrolment"}
MANAGER = {"health": ("PS-SYT", "Sở Y tế tỉnh Thử"), "education": ("PS-SGD", "Sở Giáo dục và Đào tạo tỉnh Thử")}


def _registry(session, service: str) -> dict:
    handles = session.info.setdefault("ps_handles", {})
    if "province" not in handles:
        handles["province"] = Agency(code="PS-UBND", name_vi="Ủy ban nhân dân tỉnh Thử", level="province")
        session.add(handles["province"])
        session.flush()
        for key, code, name in (("commune_a", "PS-XA", "Ủy ban nhân dân xã Cẩm Xuyên"),
                                ("commune_b", "PS-XB", "Ủy ban nhân dân xã Cẩm Bình")):
            handles[key] = Agency(code=code, name_vi=name, name_en=name + " (en)", level="commune",
                                  parent_id=handles["province"].id, official_code=AREA_CODES[key])
            session.add(handles[key])
        for year, value in ((2025, 85), (2030, 90)):
            for sector in ("health", "education"):
                session.add(Target(year=year, scope="public_service", sector_code=sector, value=value,
                                   label_vi="Mục tiêu %s %d" % (sector, year)))
        session.add(Target(year=2025, scope="tthc", value=90, label_vi="Mục tiêu TTHC 2025"))
        handles["source"] = SourceSystem(code="PS-HIS", name="Phần mềm bệnh viện, trường học (thử)")
        session.add(handles["source"])
        session.flush()
    if service not in handles:
        code, name = MANAGER[service]
        doh = Agency(code=code, name_vi=name, level="department", parent_id=handles["province"].id)
        sector = Sector(code=service, name_vi={"health": "Y tế", "education": "Giáo dục"}[service], name_en=service)
        session.add_all([doh, sector])
        session.flush()
        handles[service] = {"doh": doh, "sector": sector}
        for key, acode, aname, parent, *_rest in FACILITIES[service]:
            owner = doh if parent == "doh" else handles[parent]
            handles[service][key] = Agency(code=acode, name_vi=aname, name_en=aname + " (en)", level=LEVEL[service],
                                           parent_id=owner.id)
            session.add(handles[service][key])
        session.flush()
    return handles


def residence(facility: str, k: int) -> str | None:
    """The citizen's commune code sent with the k-th event of a facility: the district hospital's patients
    come from both communes, the station's from its own, the provincial hospital's source sends none."""
    if facility in ("h1", "s1"):
        return AREA_CODES["commune_b" if k % 3 == 0 else "commune_a"]
    return AREA_CODES["commune_b"] if facility in ("h2", "s2") else None


def build_public_wave(session, service: str = "health", code: str = "PS-2025", seed: int = 3, publish: bool = True):
    """Registry, targets and one closed public-service wave with answers, published (returns handles)."""
    rng = random.Random(seed)
    loaded = load_file(session, os.path.join(QUESTIONNAIRE_DIR, INSTRUMENT[service]))
    version = session.get(QuestionnaireVersion, loaded.version_id)
    handles = _registry(session, service)
    own = handles[service]
    tree = index_structure(version.content)
    wave = Wave(code=code, name="Đợt thử " + code, period_start=date(2025, 7, 1), period_end=date(2025, 9, 30),
                questionnaire_version_id=version.id, seed="s", status="closed", design={"scheme": "agency_sector"},
                launched_at=datetime(2025, 7, 1), closed_at=datetime(2025, 10, 20))
    session.add(wave)
    session.flush()
    for key, _code, _name, _parent, event_type, population, n, p in FACILITIES[service]:
        agency, sector = own[key], own["sector"]
        invited = int(n * 1.5)
        stratum = WaveStratum(wave_id=wave.id, key="%s|%s" % (agency.code, service), agency_id=agency.id,
                              sector_id=sector.id, pi=invited / population, population=population,
                              population_prev=population)
        session.add(stratum)
        session.flush()
        dossier_rows = [{"source_system_id": handles["source"].id, "external_id": "%s-%s-%d" % (code, key, k),
                         "kind": KIND[service], "agency_id": agency.id, "sector_id": sector.id,
                         "event_type": event_type, "citizen_area_code": residence(key, k), "channel": "in_person",
                         "received_at": datetime(2025, 7, 2), "completed_at": datetime(2025, 7, 3),
                         "outcome": "approved", "content_hash": "x"} for k in range(invited)]
        dossier_ids = session.execute(insert(Dossier.__table__).returning(Dossier.__table__.c.id,
                                                                          sort_by_parameter_order=True),
                                      dossier_rows).scalars().all()
        inv_rows = [{"wave_id": wave.id, "dossier_id": dossier_ids[k], "stratum_id": stratum.id,
                     "token_hash": hash_token(uuid.uuid4().hex),
                     "pi": stratum.pi, "agency_id": agency.id, "sector_id": sector.id, "service_point_id": None,
                     "outcome": "approved", "channel": "link", "status": "completed" if k < n else "expired",
                     "expires_at": datetime(2025, 11, 1), "created_at": datetime(2025, 7, 2),
                     "event_type": event_type} for k in range(invited)]
        inv_ids = session.execute(insert(Invitation.__table__).returning(Invitation.__table__.c.id,
                                                                         sort_by_parameter_order=True),
                                  inv_rows).scalars().all()
        resp_rows = [{"uuid": str(uuid.UUID(int=rng.getrandbits(128))), "invitation_id": inv_ids[k],
                      "questionnaire_version_id": version.id, "wave_id": wave.id, "agency_id": agency.id,
                      "sector_id": sector.id, "service_point_id": None, "mode": "link", "probability_sample": True,
                      "partial": False, "language": "vi", "submitted_at": datetime(2025, 8, 1)} for k in range(n)]
        resp_ids = session.execute(insert(Response.__table__).returning(Response.__table__.c.id,
                                                                        sort_by_parameter_order=True),
                                   resp_rows).scalars().all()
        rows = []
        for rid in resp_ids:
            person = rng.random() < p
            for code_ in tree["items"]:
                if rng.random() < 0.08:  # "không sử dụng": no answer
                    continue
                happy = (rng.random() < 0.9) == person
                rows.append({"response_id": rid, "item_code": code_, "value_text": None,
                             "value_int": rng.choice([4, 5]) if happy else rng.choice([1, 2, 3])})
            if tree.get("overall_item"):
                rows.append({"response_id": rid, "item_code": tree["overall_item"], "value_text": None,
                             "value_int": rng.choice([4, 5]) if person else rng.choice([2, 3])})
        session.execute(Answer.__table__.insert(), rows)
    session.flush()
    if publish:
        publishing.publish(session, "test", wave)
    return {"wave": wave, "version": version, **handles, **own}
