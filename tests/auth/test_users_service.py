"""Accounts: hashing, password policy, roles and scopes (sign-in throttling: test_signin.py)."""
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


def test_verify_hash_without_an_account_is_false(db_session):
    assert users.verify_hash(None, PASSWORD) is False
