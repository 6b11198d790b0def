"""Answering by link: welcome, screens with back/next, validation messages, thank-you, dead ends."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from survey.models import Answer, Invitation, Response, ResponseDraft
from survey.models._base import utcnow


def _post(client, token, step, data, action="next"):
    return client.post(f"/s/{token}/{step}", data={**data, "action": action})


def test_welcome_says_how_long_and_anonymous_and_marks_opened(client, survey_data, db_session):
    resp = client.get(f"/s/{survey_data['token']}")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Khảo sát thử" in body and "3 phút" in body and "ẩn danh" in body
    inv = db_session.get(Invitation, survey_data["inv"].id)
    db_session.refresh(inv)
    assert inv.status == "opened" and inv.opened_at is not None


def test_complete_survey_stores_one_response_with_all_answers(client, survey_data, db_session):
    t = survey_data["token"]
    client.get(f"/s/{t}")
    assert _post(client, t, 1, {"q_ACC1": "4", "q_ACC2": "5"}).headers["Location"].endswith(f"/s/{t}/2")
    assert _post(client, t, 2, {"q_KQ1": "1"}).headers["Location"].endswith(f"/s/{t}/3")
    page = client.get(f"/s/{t}/3").get_data(as_text=True)
    assert "Gửi câu trả lời" in page and "Phần 3 / 3" in page  # the "late" screen is skipped
    resp = _post(client, t, 3, {"q_AGE": "40", "q_CH": ["1", "9"], "o_CH": "Zalo", "q_CMT": " Tốt "})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/s/{t}/done")
    assert "Cảm ơn" in client.get(f"/s/{t}/done").get_data(as_text=True)
    stored = db_session.scalars(select(Response).where(Response.invitation_id == survey_data["inv"].id)).all()
    assert len(stored) == 1
    r = stored[0]
    assert (r.mode, r.probability_sample, r.partial, r.wave_id) == ("link", True, False, survey_data["wave"].id)
    rows = sorted((a.item_code, a.value_int, a.value_text) for a in r.answers)
    assert rows == [("ACC1", 4, None), ("ACC2", 5, None), ("AGE", 40, None), ("CH", 1, None),
                    ("CH", 9, "Zalo"), ("CMT", None, "Tốt"), ("KQ1", 1, None)]
    inv = db_session.get(Invitation, survey_data["inv"].id)
    db_session.refresh(inv)
    assert inv.status == "completed" and inv.completed_at is not None
    assert db_session.scalar(select(func.count()).select_from(ResponseDraft)
                             .where(ResponseDraft.invitation_id == inv.id)) == 0


def test_back_keeps_answers_without_validating(client, survey_data):
    t = survey_data["token"]
    client.get(f"/s/{t}")
    _post(client, t, 1, {"q_ACC1": "2"})
    resp = _post(client, t, 2, {}, action="back")  # nothing answered on screen 2: no error going back
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/s/{t}/1")
    page = client.get(f"/s/{t}/1").get_data(as_text=True)
    assert 'value="2" checked' in page


def test_required_answer_missing_shows_clear_message_and_stays(client, survey_data, db_session):
    t = survey_data["token"]
    client.get(f"/s/{t}")
    resp = _post(client, t, 1, {"q_ACC2": "3"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Vui lòng trả lời câu hỏi này." in body and "Vui lòng kiểm tra lại" in body
    assert 'value="3" checked' in body  # what was answered is kept
    assert db_session.scalar(select(func.count()).select_from(Response)) == 0


def test_conditional_question_is_required_only_when_shown(client, survey_data):
    t = survey_data["token"]
    client.get(f"/s/{t}")
    _post(client, t, 1, {"q_ACC1": "4"})
    resp = _post(client, t, 2, {"q_KQ1": "2"})  # "late" reveals KQ2 (required)
    assert resp.status_code == 422 and "Vui lòng trả lời câu hỏi này." in resp.get_data(as_text=True)
    resp = _post(client, t, 2, {"q_KQ1": "2", "q_KQ2": "Hai ngày"})
    assert resp.headers["Location"].endswith(f"/s/{t}/3")
    assert "Cơ quan có xin lỗi không?" in client.get(f"/s/{t}/3").get_data(as_text=True)


def test_out_of_scale_and_bad_number_are_refused(client, survey_data, db_session):
    t = survey_data["token"]
    client.get(f"/s/{t}")
    resp = _post(client, t, 1, {"q_ACC1": "7"})
    assert resp.status_code == 422 and "Mức đánh giá không có trong thang đo." in resp.get_data(as_text=True)
    _post(client, t, 1, {"q_ACC1": "4"})
    _post(client, t, 2, {"q_KQ1": "1"})
    resp = _post(client, t, 3, {"q_AGE": "bốn mươi"})
    assert resp.status_code == 422 and "Vui lòng nhập một số nguyên." in resp.get_data(as_text=True)
    resp = _post(client, t, 3, {"q_AGE": "7"})
    assert resp.status_code == 422 and "lớn hơn hoặc bằng 18" in resp.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(Response)) == 0


def test_answer_hidden_by_a_later_change_is_not_stored(client, survey_data, db_session):
    t = survey_data["token"]
    client.get(f"/s/{t}")
    _post(client, t, 1, {"q_ACC1": "4"})
    _post(client, t, 2, {"q_KQ1": "2", "q_KQ2": "Hai ngày"})
    _post(client, t, 3, {"q_LATE1": "1"})
    _post(client, t, 4, {}, action="back")
    _post(client, t, 3, {}, action="back")
    _post(client, t, 2, {"q_KQ1": "1", "q_KQ2": "Hai ngày"})  # on time after all: KQ2/LATE1 not asked
    assert _post(client, t, 3, {}).headers["Location"].endswith("/done")
    codes = {a.item_code for a in db_session.scalars(select(Answer))}
    assert codes == {"ACC1", "KQ1"}


def test_used_link_shows_used_page(client, survey_data):
    t = survey_data["token"]
    client.get(f"/s/{t}")
    _post(client, t, 1, {"q_ACC1": "4"})
    _post(client, t, 2, {"q_KQ1": "1"})
    _post(client, t, 3, {})
    resp = client.get(f"/s/{t}")
    assert resp.status_code == 410 and "đã được trả lời" in resp.get_data(as_text=True)
    assert client.get(f"/s/{t}/1").status_code == 410


def test_unknown_token_gets_friendly_404(client, survey_data):
    resp = client.get("/s/not-a-real-token")
    assert resp.status_code == 404 and "Không tìm thấy lời mời" in resp.get_data(as_text=True)


def test_expired_invitation_gets_expired_page(client, survey_data, db_session):
    inv = survey_data["inv"]
    inv.expires_at = utcnow() - timedelta(minutes=1)
    db_session.commit()
    resp = client.get(f"/s/{survey_data['token']}")
    assert resp.status_code == 410 and "đã hết hạn" in resp.get_data(as_text=True)


def test_closed_wave_stops_answers(client, survey_data, db_session):
    survey_data["wave"].status = "closed"
    db_session.commit()
    resp = client.get(f"/s/{survey_data['token']}")
    assert resp.status_code == 410 and "đã kết thúc" in resp.get_data(as_text=True)


def test_step_out_of_range_redirects_into_the_survey(client, survey_data):
    t = survey_data["token"]
    client.get(f"/s/{t}")
    assert client.get(f"/s/{t}/99").headers["Location"].endswith(f"/s/{t}/3")


def test_english_pages_use_the_questionnaire_english(client, survey_data):
    t = survey_data["token"]
    client.get("/lang/en")
    client.get(f"/s/{t}")
    body = client.get(f"/s/{t}/1").get_data(as_text=True)
    assert "Enough seats?" in body and "Very satisfied" in body


def test_pages_are_not_cached_and_send_no_referrer(client, survey_data):
    resp = client.get(f"/s/{survey_data['token']}")
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["Referrer-Policy"] == "no-referrer"


def test_welcome_gives_the_computed_duration_when_the_author_promised_less(client, db_session):
    from pathlib import Path

    from survey.services.respond.answers import duration
    from tests.respond import factories as f

    text = (Path(__file__).resolve().parents[2] / "questionnaires" / "sipas2023-service.yaml").read_text()
    version = f.add_version(db_session, text.replace("estimated_minutes:", "estimated_minutes: 1 #", 1))
    reg = f.add_registry(db_session)
    _inv, token = f.add_invitation(db_session, f.add_wave(db_session, version, reg), reg)
    db_session.commit()
    minutes, parts = duration(version.content)
    assert version.content["estimated_minutes"] == 1 and minutes > 1
    body = client.get(f"/s/{token}").get_data(as_text=True)
    assert f"Gồm {parts} phần, khoảng {minutes} phút." in body
