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
