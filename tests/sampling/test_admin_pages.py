"""Admin pages of waves: access, create, review, override, launch, bundle download, rates, audit, privacy."""
from __future__ import annotations

import io
import re
import zipfile

import pytest
from sqlalchemy import func, select

from survey.models import AuditLog, Invitation, Wave
from survey.services.intake import batch as intake
from survey.services.sampling import invitations as inv_service
from tests.sampling.factories import login, make_admin, make_wave, record


@pytest.fixture
def admin(client, db_session):
    """A signed-in administrator."""
    user = make_admin(db_session)
    login(client, user)
    return user


@pytest.fixture
def data(db_session, reg, source, version):
    """Dossiers of Q1 and Q2 2025."""
    intake.ingest(db_session, source, [record(f"P{i}", day=f"2025-02-{1 + i % 28:02d}") for i in range(200)]
                  + [record(f"C{i}", day=f"2025-05-{1 + i % 28:02d}", phone="0912345678") for i in range(100)])
    return version


@pytest.fixture
def inline_jobs(app, tmp_path):
    """Background jobs run in the request (their rows live in the test's transaction), files under tmp_path."""
    app.config.update(JOBS_INLINE=True, JOBS_DIR=str(tmp_path))
    yield app
    app.config.update(JOBS_INLINE=False, JOBS_DIR=None)


@pytest.mark.parametrize("role", ["analyst", "officer", "agency_viewer"])
def test_only_administrators_see_the_wave_pages(client, db_session, role):
    login(client, make_admin(db_session, role))
    assert client.get("/admin/waves/").status_code == 403


def test_anonymous_users_are_sent_to_sign_in(client, db_session):
    resp = client.get("/admin/waves/")
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]


def test_the_list_has_an_empty_state_then_shows_waves(client, admin, db_session, data):
    assert "Chưa có đợt khảo sát nào" in client.get("/admin/waves/").get_data(as_text=True)
    make_wave(db_session, data, code="Q2-2025")
    page = client.get("/admin/waves/").get_data(as_text=True)
    assert "Q2-2025" in page and "Nháp" in page


def test_creating_a_wave_from_the_form_plans_it_and_is_audit_logged(client, admin, db_session, data):
    form = client.get("/admin/waves/new").get_data(as_text=True)
    assert "sipas2023-service" in form and "n = N/(1+N·e²)" in form
    resp = client.post("/admin/waves/new", data={
        "code": "Q2", "name": "Quý II", "period_start": "2025-04-01", "period_end": "2025-06-30",
        "version_id": data.id, "scheme": "agency_sector", "rule": "target", "margin_pct": "10",
        "response_pct": "50", "min_responses": "10", "new_stratum_pct": "100"})
    assert resp.status_code == 302
    wave = db_session.scalar(select(Wave))
    assert (wave.design["margin"], wave.design["response_rate"]) == (0.1, 0.5)
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    # N_prev = 200 → n = 200/3 = 66.7 → 67 → 134 invitations → π = 67 %
    assert "Cơ quan AG1 × Lĩnh vực land" in page and "67,0&nbsp;%" in page and "134" in page
    assert db_session.scalar(select(AuditLog.action)) == "wave.create"


def test_the_form_explains_its_errors(client, admin, db_session, data):
    page = client.post("/admin/waves/new", data={
        "code": "bad code!", "name": "", "period_start": "2025-06-01", "period_end": "2025-05-01",
        "version_id": data.id, "rule": "fixed", "margin_pct": "5", "response_pct": "30", "min_responses": "30",
        "new_stratum_pct": "100"}).get_data(as_text=True)
    assert "Chỉ dùng chữ không dấu" in page and "Ngày kết thúc phải sau" in page and "Hãy nhập tỷ lệ chọn" in page
    assert db_session.scalar(select(func.count()).select_from(Wave)) == 0


def test_stratum_override_then_launch_needs_confirmation(client, admin, db_session, data):
    wave = make_wave(db_session, data, fixed_pi=None, margin=0.1, response_rate=0.5, min_responses=10)
    client.post(f"/admin/waves/{wave.id}/stratum", data={"key": "AG1|land", "mode": "pi", "value": "20"})
    assert wave.strata[0].pi == 0.2
    unconfirmed = client.post(f"/admin/waves/{wave.id}/launch", data={}, follow_redirects=True)
    assert "Hãy đánh dấu xác nhận" in unconfirmed.get_data(as_text=True) and wave.status == "draft"
    launched = client.post(f"/admin/waves/{wave.id}/launch", data={"confirm": "y"}, follow_redirects=True)
    n = db_session.scalar(select(func.count()).select_from(Invitation))
    assert "Đợt đang chạy: %d thư mời mới" % n in launched.get_data(as_text=True)
    assert wave.status == "launched" and 5 < n < 40
    refused = client.post(f"/admin/waves/{wave.id}/stratum", data={"key": "AG1|land", "mode": "rule"},
                          follow_redirects=True)
    assert "Chỉ sửa được thiết kế khi đợt còn ở trạng thái nháp" in refused.get_data(as_text=True)


