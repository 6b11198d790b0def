"""Free text is redacted on write and filed as comment rows: the answer keeps only the redacted text, the
comment says where, which wave, which local day and the overall rating, and comment_raw keeps what was typed
where redaction changed it. Both write paths (the ORM's store_response, the walk-ups' group commit)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import pytest
import yaml
from sqlalchemy import select

from survey.models import Answer, Comment, CommentRaw, ContactRequest, Response
from survey.services.common.redact import PHONE
from survey.services.respond import batch, responses
from tests.respond import factories as f

SUBMITTED = datetime(2026, 12, 3, 18, 30)  # 01:30 on 4 December in Hà Nội: the comment's day is the local one
CALLBACK = [
    {
        "code": "CALLBACK",
        "type": "single",
        "text": {"vi": "Tôi muốn được liên hệ lại", "en": "Call me back"},
        "options": [{"code": 1, "label": {"vi": "Có", "en": "Yes"}}, {"code": 2, "label": {"vi": "Không", "en": "No"}}],
    },
    {
        "code": "CALLBACK_PHONE",
        "type": "phone",
        "required": True,
        "show_if": {"item": "CALLBACK", "in": [1]},
        "text": {"vi": "Số điện thoại", "en": "Phone number"},
    },
]


def callback_yaml(overall: str | None = "ACC2") -> str:
    """The respond tests' questionnaire with the call-back questions after its comment (and an overall item)."""
    content = yaml.safe_load(f.SERVICE_YAML)
    content["sections"][-1]["questions"] += CALLBACK
    if overall:
        content["overall_item"] = overall
    return yaml.safe_dump(content, allow_unicode=True)


@pytest.fixture
def world(db_session, monkeypatch):
    """A version with an overall item and call-back questions, a wave, an open invitation, an enrolled kiosk."""
    monkeypatch.setattr(responses, "utcnow", lambda: SUBMITTED)
    version = f.add_version(db_session, callback_yaml())
    reg = f.add_registry(db_session)
    wave = f.add_wave(db_session, version, reg)
    inv, _token = f.add_invitation(db_session, wave, reg)
    device, _credential = f.add_device(db_session, reg["point"])
    db_session.commit()
    return {"version": version, "reg": reg, "wave": wave, "inv": inv, "device": device}


def by_link(session, world, answers, other=None):
    """Store by the ORM path, as the link flow does (with the invitation)."""
    response, created = responses.store_response(
        session, world["version"], str(uuid.uuid4()), answers, other or {}, mode="link", invitation=world["inv"]
    )
    session.commit()
    assert created
    return response.id


def by_kiosk(app, world, answers, other=None):
    """Store by the group commit, as a kiosk walk-up is."""
    device = world["device"]
    values, rows = responses.prepare_response(
        world["version"],
        str(uuid.uuid4()),
        answers,
        other or {},
        mode="kiosk_walkup",
        device_id=device.id,
        service_point_id=device.service_point_id,
    )
    job = batch.committer_for(app).submit(batch.Job(values, rows, device.secret_hash))
    assert job.result == "stored"
    return job


def comments_of(session, response_id: int) -> dict[str, Comment]:
    session.expire_all()
    return {c.item_code: c for c in session.scalars(select(Comment).where(Comment.response_id == response_id))}


def texts_of(session, response_id: int) -> dict[str, str]:
    rows = session.execute(
        select(Answer.item_code, Answer.value_text).where(
            Answer.response_id == response_id, Answer.value_text.is_not(None)
        )
    )
    return dict(rows.all())


def test_a_link_answer_is_stored_redacted_and_filed_with_where_and_the_local_day(db_session, world):
    typed = "Cán bộ hẹn gọi lại số 0912 345 678 mà không gọi"
    rid = by_link(db_session, world, {"ACC1": 4, "ACC2": 2, "KQ1": 1, "CH": [9], "CMT": typed}, {"CH": "Loa phường"})
    assert texts_of(db_session, rid) == {"CMT": f"Cán bộ hẹn gọi lại số {PHONE} mà không gọi", "CH": "Loa phường"}
    found = comments_of(db_session, rid)
    cmt, other = found["CMT"], found["CH"]
    assert (cmt.text, cmt.redactions) == (f"Cán bộ hẹn gọi lại số {PHONE} mà không gọi", 1)
    assert cmt.folded == f"can bo hen goi lai so {PHONE} ma khong goi".replace("số điện thoại", "so dien thoai")
    assert cmt.raw is not None and cmt.raw.text == typed
    reg = world["reg"]
    for c in (cmt, other):
        assert (c.wave_id, c.agency_id, c.service_point_id) == (world["wave"].id, reg["agency"].id, reg["point"].id)
        assert (c.day, c.overall, c.probability_sample, c.tagged_at) == (date(2026, 12, 4), 2, True, None)
    assert (other.text, other.redactions, other.raw) == ("Loa phường", 0, None)  # nothing removed: no raw copy


