"""The respond service's two write paths store the same rows: store_response (the ORM, hand-offs and links)
and the group commit (batch.py + writer.py, kiosk walk-ups).

The same walk-up submission, with the clock pinned, is stored once by each path; every column of its
`response` row and of its `answer` rows must then be identical (apart from the ids and the UUID), as the
database driver returns them (on SQLite: the stored text of a timestamp, the integer of a boolean).
"""
from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from sqlalchemy import select, text

from survey.models import Answer, Response
from survey.services.respond import batch, responses
from tests.respond import factories as f

SUBMITTED = datetime(2026, 12, 3, 7, 9, 1, 654321)
STARTED = datetime(2026, 12, 3, 7, 5, 9, 123456)
TRICKY = 'Ý kiến: "tốt", back\\slash {a,b} NULL 😀\nxuống dòng'
SUBMISSIONS = {  # answers, "other" texts, the rest of the submission
    "full": ({"ACC1": 4, "ACC2": 5, "KQ1": 1, "AGE": 40, "CH": [1, 9], "CMT": TRICKY}, {"CH": 'khác "x" \\ {}'},
             dict(language="en", started_at=STARTED, partial=False)),
    "partial": ({"ACC1": 2, "CMT": "Chưa xong"}, {}, dict(language="vi", started_at=None, partial=True)),
}


def _sorted(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda row: [(value is None, str(value)) for value in row.values()])


def _stored(session, response_uuid: str) -> tuple[dict, list[dict]]:
    """The response row and its answer rows as the driver returns them, without ids and UUID."""
    response = session.execute(text("SELECT * FROM response WHERE uuid = :u"), {"u": response_uuid}).mappings().one()
    answers = session.execute(text("SELECT * FROM answer WHERE response_id = :r"), {"r": response["id"]}).mappings()
    return ({k: v for k, v in response.items() if k not in ("id", "uuid")},
            _sorted([{k: v for k, v in row.items() if k not in ("id", "response_id")} for row in answers]))


@pytest.mark.parametrize("case", sorted(SUBMISSIONS))
def test_orm_and_group_commit_store_identical_rows(app, db_session, survey_data, monkeypatch, case):
    monkeypatch.setattr(responses, "utcnow", lambda: SUBMITTED)  # submitted_at: the same moment on both paths
    device, _credential = f.add_device(db_session, survey_data["reg"]["point"])
    db_session.commit()
    version, (answers, other, rest) = survey_data["version"], SUBMISSIONS[case]
    common = dict(mode="kiosk_walkup", device_id=device.id, service_point_id=device.service_point_id, **rest)

    by_orm = str(uuid.uuid4())
    _response, created = responses.store_response(db_session, version, by_orm, answers, other, **common)
    db_session.commit()
    by_batch = str(uuid.uuid4())
    values, rows = responses.prepare_response(version, by_batch, answers, other, **common)
    job = batch.committer_for(app).submit(batch.Job(values, rows, device.secret_hash))
    assert (created, job.result) == (True, "stored")

    orm_response, orm_answers = _stored(db_session, by_orm)
    batch_response, batch_answers = _stored(db_session, by_batch)
    assert set(orm_response) == {c.name for c in Response.__table__.columns} - {"id", "uuid"}
    assert set(orm_answers[0]) == {c.name for c in Answer.__table__.columns} - {"id", "response_id"}
    assert batch_response == orm_response
    assert batch_answers == orm_answers
    # And both are what was validated: a column both paths dropped or changed alike fails here.
    assert set(values) == {c.name for c in Response.__table__.columns} - {"id"}
    typed = db_session.execute(select(Response.__table__).where(Response.uuid == by_batch)).mappings().one()
    assert {name: typed[name] for name in values} == values
    typed_answers = db_session.execute(select(Answer.item_code, Answer.value_int, Answer.value_text)
                                       .where(Answer.response_id == typed["id"])).mappings()
    assert _sorted([dict(row) for row in typed_answers]) == _sorted(rows)
