"""Sections 3–9 of the HTML/PDF wave report (results, sectors, agencies, priorities, trends, response rates)
and `build()`, the whole report's content for templates/reports/wave.html."""

from __future__ import annotations

import math

from flask_babel import gettext as _

from survey.models.fieldwork import Outcome
from survey.services.workspace import charts as figures
from survey.services.workspace import report_gap, report_public_services, report_restated
from survey.services.workspace import report_layout as L
from survey.services.workspace import report_sections as S
from survey.services.workspace.reports import ReportData, _ci, _flag, _improve, _label, _target_label

FOREST_ROWS = 15  # agencies per chart: under half a page, so a chart never leaves much of a page empty (reports.py: 40)


def _tree_rows(data: ReportData, cells: list, key_label: bool) -> list[S.Row]:
    tree = data.names["tree"]
    return [
        S.Row(
            [
                c.key if key_label else tree.get(c.key, c.label),
                S.num(c.value, data),
                _ci(data, c.est),
                L.integer(c.n, data.lang),
                _flag(data, c.est, c.n),
            ],
            c.status,
            S.is_small(data, c.est, c.n),
        )
        for c in cells
    ]


def forest_axis(data: ReportData) -> tuple[float, float]:
    """The one x axis of every forest plot in the report: sectors and all ranked agencies, with the targets."""
    ov = data.ov
    return figures.forest_range([(ov.sectors, True), (ov.agencies, False)], ov.targets)


def results(data: ReportData) -> dict:
    """Section 3: elements (table and bars) and items."""
    ov = data.ov
    elements = S.Table(
        _("Chỉ số hài lòng theo phần và yếu tố"),
        [_("Yếu tố"), _("Chỉ số (%)"), _("KTC 95 %"), _("Số trả lời"), _("Cảnh báo")],
        _tree_rows(data, ov.parts + ov.elements, False),
        [45, 13, 18, 11, 13],
        {1, 2, 3},
    )
    items = S.Table(
        _("Tỷ lệ hài lòng theo tiêu chí"),
        [_("Tiêu chí"), _("Tỷ lệ (%)"), _("KTC 95 %"), _("Số trả lời"), _("Cảnh báo")],
        _tree_rows(data, ov.items, True),
        [30, 17, 22, 14, 17],
        {1, 2, 3},
    )
    bars = S.figure(
        figures.bars(ov.elements, ov.targets, title=_("Chỉ số theo yếu tố")),
        _(
            "Biểu đồ thanh: chỉ số hài lòng của %(n)d yếu tố trên trục 0–100 %%, với khoảng tin cậy 95 %% và đường "
            "mục tiêu (%(targets)s); %(extremes)s. Số liệu ở bảng trên.",
            n=len(ov.elements),
            targets=S.targets_text(data, ov.targets[:1]),
            extremes=S.extremes(data, ov.elements, "tree"),
        ),
        0.9,
    )
    return {"elements": elements, "bars": bars, "item_table": items}


def _forest(
    data: ReportData, cells: list, targets, title: str, what: str, axis, small: bool, kind: str, width: float
) -> S.Figure:
    drawn = [c for c in cells if c.rank or (small and c.est is not None)]
    alt = _(
        "Biểu đồ rừng: chỉ số hài lòng và khoảng tin cậy 95 %% của %(n)d %(what)s trên trục %(lo)s–%(hi)s %%; "
        "%(extremes)s. Số liệu ở bảng.",
        n=len(drawn),
        what=what,
        lo=L.num(axis[0], 0, data.lang),
        hi=L.num(axis[1], 0, data.lang),
        extremes=S.extremes(data, drawn, kind),
    )
    if targets:
        alt += " " + _("Đường mục tiêu: %(list)s.", list=S.targets_text(data, targets))
    return S.figure(figures.forest(cells, targets, title=title, include_small=small, xlim=axis), alt, width)


