"""`hailong feedback backfill`: responses stored before comments existed get their free text redacted in place,
the typed text kept in comment_raw and comment rows filed as on write, in batches, printing progress; a rerun
does nothing, and responses stored since (already filed) are left alone."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from survey.models import Answer, AuditLog, Comment, CommentRaw, Response
from survey.services.common.redact import PHONE
from survey.services.feedback import backfill
from survey.services.respond import responses
from tests.feedback.test_comment_rows import callback_yaml
from tests.respond import factories as f

OLD = datetime(2025, 6, 30, 17, 5)  # 00:05 on 1 July in Hà Nội


@pytest.fixture
def old(db_session):
    """Three responses as stored before migration 0009 (answers as typed, no comments), and one stored since."""
    version = f.add_version(db_session, callback_yaml())
    reg = f.add_registry(db_session)
    wave = f.add_wave(db_session, version, reg)
    inv, _token = f.add_invitation(db_session, wave, reg)

    def add(answers: list[tuple[str, int | None, str | None]], **extra) -> int:
        columns = {"mode": "kiosk_walkup", "probability_sample": False, **extra}
        response = Response(
            uuid=str(uuid.uuid4()),
            questionnaire_version_id=version.id,
            submitted_at=OLD,
            service_point_id=reg["point"].id,
            **columns,
        )
        db_session.add(response)
        db_session.flush()
        db_session.add_all(
            [Answer(response_id=response.id, item_code=c, value_int=v, value_text=t) for c, v, t in answers]
        )
        return response.id

    ids = {
        "phone": add(
            [("ACC1", 4, None), ("ACC2", 1, None), ("CMT", None, "Gọi tôi: 0912 345 678, rất chậm")],
            mode="link",
            probability_sample=True,
            invitation_id=inv.id,
            wave_id=wave.id,
            agency_id=reg["agency"].id,
        ),
        "plain": add([("ACC1", 5, None), ("CH", 1, None), ("CH", 9, "Loa phường"), ("CMT", None, "Tốt lắm")]),
        "none": add([("ACC1", 3, None), ("KQ1", 1, None)]),
    }
    device, _credential = f.add_device(db_session, reg["point"])
    db_session.commit()
    new, _created = responses.store_response(
        db_session,
        version,
        str(uuid.uuid4()),
        {"ACC1": 4, "KQ1": 1, "CMT": "sđt 0987654321"},
        {},
        mode="kiosk_walkup",
        device_id=device.id,
        service_point_id=device.service_point_id,
    )
    db_session.commit()
    return {**ids, "new": new.id, "wave": wave, "reg": reg}


def filed(session) -> dict[tuple[int, str], Comment]:
    session.expire_all()
    return {(c.response_id, c.item_code): c for c in session.scalars(select(Comment))}


def test_backfill_redacts_in_place_keeps_the_typed_text_and_files_comments(runner, db_session, old):
    assert backfill.remaining(db_session) == 2
    result = runner.invoke(args=["feedback", "backfill", "--batch", "1"])
    assert result.exit_code == 0, result.output
    assert "1/2 phiếu" in result.output and "2/2 phiếu" in result.output  # progress after each batch
    assert "Xong: 2 phiếu, 3 ý kiến đưa vào hộp thư, 1 chỗ thông tin cá nhân đã che." in result.output
    comments = filed(db_session)
    assert set(comments) == {(old["phone"], "CMT"), (old["plain"], "CH"), (old["plain"], "CMT"), (old["new"], "CMT")}
    phone = comments[(old["phone"], "CMT")]
    assert (phone.text, phone.redactions, phone.raw.text) == (
        f"Gọi tôi: {PHONE}, rất chậm",
        1,
        "Gọi tôi: 0912 345 678, rất chậm",
    )
    assert phone.folded == "goi toi: [so dien thoai], rat cham"
    reg = old["reg"]
    assert (phone.wave_id, phone.agency_id, phone.service_point_id) == (
        old["wave"].id,
        reg["agency"].id,
        reg["point"].id,
    )
    assert (phone.day, phone.overall, phone.probability_sample, phone.created_at) == (date(2025, 7, 1), 1, True, OLD)
    plain = comments[(old["plain"], "CMT")]
    assert (plain.text, plain.raw, plain.overall, plain.probability_sample) == ("Tốt lắm", None, None, False)
    assert comments[(old["plain"], "CH")].text == "Loa phường"
    stored = db_session.scalar(
        select(Answer.value_text).where(Answer.response_id == old["phone"], Answer.item_code == "CMT")
    )
    assert stored == f"Gọi tôi: {PHONE}, rất chậm"
    audit = db_session.scalars(select(AuditLog).where(AuditLog.action == "feedback.backfill")).all()
    assert [(a.actor, a.details["responses"]) for a in audit] == [("cli", 1), ("cli", 1)]


def test_running_it_again_changes_nothing(runner, db_session, old):
    assert runner.invoke(args=["feedback", "backfill"]).exit_code == 0
    before = {k: (c.id, c.text) for k, c in filed(db_session).items()}
    raws = db_session.scalar(select(func.count()).select_from(CommentRaw))
    again = runner.invoke(args=["feedback", "backfill"])
    assert again.exit_code == 0 and "Không còn phiếu nào cần xử lý." in again.output
    assert {k: (c.id, c.text) for k, c in filed(db_session).items()} == before
    assert db_session.scalar(select(func.count()).select_from(CommentRaw)) == raws == 2  # old phone, new sđt
    assert backfill.remaining(db_session) == 0


def test_a_response_filed_on_write_is_left_as_it_was(runner, db_session, old):
    new = filed(db_session)[(old["new"], "CMT")]
    typed = new.raw.text
    assert runner.invoke(args=["feedback", "backfill"]).exit_code == 0
    again = filed(db_session)[(old["new"], "CMT")]
    assert (again.id, again.text, again.raw.text) == (new.id, "sđt [số điện thoại]", typed)


def test_the_batch_service_reads_only_after_the_given_response(db_session, old):
    step = backfill.backfill_batch(db_session, after_id=old["phone"], size=10)
    assert (step.last_id, step.responses, step.comments, step.redactions) == (old["plain"], 1, 2, 0)
    assert backfill.remaining(db_session) == 1 and backfill.remaining(db_session, after_id=old["phone"]) == 0
    assert backfill.backfill_batch(db_session, after_id=old["plain"]) == backfill.Step(old["plain"], 0, 0, 0)


def test_help_is_in_vietnamese(runner):
    result = runner.invoke(args=["feedback", "backfill", "--help"])
    assert result.exit_code == 0
    assert "Che thông tin cá nhân" in result.output and "Số phiếu xử lý trong mỗi giao dịch." in result.output
