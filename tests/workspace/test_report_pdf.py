"""Issue 21.13: the wave report as a tagged, accessible PDF (WeasyPrint, PDF/UA-1), checked on the demo province.

The demo is seeded once per module in a rolled-back transaction (about 15 s) and the reports are rendered
once from it; each test reads those bytes.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass

import pikepdf
import pytest
from flask_babel import force_locale
from pypdf import PdfReader

from analysis import charts
from survey.extensions import db
from survey.services.workspace import dashboard as dash
from survey.services.workspace import report_layout as L
from survey.services.workspace import report_pdf, report_results, reports
from tests.conftest import BoundSession

CM = 72 / 2.54
MIN_FILL = 0.45  # every page but the last has content down to at least this share of its body height


@dataclass
class Demo:
    """The demo wave's report data and content, and its tagged PDFs in both languages."""

    data: reports.ReportData
    data_en: reports.ReportData
    content: dict
    pdf: bytes
    pdf_en: bytes
    html: str


@pytest.fixture(scope="module")
def demo(app):
    """Seed the demo province (bank, registry, five waves, QĐ 766 ratings), render its reports, then roll it
    all back before the tests read them (an open write transaction would lock SQLite for the other tests)."""
    from survey import QUESTIONNAIRE_DIR
    from survey.services.demo import seed_demo
    from survey.services.publications import records
    from survey.services.questionnaires.bank import load_bank

    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        session = db._make_scoped_session(
            {"bind": connection, "join_transaction_mode": "create_savepoint", "class_": BoundSession}
        )
        original, db.session = db.session, session
        try:
            load_bank(session, QUESTIONNAIRE_DIR)
            seed_demo(session)
            wave = dash.default_wave(session)
            gathered = {}
            for lang in ("vi", "en"):
                with force_locale(lang):
                    gathered[lang] = reports.gather(session, wave, lang, province="Hà Tĩnh", min_n=30)
            with force_locale("vi"):
                html = report_pdf.render_html(gathered["vi"])
                content = report_results.build(gathered["vi"])
            result = Demo(
                gathered["vi"],
                gathered["en"],
                content,
                report_pdf.build_pdf(gathered["vi"]),
                report_pdf.build_pdf(gathered["en"]),
                html,
            )
        finally:
            session.remove()  # closed first: the loaded objects stay readable, detached
            db.session = original
            transaction.rollback()
            connection.close()
            records.reset_caches()
        yield result


def _text(pdf: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))


