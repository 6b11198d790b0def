"""A wave on a questionnaire without satisfaction items (dossier-eval): no index, but no error either."""
from __future__ import annotations

import os
import re

import pytest

from survey import QUESTIONNAIRE_DIR
from survey.models import Answer, QuestionnaireVersion, Response
from survey.services import results
from survey.services.questionnaires.bank import index_structure, load_file
from tests.workspace.conftest import build_world, sign_in
from tests.workspace.test_reports import _text as pdf_text

EMPTY_STATE = "không có tiêu chí hài lòng"
PAGES = ("/analyst/", "/analyst/agencies", "/analyst/points", "/analyst/items", "/analyst/trends",
         "/analyst/priorities")
CHARTS = ("agencies", "elements", "items", "sectors", "points", "trends", "priorities", "rates")
FILES = ("/analyst/export/index.csv", "/analyst/export/index.xlsx", "/analyst/export/microdata.csv",
         "/analyst/export/microdata.sav", "/analyst/export/codebook.csv", "/analyst/report.pdf")


def _text(resp) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", resp.get_data(as_text=True)))


@pytest.fixture
def dossier_world(db_session):
    """The workspace province with one closed wave on dossier-eval; twenty responses score the nine criteria."""
    loaded = load_file(db_session, os.path.join(QUESTIONNAIRE_DIR, "dossier-eval.yaml"))
    version = db_session.get(QuestionnaireVersion, loaded.version_id)
    assert index_structure(version.content)["items"] == []  # the premise: nothing counts towards an index
    db_session.info["hl_version"] = version
    world = build_world(db_session, code="W-DOSSIER")
    ids = db_session.query(Response.id).filter_by(wave_id=world["wave"].id).limit(20).all()
    db_session.add_all([Answer(response_id=rid, item_code="D%d" % k, value_int=(rid + k) % 3)
                        for (rid,) in ids for k in range(1, 10)])
    db_session.flush()
    return world


def test_analyst_pages_show_an_empty_state(client, dossier_world, analyst):
    sign_in(client, "phan.tich")
    wave = dossier_world["wave"].id
    district = dossier_world["district"].id
    point = "/analyst/agencies/%d/points/%d" % (district, dossier_world["dcentre"].id)
    for url in PAGES + ("/analyst/agencies/%d" % district, point):
        resp = client.get(url, query_string={"wave": wave})
        assert resp.status_code == 200, url
        assert EMPTY_STATE in _text(resp), url
    # response rates do not depend on the index: the page works as usual
    assert client.get("/analyst/rates", query_string={"wave": wave}).status_code == 200


def test_charts_exports_and_report_answer_without_server_error(client, dossier_world, analyst):
    sign_in(client, "phan.tich")
    wave = dossier_world["wave"].id
    for name in CHARTS:
        for fmt in ("svg", "png"):
            resp = client.get("/analyst/charts/%s.%s" % (name, fmt), query_string={"wave": wave})
            assert resp.status_code < 500, (name, fmt)
            assert resp.status_code != 200 or resp.data.lstrip().startswith((b"<?xml", b"\x89PNG")), (name, fmt)
    for url in FILES:
        resp = client.get(url, query_string={"wave": wave})
        assert resp.status_code < 500, url
    for lang in ("vi", "en"):
        resp = client.get("/analyst/report.pdf", query_string={"wave": wave, "lang": lang})
        assert resp.status_code == 200 and resp.data.startswith(b"%PDF"), lang
        if lang == "vi":
            assert EMPTY_STATE in pdf_text(resp.data)
    index = client.get("/analyst/export/index.csv", query_string={"wave": wave, "csv": "intl"}).get_data(as_text=True)
    assert index.splitlines()[0].lstrip("\ufeff").startswith("table,key") and "item," not in index
    microdata = client.get("/analyst/export/microdata.csv", query_string={"wave": wave})
    assert microdata.status_code == 200 and b"D1" in microdata.data  # the answers themselves still export


@pytest.mark.parametrize("source", ["db", "memory"])
def test_index_table_is_empty_rather_than_invalid_sql(db_session, dossier_world, source):
    table = results.wave_index_table(db_session, dossier_world["wave"].id, source=source)
    assert table.items == () and table.respondents > 0
    assert table.agencies == {} and table.overall.index.overall.n == 0
    assert results.wave_data(db_session, dossier_world["wave"].id).answers.shape == (table.respondents, 0)
