"""Issue 21.8: the dashboard opens on a wave with answers, and it and the PDF count the same respondents."""
from __future__ import annotations

import io
import re
from datetime import date, datetime

from pypdf import PdfReader
from sqlalchemy import delete, select

from survey.models import Answer, QuestionnaireVersion, Response, Wave
from survey.services.results import index_structure
from survey.services.workspace import dashboard as dash
from survey.services.workspace import publishing, reports
from tests.workspace.conftest import build_world, sign_in


def _text(pdf: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))


def _skipping_world(session):
    """A wave where no item was answered by everyone: each respondent skips one item in turn, and three
    respondents answer no index item at all (only the overall question and the background)."""
    handles = build_world(session, publish=False)
    wave = handles["wave"]
    ids = session.scalars(select(Response.id).where(Response.wave_id == wave.id).order_by(Response.id)).all()
    items = index_structure(session.get(QuestionnaireVersion, wave.questionnaire_version_id).content)["items"]
    for k, rid in enumerate(ids):
        skip = items if k < 3 else [items[k % len(items)]]
        session.execute(delete(Answer).where(Answer.response_id == rid, Answer.item_code.in_(skip)))
    session.flush()
    publishing.publish(session, "test", wave)
    return handles, len(ids)


def test_headline_counts_respondents_with_an_index_answer_and_the_pdf_says_the_same(db_session, client, analyst):
    handles, total = _skipping_world(db_session)
    wave = handles["wave"]
    ov = dash.overview(db_session, wave, dash.Filters(wave.id), None, 30)
    assert ov.respondents == total
    assert ov.headline.n == total - 3  # not the most-answered item's count
    assert ov.headline.n > ov.headline.est.n
    text = _text(reports.report(db_session, wave, "vi", min_n=30))
    shown = f"{ov.headline.n:,}".replace(",", ".")
    assert "tính trên %s người trả lời" % shown in text
    assert "3 trong số đó không trả lời tiêu chí nào" in text  # the gap to the dashboard's note, explained
    sign_in(client, "phan.tich")
    page = client.get("/analyst/?wave=%d" % wave.id).get_data(as_text=True)
    assert "%s người trả lời" % shown in page


def test_dashboard_opens_on_the_latest_wave_with_answers(db_session, client, analyst):
    handles = build_world(db_session)
    empty = Wave(code="EMPTY", name="Đợt đã đóng, không có trả lời", period_start=date(2025, 10, 1),
                 period_end=date(2025, 12, 31), questionnaire_version_id=handles["wave"].questionnaire_version_id,
                 seed="x", status="closed", design={}, launched_at=datetime(2025, 10, 1),
                 closed_at=datetime(2026, 1, 5))
    db_session.add(empty)
    db_session.flush()
    assert dash.default_wave(db_session).id == handles["wave"].id
    sign_in(client, "phan.tich")
    page = client.get("/analyst/").get_data(as_text=True)
    assert handles["wave"].code in page
    assert "Không có câu trả lời nào" not in page
