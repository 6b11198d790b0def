"""Score rows (response_score): written with the answers by both write paths, backfilled, checked.

The bits are those the index table reads (survey/services/respond/scores.py): index items in
`satisfied`/`valid`, the coded questions outside the index in `answered`, their options in `chosen`,
the overall item's code in `overall`. A questionnaire of 65 index items needs two blocks.
"""
from __future__ import annotations

import uuid

import pytest
import yaml
from sqlalchemy import delete, func, select, text, update

from survey.models import Answer, AuditLog, Response, ResponseScore
from survey.services.respond import batch, rescore, responses, scores
from tests.respond import factories as f

WIDE = 65  # index items: one more block than 60 bits hold


def _content() -> dict:
    """The test questionnaire with an index of WIDE scale items and an overall item, before its profile."""
    content = yaml.safe_load(f.SERVICE_YAML)
    items = [{"code": "I%02d" % k, "type": "scale", "scale": "sat5", "text": {"vi": "Mục %d" % k, "en": "Item %d" % k}}
             for k in range(WIDE)]
    overall = {"code": "OVR", "type": "scale", "scale": "sat5", "text": {"vi": "Chung", "en": "Overall"}}
    content["sections"].insert(0, {"id": "index", "title": {"vi": "Chỉ số", "en": "Index"},
                                   "questions": [*items, overall]})
    content["index"] = {"elements": {"E1": {"label": {"vi": "E1", "en": "E1"}, "items": [q["code"] for q in items]}},
                        "parts": {"services": {"label": {"vi": "DV", "en": "S"}, "elements": ["E1"]}}}
    content["overall_item"] = "OVR"
    return content


ANSWERS = {"I00": 5, "I01": 3, "I59": 4, "I60": 1, "I64": 4, "OVR": 2, "ACC1": 4, "KQ1": 2, "KQ2": "Hai ngày",
           "LATE1": 1, "CH": [1, 9], "AGE": 40}


@pytest.fixture
def wide(db_session, survey_data):
    """A version with the wide index, a launched wave of it and an open invitation, and a kiosk device."""
    version = f.add_version(db_session, yaml.safe_dump(_content(), allow_unicode=True))
    wave = f.add_wave(db_session, version, survey_data["reg"])
    inv, _token = f.add_invitation(db_session, wave, survey_data["reg"])
    device, _credential = f.add_device(db_session, survey_data["reg"]["point"])
    db_session.commit()
    return {"version": version, "wave": wave, "inv": inv, "device": device}


def _scores(session, response_id: int) -> list[dict]:
    """The stored score rows of a response, without its id, as the driver returns them."""
    found = session.execute(text("SELECT * FROM response_score WHERE response_id = :r ORDER BY block"),
                            {"r": response_id}).mappings()
    return [{k: v for k, v in row.items() if k != "response_id"} for row in found]


def _rid(session, response_uuid: str) -> int:
    return session.scalar(select(Response.id).where(Response.uuid == response_uuid))


def test_the_bits_follow_the_index_order_over_two_blocks_and_the_options_of_the_other_questions():
    content = _content()
    layout = scores.layout_for(content)
    pairs = [(k, v) for k, v in ANSWERS.items() if isinstance(v, int)] + [("CH", 1), ("CH", 9)]
    rows = scores.score_rows(layout, pairs, 7, 3)
    assert layout.blocks == 2 and [r["block"] for r in rows] == [0, 1]
    # valid: I00, I01, I59 (block 0), I60, I64 (block 1); satisfied: I00, I59 | I64
    assert rows[0]["valid"] == 1 | 2 | 1 << 59 and rows[0]["satisfied"] == 1 | 1 << 59
    assert rows[1]["valid"] == 1 | 1 << 4 and rows[1]["satisfied"] == 1 << 4
    # outside the index, the overall item and the profile section (AGE, CH), in questionnaire order
    assert layout.questions == ("ACC1", "ACC2", "KQ1", "LATE1")
    assert rows[0]["answered"] == 0b1101 and rows[1]["answered"] == 0
    slots = [layout.slots[k] for k in (("ACC1", 4), ("KQ1", 2), ("LATE1", 1))]
    assert rows[0]["chosen"] == sum(1 << s for s in slots)
    assert (rows[0]["overall"], rows[1]["overall"]) == (2, None)
    assert {(r["wave_id"], r["questionnaire_version_id"]) for r in rows} == {(7, 3)}


