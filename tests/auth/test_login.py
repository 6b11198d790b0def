"""Sign-in form, safe redirects, throttling over HTTP, sign-out, CSRF and role gates."""
from __future__ import annotations

import re

import pytest

from survey.models import AuditLog
from survey.services.accounts import signin, users
from tests.auth.conftest import PASSWORD, sign_in


def test_login_page_is_vietnamese_and_has_a_csrf_token(client, csrf_enabled):
    resp = client.get("/auth/login")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Đăng nhập" in html and 'name="csrf_token"' in html


def test_analyst_signs_in_and_lands_on_the_dashboard(client, make_user, db_session):
    make_user("lan", "analyst")
    resp = sign_in(client, "LAN", PASSWORD)
    assert resp.status_code == 302 and resp.headers["Location"] == "/analyst/"
    assert db_session.query(AuditLog).filter_by(action="auth.login", target_id="lan").count() == 1


def test_admin_lands_on_the_admin_home(client, make_user):
    make_user("root1", "admin")
    assert sign_in(client, "root1").headers["Location"] == "/admin/"


def test_wrong_password_gives_a_generic_message(client, make_user):
    make_user("minh", "analyst")
    resp = sign_in(client, "minh", "sai-mat-khau-roi")
    assert resp.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in resp.get_data(as_text=True)
    unknown = sign_in(client, "khong-ton-tai", "sai-mat-khau-roi")
    assert unknown.status_code == 401  # the same answer: no account enumeration


def test_repeated_failures_delay_the_account_even_with_the_right_password(client, make_user):
    make_user("nam", "analyst")
    for _ in range(signin.FREE_FAILURES):
        assert sign_in(client, "nam", "sai-mat-khau-roi").status_code == 401
    resp = sign_in(client, "nam", PASSWORD)
    assert resp.status_code == 429 and 1 <= int(resp.headers["Retry-After"]) <= 2
    assert "nhập sai mật khẩu nhiều lần" in resp.get_data(as_text=True)
    assert client.get("/analyst/").status_code == 302  # still not signed in


@pytest.mark.parametrize("target, expected", [
    ("/admin/users/", "/admin/users/"),
    ("//evil.example/x", "/analyst/"),
    ("https://evil.example/", "/analyst/"),
    ("/\\evil.example", "/analyst/"),
])
def test_next_redirect_stays_on_this_site(client, make_user, target, expected):
    make_user("oanh", "admin" if target.startswith("/admin") else "analyst")
    resp = sign_in(client, "oanh", PASSWORD, next_url=target)
    assert resp.headers["Location"] == expected


def test_anonymous_users_are_sent_to_the_login_page(client):
    resp = client.get("/analyst/")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/auth/login?next=")


def test_logout_needs_post_and_ends_the_session(client, make_user):
    make_user("phuc", "analyst")
    sign_in(client, "phuc")
    assert client.get("/auth/logout").status_code == 405
    assert client.post("/auth/logout").status_code == 302
    assert client.get("/analyst/").status_code == 302


def test_login_without_csrf_token_is_refused(client, make_user, csrf_enabled):
    make_user("quang", "analyst")
    resp = sign_in(client, "quang")
    assert resp.status_code == 400
    assert client.get("/analyst/").status_code == 302


def test_login_with_csrf_token_works(client, make_user, csrf_enabled):
    make_user("quyen", "analyst")
    html = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    resp = client.post("/auth/login", data={"username": "quyen", "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"] == "/analyst/"


def test_disabled_user_loses_an_open_session(client, make_user, db_session):
    user = make_user("son", "analyst")
    sign_in(client, "son")
    assert client.get("/analyst/").status_code == 200
    users.disable(db_session, user)
    assert client.get("/analyst/").status_code == 302


@pytest.mark.parametrize("role, status", [("analyst", 403), ("officer", 403), ("admin", 200)])
def test_admin_pages_are_for_administrators_only(client, make_user, agencies, role, status):
    extra = {"service_point_id": agencies["point"].id} if role == "officer" else {}
    make_user("u-" + role, role, **extra)
    sign_in(client, "u-" + role)
    for url in ("/admin/", "/admin/users/", "/admin/audit/"):
        assert client.get(url).status_code == status, url


def test_officer_cannot_open_the_analyst_workspace(client, make_user, agencies):
    make_user("tam", "officer", service_point_id=agencies["point"].id)
    sign_in(client, "tam")
    assert client.get("/analyst/").status_code == 403


def test_session_cookie_is_httponly_and_samesite(client, make_user):
    make_user("uyen", "analyst")
    resp = sign_in(client, "uyen")
    cookie = resp.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_officer_lands_on_the_counter_hand_over_page(client, make_user, agencies):
    make_user("quay1", "officer", service_point_id=agencies["point"].id)
    assert sign_in(client, "quay1").headers["Location"] == "/kiosk/handoff"


def test_a_failed_sign_in_is_committed_though_the_answer_is_a_refusal(client, make_user, db_session):
    from survey.models import AuditLog, User

    make_user("dem", "analyst")
    assert sign_in(client, "dem", "sai-mat-khau-roi").status_code == 401
    db_session.rollback()  # keeps only what the request committed: the failure must count towards the lock
    assert db_session.query(User).filter_by(username="dem").one().failed_logins == 1
    assert db_session.query(AuditLog).filter_by(action="auth.login_failed", target_id="dem").count() == 1
