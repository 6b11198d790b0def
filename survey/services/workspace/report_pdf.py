"""The wave report as a tagged, accessible PDF (PDF/UA-1): Jinja HTML laid out by WeasyPrint.

Same content and order as the ReportLab report (reports.py, whose gather() and helpers it reuses), but
with a structure tree: real headings, tables with captions and header cells, figures with alternative
text, the document language and title, embedded DejaVu fonts. Pages are never left near-empty by a
forced break: headings stay with what follows, short tables and charts are kept whole, long tables
repeat their header. Every table marks its small cells (†) with a footnote; every forest plot of the
report shares one x axis, so the lowest agencies are drawn on the same scale as the others.
"""

from __future__ import annotations

import os

import matplotlib
from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from survey.services.workspace import report_results
from survey.services.workspace.reports import ReportData, _version_line


def _css_string(text: str) -> str:
    """A CSS string literal (for the running footer's page word)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _fonts() -> dict:
    """file:// URIs of matplotlib's DejaVu Sans (the fonts report_layout registers for ReportLab)."""
    folder = os.path.join(matplotlib.get_data_path(), "fonts", "ttf")
    files = {
        "regular": "DejaVuSans.ttf",
        "bold": "DejaVuSans-Bold.ttf",
        "italic": "DejaVuSans-Oblique.ttf",
        "bold_italic": "DejaVuSans-BoldOblique.ttf",
    }
    return {k: "file://" + os.path.join(folder, v) for k, v in files.items()}


class _Fetcher(URLFetcher):
    """Fetches only what the report embeds (charts as data: URIs) and the DejaVu font files: names and labels
    are escaped, but a report should never reach for the network or other files whatever its text says."""

    def fetch(self, url, headers=None):
        """The resource, or ValueError (WeasyPrint then leaves it out) for anything else."""
        if url.startswith("data:") or url in _fonts().values():
            return super().fetch(url, headers)
        raise ValueError("the report fetches no %s" % url)


def render_html(data: ReportData) -> str:
    """The report as one HTML document in data.lang (call inside force_locale)."""
    title = _("Báo cáo khảo sát sự hài lòng") + " — " + data.wave.name
    return render_template(
        "reports/wave.html",
        r=data,
        title=title,
        stamp=_version_line(data),
        fonts=_fonts(),
        page_word=_css_string(_("Trang")),
        s=report_results.build(data),
        small_note=_(
            "† Dưới %(min)d câu trả lời, sai số tương đối quá lớn hoặc không có khoảng "
            "tin cậy: số liệu chỉ để tham khảo, không xếp hạng.",
            min=data.ov.min_n,
        ),
    )


def build_pdf(data: ReportData) -> bytes:
    """Render the report to tagged PDF/UA-1 bytes, in data.lang."""
    with force_locale(data.lang):
        html = render_html(data)
    page = HTML(string=html, base_url=os.path.dirname(__file__), url_fetcher=_Fetcher())
    return page.write_pdf(pdf_variant="pdf/ua-1")
