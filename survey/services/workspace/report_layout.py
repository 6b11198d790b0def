"""PDF building blocks for reports (reportlab): DejaVu fonts for Vietnamese, styles, tables, figures."""
from __future__ import annotations

import io
import math
import os
from xml.sax.saxutils import escape

import matplotlib
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Image, KeepTogether, Paragraph, Spacer, Table, TableStyle

FONT, BOLD, ITALIC = "DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique"
STATUS_COLOURS = {"meets": colors.HexColor("#1e6b2e"), "below": colors.HexColor("#a11d1d"),
                  "nd": colors.HexColor("#8a5300"), "small": colors.HexColor("#6b6b6b")}
PAGE_WIDTH = A4[0] - 4 * cm
MAX_FIGURE_HEIGHT = 22 * cm


def register_fonts() -> None:
    """Register matplotlib's bundled DejaVu Sans (it has every Vietnamese diacritic) once."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    folder = os.path.join(matplotlib.get_data_path(), "fonts", "ttf")
    for name, file in ((FONT, "DejaVuSans.ttf"), (BOLD, "DejaVuSans-Bold.ttf"), (ITALIC, "DejaVuSans-Oblique.ttf"),
                       ("DejaVuSans-BoldOblique", "DejaVuSans-BoldOblique.ttf")):
        pdfmetrics.registerFont(TTFont(name, os.path.join(folder, file)))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=ITALIC, boldItalic="DejaVuSans-BoldOblique")


def styles() -> dict:
    """Paragraph styles, all in DejaVu Sans."""
    register_fonts()
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName=FONT, fontSize=10, leading=14, spaceAfter=4)
    return {
        "title": ParagraphStyle("title", parent=body, fontName=BOLD, fontSize=17, leading=23, alignment=TA_CENTER,
                                spaceAfter=10),
        "subtitle": ParagraphStyle("subtitle", parent=body, fontSize=12, leading=17, alignment=TA_CENTER),
        "h1": ParagraphStyle("h1", parent=body, fontName=BOLD, fontSize=14, leading=18, spaceBefore=12,
                             spaceAfter=6, textColor=colors.HexColor("#0b5394")),
        "h2": ParagraphStyle("h2", parent=body, fontName=BOLD, fontSize=11.5, leading=15, spaceBefore=8,
                             spaceAfter=4),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=11, textColor=colors.HexColor("#4a4a4a")),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8.5, leading=10.5, spaceAfter=0),
        "cellb": ParagraphStyle("cellb", parent=body, fontName=BOLD, fontSize=8.5, leading=10.5, spaceAfter=0),
        "bullet": ParagraphStyle("bullet", parent=body, leftIndent=14, bulletIndent=4),
    }


def p(text: str, style) -> Paragraph:
    """A paragraph of plain text (escaped: names and labels never become markup)."""
    return Paragraph(escape(text), style)


def num(value, digits: int = 1, lang: str = "vi") -> str:
    """A number with a decimal comma in Vietnamese and a point in English; — when undefined."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    text = "%.*f" % (digits, abs(value))
    text = text.replace(".", ",") if lang == "vi" else text
    return ("\u2212" + text) if value < 0 and float(text.replace(",", ".")) != 0 else text


def integer(value, lang: str = "vi") -> str:
    """An integer with thousands separators (12.345 in Vietnamese, 12,345 in English)."""
    text = f"{int(value):,}"
    return text.replace(",", ".") if lang == "vi" else text


def table(header: list[str], rows: list[list], widths: list[float], st: dict, statuses: list[str] | None = None,
          numeric: frozenset | set = frozenset()) -> Table:
    """A striped table; the last column is coloured by `statuses`; numeric columns are right-aligned;
    the header repeats on every page the table spans."""
    right = ParagraphStyle("num", parent=st["cell"], alignment=2)
    right_b = ParagraphStyle("numb", parent=st["cellb"], alignment=2)
    coloured = {k: ParagraphStyle("st-" + k, parent=st["cellb"], textColor=c) for k, c in STATUS_COLOURS.items()}
    data = [[Paragraph(escape(h), right_b if j in numeric else st["cellb"]) for j, h in enumerate(header)]]
    for i, row in enumerate(rows):
        status = statuses[i] if statuses else None
        cells = []
        for j, value in enumerate(row):
            style = right if j in numeric else st["cell"]
            if status in coloured and j == len(row) - 1:
                style = coloured[status]
            cells.append(Paragraph(escape(str(value)), style))
        data.append(cells)
    t = Table(data, colWidths=[w * PAGE_WIDTH for w in widths], repeatRows=1)
    style = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f5")),
             ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#c7c7c2")),
             ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
    style += [("BACKGROUND", (0, i), (-1, i), colors.HexColor("#f7f7f5")) for i in range(2, len(data), 2)]
    t.setStyle(TableStyle(style))
    return t


