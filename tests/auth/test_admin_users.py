"""Admin pages for accounts and the audit log; every action is audit-logged."""
from __future__ import annotations

from datetime import date

from survey.models import AuditLog, User
from survey.services.common import audit
from tests.auth.conftest import PASSWORD, sign_in


def _admin(client, make_user):
    admin = make_user("quantri", "admin")
    sign_in(client, "quantri")
    return admin


def test_admin_home_links_to_users_and_audit(client, make_user):
    _admin(client, make_user)
    html = client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/users/"' in html and 'href="/admin/audit/"' in html


def test_admin_creates_an_agency_viewer(client, make_user, agencies, db_session):
    _admin(client, make_user)
    resp = client.post("/admin/users/new", data={
        "username": "xem.tnmt", "full_name": "Trần Thị Xem", "role": "agency_viewer",
        "agency_id": str(agencies["land"].id), "service_point_id": "None",
        "password": PASSWORD, "confirm": PASSWORD})
    assert resp.status_code == 302
    user = db_session.query(User).filter_by(username="xem.tnmt").one()
    assert user.agency_id == agencies["land"].id
    entry = db_session.query(AuditLog).filter_by(action="user.create").one()
    assert entry.actor == "quantri" and entry.target_id == str(user.id)


def test_create_form_shows_errors_and_keeps_nothing(client, make_user, db_session):
    _admin(client, make_user)
    resp = client.post("/admin/users/new", data={
        "username": "ngan", "role": "analyst", "agency_id": "None", "service_point_id": "None",
        "password": "ngan", "confirm": "ngan"})
    assert resp.status_code == 200
    assert "ít nhất" in resp.get_data(as_text=True)
    assert db_session.query(User).filter_by(username="ngan").count() == 0


def test_mismatched_confirmation_is_refused(client, make_user, db_session):
    _admin(client, make_user)
    resp = client.post("/admin/users/new", data={
        "username": "khop", "role": "analyst", "agency_id": "None", "service_point_id": "None",
        "password": PASSWORD, "confirm": PASSWORD + "x"})
    assert "Hai mật khẩu không khớp" in resp.get_data(as_text=True)
    assert db_session.query(User).filter_by(username="khop").count() == 0


def test_admin_changes_role_and_disables(client, make_user, agencies, db_session):
    _admin(client, make_user)
    other = make_user("vinh", "analyst")
    resp = client.post(f"/admin/users/{other.id}", data={
        "role": "agency_viewer", "agency_id": str(agencies["build"].id), "service_point_id": "None"})
    assert resp.status_code == 302
    assert (other.role, other.agency_id) == ("agency_viewer", agencies["build"].id)
    client.post(f"/admin/users/{other.id}/active", data={"enable": "0"})
    assert other.active is False
    actions = [e.action for e in db_session.query(AuditLog).filter(AuditLog.action.like("user.%"))]
    assert "user.set_role" in actions and "user.disable" in actions


def test_admin_cannot_disable_or_demote_themselves(client, make_user):
    admin = _admin(client, make_user)
    client.post(f"/admin/users/{admin.id}/active", data={"enable": "0"})
    client.post(f"/admin/users/{admin.id}", data={"role": "analyst", "agency_id": "None",
                                                  "service_point_id": "None"})
    assert admin.active and admin.role == "admin"


def test_admin_resets_a_password(client, make_user):
    _admin(client, make_user)
    other = make_user("xuan", "analyst")
    client.post(f"/admin/users/{other.id}/password", data={"password": "mot-mat-khau-moi", "confirm":
                                                         "mot-mat-khau-moi"})
    client.post("/auth/logout")
    assert sign_in(client, "xuan", "mot-mat-khau-moi").status_code == 302


def test_users_list_filters_by_role(client, make_user):
    _admin(client, make_user)
    make_user("yen", "analyst")
    html = client.get("/admin/users/?role=analyst").get_data(as_text=True)
    assert "yen" in html and "quantri" not in html.split("<tbody>")[1]


