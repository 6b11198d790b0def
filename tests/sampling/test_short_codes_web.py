"""The home page's code box and the /m/<code> link: to the survey, clear messages, limits, CSRF, the access log."""
from __future__ import annotations

import re

import pytest

from survey.gunicorn_conf import scrub_url
from survey.models import Invitation
from survey.services.common.tokens import new_token
from survey.services.intake import batch as intake
from survey.services.sampling import invitations as inv
from survey.services.sampling import waves
from survey.web import limits
from tests.sampling.factories import make_wave, record


@pytest.fixture
def issued(db_session, reg, version, source):
    """Two invitations of a launched wave (π = 1), with their tokens and codes."""
    intake.ingest(db_session, source, [record("a"), record("b")])
    return waves.launch(db_session, make_wave(db_session, version, fixed_pi=1.0))


@pytest.fixture
def fresh_limits(app):
    """Code limits small enough to reach, on an empty table."""
    limits.limiter.reset()
    app.config["RATE_LIMITS"] = {"code_address": (3, 0.001), "code_global": (5, 0.001)}
    yield
    app.config.pop("RATE_LIMITS")
    limits.limiter.reset()


def _other_code(issued) -> str:
    held = {i.code for i in issued}
    return next(c for c in (inv.short_code(new_token()) for _ in range(10)) if c not in held)


def test_the_home_page_has_the_code_box(client):
    page = client.get("/").get_data(as_text=True)
    assert "Nhập mã trên phiếu" in page and 'name="code"' in page and 'autocapitalize="characters"' in page


def test_typing_the_code_in_any_case_opens_the_survey(client, issued):
    typed = inv.display_code(issued[0].code).lower().replace("-", " ")
    resp = client.post("/", data={"code": typed})
    assert resp.status_code == 303 and resp.headers["Location"] == f"/s/{issued[0].token}"
    assert resp.headers["Cache-Control"] == "no-store" and resp.headers["Referrer-Policy"] == "no-referrer"
    assert client.get(resp.headers["Location"]).status_code == 200  # the welcome screen of that invitation


def test_the_sms_short_link_opens_the_survey(client, issued):
    resp = client.get(inv.code_url(issued[1].code))
    assert resp.status_code == 303 and resp.headers["Location"] == f"/s/{issued[1].token}"


def test_a_wrong_code_says_so_and_changes_nothing(client, db_session, issued):
    before = [(i.status, i.opened_at) for i in db_session.query(Invitation).order_by(Invitation.id)]
    resp = client.post("/", data={"code": _other_code(issued)})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Không có phiếu nào mang mã này" in page and 'aria-invalid="true"' in page
    assert [(i.status, i.opened_at) for i in db_session.query(Invitation).order_by(Invitation.id)] == before


@pytest.mark.parametrize("typed, message", [("ABC", "Mã gồm 8 chữ và số"), ("", "Vui lòng nhập mã trên phiếu"),
                                            ("ABCD-EFG0", "Mã gồm 8 chữ và số")])
def test_what_is_not_a_code_gets_a_clear_message(client, typed, message):
    resp = client.post("/", data={"code": typed})
    assert resp.status_code == 422 and message in resp.get_data(as_text=True)


def test_a_wrong_short_link_is_a_404_page_with_the_box(client, issued):
    resp = client.get("/m/" + _other_code(issued))
    assert resp.status_code == 404 and "Không có phiếu nào mang mã này" in resp.get_data(as_text=True)


def test_a_used_code_leads_to_the_answered_page_not_to_a_new_survey(client, db_session, issued):
    row = db_session.get(Invitation, issued[0].invitation_id)
    row.status = "completed"
    db_session.flush()
    resp = client.post("/", data={"code": issued[0].code}, follow_redirects=True)
    assert resp.status_code == 410 and "đã được trả lời" in resp.get_data(as_text=True)


def test_guessing_codes_is_limited_per_address_and_a_right_code_costs_nothing(client, issued, fresh_limits):
    codes = [s.code for s in issued]
    for _ in range(2):
        assert client.post("/", data={"code": _other_code(issued)}).status_code == 422
    for code in codes * 3:  # right codes give their allowance back
        assert client.post("/", data={"code": code}).status_code == 303
    assert client.post("/", data={"code": _other_code(issued)}).status_code == 422  # the third failure
    refused = client.post("/", data={"code": codes[0]})  # the address has used its allowance: even a right one waits
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "quá nhiều lần" in refused.get_data(as_text=True)
    other = client.post("/", data={"code": codes[0]}, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 303  # another address is not locked out


def test_the_whole_site_has_a_ceiling_that_many_addresses_cannot_pass(client, issued, fresh_limits):
    statuses = [client.post("/", data={"code": _other_code(issued)},
                            environ_base={"REMOTE_ADDR": f"10.0.0.{i}"}).status_code for i in range(7)]
    assert statuses == [422] * 5 + [429] * 2


def test_the_code_form_needs_its_csrf_token(client, issued, csrf_enabled):
    assert client.post("/", data={"code": issued[0].code}).status_code == 400
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/", data={"code": issued[0].code, "csrf_token": token}).status_code == 303


def test_the_access_log_never_shows_a_short_code():
    code = inv.display_code(inv.short_code(new_token()))
    assert scrub_url(f"/m/{code}") == "/m/<token>"
    assert code not in scrub_url(f"https://x.example/lang/en?next=/m/{code}")
