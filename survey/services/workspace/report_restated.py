"""Section 8 of the wave report, continued: the trend restated onto today's units (issue 19).

One table of the units whose line can be drawn across the reorganisation (merged or renamed units:
each earlier wave as one domain of the predecessors' respondents, with its CI), and a sentence
naming how many units are not comparable (they took over part of a unit split without a known
share). The numbers come from survey.services.workspace.trend_restated; nothing is rewritten.
"""
from __future__ import annotations

from flask_babel import gettext as _

from survey.services.publications.restate import RestateStatus
from survey.services.workspace import report_sections as S
from survey.services.workspace.reports import ReportData, _ci

MAX_ROWS = 30  # a page of the PDF; the trend page lists them all


def note() -> str:
    """The method note printed with the restated trend (page and PDF)."""
    return _("Các đợt trước được quy đổi sang đơn vị đang hoạt động theo phả hệ đơn vị (sáp nhập, chia tách, "
             "đổi tên): đơn vị hợp nhất được tính như một miền gồm toàn bộ người trả lời của các đơn vị trước "
             "đó, theo thiết kế mẫu và trọng số của chính lần công bố đó, kèm khoảng tin cậy; đơn vị nhận một "
             "phần của đơn vị bị chia tách mà không rõ tỉ lệ thì không so sánh được. Số liệu công bố gốc không "
             "thay đổi.")


def _cell(data: ReportData, point) -> str:
    r = point.restated
    if r.status == RestateStatus.NOT_COMPARABLE:
        return _("không so sánh được")
    if r.estimate is None:
        return "—"
    mark = "*" if r.status == RestateStatus.RESTATED else ""
    return "%s%s (%s)" % (S.num(r.estimate.value, data), mark, _ci(data, r.estimate))


def section(data: ReportData) -> dict | None:
    """The restated table, the count of units not comparable and the note (None when nothing was reorganised)."""
    restated = getattr(data, "restated", None)
    if restated is None or not restated.rows:
        return None
    waves = restated.waves
    rows = [S.Row([data.names["agency"].get(r.agency.id, r.agency.name_vi),
                   ", ".join(data.names["agency"].get(a.id, a.name_vi) for a in r.predecessors) or "—",
                   *[_cell(data, p) for p in r.points]])
            for r in restated.comparable[:MAX_ROWS]]
    width = max(8, 60 // max(1, len(waves)))
    table = S.Table(_("Chỉ số chung theo đơn vị hiện nay, các đợt trước được quy đổi (* = quy đổi)"),
                    [_("Đơn vị hiện nay"), _("Gồm các đơn vị trước"), *[w.name for w in waves]],
                    rows, [22, 18, *([width] * len(waves))], set(range(2, 2 + len(waves)))) if rows else None
    left = restated.not_comparable
    return {
        "note": note(),
        "table": table,
        "more": _("Còn %(n)d đơn vị khác quy đổi được; xem trang Xu hướng.", n=len(restated.comparable) - MAX_ROWS)
        if len(restated.comparable) > MAX_ROWS else "",
        "not_comparable": _("%(n)d đơn vị không so sánh được với các đợt trước ngày sắp xếp (nhận một phần của đơn "
                            "vị bị chia tách mà không rõ tỉ lệ), ví dụ: %(names)s.", n=len(left),
                            names=", ".join(data.names["agency"].get(r.agency.id, r.agency.name_vi)
                                            for r in left[:3])) if left else "",
        "day": restated.on.strftime("%d/%m/%Y"),
    }
