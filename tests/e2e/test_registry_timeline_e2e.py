"""Real browser, the registry's history: an agency's timeline (came from, versions, became, with dates and
shares), following a link along the lineage, and a lineage upload refused with its rows on the page."""
from __future__ import annotations

import pytest

from tests.e2e.test_admin_e2e import _sign_in_as_admin

pytestmark = pytest.mark.e2e

# Codes of their own, beside the demo province: the live app's database is shared by the e2e session.
REGISTRY = """kind,code,name_vi,level,parent_code,official_code,valid_from,valid_to
agency,E2E-P,Ủy ban nhân dân tỉnh Thử E2E,province,,99,,
agency,E2E-X1,Ủy ban nhân dân xã Cũ Một,commune,E2E-P,,,
agency,E2E-X2,Ủy ban nhân dân xã Cũ Hai,commune,E2E-P,,,
agency,E2E-N1,Ủy ban nhân dân xã Mới,commune,E2E-P,99001,2025-07-01,
agency,E2E-N2,Ủy ban nhân dân phường Mới,ward,E2E-P,99002,2025-07-01,
"""
LINEAGE = """kind,predecessor_code,successor_code,effective_on,share,note
merge,E2E-X1,E2E-N1,2025-07-01,,Nghị quyết thử
split,E2E-X2,E2E-N1,2025-07-01,0.7,
split,E2E-X2,E2E-N2,2025-07-01,0.3,
"""


@pytest.fixture(scope="module")
def reorganised(live_app, tmp_path_factory):
    """The small reorganisation imported into the live app; returns {code: id}."""
    from sqlalchemy import select

    from survey.extensions import db
    from survey.models.registry import Agency
    from survey.services.registry.imports import import_registry
    from survey.services.registry.lineage_import import import_lineage

    folder = tmp_path_factory.mktemp("registry-e2e")
    (folder / "registry.csv").write_text(REGISTRY, encoding="utf-8")
    (folder / "lineage.csv").write_text(LINEAGE, encoding="utf-8")
    with live_app.app_context():
        assert import_registry(db.session, str(folder / "registry.csv")).errors == []
        assert import_lineage(db.session, str(folder / "lineage.csv")).errors == []
        db.session.commit()
        codes = dict(db.session.execute(select(Agency.code, Agency.id).where(Agency.code.like("E2E-%"))).all())
        db.session.remove()
    return codes


def test_the_agency_timeline_shows_its_predecessors_and_follows_them(page, live_server, reorganised):
    _sign_in_as_admin(page, live_server, f"/admin/registry/agencies/{reorganised['E2E-N1']}")
    page.wait_for_selector("#agency-timeline")
    assert page.get_by_role("heading", name="Ủy ban nhân dân xã Mới").is_visible()

    events = page.locator("[data-timeline] > li")
    kinds = events.evaluate_all("es => es.map(e => e.dataset.event)")
    assert kinds == ["came_from", "version"]
    formed = events.first
    assert formed.locator("strong").inner_text() == "01/07/2025"
    text = formed.inner_text()
    assert "Sáp nhập: Ủy ban nhân dân xã Cũ Một" in text and "Nghị quyết thử" in text
    assert "Chia tách: Ủy ban nhân dân xã Cũ Hai (E2E-X2), 70,0 %" in text
    assert "99001" in page.locator("[data-validity]").locator("xpath=..").inner_text()

    # Follow the lineage back to the split unit: it ended, and its dossiers went to two of today's units.
    formed.get_by_role("link", name="Ủy ban nhân dân xã Cũ Hai").click()
    page.wait_for_selector("#agency-timeline")
    became = page.locator('[data-event="became"]')
    assert became.locator("strong").inner_text() == "01/07/2025"
    assert "Chia tách thành:" in became.inner_text()
    today = page.locator("[data-today] li").evaluate_all("ls => ls.map(l => l.dataset.unit)")
    assert today == ["E2E-N1", "E2E-N2"]
    assert "30,0 %" in page.locator("[data-today]").inner_text()
    assert page.get_by_text("đã hết hiệu lực").first.is_visible()


def test_a_bad_lineage_upload_lists_its_rows_and_changes_nothing(page, live_server, reorganised, tmp_path):
    bad = tmp_path / "bad-lineage.csv"
    bad.write_text("kind,predecessor_code,successor_code,effective_on,share,note\n"
                   "merge,E2E-N1,E2E-N2,2026-01-01,,\nmerge,E2E-N1,E2E-P,2026-01-01,,\n", encoding="utf-8")
    _sign_in_as_admin(page, live_server, "/admin/registry/lineage")
    page.get_by_label("Tệp lịch sử cơ quan (.csv)").set_input_files(str(bad))
    page.get_by_role("button", name="Kiểm tra và nhập").click()
    page.wait_for_load_state()

    summary = page.locator("#lineage-errors")
    assert summary.is_visible()
    assert "dòng 2, cột successor_code" in summary.inner_text() and "E2E-N2, E2E-P" in summary.inner_text()

    page.goto(f"{live_server}/admin/registry/agencies/{reorganised['E2E-N1']}")
    assert page.locator('[data-event="became"]').count() == 0  # nothing was stored
