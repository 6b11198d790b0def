"""Server-side sessions: a copied cookie stops working after logout, logout everywhere, a new password,
a role change and disabling, each audited; sessions end when idle or old; admins see and end them."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from survey.models import AuditLog, UserSession
from survey.models._base import utcnow
from survey.services.common.tokens import hash_token
from survey.web.auth.browser import TOKEN_KEY
from tests.auth.conftest import PASSWORD, copy_session_cookie, open_browser_session, sign_in

NEW_PASSWORD = "mot-mat-khau-moi-hon"


def _works(client, url="/analyst/") -> bool:
    return client.get(url).status_code == 200


def _audit(db_session, action):
    return db_session.scalars(select(AuditLog).where(AuditLog.action == action)).all()


@pytest.fixture
def victim(app, client, make_user):
    """An analyst signed in on `client`, and a thief's client holding a copy of that session cookie."""
    user = make_user("nan.nhan", "analyst")
    assert sign_in(client, "nan.nhan").status_code == 302
    thief = app.test_client()
    copy_session_cookie(client, thief)
    assert _works(client) and _works(thief)  # a copy works as long as the session does
    return user, thief


@pytest.fixture
def admin_client(app, make_user, db_session):
    """A second browser, signed in as an administrator."""
    admin = make_user("quan.tri", "admin")
    browser = app.test_client()
    open_browser_session(browser, admin, db_session)
    return browser


def test_signing_in_opens_a_session_whose_token_only_the_cookie_holds(client, make_user, db_session):
    user = make_user("mo.phien", "analyst")
    sign_in(client, "mo.phien", PASSWORD)
    with client.session_transaction() as cookie:
        token = cookie[TOKEN_KEY]
    row = db_session.scalars(select(UserSession).where(UserSession.user_id == user.id)).one()
    assert row.token_hash == hash_token(token) != token and row.revoked_at is None
    assert row.user_agent.startswith("Werkzeug")


def test_a_copied_cookie_stops_working_after_logout(client, victim, db_session):
    user, thief = victim
    assert client.post("/auth/logout").status_code == 302
    assert not _works(thief) and not _works(client)
    entry = _audit(db_session, "auth.logout")[-1]
    assert entry.user_id == user.id and entry.details["sessions_revoked"] == 1


def test_logout_everywhere_ends_every_browser_of_the_account(app, client, victim, db_session):
    user, thief = victim
    other_browser = app.test_client()
    sign_in(other_browser, "nan.nhan")
    page = client.get("/auth/account").get_data(as_text=True)
    assert page.count("Werkzeug") == 2 and "phiên này" in page and "/auth/logout-everywhere" in page
    resp = client.post("/auth/logout-everywhere")
    assert resp.status_code == 302 and resp.headers["Location"] == "/auth/login"
    assert not any(_works(c) for c in (client, thief, other_browser))
    entry = _audit(db_session, "auth.logout_everywhere")[-1]
    assert entry.user_id == user.id and entry.details["sessions_revoked"] == 2


def test_a_new_password_set_by_an_admin_ends_the_accounts_sessions(client, victim, admin_client, db_session):
    user, thief = victim
    resp = admin_client.post(f"/admin/users/{user.id}/password", data={"password": NEW_PASSWORD,
                                                                      "confirm": NEW_PASSWORD})
    assert resp.status_code == 302
    assert not _works(thief) and not _works(client)
    assert _works(admin_client, "/admin/")  # the admin's own session is not touched
    assert _audit(db_session, "user.set_password")[-1].details["sessions_revoked"] == 1


