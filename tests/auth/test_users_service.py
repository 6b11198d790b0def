"""Accounts: hashing, password policy, roles and scopes."""
from __future__ import annotations

import pytest

from survey.services.accounts import users
from tests.auth.conftest import PASSWORD


def test_passwords_are_stored_as_scrypt_hashes(make_user):
    user = make_user("an.nguyen")
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash
    assert users.verify_password(user, PASSWORD)
    assert not users.verify_password(user, PASSWORD + "x")


def test_verify_password_with_unknown_user_is_false(db_session):
    assert users.verify_password(None, "anything-at-all") is False


@pytest.mark.parametrize("password", ["ngan", "a" * 12, "x" * 300])
def test_weak_or_absurd_passwords_are_refused(make_user, password):
    with pytest.raises(users.UserError):
        make_user("binh", password=password)


def test_password_equal_to_the_username_is_refused(make_user):
    with pytest.raises(users.UserError, match="trùng"):
        make_user("hoangvanthu", password="HoangVanThu")


def test_usernames_are_case_insensitive_and_unique(make_user, db_session):
    make_user("Chi.Le")
    assert users.get_by_username(db_session, "  chi.le ").username == "chi.le"
    with pytest.raises(users.UserError, match="đã tồn tại"):
        make_user("CHI.LE")


def test_agency_viewer_needs_an_agency(make_user, agencies):
    with pytest.raises(users.UserError):
        make_user("viewer", "agency_viewer")
    user = make_user("viewer", "agency_viewer", agency_id=agencies["land"].id)
    assert user.agency_id == agencies["land"].id


def test_officer_needs_a_service_point(make_user, agencies):
    with pytest.raises(users.UserError):
        make_user("officer", "officer")
    assert make_user("officer", "officer", service_point_id=agencies["point"].id).role == "officer"


def test_unknown_role_is_refused(make_user):
    with pytest.raises(users.UserError):
        make_user("x1", "superuser")


def test_set_role_changes_scope_and_drops_service_point(make_user, agencies, db_session):
    user = make_user("d1", "officer", service_point_id=agencies["point"].id)
    users.set_role(db_session, user, "agency_viewer", agency_id=agencies["build"].id)
    assert (user.role, user.agency_id, user.service_point_id) == ("agency_viewer", agencies["build"].id, None)


def test_disable_and_enable(make_user, db_session):
    user = make_user("e1")
    users.disable(db_session, user)
    assert not user.active and not user.is_active
    users.enable(db_session, user)
    assert user.active


def test_per_account_lock_after_repeated_failures(make_user, db_session):
    user = make_user("f1")
    for _ in range(users.MAX_FAILURES):
        assert users.attempt_sign_in(db_session, "f1", "wrong-password").user is None
    result = users.attempt_sign_in(db_session, "f1", PASSWORD)
    assert result.user is None and result.locked
    assert user.locked_until is not None


def test_per_username_throttle_also_covers_unknown_usernames(db_session):
    for _ in range(users.MAX_FAILURES):
        assert not users.attempt_sign_in(db_session, "nobody-here", "guess-guess").locked
    assert users.attempt_sign_in(db_session, "nobody-here", "guess-guess").locked


def test_lock_expires_after_the_lock_period(make_user, db_session):
    from datetime import timedelta

    from survey.models import AuditLog

    user = make_user("g1")
    for _ in range(users.MAX_FAILURES):
        users.attempt_sign_in(db_session, "g1", "wrong-password")
    # Pretend the lock period has passed: move the lock and the logged failures into the past.
    user.locked_until = user.locked_until - timedelta(minutes=users.LOCK_MINUTES + 1)
    for entry in db_session.query(AuditLog).filter(AuditLog.action == "auth.login_failed"):
        entry.at = entry.at - timedelta(minutes=users.LOCK_MINUTES + 1)
    db_session.flush()
    assert users.attempt_sign_in(db_session, "g1", PASSWORD).user is user


def test_success_resets_the_failure_count(make_user, db_session):
    make_user("h1")
    for _ in range(users.MAX_FAILURES - 1):
        users.attempt_sign_in(db_session, "h1", "wrong-password")
    assert users.attempt_sign_in(db_session, "h1", PASSWORD).user is not None
    for _ in range(users.MAX_FAILURES - 1):
        users.attempt_sign_in(db_session, "h1", "wrong-password")
    assert users.attempt_sign_in(db_session, "h1", PASSWORD).user is not None


def test_disabled_account_cannot_sign_in(make_user, db_session):
    user = make_user("i1")
    users.disable(db_session, user)
    assert users.attempt_sign_in(db_session, "i1", PASSWORD).user is None
