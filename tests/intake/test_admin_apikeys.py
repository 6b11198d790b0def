"""The admin page for intake API keys: list, create (shown once), scope, rotate, revoke; audited, CSRF, admins only."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from survey.models import ApiKey, AuditLog, SourceSystem
from survey.services.intake import apikeys
from survey.services.intake.scopes import Scope
from tests.sampling.factories import login, make_admin, make_key, record


@pytest.fixture
def admin(client, db_session, reg):
    user = make_admin(db_session)
    login(client, user)
    return user


def shown_key(html: str) -> str:
    return re.search(r"<code data-api-key>([^<]+)</code>", html).group(1)


def nonce(html: str) -> str:
    return re.search(r'name="nonce" type="hidden" value="([^"]+)"', html).group(1)


def test_the_list_shows_each_key_with_its_scope_last_use_and_state(client, db_session, admin, reg, source):
    whole = make_key(db_session, source)
    apikeys.create_key(db_session, source, [Scope(agency_id=reg["agencies"]["AG1"].id,
                                                  sector_id=reg["sectors"]["land"].id)], "Sở AG1")
    client.post("/api/v1/dossiers", json={"dossiers": [record("A")]}, headers={"X-API-Key": whole})
    page = client.get("/admin/apikeys")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert whole.split(".")[0] in html and whole.split(".")[1] not in html
    assert "Toàn tỉnh" in html and "Cơ quan AG1" in html and "Lĩnh vực land" in html and "Sở AG1" in html
    assert html.count("chưa dùng") == 1  # the whole-province key has been used, the other not
    assert "Khoá API nhận hồ sơ" in client.get("/admin/").get_data(as_text=True)


def test_creating_a_key_shows_it_once_uncached_and_a_reload_makes_no_second_key(client, db_session, admin, reg):
    form = client.get("/admin/apikeys").get_data(as_text=True)
    data = {"source_code": "motcua-ag1", "source_name": "Một cửa AG1", "label": "Sở AG1", "nonce": nonce(form),
            "rows-0-agency_id": str(reg["agencies"]["AG1"].id), "rows-0-service_point_id": "",
            "rows-0-sector_id": "", "rows-1-agency_id": "", "rows-1-service_point_id": "", "rows-1-sector_id": ""}
    resp = client.post("/admin/apikeys", data=data)
    assert resp.status_code == 201 and resp.headers["Cache-Control"] == "no-store"
    key = shown_key(resp.get_data(as_text=True))
    row = apikeys.authenticate(db_session, key)
    assert row.label == "Sở AG1" and row.source_system.name == "Một cửa AG1" and not row.all_agencies
    assert [(s.agency_id, s.service_point_id, s.sector_id) for s in row.scopes] == [(reg["agencies"]["AG1"].id,
                                                                                     None, None)]
    again = client.post("/admin/apikeys", data=data)  # the browser reloads the key page
    assert again.status_code == 302 and key not in client.get("/admin/apikeys").get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(ApiKey)) == 1
    entry = db_session.scalar(select(AuditLog).where(AuditLog.action == "apikey.create"))
    assert entry.user_id == admin.id and entry.details["scope"] == [{"agency": "AG1"}]


@pytest.mark.parametrize("scope", [{}, {"all_agencies": "y", "rows-0-agency_id": "AG1"}],
                         ids=["no scope", "both whole province and rows"])
def test_a_key_needs_exactly_one_kind_of_scope(client, db_session, admin, reg, scope):
    scope = {k: str(reg["agencies"]["AG1"].id) if v == "AG1" else v for k, v in scope.items()}
    resp = client.post("/admin/apikeys", data={"source_code": "motcua", **scope})
    assert resp.status_code == 422 and 'role="alert"' in resp.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(ApiKey)) == 0
    assert db_session.scalar(select(func.count()).select_from(SourceSystem)) == 0


def test_changing_the_scope_replaces_it_and_is_audited(client, db_session, admin, reg, source):
    row, key = apikeys.create_key(db_session, source, [Scope(agency_id=reg["agencies"]["AG1"].id)])
    page = client.get(f"/admin/apikeys/{row.id}/scope").get_data(as_text=True)
    assert f'<option selected value="{reg["agencies"]["AG1"].id}">' in page
    resp = client.post(f"/admin/apikeys/{row.id}/scope", data={
        "rows-0-agency_id": "", "rows-0-service_point_id": str(reg["points"]["SP2"].id), "rows-0-sector_id": "",
        "rows-1-agency_id": str(reg["agencies"]["AG1"].id), "rows-1-service_point_id": "",
        "rows-1-sector_id": str(reg["sectors"]["land"].id)})
    assert resp.status_code == 302
    db_session.expire_all()
    assert sorted((s.agency_id, s.service_point_id, s.sector_id) for s in row.scopes if s.agency_id) == [
        (reg["agencies"]["AG1"].id, None, reg["sectors"]["land"].id)]
    assert len(row.scopes) == 2
    entry = db_session.scalar(select(AuditLog).where(AuditLog.action == "apikey.scope"))
    assert entry.details["before"] == [{"agency": "AG1"}] and {"service_point": "SP2"} in entry.details["after"]
    body = client.post("/api/v1/dossiers", json={"dossiers": [record("ag1-civil", procedure="P-CIV-1"),
                                                              record("ag2-sp2", agency="AG2", service_point="SP2")]},
                       headers={"X-API-Key": key}).get_json()
    assert [r["status"] for r in body["results"]] == ["rejected", "stored"]  # the new scope is what counts
    whole = client.post(f"/admin/apikeys/{row.id}/scope", data={"all_agencies": "y"})
    db_session.expire_all()
    assert whole.status_code == 302 and row.all_agencies and row.scopes == []


def test_rotating_shows_a_new_key_once_and_revokes_the_old_one(client, db_session, admin, reg, source):
    row, old = apikeys.create_key(db_session, source, [Scope(agency_id=reg["agencies"]["AG1"].id)], "Sở AG1")
    resp = client.post(f"/admin/apikeys/{row.id}/rotate")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    new = shown_key(resp.get_data(as_text=True))
    assert apikeys.authenticate(db_session, old) is None
    assert apikeys.authenticate(db_session, new).label == "Sở AG1"
    reloaded = client.post(f"/admin/apikeys/{row.id}/rotate")  # a reload of the new key's page
    assert reloaded.status_code == 302 and db_session.scalar(select(func.count()).select_from(ApiKey)) == 2
    assert db_session.scalar(select(AuditLog.details).where(AuditLog.action == "apikey.rotate"))["new_prefix"] == \
        new.split(".")[0]


def test_revoking_stops_the_key_at_once_and_is_audited(client, db_session, admin, reg, source):
    key = make_key(db_session, source)
    row = apikeys.find(db_session, key.split(".")[0])
    resp = client.post(f"/admin/apikeys/{row.id}/revoke")
    assert resp.status_code == 302
    assert client.post("/api/v1/dossiers", json={"dossiers": [record("A")]},
                       headers={"X-API-Key": key}).status_code == 401
    assert db_session.scalar(select(AuditLog.actor).where(AuditLog.action == "apikey.revoke")) == admin.username
    assert client.get(f"/admin/apikeys/{row.id}/scope").status_code == 302  # a revoked key's scope is final


@pytest.mark.parametrize("role", ["analyst", "officer", "agency_viewer"])
def test_only_admins_reach_the_key_pages(client, db_session, reg, source, role):
    login(client, make_admin(db_session, role))
    row, _key = apikeys.create_key(db_session, source)
    assert client.get("/admin/apikeys").status_code == 403
    assert client.post("/admin/apikeys", data={"source_code": "x", "all_agencies": "y"}).status_code == 403
    for action in ("scope", "rotate", "revoke"):
        assert client.post(f"/admin/apikeys/{row.id}/{action}").status_code == 403
    assert db_session.scalar(select(func.count()).select_from(ApiKey)) == 1 and row.revoked_at is None


def test_anonymous_users_are_sent_to_sign_in(client, db_session):
    resp = client.get("/admin/apikeys")
    assert resp.status_code == 302 and "login" in resp.headers["Location"]


def test_every_form_needs_the_csrf_token(client, db_session, admin, reg, source, csrf_enabled):
    row, key = apikeys.create_key(db_session, source)
    assert client.post("/admin/apikeys", data={"source_code": "x", "all_agencies": "y"}).status_code in (400, 422)
    assert client.post(f"/admin/apikeys/{row.id}/scope", data={"all_agencies": "y"}).status_code in (400, 422)
    assert client.post(f"/admin/apikeys/{row.id}/rotate").status_code == 400
    assert client.post(f"/admin/apikeys/{row.id}/revoke").status_code == 400
    db_session.expire_all()
    assert row.revoked_at is None and db_session.scalar(select(func.count()).select_from(ApiKey)) == 1
    page = client.get("/admin/apikeys").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post(f"/admin/apikeys/{row.id}/revoke", data={"csrf_token": token}).status_code == 302
    assert apikeys.authenticate(db_session, key) is None
