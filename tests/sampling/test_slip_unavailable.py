"""A slip URL whose invitation cannot be answered gives a page in words (used, expired, closed, unknown)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from survey.models import Invitation
from survey.models._base import utcnow
from survey.services.common.tokens import new_token
from survey.services.intake import batch as intake
from survey.services.sampling import slips, waves
from tests.sampling.factories import make_wave, record


@pytest.fixture
def issued(db_session, reg, version, source):
    """One invitation of a launched wave, with its token."""
    intake.ingest(db_session, source, [record("a")])
    wave = make_wave(db_session, version, fixed_pi=1.0)
    (it,) = waves.launch(db_session, wave)
    return wave, db_session.get(Invitation, it.invitation_id), it.token


def _page(app, db_session, token):
    with app.test_request_context(f"/api/v1/invitations/{token}/slip"):
        return slips.unavailable_page(db_session, token)


def test_an_open_invitation_prints_its_slip(app, db_session, issued):
    assert _page(app, db_session, issued[2]) is None


@pytest.mark.parametrize("change, status, title, words", [
    (lambda w, i: setattr(i, "status", "completed"), 410, "Thư mời này đã được trả lời", "không cần in phiếu nữa"),
    (lambda w, i: setattr(i, "expires_at", utcnow() - timedelta(days=1)), 410, "Thư mời này đã hết hạn",
     "Thời hạn trả lời đã qua"),
    (lambda w, i: setattr(w, "status", "closed"), 410, "Đợt khảo sát đã kết thúc", "không in thêm phiếu"),
])
def test_a_used_expired_or_closed_invitation_says_so_in_words(app, db_session, issued, change, status, title, words):
    wave, invitation, token = issued
    change(wave, invitation)
    db_session.flush()
    html, code = _page(app, db_session, token)
    assert code == status and f"<h1>{title}</h1>" in html and words in html
    assert html.startswith("<!doctype html>") and "Về trang chủ" in html  # a page of the site, not raw JSON


def test_an_unknown_or_re_keyed_token_says_where_to_get_a_new_slip(app, db_session, issued):
    html, code = _page(app, db_session, new_token())
    assert code == 404 and "Không tìm thấy thư mời để in phiếu" in html and "phần mềm một cửa" in html


def test_the_slip_url_of_a_used_invitation_answers_a_page_not_json(client, db_session, issued):
    _wave, invitation, token = issued
    assert client.get(f"/api/v1/invitations/{token}/slip?format=80mm").status_code == 200
    invitation.status = "completed"
    db_session.flush()
    resp = client.get(f"/api/v1/invitations/{token}/slip?format=80mm")
    assert resp.status_code == 410 and resp.mimetype == "text/html"
    assert "<h1>Thư mời này đã được trả lời</h1>" in resp.get_data(as_text=True)
    assert resp.headers["Cache-Control"] == "no-store"
