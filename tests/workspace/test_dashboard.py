"""The analyst dashboard: numbers from the analysis engine, targets, statuses, ranking, filters, drill-down."""
from __future__ import annotations

import re
import uuid

import numpy as np
import pytest
from flask_babel import format_decimal
from sqlalchemy import select

from analysis import Design, satisfaction_index
from survey.services.questionnaires.bank import index_structure
from tests.workspace.conftest import CELLS, build_world, sign_in


def _text(resp) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", resp.get_data(as_text=True)))


def _expected_overall(world, db_session, agency_ids=None):
    """The SIPAS index recomputed here from the raw answers: weights N_h / respondents_h, strata = cells."""
    from survey.models import Answer, Response

    structure = index_structure(_version(world, db_session).content)
    items = structure["items"]
    rows = db_session.query(Response).filter_by(wave_id=world["wave"].id).order_by(Response.id).all()
    if agency_ids is not None:
        rows = [r for r in rows if r.agency_id in agency_ids]
    col = {c: j for j, c in enumerate(items)}
    answers = np.full((len(rows), len(items)), np.nan)
    pos = {r.id: i for i, r in enumerate(rows)}
    for a in db_session.query(Answer).filter(Answer.response_id.in_(list(pos))):
        if a.item_code in col and a.value_int is not None:
            answers[pos[a.response_id], col[a.item_code]] = a.value_int
    strata = np.array(["%d|%d" % (r.agency_id, r.sector_id) for r in rows], dtype=object)
    pop = {"%d|%d" % (world[a].id, world["sector:" + s].id): N for a, s, N, *_ in CELLS}
    resp = {k: int((strata == k).sum()) for k in set(strata.tolist())}
    weights = np.array([pop[k] / resp[k] for k in strata])
    d = Design(weights, strata=strata, fpc=np.array([pop[k] for k in strata], dtype=float))
    return satisfaction_index(d, answers, structure).overall


def _version(world, db_session):
    from survey.models import QuestionnaireVersion

    return db_session.get(QuestionnaireVersion, world["wave"].questionnaire_version_id)


def test_headline_is_the_engine_estimate_with_its_ci(client, world, analyst, db_session):
    sign_in(client, "phan.tich")
    page = _text(client.get("/analyst/"))
    expected = _expected_overall(world, db_session)
    with client.application.test_request_context():
        value = format_decimal(expected.value, format="0.0")
        low = format_decimal(expected.ci_low, format="0.0")
    assert value + " %" in page
    assert low in page
    assert "Dưới mục tiêu" in page  # a province around 80 % is below the 90 % target of 2025


def test_sectors_are_held_to_their_own_targets(client, world, analyst):
    sign_in(client, "phan.tich")
    html = client.get("/analyst/").get_data(as_text=True)
    land_row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*Đất đai(?:(?!</tr>).)*</tr>", html, re.S).group(0)
    assert "85,0" in land_row and "Dưới mục tiêu" in land_row


def test_small_cells_are_flagged_and_not_ranked(client, world, analyst):
    sign_in(client, "phan.tich")
    html = client.get("/analyst/agencies").get_data(as_text=True)
    commune = re.search(r"<tr[^>]*>(?:(?!</tr>).)*Cẩm Bình(?:(?!</tr>).)*</tr>", html, re.S).group(0)
    assert "Quá ít câu trả lời" in commune and "small-cell" in commune
    assert re.search(r'<td class="num">—</td>', commune)


def test_agency_ranking_sorts_by_index_both_ways(client, world, analyst):
    sign_in(client, "phan.tich")
    best_first = _text(client.get("/analyst/agencies?sort=value&desc=1"))
    worst_first = _text(client.get("/analyst/agencies?sort=value&desc=0"))
    assert best_first.index("Cẩm Xuyên") < best_first.index("Tài nguyên")
    assert worst_first.index("Tài nguyên") < worst_first.index("Cẩm Xuyên")


def test_ranking_statuses_are_in_colour_and_words(client, world, analyst):
    sign_in(client, "phan.tich")
    html = client.get("/analyst/agencies").get_data(as_text=True)
    assert 'class="badge status-below"' in html and "Dưới mục tiêu" in html


def test_sector_filter_changes_the_headline_and_target(client, world, analyst):
    sign_in(client, "phan.tich")
    page = _text(client.get("/analyst/?sector=land"))
    assert "Mục tiêu đất đai 2025" in page
    assert _text(client.get("/analyst/")).split("Chỉ số hài lòng chung")[1][:40] != page.split(
        "Chỉ số hài lòng chung")[1][:40]


def test_sector_filter_without_any_target_shows_the_index_without_one(client, world, analyst, db_session):
    from survey.models import Target

    for target in db_session.scalars(select(Target)):
        db_session.delete(target)
    db_session.flush()
    sign_in(client, "phan.tich")
    resp = client.get("/analyst/?sector=land")
    assert resp.status_code == 200 and "Chỉ số hài lòng chung" in _text(resp)


