"""The analysts' page of judgement indicators and needs: the publication's shares, small cells withheld,
a viewer's scope, the not-comparable label, and nothing recomputed after publication."""
from __future__ import annotations

import re

import numpy as np
import pytest
from flask_babel import format_decimal
from sqlalchemy import delete, select

from analysis import Design
from analysis.indicators import indicator_cells, indicator_questions, option_matrix
from survey.models import Answer, Response
from survey.services import publications
from survey.services.questionnaires.bank import load_file
from tests.workspace.conftest import build_world, sign_in

URL = "/analyst/indicators"


def _text(resp) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", resp.get_data(as_text=True)))


def _block(resp, testid: str) -> str:
    """The text of the element with data-testid=testid (up to the end of its table)."""
    html = resp.get_data(as_text=True)
    start = html.index('data-testid="%s"' % testid)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html[start:html.index("</table>", start)]))


def _num(client, value: float) -> str:
    with client.application.test_request_context():
        return format_decimal(value, format="0.0")


def _published(db_session, world):
    return publications.current(db_session, world["wave"].id).table


def test_the_whole_province_shows_the_published_shares_with_their_intervals(client, world, analyst, db_session):
    sign_in(client, "phan.tich")
    resp = client.get(URL)
    assert resp.status_code == 200
    shares = _published(db_session, world).indicators["overall"][""].shares["CHANNEL"]
    in_person, online = shares[1], shares[2]  # k % 3 answered 1, the others 2 (tests/workspace/conftest.py)
    assert 60 < in_person.value < 72 and in_person.value + online.value == pytest.approx(100.0)
    block = _block(resp, "question-CHANNEL")
    assert "Trực tiếp tại bộ phận một cửa " + _num(client, in_person.value) in block
    assert _num(client, in_person.ci_low) + " – " + _num(client, in_person.ci_high) in block
    assert "%d người trả lời" % in_person.n in block and in_person.n == 277
    page = _text(resp)
    assert "Chỉ số đánh giá và nhu cầu" in page and "Nhu cầu, mong đợi" not in page  # nobody answered NEED*
    assert "Số liệu công bố phiên bản 1" in page  # the version banner: read from the publication


def test_the_page_reads_the_publication_not_the_answers(client, world, analyst, db_session):
    sign_in(client, "phan.tich")
    before = _block(client.get(URL), "question-CHANNEL")
    ids = select(Response.id).where(Response.wave_id == world["wave"].id)
    db_session.execute(delete(Answer).where(Answer.item_code == "CHANNEL", Answer.response_id.in_(ids)))
    db_session.flush()
    assert _block(client.get(URL), "question-CHANNEL") == before  # until someone restates


def test_a_small_agency_is_withheld_with_its_count_and_a_sector_can_be_chosen(client, world, analyst, db_session):
    sign_in(client, "phan.tich")
    commune = world["commune"]
    resp = client.get(URL, query_string={"domain": "agency:%d" % commune.id})
    block = _block(resp, "question-CHANNEL")
    assert "Chưa đủ số liệu" in block and "12 người trả lời" in block  # 12 answers < 30
    share = _published(db_session, world).indicators["agencies"][commune.id].shares["CHANNEL"][1]
    assert _num(client, share.value) not in block
    land = _published(db_session, world).indicators["sectors"]["land"].shares["CHANNEL"][1]
    by_filter = client.get(URL, query_string={"sector": "land"})  # the filter bar's sector picks the domain
    assert _num(client, land.value) in _block(by_filter, "question-CHANNEL")
    assert 'value="sector:land" selected' in by_filter.get_data(as_text=True)
    assert client.get(URL, query_string={"level": "department"}).get_data(as_text=True).count("unused-filters") == 1


def test_a_viewer_sees_his_agency_only(client, world, viewer, db_session):
    sign_in(client, "xem.tnmt")
    resp = client.get(URL)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    choices = html[html.index('id="f-domain"'):html.index("</select>", html.index('id="f-domain"'))]
    assert re.findall(r'value="([^"]*)"', choices) == ["agency:%d" % world["land"].id]
    share = _published(db_session, world).indicators["agencies"][world["land"].id].shares["CHANNEL"][1]
    assert _num(client, share.value) in _block(resp, "question-CHANNEL")
    assert client.get(URL, query_string={"domain": "agency:%d" % world["build"].id}).status_code == 404
    assert client.get(URL, query_string={"domain": ""}).status_code == 404  # the whole province
    assert client.get(URL, query_string={"domain": "sector:land"}).status_code == 404
    assert client.get(URL, query_string={"domain": "agency:x"}).status_code == 404


def test_an_unpublished_wave_shows_the_empty_state(client, world, analyst, db_session):
    other = build_world(db_session, code="W-UNPUB", seed=3, publish=False)["wave"]
    sign_in(client, "phan.tich")
    resp = client.get(URL, query_string={"wave": other.id})
    assert resp.status_code == 200 and 'data-testid="empty-state"' in resp.get_data(as_text=True)
    assert "chưa được công bố" in _text(resp)


def test_signed_out_users_are_sent_to_sign_in(client, world):
    assert client.get(URL).status_code in (302, 401)


def test_indicators_of_a_kiosk_wave_are_labelled_not_comparable(app, db_session):
    from survey import QUESTIONNAIRE_DIR
    from survey.models import QuestionnaireVersion
    from survey.web.analyst.indicators import _questions

    loaded = load_file(db_session, QUESTIONNAIRE_DIR + "/kiosk-quick.yaml")
    content = db_session.get(QuestionnaireVersion, loaded.version_id).content
    questions = indicator_questions(content)
    n = 40
    d = Design(np.ones(n), strata=np.arange(n) % 2)
    mats = {c: option_matrix(n, np.arange(n), (np.arange(n) % len(q.options)) + min(q.options), q.options)
            for c, q in questions.items()}
    cell = indicator_cells(d, questions, mats, {"overall": None}, lambda kind, k: ("", "Toàn tỉnh", "Whole"))
    table = type("T", (), {"indicator_questions": questions})()
    got = _questions(table, cell["overall"][""], "vi")
    assert got and all("không so sánh được với chỉ số SIPAS 2023" in q.note for q in got)
    assert _questions(table, cell["overall"][""], "en")[0].note.count("not comparable with the SIPAS 2023") == 1
