"""Test data for the citizen's side: two tiny questionnaires in the bank format and a sampled dossier.

The questionnaires follow docs/questionnaire-format.md; they are inserted directly so these tests
do not depend on the questionnaire loader.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from datetime import date, datetime, timedelta

import yaml
from sqlalchemy import select

from survey.models import (
    Agency,
    Device,
    Dossier,
    Invitation,
    Questionnaire,
    QuestionnaireVersion,
    Sector,
    ServicePoint,
    SourceSystem,
    Wave,
    WaveStratum,
)
from survey.models._base import utcnow
from survey.services.common.tokens import hash_token, new_token

SERVICE_YAML = """
instrument: test-service
version: "t1"
title: {vi: "Khảo sát thử", en: "Test survey"}
description: {vi: "Về lần giải quyết thủ tục vừa rồi.", en: "About your recent procedure."}
estimated_minutes: 3
kiosk: {partial_on_timeout: keep}
scales:
  sat5:
    codes:
      - {code: 1, label: {vi: "Rất không hài lòng", en: "Very dissatisfied"}}
      - {code: 2, label: {vi: "Không hài lòng", en: "Dissatisfied"}}
      - {code: 3, label: {vi: "Bình thường", en: "Neutral"}}
      - {code: 4, label: {vi: "Hài lòng", en: "Satisfied"}}
      - {code: 5, label: {vi: "Rất hài lòng", en: "Very satisfied"}}
    satisfied: [4, 5]
sections:
  - id: access
    title: {vi: "Tiếp cận dịch vụ", en: "Access"}
    questions:
      - {code: ACC1, type: scale, scale: sat5, required: true,
         text: {vi: "Nơi ngồi chờ có đủ chỗ không?", en: "Enough seats?"}}
      - {code: ACC2, type: scale, scale: sat5, text: {vi: "Trang thiết bị", en: "Equipment"}}
  - id: result
    title: {vi: "Kết quả", en: "Result"}
    questions:
      - code: KQ1
        type: single
        required: true
        text: {vi: "Bạn nhận kết quả đúng hẹn không?", en: "On time?"}
        options:
          - {code: 1, label: {vi: "Có", en: "Yes"}}
          - {code: 2, label: {vi: "Không", en: "No"}}
      - {code: KQ2, type: text, required: true, max_length: 50, show_if: {item: KQ1, in: [2]},
         text: {vi: "Trễ bao lâu?", en: "How late?"}}
  - id: late
    title: {vi: "Khi trễ hẹn", en: "When late"}
    questions:
      - {code: LATE1, type: scale, scale: sat5, required: true, show_if: {item: KQ1, in: [2]},
         text: {vi: "Cơ quan có xin lỗi không?", en: "Apology?"}}
  - id: profile
    title: {vi: "Thông tin thêm", en: "About you"}
    questions:
      - {code: AGE, type: number, min: 18, max: 120, text: {vi: "Tuổi", en: "Age"}}
      - code: CH
        type: multiple
        text: {vi: "Kênh thông tin", en: "Channels"}
        other_text: 9
        options:
          - {code: 1, label: {vi: "Loa", en: "Loudspeaker"}}
          - {code: 2, label: {vi: "Internet", en: "Internet"}}
          - {code: 9, label: {vi: "Khác", en: "Other"}}
      - {code: CMT, type: text, text: {vi: "Ý kiến khác", en: "Comments"}}
"""

QUICK_YAML = """
instrument: kiosk-quick
version: "t1"
title: {vi: "Đánh giá nhanh", en: "Quick rating"}
estimated_minutes: 1
kiosk: {partial_on_timeout: discard}
scales:
  face3:
    codes:
      - {code: 1, label: {vi: "Chưa hài lòng", en: "Not satisfied"}}
      - {code: 2, label: {vi: "Hài lòng", en: "Satisfied"}}
      - {code: 3, label: {vi: "Rất hài lòng", en: "Very satisfied"}}
    satisfied: [2, 3]
    faces: true