def test_a_walkup_is_filed_without_wave_and_outside_the_probability_sample(app, db_session, world):
    job = by_kiosk(app, world, {"ACC1": 3, "KQ1": 1, "CMT": "Email tôi: an.nguyen@gmail.com, xe 29A-123.45"})
    rid = db_session.scalar(select(Response.id).where(Response.uuid == job.values["uuid"]))
    cmt = comments_of(db_session, rid)["CMT"]
    assert cmt.text == "Email tôi: [email], xe [biển số xe]" and cmt.redactions == 2
    assert cmt.raw.text == "Email tôi: an.nguyen@gmail.com, xe 29A-123.45"
    assert (cmt.wave_id, cmt.agency_id, cmt.service_point_id) == (None, None, world["device"].service_point_id)
    assert (cmt.day, cmt.overall, cmt.probability_sample) == (date(2026, 12, 4), None, False)  # ACC2 not answered
    assert texts_of(db_session, rid) == {"CMT": "Email tôi: [email], xe [biển số xe]"}


@pytest.mark.parametrize("path", ["link", "kiosk"])
def test_blank_hidden_and_unchosen_texts_file_nothing(app, db_session, world, path):
    answers = {"ACC1": 5, "ACC2": 1, "KQ1": 1, "KQ2": "gọi 0912345678", "CH": [1], "CMT": "   \n "}
    other = {"CH": "Zalo 0912345678"}  # the "other" option is not chosen: its box carries nothing
    if path == "link":
        rid = by_link(db_session, world, answers, other)
    else:
        uid = by_kiosk(app, world, answers, other).values["uuid"]
        rid = db_session.scalar(select(Response.id).where(Response.uuid == uid))
    assert comments_of(db_session, rid) == {} and texts_of(db_session, rid) == {}


def test_the_length_limit_is_on_what_was_typed_and_keeps_its_error(db_session, world):
    with pytest.raises(responses.SubmissionError) as caught:
        by_link(db_session, world, {"ACC1": 4, "KQ1": 1, "CMT": "0912345678 " + "x" * 990})
    assert [(e.item, e.code, e.message) for e in caught.value.errors] == [
        ("CMT", "too_long", "Nội dung quá dài (tối đa 1000 ký tự).")
    ]
    assert db_session.scalar(select(Comment.id)) is None and db_session.scalar(select(Response.id)) is None
    # KQ2 takes 50 characters: a phone at the limit is accepted although its placeholder is longer.
    typed = "Trễ 2 ngày, cán bộ bảo gọi 0912345678 để hỏi thêm"
    assert len(typed) <= 50
    rid = by_link(db_session, world, {"ACC1": 4, "KQ1": 2, "KQ2": typed, "LATE1": 3})
    assert comments_of(db_session, rid)["KQ2"].text == f"Trễ 2 ngày, cán bộ bảo gọi {PHONE} để hỏi thêm"


def test_a_resend_with_the_same_text_is_the_same_submission(app, db_session, world):
    device = world["device"]
    answers = {"ACC1": 3, "KQ1": 1, "CMT": "sđt 0912345678"}
    values, rows = responses.prepare_response(
        world["version"],
        str(uuid.uuid4()),
        answers,
        {},
        mode="kiosk_walkup",
        device_id=device.id,
        service_point_id=device.service_point_id,
    )
    committer = batch.committer_for(app)
    assert committer.submit(batch.Job(values, rows, device.secret_hash)).result == "stored"
    again = responses.prepare_response(
        world["version"],
        values["uuid"],
        answers,
        {},
        mode="kiosk_walkup",
        device_id=device.id,
        service_point_id=device.service_point_id,
    )
    assert committer.submit(batch.Job(*again, device.secret_hash)).result == "duplicate"
    rid = db_session.scalar(select(Response.id).where(Response.uuid == values["uuid"]))
    assert list(comments_of(db_session, rid)) == ["CMT"]


def test_a_batch_refused_by_the_database_still_files_its_neighbours_comments(app, db_session, world):
    """The fallback (one savepoint per submission) stores comments, raw texts and contacts too."""
    device = world["device"]

    def job(answers):
        values, rows = responses.prepare_response(
            world["version"],
            str(uuid.uuid4()),
            answers,
            {},
            mode="kiosk_walkup",
            device_id=device.id,
            service_point_id=device.service_point_id,
        )
        return batch.Job(values, rows, device.secret_hash)

    bad = job({"ACC1": 3, "KQ1": 1, "CMT": "hỏng"})
    bad.values["questionnaire_version_id"] = 987654  # no such version: the whole batch statement fails
    good = job({"ACC1": 3, "KQ1": 1, "CMT": "CCCD 001095001234", "CALLBACK": 1, "CALLBACK_PHONE": "0912 345 678"})
    committer = batch.committer_for(app)
    committer.queue.append(good)
    assert committer.submit(bad).result == "refused"
    assert good.result == "stored"
    rid = db_session.scalar(select(Response.id).where(Response.uuid == good.values["uuid"]))
    cmt = comments_of(db_session, rid)["CMT"]
    assert (cmt.text, cmt.raw.text) == ("CCCD [số giấy tờ]", "CCCD 001095001234")
    assert db_session.scalar(select(ContactRequest.phone).where(ContactRequest.response_id == rid)) == "0912345678"
    assert db_session.scalar(select(CommentRaw.text).join(Comment).where(Comment.text == "hỏng")) is None