def test_a_questionnaire_without_coded_questions_still_gets_one_row():
    content = {"sections": [{"id": "s", "questions": [{"code": "T", "type": "text", "text": {"vi": "T"}}]}]}
    rows = scores.score_rows(scores.layout_for(content), [("T", None)], None, 1)
    assert rows == [{"block": 0, "wave_id": None, "questionnaire_version_id": 1, "satisfied": 0, "valid": 0,
                     "chosen": 0, "answered": 0, "overall": None}]


def test_a_link_answer_stores_its_score_rows_in_the_same_transaction(db_session, wide):
    response, created = responses.store_response(db_session, wide["version"], str(uuid.uuid4()), ANSWERS, {},
                                                 mode="link", invitation=wide["inv"])
    db_session.commit()
    stored = _scores(db_session, response.id)
    assert created and [r["block"] for r in stored] == [0, 1]
    assert {(r["wave_id"], r["questionnaire_version_id"]) for r in stored} == {(wide["wave"].id, wide["version"].id)}
    assert stored[0]["satisfied"] == 1 | 1 << 59 and stored[1]["satisfied"] == 1 << 4 and stored[0]["overall"] == 2


def test_both_write_paths_store_identical_score_rows(app, db_session, wide):
    common = dict(mode="kiosk_walkup", device_id=wide["device"].id, service_point_id=wide["device"].service_point_id)
    by_orm, by_batch = str(uuid.uuid4()), str(uuid.uuid4())
    responses.store_response(db_session, wide["version"], by_orm, ANSWERS, {}, **common)
    db_session.commit()
    values, rows = responses.prepare_response(wide["version"], by_batch, ANSWERS, {}, **common)
    job = batch.committer_for(app).submit(batch.Job(values, rows, wide["device"].secret_hash))
    assert job.result == "stored"
    orm, grouped = _scores(db_session, _rid(db_session, by_orm)), _scores(db_session, _rid(db_session, by_batch))
    assert len(orm) == 2 and orm == grouped
    # and both are what the answers give (what `scores check` and the backfill compute)
    assert grouped == rescore.computed(db_session, [_rid(db_session, by_batch)])[_rid(db_session, by_batch)]


def test_the_group_commit_fallback_stores_score_rows_too(app, db_session, wide):
    values, rows = responses.prepare_response(wide["version"], str(uuid.uuid4()), ANSWERS, {}, mode="kiosk_walkup",
                                              device_id=wide["device"].id)
    job = batch.Job(values, rows, wide["device"].secret_hash)
    batch.Committer._one(db_session.connection(), job)  # the path taken when the batch statement is refused
    assert job.result == "stored"
    assert len(_scores(db_session, _rid(db_session, values["uuid"]))) == 2


def test_deleting_a_response_deletes_its_score_rows(db_session, wide):
    response, _ = responses.store_response(db_session, wide["version"], str(uuid.uuid4()), ANSWERS, {},
                                           mode="link", invitation=wide["inv"])
    db_session.commit()
    db_session.execute(delete(Response).where(Response.id == response.id))
    assert db_session.scalar(select(func.count()).select_from(ResponseScore)
                             .where(ResponseScore.response_id == response.id)) == 0


def _three_unscored(db_session, wide) -> tuple[list[int], dict]:
    """Three walk-ups stored by the ORM path, then their score rows deleted (as before migration 0012)."""
    ids = []
    for k in range(3):
        answers = {**ANSWERS, "I00": 1 + k}
        response, _ = responses.store_response(db_session, wide["version"], str(uuid.uuid4()), answers, {},
                                               mode="kiosk_walkup", device_id=wide["device"].id)
        ids.append(response.id)
    db_session.commit()
    want = {rid: _scores(db_session, rid) for rid in ids}
    db_session.execute(delete(ResponseScore).where(ResponseScore.response_id.in_(ids)))
    db_session.commit()
    return ids, want