def _elements(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    """Every structure element of the tagged PDF, depth first."""
    out, todo = [], [pdf.Root.StructTreeRoot]
    while todo:
        node = todo.pop()
        if "/S" in node:
            out.append(node)
        kids = node.get("/K")
        kids = (
            [kids] if isinstance(kids, pikepdf.Dictionary) else (list(kids) if isinstance(kids, pikepdf.Array) else [])
        )
        todo += [k for k in kids if isinstance(k, pikepdf.Dictionary)]
    return out


# -- how full a page is: the lowest thing painted in its body, from the content stream ------------------------


def _mul(a, b):
    return [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]


def _at(m, x, y):
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def _painted(stream, resources, ctm, out: list) -> list:
    """The points of everything painted: text origins, stroked/filled path points, image corners (recursing
    into form XObjects). Clipping paths (`W n`) paint nothing and are skipped."""
    stack, path, tm, tlm, leading = [], [], [1, 0, 0, 1, 0, 0], [1, 0, 0, 1, 0, 0], 0.0
    for operands, op in pikepdf.parse_content_stream(stream):
        op, a = str(op), operands
        if op == "q":
            stack.append(ctm)
        elif op == "Q" and stack:
            ctm = stack.pop()
        elif op == "cm":
            ctm = _mul([float(x) for x in a], ctm)
        elif op in ("m", "l"):
            path.append(_at(ctm, float(a[0]), float(a[1])))
        elif op in ("c", "v", "y"):
            path.append(_at(ctm, float(a[-2]), float(a[-1])))
        elif op == "re":
            x, y, w, h = (float(v) for v in a)
            path += [_at(ctm, x, y), _at(ctm, x + w, y + h)]
        elif op in ("S", "s", "f", "F", "f*", "B", "B*", "b", "b*"):
            out += path
            path = []
        elif op == "n":
            path = []
        elif op == "BT":
            tm = tlm = [1, 0, 0, 1, 0, 0]
        elif op == "Tm":
            tm = tlm = [float(x) for x in a]
        elif op in ("Td", "TD"):
            tm = tlm = _mul([1, 0, 0, 1, float(a[0]), float(a[1])], tlm)
            leading = -float(a[1]) if op == "TD" else leading
        elif op == "TL":
            leading = float(a[0])
        elif op == "T*":
            tm = tlm = _mul([1, 0, 0, 1, 0, -leading], tlm)
        if op in ("Tj", "TJ", "'", '"'):
            out.append(_at(_mul(tm, ctm), 0, 0))
        elif op == "Do":
            xo = resources.XObject[a[0]]
            if xo.Subtype == "/Image":
                out += [_at(ctm, 0, 0), _at(ctm, 1, 1)]
            else:
                matrix = [float(x) for x in xo.get("/Matrix", [1, 0, 0, 1, 0, 0])]
                _painted(xo, xo.get("/Resources", resources), _mul(matrix, ctm), out)
    return out


def page_fill(pdf: bytes, top_cm: float = 1.8, bottom_cm: float = 2.0) -> list[float]:
    """Per page, how far down its body (inside the margins, so the running footer is left out) content
    reaches, as a share of the body height: 1.0 = to the bottom margin, 0.2 = a fifth of the page."""
    fills = []
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for page in doc.pages:
            y0, y1 = float(page.mediabox[1]), float(page.mediabox[3])
            low, high = y0 + bottom_cm * CM, y1 - top_cm * CM
            ys = [y for _x, y in _painted(page.obj, page.Resources, [1, 0, 0, 1, 0, 0], []) if low <= y <= high]
            fills.append((high - min(ys)) / (high - low) if ys else 0.0)
    return fills


# -- the tests --------------------------------------------------------------------------------------------------


def test_report_is_tagged_pdf_ua_with_language_title_headings_tables_and_figure_alt_text(demo):
    with pikepdf.open(io.BytesIO(demo.pdf)) as pdf:
        root = pdf.Root
        assert "/StructTreeRoot" in root
        assert bool(root.MarkInfo.Marked) is True
        assert str(root.Lang) == "vi"
        assert bool(root.ViewerPreferences.DisplayDocTitle) is True
        with pdf.open_metadata() as meta:
            assert "Báo cáo khảo sát sự hài lòng" in meta.get("dc:title", "")
            assert meta.get("pdfuaid:part") == "1"
        elements = _elements(pdf)
        kinds = {str(e.S) for e in elements}
        assert {"/H1", "/H2", "/Table", "/Caption", "/TH", "/TD", "/Figure", "/L"} <= kinds
        figures = [e for e in elements if e.S == "/Figure"]
        assert len(figures) >= 5
        for fig in figures:
            alt = str(fig.get("/Alt", ""))
            assert len(alt) > 40 and ("Biểu đồ" in alt or "Ma trận" in alt), alt
        headers = [e for e in elements if e.S == "/TH"]
        assert any(e.get("/ID") for e in headers)  # header cells are referenced by their data cells
        fonts = [f for page in pdf.pages for f in page.Resources.Font.values()]
        for font in fonts:  # every font is embedded (a descendant's descriptor has the font file)
            desc = font.DescendantFonts[0].FontDescriptor if "/DescendantFonts" in font else font.FontDescriptor
            assert any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")), font.BaseFont
            assert "DejaVu" in str(font.BaseFont)


def test_vietnamese_text_is_extractable_with_its_diacritics_and_sections_come_in_order(demo):
    text = _text(demo.pdf)
    headings = [
        "BÁO CÁO",
        "Kính gửi: Ủy ban nhân dân tỉnh Hà Tĩnh",
        "1. Tóm tắt",
        "2. Phương pháp",
        "3. Kết quả theo yếu tố và tiêu chí",
        "4. Kết quả theo lĩnh vực",
        "5. Xếp hạng cơ quan",
        "6. Cơ quan dưới mục tiêu",
        "7. Ưu tiên cải thiện",
        "8. Xu hướng qua các kỳ",
        "9. Tỷ lệ trả lời theo kết quả hồ sơ",
        "10. Điểm QĐ 766 và chỉ số khảo sát",
    ]
    positions = [text.find(h) for h in headings]
    assert -1 not in positions, [h for h, p in zip(headings, positions) if p < 0]
    assert positions == sorted(positions)
    for sentence in (
        "Kết quả khảo sát sự hài lòng của người dân, tổ chức",
        "Trọng số: trọng số gốc bằng nghịch đảo",
        "Hiệu ứng thiết kế do trọng số không đều (Kish)",
        "Ưu tiên cải thiện:",
    ):
        assert sentence in text, sentence
    assert demo.data.wave.name in text and "Số liệu công bố phiên bản" in text


def test_numbers_in_the_pdf_are_gathers_numbers(demo):
    data, text = demo.data, _text(demo.pdf)
    ov = data.ov
    assert "Chỉ số hài lòng chung của đợt khảo sát là %s %%" % L.num(ov.headline.value) in text
    assert "tính trên %s người trả lời" % L.integer(ov.headline.n) in text
    checked = 0
    for kind, cells in (("agency", ov.agencies), ("sector", ov.sectors)):
        for c in cells:
            if not c.rank:
                continue
            row = "%d %s %s %s %s" % (
                c.rank,
                data.names[kind][c.key],
                L.num(c.value),
                reports._ci(data, c.est),
                L.integer(c.n),
            )
            assert row in text, row
            checked += 1
    assert checked == sum(1 for c in ov.agencies + ov.sectors if c.rank) > 30
    for c in ov.items:
        assert "%s %s %s" % (c.key, L.num(c.value), reports._ci(data, c.est)) in text, c.key
    total = data.rates["total"]
    assert "%s câu trả lời trên %s phiếu mời" % (L.integer(total.completed), L.integer(total.total)) in text
    gap = data.ov.qd766
    assert gap is not None and not gap.empty and len(gap.rows) > 30
    with force_locale("vi"):
        assert text.count(re.sub(r"\s+", " ", L.qd766_headline(gap, "vi"))) == 2  # summary and section 10
    for r in gap.rows:
        if r.index is not None:
            name = r.label + (" †" if r.small else "")  # a small cell carries its mark
            row = "%s %s %s %s" % (name, L.num(r.score.value), L.integer(r.score.dossiers), L.num(r.index))
            assert row in text, row


def test_every_table_marks_its_small_cells_with_a_footnote(demo):
    data, text, content = demo.data, _text(demo.pdf), demo.content
    tables = [
        content["results"]["elements"],
        content["results"]["item_table"],
        content["sectors"]["table"],
        content["agencies"]["table"],
        content["agencies"]["points"],
        content["trends"]["table"],
        (content["restated"] or {}).get("table"),  # the trend restated onto today's units
        content["rates"],
        content["qd766"]["table"],
    ]
    marked = 0
    for table in filter(None, tables):  # the model: a row with too few answers is always marked
        col = next((i for i, h in enumerate(table.header) if h in ("Số trả lời", "Đã trả lời")), None)
        for row in table.rows:
            if col is not None and int(row.cells[col].replace(".", "")) < data.ov.min_n:
                assert row.small, (table.caption, row.cells)
            marked += row.small
    gap = data.ov.qd766  # the QĐ 766 table has no count column: its rows carry the comparison's small flag
    assert [r.small for r in content["qd766"]["table"].rows] == [bool(r.small) for r in gap.rows]
    small = [c for c in data.ov.agencies if c.status == "small"]
    assert small and marked >= len(small)
    for c in small:  # the table rows of the PDF carry the mark
        assert "— %s †" % data.names["agency"][c.key] in text, c.key
    blocks = re.findall(r'<div class="table-block.*?</div>', demo.html, re.S)
    assert len(blocks) == sum(1 for t in tables if t)
    for block in blocks:  # in the HTML: each marked row has † and its table block has the footnote
        rows = re.findall(r'<tr class="[^"]*small-cell[^"]*">(.*?)</tr>', block, re.S)
        assert all("†" in r for r in rows)
        assert bool(rows) == ('class="footnote"' in block)
    assert text.count("† Dưới 30 câu trả lời, sai số tương đối quá lớn") == sum(1 for t in tables if t and t.has_small)


def test_english_report_is_tagged_in_english_with_english_names_and_decimal_points(demo):
    with pikepdf.open(io.BytesIO(demo.pdf_en)) as pdf:
        assert str(pdf.Root.Lang) == "en"
    text = _text(demo.pdf_en)
    assert "1. Summary" in text and "2. Method" in text and "REPORT" in text
    ov = demo.data_en.ov
    assert "%s %%" % L.num(ov.headline.value, lang="en") in text and "." in L.num(ov.headline.value, lang="en")
    ranked = [c for c in ov.agencies if c.rank]
    assert any(demo.data_en.names["agency"][c.key] != demo.data.names["agency"][c.key] for c in ranked)
    for c in ranked[:5]:
        assert demo.data_en.names["agency"][c.key] in text


def test_no_page_but_the_last_is_left_near_empty(demo):
    for pdf in (demo.pdf, demo.pdf_en):
        fills = page_fill(pdf)
        assert len(fills) > 6
        assert min(fills[:-1]) >= MIN_FILL, [round(f, 2) for f in fills]


def test_page_fill_measures_how_far_down_a_page_content_reaches():
    from weasyprint import HTML

    page = "<style>@page { size: A4; margin: 1.8cm 2cm 2cm 2cm } p { margin: 0 } .gap { height: %s }</style>"
    one_line, fifth, full = (
        HTML(string=page % h + '<p class="gap">x</p><p>y</p>').write_pdf() for h in ("0", "5cm", "24cm")
    )
    assert page_fill(one_line)[0] < 0.05
    assert 0.18 < page_fill(fifth)[0] < 0.22  # the second paragraph starts 5 cm down a 25.9 cm body
    assert page_fill(full)[0] > 0.9


def test_every_forest_plot_of_the_report_shares_one_x_axis(demo):
    data = demo.data
    with force_locale("vi"):
        axis = report_results.forest_axis(data)
        ranked = [c for c in data.ov.agencies if c.rank]
        from survey.services.workspace import charts as figures

        top = figures.forest(ranked[:5], data.ov.targets, xlim=axis)
        lowest = figures.forest(ranked[-5:], data.ov.targets, xlim=axis)
        sectors = figures.forest(data.ov.sectors, [], xlim=axis)
        alone = figures.forest(ranked[:5], data.ov.targets)
    limits = {tuple(f.axes[0].get_xlim()) for f in (top, lowest, sectors)}
    assert limits == {axis}
    assert axis[0] <= min(c.est.ci_low for c in ranked) and axis[1] == 100
    assert alone.axes[0].get_xlim() != axis  # on its own the top of the ranking would get a narrower axis
    content = demo.content
    forests = [content["sectors"]["figure"], *content["agencies"]["charts"]]
    for fig in forests:  # the alternative text names the shared axis
        assert "trên trục %s–100 %%" % L.num(axis[0], 0) in fig.alt


def test_forest_plot_xlim_and_axis_range():
    rows = [charts.Row("A", 91, 88, 94), charts.Row("B", 62, 55, 69)]
    assert charts.axis_range(charts.row_values(rows), [charts.TargetLine("T", 90)]) == (50.0, 100.0)
    assert charts.axis_range([], []) == (0.0, 100.0)
    fixed = charts.forest_plot(rows[:1], xlim=(50.0, 100.0))
    assert fixed.axes[0].get_xlim() == (50.0, 100.0)
    assert charts.forest_plot(rows[:1]).axes[0].get_xlim() == (80.0, 100.0)


def _report(session, wave, lang="vi", **kwargs) -> bytes:
    with force_locale(lang):
        data = reports.gather(session, wave, lang, **kwargs)
    return report_pdf.build_pdf(data)


def test_small_province_report_has_no_near_empty_page_and_lists_small_cells(db_session, world, caplog):
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = _report(db_session, world["wave"], province="Thử", min_n=30)
    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []  # e.g. a missing alt
    fills = page_fill(pdf)
    assert min(fills[:-1]) >= MIN_FILL, [round(f, 2) for f in fills]
    # (The ReportLab renderer this replaced filled a fifth of page 4 here, then broke the page: 0.20 by this measure.)
    text = _text(pdf)
    assert "Chưa đủ câu trả lời để xếp hạng (dưới 30): Ủy ban nhân dân xã Cẩm Bình (n = 12)" in text
    assert "— Ủy ban nhân dân xã Cẩm Bình †" in text  # and in the ranking table, marked
    below = text.split("6. Cơ quan dưới mục tiêu")[1].split("7. Ưu tiên cải thiện")[0]
    assert "Sở Tài nguyên và Môi trường" in below


def test_report_for_one_agency_and_of_a_wave_without_answers_still_render(db_session, world):
    from datetime import date

    from survey.models import Wave
    from survey.services.registry.hierarchy import agency_subtree_ids
    from survey.services.workspace import publishing

    land = world["land"]
    text = _text(
        _report(db_session, world["wave"], "en", visible=agency_subtree_ids(db_session, land.id), scope_agency=land)
    )
    assert "Scope: Sở Tài nguyên và Môi trường (en)" in text and "Sở Xây dựng" not in text
    empty = Wave(
        code="EMPTY",
        name="Đợt chưa có trả lời",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 3, 31),
        questionnaire_version_id=world["wave"].questionnaire_version_id,
        seed="x",
        status="launched",
        design={},
    )
    db_session.add(empty)
    db_session.flush()
    publishing.refresh_provisional(db_session, empty)
    text = _text(_report(db_session, empty))
    assert "Số liệu tạm thời" in text and "1. Tóm tắt" in text and "9. Tỷ lệ trả lời" in text


def test_names_are_escaped_and_the_renderer_fetches_only_its_charts_and_fonts(db_session, world):
    world["wave"].name = 'Đợt <img src="file:///etc/hostname" alt="x">'
    with force_locale("vi"):
        html = report_pdf.render_html(reports.gather(db_session, world["wave"], "vi", min_n=30))
    assert "Đợt &lt;img src=" in html and '<img src="file:' not in html
    fetcher = report_pdf._Fetcher()
    with pytest.raises(ValueError):
        fetcher.fetch("file:///etc/hostname")
    with pytest.raises(ValueError):
        fetcher.fetch("http://127.0.0.1:9/x.png")
    assert fetcher.fetch("data:text/plain;base64,eA==").read() == b"x"
