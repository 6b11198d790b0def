"""Sign-in limits over HTTP: per address, site-wide, per account (the same for unknown usernames), a known
browser that an attacker cannot lock out, 429 with Retry-After, and an audit log that floods cannot fill."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from survey.models import AuditLog, User
from survey.services.accounts import signin
from tests.auth.conftest import PASSWORD, sign_in

WRONG = "sai-mat-khau-roi"


@pytest.fixture
def limits(app):
    """Set sign-in limits for one test: limits(login_address=(capacity, per_second), ...)."""
    def configure(**kinds):
        app.config["RATE_LIMITS"] = kinds

    yield configure
    app.config.pop("RATE_LIMITS", None)


def _from(client, address, username, password=WRONG):
    return client.post("/auth/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def _count(db_session, action):
    return db_session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == action))


def test_an_unknown_username_is_delayed_exactly_like_an_account(client, make_user):
    make_user("co.that", "analyst")
    real = [sign_in(client, "co.that", WRONG) for _ in range(signin.FREE_FAILURES + 2)]
    unknown = [sign_in(client, "khong.co.that", WRONG) for _ in range(signin.FREE_FAILURES + 2)]
    expected = [401] * signin.FREE_FAILURES + [429, 429]
    assert [r.status_code for r in real] == [r.status_code for r in unknown] == expected
    assert real[-1].get_data(as_text=True).count("nhập sai mật khẩu nhiều lần") == 1
    first_delay = signin.delay_after(signin.FREE_FAILURES)
    assert all(1 <= int(r.headers["Retry-After"]) <= first_delay for r in (real[-1], unknown[-1]))


def test_the_right_password_works_once_the_delay_is_over(client, make_user, db_session):
    user = make_user("het.cho", "analyst")
    for _ in range(signin.FREE_FAILURES):
        sign_in(client, "het.cho", WRONG)
    assert sign_in(client, "het.cho", PASSWORD).status_code == 429
    db_session.refresh(user)
    user.locked_until -= timedelta(seconds=signin.MAX_DELAY)  # the delay has run out
    db_session.commit()
    assert sign_in(client, "het.cho", PASSWORD).status_code == 302


def test_spraying_usernames_from_one_address_is_limited_but_other_addresses_are_not(client, limits):
    limits(login_address=(3, 0.0001))
    codes = [_from(client, "10.1.1.1", f"ten-{i}").status_code for i in range(5)]
    assert codes == [401, 401, 401, 429, 429]
    refused = _from(client, "10.1.1.1", "ten-moi")
    assert "từ địa chỉ mạng của bạn" in refused.get_data(as_text=True) and int(refused.headers["Retry-After"]) > 60
    assert _from(client, "10.1.1.2", "ten-moi").status_code == 401


def test_a_spray_from_many_addresses_meets_the_site_wide_limit(client, limits):
    limits(login_global=(4, 0.0001))
    codes = [_from(client, f"10.2.0.{i}", f"ten-{i}").status_code for i in range(6)]
    assert codes == [401] * 4 + [429] * 2
    assert "tạm hạn chế đăng nhập" in _from(client, "10.2.0.99", "x").get_data(as_text=True)


def test_colleagues_signing_in_behind_one_address_use_none_of_its_allowance(client, app, make_user, limits):
    limits(login_address=(2, 0.0001))
    for i in range(4):
        make_user(f"dong.nghiep{i}", "analyst")
    assert _from(client, "10.3.0.1", "dong.nghiep0").status_code == 401
    for i in range(4):  # four successes give back what they took
        assert _from(app.test_client(), "10.3.0.1", f"dong.nghiep{i}", PASSWORD).status_code == 302
    assert _from(client, "10.3.0.1", "dong.nghiep1").status_code == 401  # the second failure still passes
    assert _from(client, "10.3.0.1", "dong.nghiep2").status_code == 429


def test_an_attacker_cannot_keep_the_real_user_out_of_a_known_browser(app, client, make_user, limits, db_session):
    user = make_user("nguoi.that", "analyst")
    limits(login_address=(6, 0.0001), login_global=(8, 0.0001))
    own = app.test_client()
    assert _from(own, "10.4.0.1", "nguoi.that", PASSWORD).status_code == 302  # this browser is known from now on
    own.post("/auth/logout")
    attacker = app.test_client()
    codes = [_from(attacker, "10.4.0.1", "nguoi.that").status_code for _ in range(signin.FREE_FAILURES + 1)]
    codes += [_from(attacker, "10.4.0.1", name).status_code for name in ("ten-a", "ten-b")]
    codes += [_from(attacker, "10.4.0.2", name).status_code for name in ("ten-c", "ten-d", "ten-e")]
    # The account's delay, then the address's allowance, then the site's: all used up.
    assert codes == [401] * signin.FREE_FAILURES + [429, 401, 429, 401, 401, 429]
    assert _from(app.test_client(), "10.4.0.3", "nguoi.that", PASSWORD).status_code == 429
    assert _from(own, "10.4.0.1", "nguoi.that", PASSWORD).status_code == 302  # the real user gets in at once
    assert db_session.get(User, user.id).failed_logins == 0


def test_a_known_browser_has_its_own_small_limit_and_only_for_its_account(app, client, make_user, limits):
    make_user("mot.minh", "analyst")
    limits(login_device=(2, 0.0001))
    assert sign_in(client, "mot.minh").status_code == 302
    client.post("/auth/logout")
    assert [sign_in(client, "mot.minh", WRONG).status_code for _ in range(3)] == [401, 401, 429]
    assert sign_in(client, "nguoi.khac", WRONG).status_code == 401  # another name: the ordinary limits


def test_refused_attempts_are_not_checked_nor_audited_one_by_one(client, make_user, limits, db_session):
    user = make_user("lu.lut", "analyst")
    limits(login_address=(5, 0.0001))
    codes = [_from(client, "10.5.0.1", "lu.lut" if i % 2 else f"ten-{i}").status_code for i in range(40)]
    assert codes.count(401) == 5 and codes.count(429) == 35
    assert _count(db_session, "auth.login_failed") == 5  # one row per checked password
    rows = db_session.scalars(select(AuditLog).where(AuditLog.action == signin.THROTTLED)).all()
    assert sum(r.details["count"] for r in rows) == 35 and len(rows) <= 2  # one row a minute (a boundary: two)
    assert {r.target_id for r in rows} == {"10.5.0.1"}
    db_session.refresh(user)
    assert user.failed_logins == 2  # only its two checked attempts count against the account