def test_a_new_password_from_the_command_line_ends_the_accounts_sessions(client, victim, runner, db_session):
    _user, thief = victim
    result = runner.invoke(args=["user", "password", "nan.nhan", "--password-stdin"], input=NEW_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert not _works(thief) and not _works(client)
    entry = _audit(db_session, "user.set_password")[-1]
    assert entry.actor == "cli" and entry.details["sessions_revoked"] == 1


def test_a_role_change_ends_the_accounts_sessions(client, victim, admin_client, agencies, db_session):
    user, thief = victim
    resp = admin_client.post(f"/admin/users/{user.id}", data={
        "role": "agency_viewer", "agency_id": str(agencies["land"].id), "service_point_id": "None"})
    assert resp.status_code == 302
    assert not _works(thief) and not _works(client)
    assert _audit(db_session, "user.set_role")[-1].details["sessions_revoked"] == 1


def test_saving_the_role_form_unchanged_keeps_the_sessions(client, victim, admin_client, db_session):
    user, thief = victim
    admin_client.post(f"/admin/users/{user.id}", data={"role": "analyst", "agency_id": "None",
                                                       "service_point_id": "None"})
    assert _works(client) and _works(thief)
    assert _audit(db_session, "user.set_role")[-1].details["sessions_revoked"] == 0


def test_disabling_ends_the_accounts_sessions_from_the_admin_page_and_the_cli(
        app, client, victim, admin_client, runner, db_session):
    user, thief = victim
    admin_client.post(f"/admin/users/{user.id}/active", data={"enable": "0"})
    assert not _works(thief) and not _works(client)
    assert _audit(db_session, "user.disable")[-1].details["sessions_revoked"] == 1
    # Re-enabled, the old copies still do not work: their rows stay revoked.
    admin_client.post(f"/admin/users/{user.id}/active", data={"enable": "1"})
    assert not _works(thief)
    assert sign_in(client, "nan.nhan").status_code == 302
    assert runner.invoke(args=["user", "disable", "nan.nhan"]).exit_code == 0
    assert not _works(client)
    assert _audit(db_session, "user.disable")[-1].details == {"username": "nan.nhan", "sessions_revoked": 1}


def test_a_session_idle_past_the_limit_ends(app, client, victim, db_session):
    user, thief = victim
    row = db_session.scalars(select(UserSession).where(UserSession.user_id == user.id)).one()
    row.last_seen_at = utcnow() - timedelta(hours=app.config["SESSION_IDLE_HOURS"], minutes=1)
    db_session.commit()
    assert not _works(thief) and not _works(client)


def test_a_session_older_than_the_absolute_limit_ends_though_in_use(app, client, victim, db_session):
    user, _thief = victim
    row = db_session.scalars(select(UserSession).where(UserSession.user_id == user.id)).one()
    row.created_at = utcnow() - timedelta(hours=app.config["SESSION_MAX_HOURS"], minutes=1)
    db_session.commit()
    assert not _works(client)


def test_use_is_written_at_most_once_a_minute(client, victim, db_session):
    user, _thief = victim
    row = db_session.scalars(select(UserSession).where(UserSession.user_id == user.id)).one()
    recent = utcnow() - timedelta(seconds=30)
    row.last_seen_at = recent
    db_session.commit()
    assert _works(client)
    db_session.refresh(row)
    assert row.last_seen_at == recent  # seen 30 s ago: not written again
    row.last_seen_at = old = utcnow() - timedelta(minutes=2)
    db_session.commit()
    assert _works(client)
    db_session.refresh(row)
    assert row.last_seen_at > old + timedelta(minutes=1)


def test_a_cookie_without_a_session_token_is_refused(app, client, make_user, db_session):
    user = make_user("khong.the", "analyst")
    db_session.commit()
    with client.session_transaction() as cookie:  # what every cookie signed before server-side sessions held
        cookie["_user_id"], cookie["_fresh"] = str(user.id), True
    app.config["TESTING"] = False  # a TESTING app still accepts them for other features' test helpers
    try:
        assert not _works(client)
    finally:
        app.config["TESTING"] = True


def test_a_forged_token_for_another_account_is_refused(app, client, make_user, db_session):
    alice, bob = make_user("alice", "analyst"), make_user("bob", "analyst")
    token = open_browser_session(client, alice, db_session)
    with client.session_transaction() as cookie:
        cookie["_user_id"], cookie[TOKEN_KEY] = str(bob.id), token  # alice's token, bob's id
    assert not _works(client)


def test_an_admin_sees_a_users_sessions_and_ends_one(app, client, victim, admin_client, db_session):
    user, thief = victim
    other_browser = app.test_client()
    sign_in(other_browser, "nan.nhan")
    page = admin_client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert page.count("Werkzeug") == 2 and "Kết thúc mọi phiên" in page
    first = db_session.scalars(select(UserSession).where(UserSession.user_id == user.id)
                               .order_by(UserSession.id)).first()
    resp = admin_client.post(f"/admin/users/{user.id}/sessions/{first.id}/revoke")
    assert resp.status_code == 302
    assert not _works(thief) and not _works(client) and _works(other_browser)
    entry = _audit(db_session, "user.session_revoke")[-1]
    assert entry.actor == "quan.tri" and entry.details["session_id"] == first.id
    assert admin_client.get(f"/admin/users/{user.id}").get_data(as_text=True).count("Werkzeug") == 1


def test_an_admin_ends_every_session_of_a_user(app, client, victim, admin_client, db_session):
    user, thief = victim
    admin_client.post(f"/admin/users/{user.id}/sessions/revoke")
    assert not _works(thief) and not _works(client)
    assert _audit(db_session, "user.sessions_revoke")[-1].details["sessions_revoked"] == 1


def test_sessions_can_be_ended_from_the_command_line(client, victim, runner, db_session):
    _user, thief = victim
    result = runner.invoke(args=["user", "revoke-sessions", "nan.nhan"])
    assert result.exit_code == 0 and "1 phiên" in result.output
    assert not _works(thief) and not _works(client)


def test_an_admin_who_resets_their_own_password_stays_signed_in_on_a_new_session(app, make_user, db_session):
    admin = make_user("tu.doi", "admin")
    browser = app.test_client()
    sign_in(browser, "tu.doi")
    copy = app.test_client()
    copy_session_cookie(browser, copy)
    browser.post(f"/admin/users/{admin.id}/password", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert _works(browser, "/admin/")
    assert not _works(copy, "/admin/")  # the old token ended with the change
