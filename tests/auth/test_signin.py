"""The sign-in service: each attempt counted before its password is checked, a delay that grows and
never grows while it runs, and refusals counted in one audit row per address and minute."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from survey.models import AuditLog, User
from survey.models._base import utcnow
from survey.services.accounts import signin, users
from tests.auth.conftest import PASSWORD


def _try(session, username, password, now):
    """One attempt through the service: "refused" (unchecked), a User, or None for a checked failure."""
    attempt = signin.reserve(session, username, now)
    if attempt.retry_after is not None:
        return "refused"
    if signin.check(attempt, password):
        return signin.succeeded(session, attempt, now=now)
    signin.failed(session, attempt)
    return None


def test_the_delay_is_zero_for_a_few_failures_then_doubles_up_to_fifteen_minutes():
    assert [signin.delay_after(n) for n in range(signin.FREE_FAILURES)] == [0.0] * signin.FREE_FAILURES
    first = signin.FREE_FAILURES
    assert [signin.delay_after(n) for n in range(first, first + 4)] == [2.0, 4.0, 8.0, 16.0]
    assert signin.delay_after(first + 50) == signin.MAX_DELAY == 900


def test_each_attempt_is_counted_before_its_password_is_checked(make_user, db_session):
    user = make_user("dem.truoc")
    attempt = signin.reserve(db_session, "DEM.TRUOC", utcnow())
    assert attempt.failures == 1 and attempt.user_id == user.id
    assert db_session.get(User, user.id).failed_logins == 1  # counted though nothing was checked yet


def test_attempts_during_the_delay_are_refused_unchecked_and_do_not_extend_it(make_user, db_session):
    user = make_user("cho.doi")
    now = utcnow()
    for _ in range(signin.FREE_FAILURES):
        assert _try(db_session, "cho.doi", "sai-mat-khau", now) is None
    until = db_session.get(User, user.id).locked_until
    assert until == now + timedelta(seconds=signin.delay_after(signin.FREE_FAILURES))
    later = now + timedelta(seconds=1)
    refused = signin.reserve(db_session, "cho.doi", later)
    assert refused.retry_after == 1 and refused.password_hash is None
    assert _try(db_session, "cho.doi", PASSWORD, later) == "refused"  # even the right password waits
    db_session.refresh(user)
    assert (user.failed_logins, user.locked_until) == (signin.FREE_FAILURES, until)


def test_the_right_password_after_the_delay_always_signs_in(make_user, db_session):
    user = make_user("sau.cho")
    now = utcnow()
    for i in range(signin.FREE_FAILURES + 6):  # the delay has grown to 2**7 s
        now = db_session.get(User, user.id).locked_until or now
        assert _try(db_session, "sau.cho", "sai-mat-khau", now) is None, i
    db_session.refresh(user)
    now = user.locked_until
    assert _try(db_session, "sau.cho", PASSWORD, now) is user
    db_session.refresh(user)
    assert (user.failed_logins, user.locked_until) == (0, None)


def test_a_success_resets_the_count(make_user, db_session):
    user = make_user("dat.lai")
    now = utcnow()
    for _ in range(signin.FREE_FAILURES - 1):
        _try(db_session, "dat.lai", "sai-mat-khau", now)
    assert _try(db_session, "dat.lai", PASSWORD, now) is user
    for _ in range(signin.FREE_FAILURES - 1):
        _try(db_session, "dat.lai", "sai-mat-khau", now)
    assert _try(db_session, "dat.lai", PASSWORD, now) is user


def test_a_disabled_account_never_signs_in_and_is_counted_like_any_other(make_user, db_session):
    user = make_user("bi.khoa")
    users.disable(db_session, user)
    attempt = signin.reserve(db_session, "bi.khoa", utcnow())
    assert attempt.password_hash is None and attempt.failures == 1
    assert signin.check(attempt, PASSWORD) is False


def test_an_account_disabled_between_the_check_and_the_sign_in_does_not_sign_in(make_user, db_session):
    user = make_user("vua.khoa")
    attempt = signin.reserve(db_session, "vua.khoa", utcnow())
    assert signin.check(attempt, PASSWORD)
    users.disable(db_session, user)
    assert signin.succeeded(db_session, attempt) is None
    assert db_session.scalar(select(AuditLog.action).order_by(AuditLog.id.desc())) == "auth.login_failed"


def test_an_unknown_username_reserves_nothing(db_session):
    attempt = signin.reserve(db_session, "  Khong.Co.Ai ", utcnow())
    assert (attempt.key, attempt.user_id, attempt.retry_after) == ("khong.co.ai", None, None)
    assert signin.check(attempt, PASSWORD) is False


def test_refusals_are_counted_in_one_row_per_address_and_minute(db_session):
    now = utcnow().replace(second=10)
    for reason in ("address", "address", "account", "global"):
        signin.throttled(db_session, "10.0.0.1", reason, now)
    signin.throttled(db_session, "10.0.0.2", "address", now)
    rows = db_session.scalars(select(AuditLog).where(AuditLog.action == signin.THROTTLED)
                              .order_by(AuditLog.target_id)).all()
    assert [(r.target_id, r.details["count"]) for r in rows] == [("10.0.0.1", 4), ("10.0.0.2", 1)]
    assert rows[0].details["reasons"] == {"address": 2, "account": 1, "global": 1}
    signin.throttled(db_session, "10.0.0.1", "address", now + timedelta(seconds=49))
    assert rows[0].details["count"] == 5
    signin.throttled(db_session, "10.0.0.1", "address", now + timedelta(seconds=50))  # the next minute
    assert db_session.scalars(select(AuditLog.target_id).where(AuditLog.action == signin.THROTTLED)).all() \
        .count("10.0.0.1") == 2
