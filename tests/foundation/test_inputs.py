"""Odd input reaching any route gets a clear 4xx: ids no column can hold, redirects no header can carry.

Each of these was a 500 on SQLite and PostgreSQL before (found by probing every route).
"""
from __future__ import annotations

from survey.models import User
from survey.web.inputs import MAX_ROW_ID
from tests.workspace.conftest import world  # noqa: F401  (a small province with one closed wave)


def _sign_in_admin(client, db_session):
    user = User(username="admin-inputs", password_hash="!", role="admin")
    db_session.add(user)
    db_session.commit()
    with client.session_transaction() as s:
        s["_user_id"], s["_fresh"] = str(user.id), True


def test_route_ids_beyond_an_integer_column_are_a_404(client, db_session):
    _sign_in_admin(client, db_session)
    assert client.get(f"/admin/users/{MAX_ROW_ID + 1}").status_code == 404
    assert client.get(f"/admin/waves/{10**20}").status_code == 404
    assert client.post(f"/admin/devices/{2**40}/revoke").status_code == 404
    assert client.get(f"/analyst/agencies/{2**31}").status_code == 404
    assert client.get(f"/s/some-token/{10**20}").status_code == 404
    assert client.get(f"/admin/users/{MAX_ROW_ID}").status_code == 404  # the largest id is still looked up


def test_the_language_switch_never_redirects_to_a_target_with_control_characters(client):
    resp = client.get("/lang/en?next=/%0d%0aSet-Cookie:x=1")
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    assert client.get("/lang/vi?next=/analyst/").headers["Location"] == "/analyst/"


def test_an_agency_filter_beyond_an_integer_column_is_a_404(client, db_session, world):  # noqa: F811
    _sign_in_admin(client, db_session)
    assert client.get(f"/analyst/charts/elements.svg?agency={world['land'].id}").status_code == 200
    assert client.get(f"/analyst/charts/elements.svg?agency={10**20}").status_code == 404  # was a 500
