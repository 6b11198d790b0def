"""The content of the HTML/PDF wave report, section by section (report_pdf lays it out).

Each function mirrors a `_section` of reports.py (same sentences, same order) but returns plain text,
tables and figures for templates/reports/*.html instead of ReportLab flowables.
"""

from __future__ import annotations

import base64
import statistics
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _

import analysis
from analysis.charts import render
from survey.models.fieldwork import WaveStatus
from survey.services.workspace import dashboard as dash
from survey.services.workspace import report_layout as L
from survey.services.workspace.reports import (
    ReportData,
    _ci,
    _flag,
    _improve,
    _label,
    _status_word,
    _target,
    _target_label,
    _version_line,
    count_notes,
)

TEXT_WIDTH_CM = 17.0  # A4 less 2 cm margins each side
MAX_FIGURE_CM = 21.0  # a chart never taller than a page body less its heading
DPI = 150
KEEP_ROWS = 10  # a table this short is kept on one page; a longer one breaks, repeating its header


@dataclass
class Row:
    """One table row: its cells as text, its target status (colours the last column) and its small flag."""

    cells: list[str]
    status: str = ""
    small: bool = False


@dataclass
class Table:
    """A table of the report: caption, column headers, rows; `name` is the row-header column."""

    caption: str
    header: list[str]
    rows: list[Row]
    widths: list[int]
    numeric: set[int] = field(default_factory=set)
    name: int = 0
    coloured: bool = False

    @property
    def keep(self) -> bool:
        """Short enough to keep on one page (a long table breaks, repeating its header)."""
        return len(self.rows) <= KEEP_ROWS

    @property
    def has_small(self) -> bool:
        """Whether any row is marked, so the footnote is needed."""
        return any(r.small for r in self.rows)


@dataclass
class Figure:
    """A chart as a PNG data URI with its alternative text and printed width."""

    src: str
    alt: str
    width_cm: float


def is_small(data: ReportData, est, n: int) -> bool:
    """A cell the dashboard flags: withheld, fewer answers than the minimum, too high an RSE, or no interval."""
    if est is None:
        return True
    return n < data.ov.min_n or analysis.small_cell(est, data.ov.min_n, dash.max_rse()).small


def figure(fig, alt: str, width: float = 1.0) -> Figure:
    """A matplotlib figure as a 150 dpi PNG (as the ReportLab report; WeasyPrint draws matplotlib's SVG glyph
    paths about 4 times slower), scaled to a share of the text width and never taller than a page."""
    w_in, h_in = fig.get_size_inches()
    width_cm = TEXT_WIDTH_CM * width
    if width_cm * h_in / w_in > MAX_FIGURE_CM:
        width_cm = MAX_FIGURE_CM * w_in / h_in
    png = render(fig, "png", dpi=DPI)
    return Figure("data:image/png;base64," + base64.b64encode(png).decode("ascii"), alt, round(width_cm, 2))


def num(value, data: ReportData) -> str:
    """A percent or index in the report's language (L.num with data.lang)."""
    return L.num(value, lang=data.lang)


def extremes(data: ReportData, cells: list, kind: str) -> str:
    """The highest and the lowest of `cells` with their values, for a chart's alternative text."""
    shown = [c for c in cells if c.value is not None]
    if not shown:
        return ""
    top, low = max(shown, key=lambda c: c.value), min(shown, key=lambda c: c.value)
    name = (lambda c: data.names["tree"].get(c.key, c.label)) if kind == "tree" else (lambda c: _label(data, kind, c))
    return _(
        "cao nhất %(top)s (%(top_value)s %%), thấp nhất %(low)s (%(low_value)s %%)",
        top=name(top),
        top_value=num(top.value, data),
        low=name(low),
        low_value=num(low.value, data),
    )


def targets_text(data: ReportData, targets) -> str:
    """The first two targets as "Mục tiêu 2025 90,0 %; …" ("—" when there is none)."""
    shown = [t for t in targets if t is not None][:2]
    return "; ".join("%s %s %%" % (_("Mục tiêu %(year)d", year=t.year), num(t.value, data)) for t in shown) or "—"


def cell_table(data: ReportData, cells: list, kind: str, header: str, caption: str) -> Table:
    """Ranked cells first, then the small ones (unranked, marked †), as in the dashboard's tables."""
    rows = [
        Row(
            [
                str(c.rank or "—"),
                _label(data, kind, c),
                num(c.value, data),
                _ci(data, c.est),
                L.integer(c.n, data.lang),
                _flag(data, c.est, c.n),
                _target(data, c.target),
                _status_word(c.status),
            ],
            c.status,
            is_small(data, c.est, c.n),
        )
        for c in cells
    ]
    return Table(
        caption,
        ["#", header, _("Chỉ số (%)"), _("KTC 95 %"), _("Số trả lời"), _("Cảnh báo"), _("Mục tiêu (%)"), _("Đánh giá")],
        rows,
        [4, 26, 8, 13, 9, 10, 9, 21],
        {0, 2, 3, 4, 6},
        name=1,
        coloured=True,
    )


def small_list(data: ReportData, cells: list, kind: str) -> str:
    """Cells too small to rank, by name with their number of answers (as reports._small_list)."""
    small = [c for c in cells if c.status == "small"]
    if not small:
        return ""
    text = "; ".join("%s (n = %d)" % (_label(data, kind, c), c.n) for c in sorted(small, key=lambda c: c.label))
    return _("Chưa đủ câu trả lời để xếp hạng (dưới %(min)d): %(list)s.", min=data.ov.min_n, list=text)


