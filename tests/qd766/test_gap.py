"""The gap between the QĐ 766 score and the sampled index: on the dashboard (headline and table per agency,
sorted by gap, with the position against the CI, empty state, viewer scope) and in the PDF."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from survey.models import SourceSystem
from survey.services.intake import batch as intake
from survey.services.qd766 import ingest
from survey.services.qd766.records import Kind
from survey.services.workspace import dashboard as dash
from survey.services.workspace import reports
from tests.workspace.conftest import sign_in


def _dossier(ext: str, agency: str, sector: str, on_time: bool = True) -> dict:
    return {
        "external_id": ext,
        "agency": agency,
        "sector": sector,
        "channel": "in_person",
        "received_at": "2025-08-01T08:00:00+07:00",
        "completed_at": "2025-08-05T10:00:00+07:00",
        "due_at": "2025-08-10" if on_time else "2025-08-04",
        "outcome": "approved",
    }


@pytest.fixture
def dossiers(db_session, world):
    """Settled in the wave's quarter: land 20 dossiers (one overdue, one petitioned: 90 %), construction 10 (all
    fine: 100 %), the district 10 (one rated not satisfied: 90 %)."""
    source = SourceSystem(code="motcua-t", name="Một cửa")
    db_session.add(source)
    db_session.flush()
    records = [_dossier(f"L-{i}", "T-STNMT", "land", on_time=i != 0) for i in range(20)]
    records += [_dossier(f"B-{i}", "T-SXD", "construction") for i in range(10)]
    records += [_dossier(f"D-{i}", "T-HCX", "civil_status") for i in range(10)]
    assert intake.ingest(db_session, source, records).count("stored") == 40
    ingest.ingest(
        db_session,
        source,
        Kind.EVENT,
        [{"external_id": "E-1", "dossier": "L-1", "kind": "petition", "at": "2025-08-06"}],
    )
    ingest.ingest(
        db_session,
        source,
        Kind.RATING,
        [{"external_id": "R-1", "dossier": "D-1", "rated_at": "2025-08-06", "level": "not_satisfied"}],
    )
    return source


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_each_agency_row_has_its_766_score_its_index_and_the_gap_sorted_by_gap(db_session, world, dossiers):
    ov = dash.overview(db_session, world["wave"], dash.Filters(world["wave"].id), None, 30)
    cmp = ov.qd766
    rows = {r.key: r for r in cmp.rows}
    cells = {c.key: c for c in ov.agencies}
    land, build, district = world["land"].id, world["build"].id, world["district"].id
    assert (rows[land].score.value, rows[build].score.value, rows[district].score.value) == (90.0, 100.0, 90.0)
    for key in (land, build, district):
        assert rows[key].index == cells[key].value
        assert rows[key].gap == pytest.approx(rows[key].score.value - cells[key].value)
    gaps = [r.gap for r in cmp.rows if r.gap is not None]
    assert gaps == sorted(gaps, reverse=True)
    assert cmp.rows[0].key == land  # the land department: index near 62 %, 766 score 90 %
    assert rows[land].position == "above" and rows[land].est.ci_high < 90.0
    commune = rows[world["commune"].id]  # answers but no dossier: no 766 score, no gap, last
    assert (commune.score.value, commune.gap, commune.position) == (None, None, "")
    assert cmp.rows[-1] is commune
    assert (cmp.overall.score.dossiers, cmp.overall.score.unfavourable) == (40, 3)
    assert cmp.overall.score.value == pytest.approx(92.5)
    assert cmp.overall.gap == pytest.approx(92.5 - ov.headline.value)


def test_the_dashboard_shows_the_gap_headline_and_table(client, world, analyst, dossiers):
    sign_in(client, "phan.tich")
    resp = client.get("/analyst/?wave=%d" % world["wave"].id)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Khoảng cách giữa điểm QĐ 766 và chỉ số khảo sát" in html
    section = _text(html.split('data-testid="qd766-gap"')[1].split("</section>")[0])
    assert "Điểm QĐ 766: 92,5 %" in section and "40 hồ sơ" in section
    assert "16,6/18 điểm" in section  # 92,5 % of 18 points = 16,65, in floating point just below
    table = html.split('data-testid="qd766-table"')[1].split("</table>")[0]
    names = [_text(n).strip() for n in re.findall(r'<td class="name">(.*?)</td>', table)]
    assert names[0] == "Sở Tài nguyên và Môi trường"
    assert "Cao hơn KTC" in table
    gap = _text(html.split('data-testid="qd766-gap-value"')[1].split("</p>")[0])
    assert re.match(r"\s*>?\s*\+\d+,\d điểm", gap), gap


def test_an_agency_viewer_sees_only_the_766_score_of_its_agencies(client, db_session, world, viewer, dossiers):
    ov = dash.overview(db_session, world["wave"], dash.Filters(world["wave"].id), {world["land"].id}, 30)
    assert [r.key for r in ov.qd766.rows] == [world["land"].id]
    assert ov.qd766.overall.score.dossiers == 20
    sign_in(client, "xem.tnmt")
    html = client.get("/analyst/?wave=%d" % world["wave"].id).get_data(as_text=True)
    table = html.split('data-testid="qd766-table"')[1].split("</table>")[0]
    assert "Sở Xây dựng" not in table and "Sở Tài nguyên và Môi trường" in table


def test_the_sector_filter_applies_to_the_766_side_too(db_session, world, dossiers):
    ov = dash.overview(db_session, world["wave"], dash.Filters(world["wave"].id, sector="construction"), None, 30)
    assert ov.qd766.overall.score.dossiers == 10 and ov.qd766.overall.score.value == 100.0
    level = dash.overview(db_session, world["wave"], dash.Filters(world["wave"].id, level="district"), None, 30)
    assert level.qd766.overall.score.dossiers == 10


def test_without_dossiers_in_the_period_the_dashboard_says_so(client, world, analyst):
    sign_in(client, "phan.tich")
    html = client.get("/analyst/?wave=%d" % world["wave"].id).get_data(as_text=True)
    section = html.split('data-testid="qd766-gap"')[1].split("</section>")[0]
    assert "Chưa có hồ sơ nào được giải quyết trong kỳ của đợt này" in section
    assert 'data-testid="qd766-table"' not in section


def _pdf_text(pdf: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))


def test_the_pdf_has_the_gap_in_its_summary_and_a_table_sorted_by_gap(db_session, world, dossiers):
    text = _pdf_text(reports.report(db_session, world["wave"], "vi", province="Thử", min_n=30))
    summary = text.split("1. Tóm tắt")[1].split("2. Phương pháp")[0]
    assert "Điểm QĐ 766 là 92,5 % (40 hồ sơ)" in summary and "Chi tiết ở mục 10." in summary
    section = text.split("10. Điểm QĐ 766 và chỉ số khảo sát")[1]
    assert section.index("Sở Tài nguyên và Môi trường") < section.index("Ủy ban nhân dân xã Cẩm Bình")
    assert "Cao hơn KTC" in section and "90,0" in section and "100,0" in section


def test_the_pdf_without_dossiers_says_there_is_no_766_score(db_session, world):
    text = _pdf_text(reports.report(db_session, world["wave"], "vi", min_n=30))
    section = text.split("10. Điểm QĐ 766 và chỉ số khảo sát")[1]
    assert "chưa tính được điểm QĐ 766" in section
    assert "Điểm QĐ 766 là" not in text.split("2. Phương pháp")[0]


def test_the_english_pdf_has_the_table_with_english_numbers_and_names(db_session, world, dossiers):
    text = _pdf_text(reports.report(db_session, world["wave"], "en", min_n=30))
    section = re.split(r"10\. (?:Điểm QĐ 766 và chỉ số khảo sát|QĐ 766 score and survey index)", text)[1]
    assert "Sở Tài nguyên và Môi trường (en)" in section  # the registry's English name
    assert "90.0" in section and "100.0" in section and "90,0" not in section


def test_the_dashboard_shows_the_ten_largest_gaps_and_folds_the_rest(app):
    from types import SimpleNamespace as NS

    from flask import render_template

    def row(i):
        score = NS(value=99.0, dossiers=10 + i, points=17.8)
        return NS(label_in=lambda _lang, i=i: f"Cơ quan {i:02d}", small=False, score=score, index=80.0 - i,
                  est=None, gap=19.0 + i, position="above")

    rows = [row(i) for i in range(12)]
    overall = NS(gap=14.0, score=NS(value=99.0, points=17.8, dossiers=500), index=85.0, est=None, position="above")
    cmp = NS(empty=False, overall=overall, rows=rows, above=12)
    with app.test_request_context("/analyst/"):
        html = render_template("analyst/dashboard_qd766.html", ov=NS(qd766=cmp))
    first = html.split('data-testid="qd766-table"')[1].split("</table>")[0]
    more = html.split("<details")[1].split("</details>")[0]
    assert first.count("<tr class") == 10 and "Cơ quan 09" in first and "Cơ quan 10" not in first
    assert "Xem thêm 2 cơ quan" in more and "Cơ quan 10" in more and "Cơ quan 11" in more