def test_the_backfill_resumes_after_an_interruption_and_writes_what_the_write_path_wrote(db_session, runner, wide):
    ids, want = _three_unscored(db_session, wide)
    first = runner.invoke(args=["scores", "backfill", "--batch-size", "2", "--max-batches", "1"])
    assert first.exit_code == 0, first.output
    assert "Đã dừng sau 1 lô" in first.output
    assert [rid for rid in ids if _scores(db_session, rid)] == ids[:2]
    again = runner.invoke(args=["scores", "backfill", "--batch-size", "2"])
    assert again.exit_code == 0 and "100.0 %" in again.output, again.output
    assert {rid: _scores(db_session, rid) for rid in ids} == want
    assert runner.invoke(args=["scores", "backfill"]).output.startswith("Mọi phiếu đã có điểm lưu sẵn")
    audits = select(func.count()).select_from(AuditLog).where(AuditLog.action == "scores.backfill")
    assert db_session.scalar(audits) == 2  # one per batch


def test_a_backfill_stopped_by_an_error_keeps_the_batches_before_it(db_session, runner, wide, monkeypatch):
    ids, _want = _three_unscored(db_session, wide)
    real, calls = rescore.backfill_batch, []

    def failing(session, after_id=0, size=rescore.BATCH, actor="cli"):
        calls.append(after_id)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the operator's Ctrl-C in the second batch
        return real(session, after_id, size, actor)

    monkeypatch.setattr(rescore, "backfill_batch", failing)
    runner.invoke(args=["scores", "backfill", "--batch-size", "1"])
    assert [rid for rid in ids if _scores(db_session, rid)] == ids[:1]
    monkeypatch.setattr(rescore, "backfill_batch", real)
    assert runner.invoke(args=["scores", "backfill", "--batch-size", "1"]).exit_code == 0
    assert all(_scores(db_session, rid) for rid in ids)


def test_the_check_finds_a_tampered_and_a_missing_row(db_session, runner, wide):
    ids, _want = _three_unscored(db_session, wide)
    assert runner.invoke(args=["scores", "backfill"]).exit_code == 0
    clean = runner.invoke(args=["scores", "check", "--batch-size", "2"])
    assert clean.exit_code == 0 and "Khớp" in clean.output, clean.output
    db_session.execute(update(ResponseScore).where(ResponseScore.response_id == ids[1], ResponseScore.block == 1)
                       .values(satisfied=ResponseScore.satisfied + 2))  # I61's bit, not answered
    db_session.execute(delete(ResponseScore).where(ResponseScore.response_id == ids[2]))
    db_session.commit()
    found = runner.invoke(args=["scores", "check", "--batch-size", "2"])
    assert found.exit_code == 1, found.output
    assert f"phiếu #{ids[1]}: điểm lưu sẵn khác câu trả lời" in found.output
    assert f"phiếu #{ids[2]}: thiếu điểm lưu sẵn" in found.output
    assert f"phiếu #{ids[0]}" not in found.output
    assert "1 phiếu thiếu điểm lưu sẵn, 1 phiếu có điểm khác câu trả lời" in found.output


def test_the_check_also_sees_an_answer_changed_under_its_score(db_session, runner, wide):
    ids, _want = _three_unscored(db_session, wide)
    runner.invoke(args=["scores", "backfill"])
    db_session.execute(update(Answer).where(Answer.response_id == ids[0], Answer.item_code == "I64")
                       .values(value_int=1))
    db_session.commit()
    found = runner.invoke(args=["scores", "check"])
    assert found.exit_code == 1 and f"phiếu #{ids[0]}: điểm lưu sẵn khác câu trả lời" in found.output