sections:
  - id: rate
    title: {vi: "Đánh giá", en: "Rating"}
    questions:
      - {code: QK1, type: scale, scale: face3, required: true,
         text: {vi: "Bạn đánh giá thái độ của công chức thế nào?", en: "How was the official's attitude?"}}
  - id: reason
    title: {vi: "Lý do", en: "Reason"}
    questions:
      - code: QK2
        type: multiple
        show_if: {item: QK1, in: [1]}
        other_text: 9
        text: {vi: "Vì sao bạn chưa hài lòng?", en: "Why not satisfied?"}
        options:
          - {code: 1, label: {vi: "Phải chờ lâu", en: "Long wait"}}
          - {code: 2, label: {vi: "Hướng dẫn chưa rõ", en: "Unclear guidance"}}
          - {code: 9, label: {vi: "Lý do khác", en: "Other reason"}}
"""


def add_version(session, text: str) -> QuestionnaireVersion:
    """Insert a questionnaire version from YAML text (content hash as the loader computes it)."""
    content = yaml.safe_load(text)
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    q = session.scalar(select(Questionnaire).where(Questionnaire.instrument == content["instrument"]))
    if q is None:
        q = Questionnaire(instrument=content["instrument"], title_vi=content["title"]["vi"],
                          title_en=content["title"]["en"])
        session.add(q)
        session.flush()
    label = content["version"] + "-" + uuid.uuid4().hex[:6]  # never clashes with a loaded bank
    version = QuestionnaireVersion(questionnaire_id=q.id, version=label, content=content,
                                   content_hash=hashlib.sha256(canonical.encode()).hexdigest())
    session.add(version)
    session.flush()
    return version


def add_registry(session, suffix: str = "") -> dict:
    """An agency, a sector, a service point and a source system."""
    tag = suffix or uuid.uuid4().hex[:6]
    agency = Agency(code="A" + tag, name_vi="Sở Tư pháp " + tag, level="department")
    sector = Sector(code="S" + tag, name_vi="Tư pháp")
    session.add_all([agency, sector])
    session.flush()
    point = ServicePoint(code="SP" + tag, name_vi="Trung tâm Phục vụ Hành chính công tỉnh",
                         name_en="Provincial Public Administration Service Centre",
                         kind="province_centre", agency_id=agency.id)
    source = SourceSystem(code="SRC" + tag, name="Một cửa")
    session.add_all([point, source])
    session.flush()
    return {"agency": agency, "sector": sector, "point": point, "source": source}


def add_wave(session, version: QuestionnaireVersion, reg: dict, status: str = "launched") -> Wave:
    """A launched wave on `version` with one stratum."""
    wave = Wave(code="W" + uuid.uuid4().hex[:8], name="Đợt thử", period_start=date(2025, 1, 1),
                period_end=date(2025, 12, 31), questionnaire_version_id=version.id, seed="s",
                status=status)
    session.add(wave)
    session.flush()
    session.add(WaveStratum(wave_id=wave.id, key="k", agency_id=reg["agency"].id,
                            sector_id=reg["sector"].id, pi=0.5))
    session.flush()
    return wave


def add_invitation(session, wave: Wave, reg: dict, *, expires_in_days: float = 30,
                   external_id: str | None = None) -> tuple[Invitation, str]:
    """A dossier of the service point and an invitation to it; returns (invitation, token)."""
    now = utcnow()
    dossier = Dossier(source_system_id=reg["source"].id, external_id=external_id or uuid.uuid4().hex[:12],
                      agency_id=reg["agency"].id, sector_id=reg["sector"].id,
                      service_point_id=reg["point"].id, channel="in_person",
                      received_at=now - timedelta(days=5), completed_at=now, outcome="approved",
                      content_hash="x")
    session.add(dossier)
    session.flush()
    token = new_token()
    inv = Invitation(wave_id=wave.id, stratum_id=wave.strata[0].id, dossier_id=dossier.id,
                     token_hash=hash_token(token), pi=0.5, agency_id=reg["agency"].id,
                     sector_id=reg["sector"].id, service_point_id=reg["point"].id, outcome="approved",
                     expires_at=now + timedelta(days=expires_in_days))
    session.add(inv)
    session.flush()
    return inv, token


def add_device(session, point: ServicePoint) -> tuple[Device, str]:
    """An enrolled device of `point`; returns (device, credential)."""
    from survey.services.kiosk.devices import create_device, enrol

    device, code = create_device(session, point, "Máy thử")
    return enrol(session, code)


FULL_ANSWERS = {"ACC1": 4, "ACC2": 5, "KQ1": 1, "AGE": 40, "CH": [1, 9], "CMT": "Tốt"}
FULL_OTHER = {"CH": "Zalo"}


def iso(dt: datetime) -> str:
    """ISO text of a naive datetime."""
    return dt.isoformat()
