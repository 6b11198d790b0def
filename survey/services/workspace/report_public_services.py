"""Section 11 of the HTML/PDF wave report for a health or education wave: the service's index per facility
or school, per level and per commune-level area against its public_service target, and the MoH-style rates
beside the index (the dashboard's Overview.public_services, read from the publication)."""

from __future__ import annotations

from flask_babel import gettext as _

from survey.services.workspace import report_layout as L
from survey.services.workspace import report_sections as S
from survey.services.workspace.reports import ReportData, _ci, _flag, _status_word, _target, _target_label


def _cells(data: ReportData, cells: list, header: str, caption: str) -> S.Table:
    """A ranked table of dashboard cells (small ones marked †), as report_sections.cell_table."""
    rows = [
        S.Row(
            [
                str(c.rank or "—"),
                c.label_in(data.lang),
                S.num(c.value, data),
                _ci(data, c.est),
                L.integer(c.n, data.lang),
                _flag(data, c.est, c.n),
                _target(data, c.target),
                _status_word(c.status),
            ],
            c.status,
            S.is_small(data, c.est, c.n),
        )
        for c in cells
    ]
    return S.Table(
        caption,
        ["#", header, _("Chỉ số (%)"), _("KTC 95 %"), _("Số trả lời"), _("Cảnh báo"), _("Mục tiêu (%)"), _("Đánh giá")],
        rows,
        [4, 26, 8, 13, 9, 10, 9, 21],
        {0, 2, 3, 4, 6},
        name=1,
        coloured=True,
    )


def _moh(data: ReportData, ps) -> S.Table:
    """The index beside the MoH-style pooled rate (weighted, with CI, and as a tally of the forms)."""
    education = ps.service == "education"

    def row(r, bold_name: str | None = None) -> S.Row:
        """One domain's row: index, pooled rate with CI, tally, overall share (education), gap."""
        share = [S.num(r.moh.overall_share.value if r.moh.overall_share else None, data)] if education else []
        return S.Row(
            [
                bold_name or r.label_in(data.lang),
                S.num(r.index.value if r.index else None, data),
                S.num(r.moh.pooled.value, data),
                _ci(data, r.moh.pooled),
                S.num(r.moh.pooled_unweighted, data),
                *share,
                L.signed(r.gap, data.lang),
            ],
            "",
            bool(r.small),
        )

    rows = ([row(ps.moh)] if ps.moh else []) + [row(r) for r in ps.moh_facilities]
    header = [_("Đơn vị"), _("Chỉ số (%)"), _("Tỷ lệ hài lòng chung (%)"), _("KTC 95 %"), _("Đếm phiếu (%)")]
    header += [_("Câu tổng quát 4–5 (%)")] if education else []
    header += [_("Chênh lệch (điểm)")]
    widths = [28, 11, 14, 16, 12, 9, 10] if education else [32, 12, 16, 17, 12, 11]
    return S.Table(_("Chỉ số và tỷ lệ hài lòng theo cách tính của Bộ Y tế"), header, rows, widths,
                   set(range(1, len(header))))


def section(data: ReportData) -> dict | None:
    """The section's content, or None when the wave is not a health or education wave."""
    ps = data.ov.public_services
    if ps is None:
        return None
    lang = data.lang
    facility, level = (_("Cơ sở y tế"), _("Loại hình")) if ps.service == "health" else (_("Trường"), _("Cấp học"))
    out = {
        "title": _("11. Dịch vụ công: %(service)s", service=ps.title_in(lang)),
        "headline": _(
            "Chỉ số hài lòng của đợt là %(value)s %% (khoảng tin cậy 95 %%: %(ci)s).",
            value=S.num(ps.headline.value, data),
            ci=_ci(data, ps.headline.est),
        ),
        "targets": [
            _("%(label)s — %(value)s %%: %(status)s.", label=_target_label(t, lang), value=S.num(t.value, data),
              status=_status_word(st).lower())
            for t, st in ps.targets
        ],
        "facilities": _cells(data, ps.facilities, facility, _("Chỉ số hài lòng theo %(what)s", what=facility.lower())),
        "levels": _cells(data, ps.levels, level, _("Chỉ số hài lòng theo %(what)s", what=level.lower()))
        if ps.levels else None,
        "areas": _cells(data, ps.areas, _("Địa bàn"), _("Chỉ số hài lòng theo địa bàn cấp xã")) if ps.areas else None,
        "residences": _cells(data, ps.residences, _("Xã, phường, đặc khu"),
                             _("Chỉ số hài lòng theo xã nơi người dân cư trú")) if ps.residences else None,
        "scoped": _("Bảng theo loại hình và theo địa bàn gộp nhiều đơn vị nên không có trong báo cáo của một cơ quan.")
        if ps.scoped else "",
        "moh": _moh(data, ps) if ps.moh or ps.moh_facilities else None,
        "scores": _("Điểm trung bình theo khía cạnh (thang 1–5): %(list)s.", list="; ".join(
            "%s %s" % (en if lang == "en" else vi, L.num(e.value, 2, lang)) for _code, vi, en, e in ps.mean_scores))
        if ps.mean_scores else "",
        "note": _(
            "Chỉ số của hệ thống là trung bình các tiêu chí (mỗi tiêu chí: tỷ lệ có trọng số trả lời mức 4 hoặc 5), "
            "rồi trung bình các khía cạnh, nên mỗi khía cạnh nặng như nhau. “Tỷ lệ hài lòng chung” theo cách của "
            "Bộ Y tế (QĐ 3869/QĐ-BYT) đếm gộp mọi câu trả lời mức 4–5 trên tổng số câu trả lời hợp lệ, nên khía "
            "cạnh nhiều câu hỏi nặng hơn; cột “đếm phiếu” là con số đó khi không dùng trọng số mẫu. Chênh lệch = "
            "tỷ lệ hài lòng chung (có trọng số) − chỉ số. Chi tiết: docs/indicators.md."
        ),
    }
    return out
