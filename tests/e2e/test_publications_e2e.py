"""Real browser: the trends page compares a wave only with earlier published waves, and every analyst page
names the publication version it shows, says when a newer one exists and links to it."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import insert, select

from tests.e2e.test_analyst_e2e import _shot, _sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def desktop(browser):
    """A 1280-wide browser page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    pg = context.new_page()
    yield pg
    context.close()


def _demo_waves(app):
    """(code, name, status, period start, id) of the demo's SIPAS waves, oldest first.

    Only the waves of the main questionnaire version: a trend compares a wave with those of its own
    questionnaire, and the demo's hospital and school waves have theirs.
    """
    from survey.extensions import db
    from survey.models import Wave

    with app.app_context():
        waves = list(db.session.scalars(select(Wave).order_by(Wave.period_start, Wave.id)))
        main = max({w.questionnaire_version_id for w in waves},
                   key=lambda v: sum(w.questionnaire_version_id == v for w in waves))
        return [(w.code, w.name, str(w.status), w.period_start, w.id) for w in waves
                if w.questionnaire_version_id == main]


def test_trends_show_only_the_selected_wave_and_earlier_published_ones(desktop, live_app, live_server):
    waves = _demo_waves(live_app)
    closed = [w for w in waves if w[2] == "closed"]
    selected = closed[-2]  # a wave with later waves after it (a closed one and the running one)
    later = [w for w in waves if w[3] > selected[3]]
    assert later, "the demo should have waves after the selected one"
    _sign_in(desktop, live_server, "analyst", "/analyst/trends?wave=%d" % selected[4])
    rows = desktop.locator("section.card").nth(1).locator("tbody tr")
    shown = [rows.nth(k).get_attribute("data-wave") for k in range(rows.count())]
    assert shown[-1] == selected[0]  # the selected wave is the last point
    assert set(shown) <= {w[0] for w in waves if w[3] <= selected[3]}
    assert not {w[0] for w in later} & set(shown)
    note = desktop.get_by_test_id("trend-scope").inner_text()
    assert "Chỉ so sánh với các đợt trước" in note and "%d đợt sau" % len(later) in note
    _shot(desktop, "20-trends-earlier-only")


def _restate_oldest(app) -> tuple[int, str]:
    """Import late dossiers into the oldest demo wave's period and restate it (version 2); returns its id."""
    from survey.extensions import db
    from survey.models import Dossier, SourceSystem, Wave, WaveStratum
    from survey.services.workspace import publishing

    with app.app_context():
        wave = db.session.scalars(select(Wave).where(Wave.status == "closed").order_by(Wave.period_start)).first()
        stratum = db.session.scalars(select(WaveStratum).where(WaveStratum.wave_id == wave.id)
                                     .order_by(WaveStratum.population.desc())).first()
        src = SourceSystem(code="e2e-late", name="Phần mềm một cửa (muộn)")
        db.session.add(src)
        db.session.flush()
        day = datetime.combine(wave.period_start, datetime.min.time()).replace(day=10)
        db.session.execute(insert(Dossier.__table__), [
            {"source_system_id": src.id, "external_id": "E2E-LATE-%d" % k, "agency_id": stratum.agency_id,
             "sector_id": stratum.sector_id, "channel": "in_person", "received_at": day, "completed_at": day,
             "outcome": "approved", "content_hash": "e2e%d" % k, "created_at": datetime(2026, 12, 1)}
            for k in range(3 * stratum.population + 50)])
        publishing.restate(db.session, "e2e", wave, "Nhập bổ sung hồ sơ muộn")
        db.session.commit()
        return wave.id, wave.code


def test_the_version_banner_names_the_version_and_leads_from_an_old_one_to_the_latest(desktop, live_app,
                                                                                       live_server):
    wave_id, _code = _restate_oldest(live_app)
    _sign_in(desktop, live_server, "analyst", "/analyst/?wave=%d" % wave_id)
    banner = desktop.get_by_test_id("version-banner")
    assert "phiên bản 2" in banner.inner_text() and "đã có phiên bản mới hơn" not in banner.inner_text()
    latest_headline = desktop.get_by_test_id("headline-value").inner_text()
    banner.get_by_role("link", name="1", exact=True).click()  # the version list
    desktop.wait_for_load_state()
    assert "version=1" in desktop.url
    banner = desktop.get_by_test_id("version-banner")
    assert "phiên bản 1" in banner.inner_text() and "đã có phiên bản mới hơn" in banner.inner_text()
    old_headline = desktop.get_by_test_id("headline-value").inner_text()
    assert old_headline != latest_headline  # the late dossiers moved the published index
    _shot(desktop, "21-version-banner-old")
    desktop.get_by_test_id("latest-version").click()
    desktop.wait_for_load_state()
    assert "version=" not in desktop.url
    assert desktop.get_by_test_id("headline-value").inner_text() == latest_headline
    # The old version stays readable on every page it is asked of, e.g. the ranking.
    desktop.goto("%s/analyst/agencies?wave=%d&version=1" % (live_server, wave_id))
    assert "phiên bản 1" in desktop.get_by_test_id("version-banner").inner_text()