def sectors(data: ReportData, axis) -> dict:
    """Section 4: sectors against their own targets."""
    ov = data.ov
    return {
        "table": S.cell_table(data, ov.sectors, "sector", _("Lĩnh vực"), _("Chỉ số hài lòng theo lĩnh vực")),
        "small": S.small_list(data, ov.sectors, "sector"),
        "figure": _forest(
            data, ov.sectors, [], _("Chỉ số hài lòng theo lĩnh vực"), _("lĩnh vực"), axis, True, "sector", 0.9
        ),
    }


def agencies(data: ReportData, axis) -> dict:
    """Sections 5 and 6: the agency ranking (one chart per page-sized slice, one axis), those below target,
    the service points."""
    ov, lang = data.ov, data.lang
    ranked = [c for c in ov.agencies if c.rank]
    size = math.ceil(len(ranked) / math.ceil(len(ranked) / FOREST_ROWS)) if ranked else 1  # even slices
    charts = []
    for start in range(0, len(ranked), size):
        chunk = ranked[start : start + size]
        title = _("Chỉ số hài lòng theo cơ quan")
        if len(ranked) > size:
            title += " (%d–%d)" % (start + 1, start + len(chunk))
        charts.append(_forest(data, chunk, ov.targets, title, _("cơ quan"), axis, False, "agency", 1.0))
    below = [
        _(
            "%(name)s: %(value)s %% (KTC 95 %%: %(ci)s), mục tiêu %(target)s %%.",
            name=_label(data, "agency", c),
            value=S.num(c.value, data),
            ci=_ci(data, c.est),
            target=L.num(c.target.value if c.target else None, lang=lang),
        )
        for c in ov.agencies
        if c.status == "below"
    ]
    points = (
        S.cell_table(
            data, [c for c in ov.points if c.rank], "point", _("Điểm phục vụ"), _("Chỉ số hài lòng theo điểm phục vụ")
        )
        if ov.points
        else None
    )
    few = sum(c.status == "small" for c in ov.points)
    return {
        "target": _("Mục tiêu áp dụng: %(label)s.", label=_target_label(ov.headline.target, lang))
        if ov.headline.target
        else "",
        "table": S.cell_table(data, ov.agencies, "agency", _("Cơ quan"), _("Xếp hạng cơ quan")),
        "small": S.small_list(data, ov.agencies, "agency"),
        "charts": charts,
        "below": below,
        "points": points,
        "few_points": _(
            "%(n)d điểm phục vụ khác có dưới %(min)d câu trả lời nên không xếp hạng (xem trên bảng điều khiển).",
            n=few,
            min=ov.min_n,
        )
        if ov.points and few
        else "",
    }


def priorities(data: ReportData) -> dict:
    """Section 7: the importance–performance matrix and the elements to improve first."""
    if not data.priorities:
        return {}
    improve = _improve(data)
    tree = data.names["tree"]
    alt = _(
        "Ma trận tầm quan trọng – mức hài lòng của %(n)d yếu tố: trục ngang là mức độ quan trọng (tương quan "
        "với hài lòng chung), trục dọc là chỉ số của yếu tố; cần ưu tiên cải thiện: %(list)s.",
        n=len(data.priorities),
        list="; ".join(tree.get(r.key, r.label) for r in improve) or "—",
    )
    weakest = sorted((c for c in data.ov.items if c.value is not None), key=lambda c: c.value)[:3]
    return {
        "figure": S.figure(
            figures.priorities(data.priorities, title=_("Ma trận tầm quan trọng – mức hài lòng")), alt, 0.85
        ),
        "improve": [
            _(
                "%(name)s: chỉ số %(value)s %%, mức độ quan trọng (tương quan) %(imp)s.",
                name=tree.get(r.key, r.label),
                value=S.num(r.performance.value, data),
                imp=L.num(r.importance.value, 2, data.lang),
            )
            for r in improve
        ],
        "weakest": _(
            "Các tiêu chí thấp nhất: %(list)s.",
            list="; ".join("%s (%s %%)" % (c.key, S.num(c.value, data)) for c in weakest),
        )
        if weakest
        else "",
    }