def cover(data: ReportData) -> dict:
    """The cover: title, addressee, wave, period, scope, provisional note, version, date."""
    w = data.wave
    return {
        "period": _(
            "Kỳ khảo sát: %(start)s – %(end)s",
            start=w.period_start.strftime("%d/%m/%Y"),
            end=w.period_end.strftime("%d/%m/%Y"),
        ),
        "scope": _("Phạm vi: %(name)s và các đơn vị trực thuộc", name=data.scope) if data.scope else "",
        "provisional": w.status != WaveStatus.CLOSED,
        "version": _version_line(data),
        "made": _("Lập ngày %(date)s bằng hệ thống Hài Lòng.", date=datetime.now().strftime("%d/%m/%Y")),
    }


def summary(data: ReportData) -> dict:
    """Section 1: the headline against the targets, weak sectors, agencies, priorities."""
    ov, lang, h = data.ov, data.lang, data.ov.headline
    if not data.indexed:
        return {"empty": _("Bảng hỏi của đợt khảo sát này không có tiêu chí hài lòng nên không có chỉ số để tính.")}
    weak = [c for c in ov.sectors if c.status == "below"]
    ranked = [c for c in ov.agencies if c.rank]
    improve = _improve(data)
    return {
        "headline": _(
            "Chỉ số hài lòng chung của đợt khảo sát là %(value)s %% (khoảng tin cậy 95 %%: %(ci)s), "
            "tính trên %(n)s người trả lời.",
            value=num(h.value, data),
            ci=_ci(data, h.est),
            n=L.integer(h.n, lang),
        ),
        "counts": count_notes(ov, lang),
        "targets": [
            _(
                "%(label)s — %(value)s %%: %(status)s.",
                label=_target_label(t, lang),
                value=num(t.value, data),
                status=_status_word(status).lower(),
            )
            for t, status in ov.target_status
        ],
        "weak": _(
            "Lĩnh vực dưới mục tiêu riêng: %(list)s.",
            list="; ".join("%s %s %%" % (_label(data, "sector", c), num(c.value, data)) for c in weak),
        )
        if weak
        else "",
        "agencies": _(
            "%(ranked)d cơ quan được xếp hạng, trong đó %(below)d cơ quan dưới mục tiêu; %(small)d cơ quan "
            "có quá ít câu trả lời để xếp hạng.",
            ranked=len(ranked),
            below=sum(c.status == "below" for c in ov.agencies),
            small=sum(c.status == "small" for c in ov.agencies),
        ),
        "improve": _(
            "Ưu tiên cải thiện: %(list)s.", list="; ".join(data.names["tree"].get(r.key, r.label) for r in improve)
        )
        if improve
        else "",
    }


def method(data: ReportData) -> list[str]:
    """Section 2: sample, response rate, weights, margins of error, the index and its statuses."""
    ov, lang, total, w = data.ov, data.lang, data.rates["total"], data.wave
    h = ov.headline
    half = (h.est.ci_high - h.est.ci_low) / 2 if h.est is not None and h.est.has_interval else None
    agency_half = [(c.est.ci_high - c.est.ci_low) / 2 for c in ov.agencies if c.rank and c.est.has_interval]
    return [
        _(
            "Mẫu: hồ sơ thủ tục hành chính được giải quyết xong trong kỳ %(start)s–%(end)s được chọn ngẫu "
            "nhiên theo tầng (cơ quan × lĩnh vực), với xác suất chọn đã biết cho từng tầng; người dân, tổ "
            "chức của hồ sơ được chọn nhận phiếu mời trả lời (qua đường liên kết, mã QR hoặc máy khảo sát tại "
            "quầy), với mọi kết quả giải quyết (kể cả bị từ chối, rút hồ sơ).",
            start=w.period_start.strftime("%d/%m/%Y"),
            end=w.period_end.strftime("%d/%m/%Y"),
        ),
        _(
            "Tỷ lệ trả lời: %(done)s câu trả lời trên %(total)s phiếu mời (%(rate)s %%).",
            done=L.integer(total.completed, lang),
            total=L.integer(total.total, lang),
            rate=num(total.rate, data),
        ),
        _(
            "Trọng số: trọng số gốc bằng nghịch đảo xác suất chọn, điều chỉnh không trả lời trong từng tầng "
            "và hiệu chỉnh theo số hồ sơ thực tế của từng tầng trong kỳ. Hiệu ứng thiết kế do trọng số không "
            "đều (Kish): %(deff)s.",
            deff=L.num(data.kish_deff, 2, lang),
        ),
        _(
            "Sai số: khoảng tin cậy 95 %% tính theo phương pháp tuyến tính hoá Taylor có tính đến tương quan "
            "giữa các tiêu chí. Sai số tối đa của chỉ số chung: ±%(half)s điểm phần trăm; của chỉ số "
            "một cơ quan (trung vị): ±%(agency)s điểm phần trăm.",
            half=num(half, data),
            agency=num(statistics.median(agency_half) if agency_half else None, data),
        ),
        _(
            "Chỉ số của một tiêu chí là tỷ lệ có trọng số của câu trả lời “Hài lòng” hoặc “Rất hài lòng”; chỉ "
            "số yếu tố là trung bình các tiêu chí, chỉ số chung là trung bình các phần. Đánh giá: “Đạt” khi "
            "cận dưới của khoảng tin cậy không thấp hơn mục tiêu, “Dưới mục tiêu” khi cận trên thấp hơn mục "
            "tiêu, còn lại là “Chưa phân định”. Ô có dưới %(min)d câu trả lời không được xếp hạng.",
            min=ov.min_n,
        ),
    ]
