"""The respond service's two write paths store the same rows: store_response (the ORM, hand-offs and links)
and the group commit (batch.py + writer.py, kiosk walk-ups).

The same walk-up submission, with the clock pinned, is stored once by each path; every column of its
`response` row, its `answer` rows, its `comment` rows (free text, redacted), their `comment_raw` rows and its
`contact_request` (the call-back phone) must then be identical (apart from ids and the UUID), as the database
driver returns them (on SQLite: the stored text of a timestamp or a day, the integer of a boolean).
"""
from __future__ import annotations

import uuid
from datetime import datetime

import pytest
import yaml
from sqlalchemy import select, text

from survey.models import Answer, Comment, ContactRequest, Response
from survey.services.respond import batch, responses
from tests.respond import factories as f

SUBMITTED = datetime(2026, 12, 3, 7, 9, 1, 654321)
STARTED = datetime(2026, 12, 3, 7, 5, 9, 123456)
SENT = datetime(2026, 12, 3, 7, 8, 0, 5)  # the tablet's submit time, before the server received it
TRICKY = 'Ý kiến: "tốt", back\\slash {a,b} NULL 😀\nxuống dòng, gọi 0912 345 678'
SUBMISSIONS = {  # answers, "other" texts, the rest of the submission
    "full": ({"ACC1": 4, "ACC2": 5, "KQ1": 1, "AGE": 40, "CH": [1, 9], "CMT": TRICKY, "CALLBACK": 1,
              "CALLBACK_PHONE": "+84 912.345.678"}, {"CH": 'khác "x" \\ {} a@b.vn'},
             dict(language="en", started_at=STARTED, partial=False, client_submitted_at=SENT)),
    "partial": ({"ACC1": 2, "CMT": "Chưa xong"}, {}, dict(language="vi", started_at=None, partial=True)),
    "no text": ({"ACC1": 3, "KQ1": 1, "CALLBACK": 2}, {}, dict(language="vi", started_at=None, partial=False)),
}
# The test questionnaire with the call-back questions of the bank's service forms after its comment.
CALLBACK = [
    {"code": "CALLBACK", "type": "single", "text": {"vi": "Tôi muốn được liên hệ lại", "en": "Call me back"},
     "options": [{"code": 1, "label": {"vi": "Có", "en": "Yes"}}, {"code": 2, "label": {"vi": "Không", "en": "No"}}]},
    {"code": "CALLBACK_PHONE", "type": "phone", "required": True, "show_if": {"item": "CALLBACK", "in": [1]},
     "text": {"vi": "Số điện thoại", "en": "Phone number"}},
]


def _sorted(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda row: [(value is None, str(value)) for value in row.values()])


def _rows(session, sql: str, rid: int, drop=("id", "response_id")) -> list[dict]:
    found = session.execute(text(sql), {"r": rid}).mappings()
    return _sorted([{k: v for k, v in row.items() if k not in drop} for row in found])


def _stored(session, response_uuid: str) -> tuple[dict, list[dict], list[dict], list[dict]]:
    """The response row, its answer rows, comment rows (with their raw text) and contacts as the driver returns
    them, without ids and UUID."""
    response = session.execute(text("SELECT * FROM response WHERE uuid = :u"), {"u": response_uuid}).mappings().one()
    rid = response["id"]
    return ({k: v for k, v in response.items() if k not in ("id", "uuid")},
            _rows(session, "SELECT * FROM answer WHERE response_id = :r", rid),
            _rows(session, "SELECT c.*, r.text AS raw FROM comment c LEFT JOIN comment_raw r ON r.comment_id = c.id "
                           "WHERE c.response_id = :r", rid),
            _rows(session, "SELECT * FROM contact_request WHERE response_id = :r", rid))


@pytest.mark.parametrize("case", sorted(SUBMISSIONS))
def test_orm_and_group_commit_store_identical_rows(app, db_session, survey_data, monkeypatch, case):
    monkeypatch.setattr(responses, "utcnow", lambda: SUBMITTED)  # submitted_at: the same moment on both paths
    device, _credential = f.add_device(db_session, survey_data["reg"]["point"])
    content = yaml.safe_load(f.SERVICE_YAML)
    content["sections"][-1]["questions"] += CALLBACK
    version = f.add_version(db_session, yaml.safe_dump(content, allow_unicode=True))
    db_session.commit()
    answers, other, rest = SUBMISSIONS[case]
    common = dict(mode="kiosk_walkup", device_id=device.id, service_point_id=device.service_point_id, **rest)

    by_orm = str(uuid.uuid4())
    _response, created = responses.store_response(db_session, version, by_orm, answers, other, **common)
    db_session.commit()
    by_batch = str(uuid.uuid4())
    values, rows = responses.prepare_response(version, by_batch, answers, other, **common)
    job = batch.committer_for(app).submit(batch.Job(values, rows, device.secret_hash))
    assert (created, job.result) == (True, "stored")

    orm_response, orm_answers, orm_comments, orm_contacts = _stored(db_session, by_orm)
    batch_response, batch_answers, batch_comments, batch_contacts = _stored(db_session, by_batch)
    assert set(orm_response) == {c.name for c in Response.__table__.columns} - {"id", "uuid"}
    assert set(orm_answers[0]) == {c.name for c in Answer.__table__.columns} - {"id", "response_id"}
    assert batch_response == orm_response
    assert (orm_response["client_submitted_at"] is not None) == (case == "full")  # the tablet's time, kept
    assert batch_answers == orm_answers
    assert batch_comments == orm_comments
    assert batch_contacts == orm_contacts
    expected = {"full": (["CH", "CMT"], ["+84 912.345.678"]), "partial": (["CMT"], []), "no text": ([], [])}[case]
    assert sorted(c["item_code"] for c in orm_comments) == expected[0]
    assert [c["phone"] for c in orm_contacts] == (["0912345678"] if expected[1] else [])
    if orm_comments:
        assert set(orm_comments[0]) == {c.name for c in Comment.__table__.columns} - {"id", "response_id"} | {"raw"}
    if orm_contacts:
        assert set(orm_contacts[0]) == {c.name for c in ContactRequest.__table__.columns} - {"id", "response_id"}
    assert all("0912" not in (a["value_text"] or "") and "@" not in (a["value_text"] or "") for a in orm_answers)
    assert "CALLBACK_PHONE" not in {a["item_code"] for a in orm_answers}
    # And both are what was validated: a column both paths dropped or changed alike fails here.
    assert set(values) == {c.name for c in Response.__table__.columns} - {"id"}
    typed = db_session.execute(select(Response.__table__).where(Response.uuid == by_batch)).mappings().one()
    assert {name: typed[name] for name in values} == values
    typed_answers = db_session.execute(select(Answer.item_code, Answer.value_int, Answer.value_text)
                                       .where(Answer.response_id == typed["id"])).mappings()
    assert _sorted([dict(row) for row in typed_answers]) == _sorted(rows)