def trends(data: ReportData) -> dict:
    """Section 8: the trend chart, the waves left out and the table of changes."""
    points = [p for p in data.trends.get("", []) if p.cell.n]
    shown = [p for p in points if p.cell.value is not None]
    alt = _(
        "Biểu đồ đường: chỉ số hài lòng qua %(n)d kỳ, với dải khoảng tin cậy 95 %%; %(list)s.",
        n=len(shown),
        list="; ".join("%s: %s %%" % (p.wave.period_start.strftime("%m/%Y"), S.num(p.cell.value, data)) for p in shown)
        or "—",
    )
    left = [
        _(
            "Không đưa vào %(wave)s: kỳ khảo sát trùng với %(other)s (hai mẫu trùng kỳ không độc lập; giữ đợt "
            "được công bố sau cùng).",
            wave=x.wave.name,
            other=x.other.name,
        )
        if x.reason == "overlap"
        else _("Không đưa vào %(wave)s: đợt này chưa có số liệu công bố.", wave=x.wave.name)
        for x in data.trends.left_out
    ]
    rows = []
    for p in points:
        ch = p.change
        mark = {"up": " ▲", "down": " ▼"}.get(p.significant, "")
        rows.append(
            S.Row(
                [
                    p.wave.name,
                    S.num(p.cell.value, data),
                    _ci(data, p.cell.est),
                    L.integer(p.cell.n, data.lang),
                    _flag(data, p.cell.est, p.cell.n),
                    ((("+" if ch.value > 0 else "") + S.num(ch.value, data) + mark) if ch else "—"),
                    _ci(data, ch) if ch else "—",
                ],
                "",
                S.is_small(data, p.cell.est, p.cell.n),
            )
        )
    table = (
        S.Table(
            _("Chỉ số chung qua các kỳ và thay đổi"),
            [
                _("Đợt"),
                _("Chỉ số (%)"),
                _("KTC 95 %"),
                _("Số trả lời"),
                _("Cảnh báo"),
                _("Thay đổi"),
                _("KTC của thay đổi"),
            ],
            rows,
            [26, 10, 15, 10, 12, 12, 15],
            {1, 2, 3, 5, 6},
        )
        if rows
        else None
    )
    return {
        "figure": S.figure(figures.trends(data.trends, data.names["sector"], title=_("Xu hướng qua các kỳ")), alt, 0.9),
        "left_out": left,
        "table": table,
    }


def rates(data: ReportData) -> S.Table:
    """Section 9: response rates by the dossier's outcome (rows with fewer answers than the minimum marked)."""
    words = {
        Outcome.APPROVED: _("Được giải quyết"),
        Outcome.REJECTED: _("Bị từ chối"),
        Outcome.WITHDRAWN: _("Rút hồ sơ"),
    }
    rows = [
        S.Row(
            [
                words.get(r.key, r.key),
                L.integer(r.total, data.lang),
                L.integer(r.completed, data.lang),
                S.num(r.rate, data),
            ],
            "",
            r.completed < data.ov.min_n,
        )
        for r in data.rates["outcomes"]
    ]
    return S.Table(
        _("Tỷ lệ trả lời theo kết quả hồ sơ"),
        [_("Kết quả hồ sơ"), _("Phiếu mời"), _("Đã trả lời"), _("Tỷ lệ (%)")],
        rows,
        [40, 20, 20, 20],
        {1, 2, 3},
    )


def build(data: ReportData) -> dict:
    """Every section's content, in report order (call inside force_locale)."""
    axis = forest_axis(data)
    summary = S.summary(data)
    if "empty" not in summary:  # the gap to the QĐ 766 score is a headline (section 10)
        summary["qd766"] = report_gap.summary_line(data)
    return {
        "cover": S.cover(data),
        "summary": summary,
        "method": S.method(data),
        "results": results(data),
        "sectors": sectors(data, axis),
        "agencies": agencies(data, axis),
        "priorities": priorities(data),
        "trends": trends(data),
        "restated": report_restated.section(data),  # the trend on today's units (issue 19)
        "rates": rates(data),
        "qd766": report_gap.section(data),
        "public_services": report_public_services.section(data),  # health / education waves only
        "axis": axis,
    }
