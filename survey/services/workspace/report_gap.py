"""Section 10 of the HTML/PDF wave report: the QĐ 766 score beside the sampled index (as reports.py and
report_layout.qd766_section print it with ReportLab), from the dashboard's Overview.qd766 comparison."""

from __future__ import annotations

from flask_babel import gettext as _

from survey.services.workspace import report_layout as L
from survey.services.workspace import report_sections as S
from survey.services.workspace.reports import ReportData, _ci

# Far above the CI is the warning sign (the census-like score flatters the service), as in report_layout.
COLOURS = {"above": "below", "inside": "meets", "below": "nd"}


def summary_line(data: ReportData) -> str:
    """The summary's sentence on the QĐ 766 gap ("" when the wave has no 766 score)."""
    cmp = data.ov.qd766
    if cmp is None or cmp.empty:
        return ""
    return L.qd766_headline(cmp, data.lang) + " " + _("Chi tiết ở mục 10.")


def section(data: ReportData) -> dict:
    """The headline, the per-agency table sorted by gap (small cells marked) and the method note."""
    cmp, lang = data.ov.qd766, data.lang
    if cmp is None or cmp.empty:
        return {"empty": _("Chưa có hồ sơ nào được giải quyết trong kỳ của đợt này nên chưa tính được điểm QĐ 766.")}
    words = {"above": _("Cao hơn KTC"), "inside": _("Trong KTC"), "below": _("Thấp hơn KTC")}
    rows = [
        S.Row(
            [
                r.label_in(lang),
                L.num(r.score.value, lang=lang),
                L.integer(r.score.dossiers, lang),
                L.num(r.index, lang=lang),
                _ci(data, r.est),
                L.signed(r.gap, lang),
                words.get(r.position, "—"),
            ],
            COLOURS.get(r.position, ""),
            bool(r.small),
        )
        for r in cmp.rows
    ]
    table = S.Table(
        _("Điểm QĐ 766 và chỉ số khảo sát theo cơ quan"),
        [
            _("Cơ quan"),
            _("Điểm QĐ 766 (%)"),
            _("Hồ sơ"),
            _("Chỉ số khảo sát (%)"),
            _("KTC 95 %"),
            _("Khoảng cách (điểm)"),
            _("So với KTC"),
        ],
        rows,
        [30, 11, 8, 12, 14, 11, 14],
        {1, 2, 3, 4, 5},
        coloured=True,
    )
    note = _(
        "Điểm QĐ 766 (kiểu Bộ chỉ số phục vụ người dân, doanh nghiệp, nhóm “Mức độ hài lòng”, 18/100 "
        "điểm): tỷ lệ hồ sơ giải quyết trong kỳ không quá hạn, không có phản ánh kiến nghị và không bị đánh "
        "giá “không hài lòng”. Tính từ toàn bộ hồ sơ, không có sai số chọn mẫu; chỉ số khảo sát tính từ "
        "mẫu ngẫu nhiên. Khoảng cách = điểm QĐ 766 − chỉ số khảo sát. Cách tính và các giả định: "
        "docs/methodology.md §17."
    )
    return {"headline": L.qd766_headline(cmp, lang), "table": table, "note": note}