def test_audit_log_is_filterable_and_escapes_details(client, make_user, db_session):
    _admin(client, make_user)
    audit.record(db_session, "cli", "wave.close", "wave", "7", note="<script>alert(1)</script>")
    audit.record(db_session, "cli", "user.create", "user", "8")
    html = client.get("/audit/".join(["/admin", ""]) + "?action=wave.close").get_data(as_text=True)
    assert "wave.close" in html and "<script>alert(1)" not in html and "&lt;script&gt;" in html
    body = html.split("<tbody>")[1]
    assert "user.create" not in body


def test_audit_log_paginates(client, make_user, db_session):
    _admin(client, make_user)
    for i in range(60):
        audit.record(db_session, "cli", "test.bulk", "x", str(i))
    first = client.get("/admin/audit/?action=test.bulk").get_data(as_text=True)
    second = client.get("/admin/audit/?action=test.bulk&page=2").get_data(as_text=True)
    assert "Trang 1 / 2" in first and "Trang 2 / 2" in second


def test_account_changes_are_committed_with_their_audit_rows(client, make_user, agencies, db_session):
    _admin(client, make_user)
    other = make_user("thao", "analyst")
    client.post(f"/admin/users/{other.id}", data={
        "role": "agency_viewer", "agency_id": str(agencies["land"].id), "service_point_id": "None"})
    client.post(f"/admin/users/{other.id}/password", data={"password": "mot-mat-khau-moi", "confirm":
                                                         "mot-mat-khau-moi"})
    db_session.rollback()  # keeps only what the requests committed
    assert db_session.get(User, other.id).role == "agency_viewer"
    actions = [e.action for e in db_session.query(AuditLog).filter(AuditLog.target_id == str(other.id))]
    assert actions == ["user.set_role", "user.set_password"]


def test_a_refused_role_change_stores_nothing_and_says_why(client, make_user, agencies, db_session):
    _admin(client, make_user)
    other = make_user("tung", "analyst")
    db_session.commit()  # the account exists before the request; the refusal rolls back only its own work
    resp = client.post(f"/admin/users/{other.id}", data={"role": "officer", "agency_id": "None",
                                                         "service_point_id": "None"})
    assert resp.status_code == 200 and "điểm phục vụ" in resp.get_data(as_text=True)
    assert db_session.get(User, other.id).role == "analyst"
    assert db_session.query(AuditLog).filter_by(action="user.set_role").count() == 0


def test_an_account_whose_audit_row_is_refused_is_not_created(client, make_user, db_session):
    from tests.foundation.test_txn import refuse_inserts

    _admin(client, make_user)
    refuse_inserts(db_session, "audit_log", "NEW.action = 'user.create'")
    resp = client.post("/admin/users/new", data={
        "username": "khong.vet", "role": "analyst", "agency_id": "None", "service_point_id": "None",
        "password": PASSWORD, "confirm": PASSWORD})
    assert resp.status_code == 500
    assert db_session.query(User).filter_by(username="khong.vet").count() == 0


def test_scope_choices_offer_todays_units_and_keep_a_retired_scope_until_reassigned(client, make_user, agencies,
                                                                                     db_session):
    _admin(client, make_user)
    agencies["district"].valid_to = date(2025, 7, 1)  # the district level ended on 1 July 2025
    db_session.flush()
    new_page = client.get("/admin/users/new").get_data(as_text=True)
    assert "UBND huyện Cẩm Xuyên" not in new_page and "Sở Xây dựng" in new_page
    # An account still scoped to the retired district can be edited without losing its scope.
    viewer = make_user("xem.huyen", "agency_viewer", agency_id=agencies["district"].id)
    edit_page = client.get(f"/admin/users/{viewer.id}").get_data(as_text=True)
    assert "UBND huyện Cẩm Xuyên" in edit_page