def test_the_bundle_is_a_zip_of_slips_sms_and_links_issued_once(client, admin, db_session, data, inline_jobs):
    """The bundle is a background job: its page offers the ZIP; the tokens in it are the ones now stored."""
    wave = make_wave(db_session, data, fixed_pi=0.5)
    client.post(f"/admin/waves/{wave.id}/launch", data={"confirm": "y"})
    n = db_session.scalar(select(func.count()).select_from(Invitation))
    assert f"{n} thư mời chưa phát" in client.get(f"/admin/waves/{wave.id}").get_data(as_text=True)
    resp = client.post(f"/admin/waves/{wave.id}/bundle", data={"format": "a6"})
    assert resp.status_code == 303 and re.fullmatch(r"/jobs/\d+", resp.headers["Location"])
    state = client.get(resp.headers["Location"] + ".json").get_json()
    assert state["state"] == "done" and state["total"] == n and state["download"]
    got = client.get(state["download"])
    body = got.data
    got.close()
    assert got.status_code == 200 and got.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(body)).namelist()
    assert sorted(names) == ["links.csv", "phieu-moi-SP1-a6.html", "sms.csv"]
    sms = zipfile.ZipFile(io.BytesIO(body)).read("sms.csv").decode("utf-8-sig")
    assert len(re.findall(r"/m/[A-Z2-9]{4}-[A-Z2-9]{4}", sms)) == 3 * n  # the message, its plain version, the link
    links = zipfile.ZipFile(io.BytesIO(body)).read("links.csv").decode("utf-8-sig")
    tokens = re.findall(r"/s/([\w-]{20,})", links)
    assert len(tokens) == n and all(inv_service.find_by_token(db_session, t) for t in tokens)
    assert "0 thư mời chưa phát" in client.get(f"/admin/waves/{wave.id}").get_data(as_text=True)
    again = client.post(f"/admin/waves/{wave.id}/bundle", data={"format": "a6"}, follow_redirects=True)
    assert "Không còn thư mời nào chưa phát" in again.get_data(as_text=True)
    assert db_session.scalar(select(AuditLog.details).where(AuditLog.action == "wave.bundle"))["invitations"] == n


def test_rates_audit_close_purge_and_anonymise_pages(client, admin, db_session, data, inline_jobs):
    wave = make_wave(db_session, data, fixed_pi=0.5)
    client.post(f"/admin/waves/{wave.id}/launch", data={"confirm": "y"})
    rates = client.get(f"/admin/waves/{wave.id}/rates").get_data(as_text=True)
    assert "Theo tầng" in rates and "Theo điểm phục vụ" in rates and "Giải quyết (chấp thuận)" in rates
    assert "Khớp hoàn toàn" in client.get(f"/admin/waves/{wave.id}/audit").get_data(as_text=True)
    closed = client.post(f"/admin/waves/{wave.id}/close", data={}, follow_redirects=True).get_data(as_text=True)
    assert "Đã đóng đợt" in closed and wave.status == "closed"
    purged = client.post(f"/admin/waves/{wave.id}/purge-contacts", follow_redirects=True).get_data(as_text=True)
    assert "Đã xoá 100 số điện thoại" in purged
    anon = client.post(f"/admin/waves/{wave.id}/anonymise", follow_redirects=True).get_data(as_text=True)
    assert "Đã cắt liên kết" in anon and wave.anonymised_at is not None and wave.seed == ""
    audit_page = client.get(f"/admin/waves/{wave.id}/audit").get_data(as_text=True)
    assert 'data-testid="seed-erased"' in audit_page and "sai lệch" not in audit_page
    assert {a for a in db_session.scalars(select(AuditLog.action))} >= {"wave.launch", "wave.close",
                                                                         "wave.purge_contacts", "wave.anonymise"}


def test_forms_refuse_posts_without_a_csrf_token(client, admin, db_session, data, csrf_enabled):
    wave = make_wave(db_session, data)
    assert client.post(f"/admin/waves/{wave.id}/launch", data={"confirm": "y"}).status_code == 400
    assert wave.status == "draft"
    assert db_session.scalar(select(func.count()).select_from(Invitation)) == 0


def test_an_unknown_wave_is_a_404(client, admin, db_session):
    assert client.get("/admin/waves/9999").status_code == 404


def test_a_wave_step_is_committed_with_its_audit_row(client, admin, db_session, data):
    wave = make_wave(db_session, data, fixed_pi=0.5)
    client.post(f"/admin/waves/{wave.id}/launch", data={"confirm": "y"})
    db_session.rollback()  # keeps only what the request committed
    assert db_session.get(Wave, wave.id).status == "launched"
    assert db_session.scalars(select(AuditLog.action)).all() == ["wave.launch"]


def test_a_step_the_wave_rules_refuse_stores_nothing(client, admin, db_session, data):
    wave = make_wave(db_session, data, fixed_pi=0.5)
    db_session.commit()
    page = client.post(f"/admin/waves/{wave.id}/close", data={}, follow_redirects=True).get_data(as_text=True)
    assert "Đợt khảo sát chưa được khởi động" in page
    assert db_session.get(Wave, wave.id).status == "draft"
    assert db_session.scalar(select(func.count()).select_from(AuditLog)) == 0


def test_a_bundle_whose_audit_row_is_refused_hands_out_no_token(client, admin, db_session, data, inline_jobs,
                                                                tmp_path):
    from tests.foundation.test_txn import refuse_inserts

    wave = make_wave(db_session, data, fixed_pi=0.5)
    client.post(f"/admin/waves/{wave.id}/launch", data={"confirm": "y"})
    before = dict(db_session.execute(select(Invitation.id, Invitation.token_hash)).all())
    refuse_inserts(db_session, "audit_log", "NEW.action = 'wave.bundle'")
    resp = client.post(f"/admin/waves/{wave.id}/bundle", data={"format": "a6"})
    state = client.get(resp.headers["Location"] + ".json").get_json()
    assert state["state"] == "failed" and state["download"] is None
    # The new tokens had been flushed (and the ZIP written) before the audit insert failed: none is kept.
    assert dict(db_session.execute(select(Invitation.id, Invitation.token_hash)).all()) == before
    assert db_session.scalar(select(func.count()).where(Invitation.delivered_at.is_not(None))) == 0
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == []  # no ZIP of dead links left behind
