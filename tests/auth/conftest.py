"""Fixtures for sign-in, roles and admin tests: agencies, users, signing in through the real form."""
from __future__ import annotations

import pytest

from survey.models import Agency, ServicePoint
from survey.services.accounts import sessions
from survey.services.accounts.users import create_user
from survey.web.auth.browser import TOKEN_KEY
from survey.web.limits import limiter

PASSWORD = "mat-khau-an-toan-2025"


@pytest.fixture(autouse=True)
def _fresh_limits():
    """Sign-in limits start full in every test (the in-memory table is shared by the whole process)."""
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture
def agencies(db_session):
    """A province with two departments, a district under the province and a commune under the district."""
    prov = Agency(code="T-UBND", name_vi="UBND tỉnh", level="province")
    db_session.add(prov)
    db_session.flush()
    land = Agency(code="T-STNMT", name_vi="Sở Tài nguyên và Môi trường", level="department", parent_id=prov.id)
    build = Agency(code="T-SXD", name_vi="Sở Xây dựng", level="department", parent_id=prov.id)
    district = Agency(code="T-HCX", name_vi="UBND huyện Cẩm Xuyên", level="district", parent_id=prov.id)
    db_session.add_all([land, build, district])
    db_session.flush()
    commune = Agency(code="T-XCB", name_vi="UBND xã Cẩm Bình", level="commune", parent_id=district.id)
    db_session.add(commune)
    db_session.flush()
    point = ServicePoint(code="T-TTHCC", name_vi="Trung tâm Phục vụ HCC tỉnh", kind="province_centre",
                         agency_id=prov.id)
    db_session.add(point)
    db_session.flush()
    return {"province": prov, "land": land, "build": build, "district": district, "commune": commune,
            "point": point}


@pytest.fixture
def make_user(db_session):
    """Factory: make_user("name", "role", agency_id=..., service_point_id=...)."""

    def factory(username, role="analyst", **kwargs):
        return create_user(db_session, username, kwargs.pop("password", PASSWORD), role, **kwargs)

    return factory


def sign_in(client, username, password=PASSWORD, next_url=None):
    """Post the real sign-in form; returns the response."""
    url = "/auth/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"username": username, "password": password,
                                  "next": next_url or ""})


def open_browser_session(client, user, db_session) -> str:
    """Sign `client` in as `user` without the form: a real server-side session and its token in the cookie."""
    _row, token = sessions.open_session(db_session, user, "test-client")
    db_session.commit()
    with client.session_transaction() as s:
        s["_user_id"], s["_fresh"], s[TOKEN_KEY] = str(user.id), True, token
    return token


def copy_session_cookie(source, target) -> None:
    """Give `target` the session cookie `source` holds, as a thief with a copy of it would have."""
    target.set_cookie("session", source.get_cookie("session").value)
