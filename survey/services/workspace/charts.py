"""Figures of the workspace (web and PDF): dashboard objects → analysis.charts, labels in the active locale."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import gettext as _

from analysis import charts
from survey.services.workspace import dashboard as dash

STATUS = {"meets": "meets", "below": "below", "nd": "nd"}


def _row(cell: dash.Cell, label: str | None = None) -> charts.Row:
    est = cell.est
    nan = float("nan")
    return charts.Row(
        label or cell.label_in(str(get_locale() or "vi")),
        est.value if est else nan,
        est.ci_low if est else nan,
        est.ci_high if est else nan,
        STATUS.get(cell.status),
        cell.status == "small",
    )


def _lines(targets) -> list[charts.TargetLine]:
    seen, out = set(), []
    for t in targets:
        if t is not None and (t.value, t.year) not in seen:
            seen.add((t.value, t.year))
            out.append(charts.TargetLine(_("Mục tiêu %(year)d", year=t.year), t.value))
    return out


def _decimal() -> str:
    """The decimal mark of the active locale."""
    return "." if str(get_locale() or "vi") == "en" else ","


def _status_labels() -> dict:
    return {"meets": _("Đạt mục tiêu"), "below": _("Dưới mục tiêu"), "nd": _("Chưa phân định được")}


def _forest_rows(cells: list, include_small: bool) -> list[charts.Row]:
    """The rows a forest plot draws: ranked cells, then (when asked) the small ones that have an estimate."""
    return [_row(c) for c in cells if c.rank] + (
        [_row(c) for c in cells if not c.rank and c.est is not None] if include_small else []
    )


def forest_range(groups: list[tuple[list, bool]], targets) -> tuple[float, float]:
    """One x axis for several forest plots: groups are (cells, include_small) as passed to forest()."""
    values = [v for cells, small in groups for v in charts.row_values(_forest_rows(cells, small))]
    return charts.axis_range(values, _lines(targets[:2]))


def forest(cells: list, targets, title: str = "", include_small: bool = True, xlim: tuple[float, float] | None = None):
    """Forest plot of ranked cells (then small ones, flagged) with the target lines; `xlim` (forest_range())
    puts it on the same axis as the report's other forest plots."""
    return charts.forest_plot(
        _forest_rows(cells, include_small),
        _lines(targets[:2]),
        title=title,
        xlabel=_("Chỉ số hài lòng (%) và khoảng tin cậy 95 %"),
        small_note=_("quá ít câu trả lời: không xếp hạng"),
        empty=_("Chưa có dữ liệu"),
        status_labels=_status_labels(),
        decimal=_decimal(),
        xlim=xlim,
    )


def bars(cells: list, targets, title: str = "", code_labels: bool = False):
    """Bars with CI whiskers (elements, items, sectors)."""
    lang = str(get_locale() or "vi")
    rows = [_row(c, ("%s · %s" % (c.key, c.label_in(lang))) if code_labels else None) for c in cells]
    return charts.element_bars(
        rows,
        _lines(targets[:1]),
        title=title,
        xlabel=_("Tỷ lệ hài lòng (%)"),
        empty=_("Chưa có dữ liệu"),
        decimal=_decimal(),
    )


def trends(data: dict, sector_names: dict, title: str = ""):
    """Trend lines with CI bands, one per series of detail.trends() (earlier waves only; flagged points hollow)."""
    series, targets = [], []
    for code, points in data.items():
        pts = [_row(p.cell, p.wave.period_start.strftime("%m/%Y")) for p in points if p.cell.est is not None]
        if pts:
            series.append(charts.Series(sector_names.get(code, code) if code else _("Toàn bộ"), pts))
        if points and points[-1].cell.target is not None and not code:
            targets.append(points[-1].cell.target)
    return charts.trend_chart(
        series,
        _lines(targets),
        title=title,
        ylabel=_("Chỉ số hài lòng (%)"),
        empty=_("Chưa có dữ liệu của các kỳ trước"),
        decimal=_decimal(),
        small_note=_("chưa đủ tin cậy: không kết luận thay đổi"),
    )


def priorities(rows: list, title: str = ""):
    """Importance–performance matrix of the elements."""
    en = str(get_locale() or "vi") == "en"
    points = [
        charts.Priority(r.label_en if en and r.label_en else r.label, r.importance.value, r.performance.value)
        for r in rows
    ]
    return charts.priority_matrix(
        points,
        title=title,
        xlabel=_("Mức độ quan trọng (tương quan với hài lòng chung)"),
        ylabel=_("Chỉ số của yếu tố (%)"),
        quadrants=(_("Ưu tiên cải thiện"), _("Duy trì thế mạnh"), _("Ưu tiên thấp"), _("Có thể giảm bớt nguồn lực")),
        empty=_("Chưa đủ dữ liệu để ước lượng mức độ quan trọng"),
        decimal=_decimal(),
    )


def rates(rows: list, title: str = ""):
    """Response-rate bars by stratum or outcome."""
    en = str(get_locale() or "vi") == "en"
    data = [
        charts.Rates(r.label_en if en and r.label_en else r.label, r.completed, r.opened, r.expired, r.issued)
        for r in rows
    ]
    return charts.response_rates(
        data,
        title=title,
        xlabel=_("Tỷ lệ (%) trên số phiếu mời"),
        legend=(_("Đã trả lời"), _("Đã mở, chưa trả lời"), _("Hết hạn"), _("Chưa mở")),
        empty=_("Chưa có phiếu mời nào"),
        decimal=_decimal(),
    )