def test_level_filter_keeps_only_that_level(client, world, analyst):
    sign_in(client, "phan.tich")
    page = _text(client.get("/analyst/agencies?level=district"))
    assert "Cẩm Xuyên" in page and "Sở Xây dựng" not in page.split("Xếp hạng cơ quan")[-1]


def test_channel_filter_and_unknown_values(client, world, analyst):
    sign_in(client, "phan.tich")
    assert client.get("/analyst/?channel=online").status_code == 200
    assert client.get("/analyst/?channel=bogus&level=nope&sector=zzz").status_code == 200
    assert client.get("/analyst/?wave=999999").status_code == 404


def test_empty_state_without_waves(client, analyst):
    sign_in(client, "phan.tich")
    for url in ("/analyst/", "/analyst/agencies", "/analyst/trends"):
        assert "Chưa có đợt khảo sát nào" in client.get(url).get_data(as_text=True)


def test_drill_down_agency_point_items(client, world, analyst):
    sign_in(client, "phan.tich")
    district = world["district"].id
    page = client.get(f"/analyst/agencies/{district}").get_data(as_text=True)
    assert "Trung tâm HCC huyện Cẩm Xuyên" in page and "Gồm cả các đơn vị trực thuộc" in page
    point = world["dcentre"].id
    assert f"/analyst/agencies/{district}/points/{point}" in page
    detail = _text(client.get(f"/analyst/agencies/{district}/points/{point}"))
    assert "ACC1" in detail and "Tiếp cận dịch vụ" in detail
    assert client.get(f"/analyst/agencies/{district}/points/{world['centre'].id}").status_code == 404


def test_trends_show_each_wave_and_the_change(client, world, analyst, db_session):
    from datetime import date

    build_world(db_session, (date(2025, 10, 1), date(2025, 12, 31)), "W-2025Q4", seed=8, shift=0.08)
    sign_in(client, "phan.tich")
    page = _text(client.get("/analyst/trends"))
    assert "Đợt thử W-2025Q3" in page and "Đợt thử W-2025Q4" in page
    assert re.search(r"\+\d+,\d", page)  # the later wave shows its change


def test_response_rates_by_outcome_and_stratum(client, world, analyst):
    sign_in(client, "phan.tich")
    page = _text(client.get("/analyst/rates"))
    total_invited = sum(int(c[3] * 1.6) for c in CELLS)
    total_done = sum(c[3] for c in CELLS)
    assert format(total_done, ",").replace(",", ".") in page
    assert format(total_invited, ",").replace(",", ".") in page
    assert "Bị từ chối" in page and "Sở Tài nguyên và Môi trường × Đất đai" in page


def test_priorities_page_recommends_an_element(client, world, analyst):
    sign_in(client, "phan.tich")
    html = client.get("/analyst/priorities").get_data(as_text=True)
    assert "Mức độ quan trọng" in html
    assert 'class="badge status-' in html  # at least one element carries a recommendation


@pytest.mark.parametrize("name", ["agencies", "elements", "items", "sectors", "points", "trends", "priorities",
                                  "rates"])
def test_every_chart_renders(client, world, analyst, name):
    sign_in(client, "phan.tich")
    png = client.get(f"/analyst/charts/{name}.png")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    svg = client.get(f"/analyst/charts/{name}.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data


def test_unknown_chart_or_format_is_404(client, world, analyst):
    sign_in(client, "phan.tich")
    assert client.get("/analyst/charts/pie.png").status_code == 404
    assert client.get("/analyst/charts/agencies.gif").status_code == 404


def test_dashboard_in_english(client, world, analyst):
    sign_in(client, "phan.tich")
    client.get("/lang/en")
    page = _text(client.get("/analyst/"))
    assert re.search(r"\b\d{2}\.\d %", page)  # a decimal point in English, a comma in Vietnamese
    assert "Overview" in page


def test_a_response_stored_between_the_two_reads_of_a_live_wave_is_read_again(world, db_session, monkeypatch):
    from survey.models import Invitation, Response
    from survey.services import results
    from survey.services.workspace import wavedata

    wave = world["wave"]
    wave.status = "launched"  # live: read afresh, not memoised
    db_session.flush()
    spare = db_session.scalars(select(Invitation).where(Invitation.wave_id == wave.id, Invitation.status == "expired")
                               .order_by(Invitation.id)).first()
    real, calls = results.wave_data, []

    def then_a_citizen_submits(session, wave_id, source="memory"):
        data = real(session, wave_id, source)
        calls.append(data.n)
        if len(calls) == 1:  # right after the first read, before the second: a respondent arrives
            session.add(Response(uuid=str(uuid.uuid4()), invitation_id=spare.id, wave_id=wave.id,
                                 questionnaire_version_id=wave.questionnaire_version_id, agency_id=spare.agency_id,
                                 sector_id=spare.sector_id, mode="link", probability_sample=True))
            session.flush()
        return data

    monkeypatch.setattr(results, "wave_data", then_a_citizen_submits)
    frame = wavedata.load_live(db_session, wave)  # what a publication freezes
    assert calls == [calls[0], calls[0] + 1] and frame.n == calls[0] + 1
    assert len(frame.extras.channel) == frame.n
