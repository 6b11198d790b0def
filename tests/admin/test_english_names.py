"""English mode shows English names where the registry has them; agency and service point dropdowns are
searchable pickers that stay plain, labelled selects without JavaScript."""
from __future__ import annotations

import re

from sqlalchemy import select

from survey.models import ServicePoint, User
from survey.services.kiosk import operations as kiosk_ops
from tests.admin.conftest import english
from tests.sampling.factories import make_wave


def _options(page: str, select_name: str) -> list[str]:
    block = re.search(r'<select[^>]*name="%s"[^>]*>(.*?)</select>' % re.escape(select_name), page, re.S).group(1)
    return re.findall(r"<option[^>]*>([^<]*)</option>", block)


def _name_in_english(reg):
    reg["agencies"]["AG1"].name_en = "Agency One"
    reg["points"]["SP1"].name_en = "One-stop desk One"
    reg["sectors"]["land"].name_en = "Land"


def test_account_form_dropdowns_are_in_the_page_language_and_sorted_by_the_name_shown(client, admin, db_session,
                                                                                     reg):
    _name_in_english(reg)
    reg["agencies"]["AG2"].name_en = "Agency Two"
    reg["agencies"]["AG2"].name_vi = "A cơ quan đứng trước"
    db_session.flush()
    vi = client.get("/admin/users/new").get_data(as_text=True)
    assert _options(vi, "agency_id")[1:] == ["A cơ quan đứng trước", "Cơ quan AG1"]
    assert "Bộ phận một cửa SP1" in _options(vi, "service_point_id")
    english(client)
    en = client.get("/admin/users/new").get_data(as_text=True)
    assert _options(en, "agency_id")[1:] == ["Agency One", "Agency Two"]
    assert _options(en, "service_point_id")[1:] == ["Bộ phận một cửa SP2", "One-stop desk One"]  # SP2: no English


def test_api_key_and_device_dropdowns_show_english_names_in_english(client, admin, db_session, reg):
    _name_in_english(reg)
    db_session.flush()
    english(client)
    keys = client.get("/admin/apikeys").get_data(as_text=True)
    assert "Agency One (AG1)" in _options(keys, "rows-0-agency_id")
    assert "Land (land)" in _options(keys, "rows-0-sector_id")
    devices = client.get("/admin/devices").get_data(as_text=True)
    assert "One-stop desk One (SP1)" in _options(devices, "service_point_id")


def test_tables_and_wave_pages_name_rows_in_english(client, admin, db_session, reg, dossiers):
    _name_in_english(reg)
    point = db_session.scalar(select(ServicePoint).where(ServicePoint.code == "SP1"))
    kiosk_ops.register_device(db_session, admin, point, "Kiosk 1")
    viewer = User(username="viewer1", password_hash="x", role="agency_viewer", agency_id=reg["agencies"]["AG1"].id)
    db_session.add(viewer)
    wave = make_wave(db_session, dossiers, code="Q2", name_en="Second quarter")
    english(client)
    assert "One-stop desk One" in client.get("/admin/devices").get_data(as_text=True).split("<tbody>")[1]
    assert "Agency One" in client.get("/admin/users/").get_data(as_text=True)
    show = client.get(f"/admin/waves/{wave.id}").get_data(as_text=True)
    assert "<h1>Second quarter" in show and "Agency One × Land" in show
    assert "Second quarter" in client.get(f"/admin/waves/{wave.id}/rates").get_data(as_text=True)


def test_pickers_are_labelled_selects_marked_for_page_js(client, admin, db_session, reg):
    page = client.get("/admin/users/new").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="agency_id"[^>]*>', page).group(0)
    assert "data-picker" in select and 'id="agency_id"' in select and '<label for="agency_id">' in page
    assert 'data-picker-none="Không tìm thấy mục nào"' in select and 'data-picker-count="{n} mục phù hợp"' in select
    assert re.search(r'<select[^>]*name="role"[^>]*>', page).group(0).count("data-picker") == 0  # 4 roles: plain
    scope = client.get("/admin/apikeys").get_data(as_text=True)
    assert re.search(r'<select[^>]*aria-label="Điểm phục vụ, dòng 1"[^>]*data-picker', scope)
    assert 'src="/static/js/page.js"' in page and "onsubmit=" not in client.get("/admin/devices").get_data(as_text=True)


def test_without_javascript_the_picked_select_posts_as_before(client, admin, db_session, reg):
    resp = client.post("/admin/users/new", data={
        "username": "canbo1", "full_name": "", "role": "agency_viewer", "agency_id": str(reg["agencies"]["AG2"].id),
        "service_point_id": "None", "password": "mot-mat-khau-rat-dai", "confirm": "mot-mat-khau-rat-dai"})
    assert resp.status_code == 302
    assert db_session.scalar(select(User.agency_id).where(User.username == "canbo1")) == reg["agencies"]["AG2"].id


def test_the_rates_by_service_point_name_points_in_the_page_language(client, admin, db_session, reg, dossiers):
    from survey.services.sampling import waves

    reg["points"]["SP2"].name_en = "Desk Two"
    wave = make_wave(db_session, dossiers, code="Q2", fixed_pi=1.0)
    assert waves.launch(db_session, wave)  # Q2's 100 dossiers, all at SP2
    vi = client.get(f"/admin/waves/{wave.id}/rates").get_data(as_text=True)
    assert "Bộ phận một cửa SP2" in vi and "Desk Two" not in vi
    english(client)
    en = client.get(f"/admin/waves/{wave.id}/rates").get_data(as_text=True)
    assert "Desk Two" in en and "Bộ phận một cửa SP2" not in en and ">100<" in en