def figure(fig, width: float = 1.0, dpi: int = 150) -> Image:
    """A matplotlib figure as a PNG image scaled to a share of the text width."""
    from analysis.charts import render

    png = render(fig, "png", dpi=dpi)
    w_in, h_in = fig.get_size_inches()
    img_w = PAGE_WIDTH * width
    img_h = img_w * h_in / w_in
    if img_h > MAX_FIGURE_HEIGHT:  # never taller than a page: shrink, keeping the aspect ratio
        img_w, img_h = img_w * MAX_FIGURE_HEIGHT / img_h, MAX_FIGURE_HEIGHT
    return Image(io.BytesIO(png), width=img_w, height=img_h)


def keep(*flowables) -> KeepTogether:
    """Keep a heading with what follows it."""
    return KeepTogether(list(flowables))


def gap(height: float = 0.3) -> Spacer:
    """Vertical space in cm."""
    return Spacer(1, height * cm)


def qd766_section(cmp, lang: str, st: dict, title: str) -> list:
    """The QĐ 766 score beside the sampled index (survey.services.qd766.compare.Comparison): the whole domain,
    then a table per agency sorted by gap, with where each 766 score lies against the index's CI."""
    from flask_babel import gettext as _

    out = [p(title, st["h1"])]
    if cmp is None or cmp.empty:
        return out + [p(_("Chưa có hồ sơ nào được giải quyết trong kỳ của đợt này nên chưa tính được điểm QĐ 766."),
                        st["body"])]
    out.append(p(qd766_headline(cmp, lang), st["body"]))
    words = {"above": _("Cao hơn KTC"), "inside": _("Trong KTC"), "below": _("Thấp hơn KTC")}
    rows = [[r.label_in(lang), num(r.score.value, lang=lang), integer(r.score.dossiers, lang), num(r.index, lang=lang),
             "—" if r.est is None or not r.est.has_interval else "%s – %s" % (num(r.est.ci_low, lang=lang),
                                                                              num(r.est.ci_high, lang=lang)),
             signed(r.gap, lang), words.get(r.position, "—")] for r in cmp.rows]
    colours = {"above": "below", "inside": "meets", "below": "nd"}  # far above the CI is the warning sign
    out.append(table([_("Cơ quan"), _("Điểm QĐ 766 (%)"), _("Hồ sơ"), _("Chỉ số khảo sát (%)"), _("KTC 95 %"),
                      _("Khoảng cách (điểm)"), _("So với KTC")], rows, [0.3, 0.11, 0.08, 0.12, 0.14, 0.11, 0.14], st,
                     [colours.get(r.position, "") for r in cmp.rows], {1, 2, 3, 4, 5}))
    out.append(p(_("Điểm QĐ 766 (kiểu Bộ chỉ số phục vụ người dân, doanh nghiệp, nhóm “Mức độ hài lòng”, 18/100 "
                   "điểm): tỷ lệ hồ sơ giải quyết trong kỳ không quá hạn, không có phản ánh kiến nghị và không bị đánh "
                   "giá “không hài lòng”. Tính từ toàn bộ hồ sơ, không có sai số chọn mẫu; chỉ số khảo sát tính từ "
                   "mẫu ngẫu nhiên. Khoảng cách = điểm QĐ 766 − chỉ số khảo sát. Cách tính và các giả định: "
                   "docs/methodology.md §17."), st["small"]))
    return out


def qd766_headline(cmp, lang: str) -> str:
    """One sentence: the domain's 766 score, the sampled index with its CI, the gap and how many agencies
    have a 766 score above their index's CI."""
    from flask_babel import gettext as _

    o = cmp.overall
    ci = "—" if o.est is None or not o.est.has_interval else "%s – %s" % (num(o.est.ci_low, lang=lang),
                                                                           num(o.est.ci_high, lang=lang))
    text = _("Điểm QĐ 766 là %(score)s %% (%(n)s hồ sơ), chỉ số khảo sát %(index)s %% (KTC 95 %%: %(ci)s): "
             "khoảng cách %(gap)s điểm phần trăm.", score=num(o.score.value, lang=lang),
             n=integer(o.score.dossiers, lang), index=num(o.index, lang=lang), ci=ci, gap=signed(o.gap, lang))
    if cmp.rows:
        text += " " + _("%(above)d trên %(n)d cơ quan có điểm QĐ 766 cao hơn khoảng tin cậy của chỉ số khảo sát.",
                        above=cmp.above, n=len(cmp.rows))
    return text


def signed(value, lang: str = "vi") -> str:
    """A difference with its sign (+14,6 / −2,0); — when undefined."""
    return "—" if value is None else ("+" if value > 0 and num(value, lang=lang) != num(0.0, lang=lang) else "") + \
        num(value, lang=lang)
