"""The wave report for the provincial People's Committee: a PDF in Vietnamese (English on request).

Contents: summary against the targets, method note (sample, response rate, weighting, margin of
error), elements, sectors (each against its own target), agencies (ranked; small cells flagged),
the agencies below target, priorities for improvement, trends, response rates. Every number comes
from the same services as the dashboard (survey.services.workspace.dashboard → analysis). The report is
restricted to `visible` agencies when produced for an agency viewer.

This module gathers the report's data and words (ReportData and the small helpers the sections use);
report_pdf.py renders it as a tagged PDF/UA-1 (templates/reports/, report_sections.py, report_results.py,
report_gap.py).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

import analysis
from survey.models import Agency, Wave
from survey.services.workspace import dashboard as dash
from survey.services.workspace import detail, trend_restated, wavedata
from survey.services.workspace import report_layout as L

FOREST_ROWS = 40


@dataclass
class ReportData:
    """Everything the report shows, gathered once."""

    wave: Wave
    lang: str
    province: str
    scope: str
    ov: dash.Overview
    rates: dict
    trends: dict
    priorities: list
    kish_deff: float
    names: dict
    indexed: bool = True          # the questionnaire has satisfaction items (else there is no index)
    view: object = None           # the publication the numbers come from (publications.PublishedView)
    restated: object = None       # trend_restated.RestatedTrend: earlier waves on today's units


def gather(session: Session, wave: Wave, lang: str = "vi", visible: set[int] | None = None,
           filters: dash.Filters | None = None, min_n: int = 30, province: str = "",
           scope_agency: Agency | None = None) -> ReportData:
    """Collect the numbers of the report from the wave's publication (same services as the dashboard);
    raises wavedata.NotPublished when the wave has none."""
    filters = filters or dash.Filters(wave.id)
    shown = wavedata.published(session, wave, filters.version)
    if shown is None:
        raise wavedata.NotPublished(wave.code)
    ov = dash.overview(session, wave, filters, visible, min_n)
    frame = wavedata.scoped(shown.frame, visible)
    nm = dash.names(session)
    en = lang == "en"
    names = {"agency": {k: (a.name_en if en and a.name_en else a.name_vi) for k, a in nm["agency"].items()},
             "sector": {k: (s.name_en if en and s.name_en else s.name_vi) for k, s in nm["sector"].items()},
             "point": {k: (p.name_en if en and p.name_en else p.name_vi) for k, p in nm["point"].items()},
             "tree": {k[3:]: v for k, v in frame.labels.items() if k.startswith("en:")} if en else frame.labels}
    scope = ""
    if scope_agency is not None:
        scope = names["agency"].get(scope_agency.id, scope_agency.name_vi)
    trends = detail.trends(session, wave, filters, visible, min_n)
    return ReportData(wave, lang, province, scope, ov, detail.response_rates(session, wave, filters, visible),
                      trends,
                      detail.priorities(session, wave, filters, visible),
                      frame.design.kish_deff if frame.design is not None else float("nan"), names,
                      bool(frame.structure["items"]), shown.view,
                      trend_restated.restated_trend(session, wave, filters, visible, min_n, trend=trends))


def _status_word(status: str) -> str:
    return {"meets": _("Đạt mục tiêu"), "below": _("Dưới mục tiêu"), "nd": _("Chưa phân định"),
            "small": _("Quá ít câu trả lời")}.get(status, "—")


def _label(data: ReportData, kind: str, cell: dash.Cell) -> str:
    return data.names[kind].get(cell.key, cell.label)


def _ci(data: ReportData, est) -> str:
    if est is None or not est.has_interval:
        return "—"
    return "%s – %s" % (L.num(est.ci_low, lang=data.lang), L.num(est.ci_high, lang=data.lang))


def _target(data: ReportData, t) -> str:
    return L.num(t.value, lang=data.lang) if t else "—"


def _target_label(t, lang: str) -> str:
    """A target's label in the report's language, with its year (unless the label already says it)."""
    label = t.label_in(lang)
    return label if str(t.year) in label else _("%(label)s, mục tiêu năm %(year)d", label=label, year=t.year)


def _flag(data: ReportData, est, n: int) -> str:
    """The row's flag in words: why its number is not reliable enough (n, RSE, no interval), else "không"."""
    if est is None:  # withheld or not estimable: the count says why
        return _("n < %(min)d", min=data.ov.min_n) if n < data.ov.min_n else _("không có KTC")
    flags = analysis.small_cell(est, data.ov.min_n, dash.max_rse())
    words = [_("n < %(min)d", min=data.ov.min_n)] if flags.few_answers else []
    if flags.high_rse and not flags.few_answers:
        words.append(_("RSE > %(max)s %%", max=L.num(100 * dash.max_rse(), 0, data.lang)))
    if flags.no_interval:
        words.append(_("không có KTC"))
    return ", ".join(words) or _("không")


def count_notes(ov: dash.Overview, lang: str) -> list[str]:
    """Why the report's respondent count may differ from other counts of the wave (same numbers as the
    dashboard: its headline counts the same respondents, its note the probability-sample answers)."""
    out = []
    if ov.respondents > ov.headline.n:
        out.append(_("%(all)s câu trả lời thuộc mẫu xác suất; %(other)s trong số đó không trả lời tiêu chí nào "
                     "tính vào chỉ số (chỉ chọn “không áp dụng” hoặc dừng trước các tiêu chí).",
                     all=L.integer(ov.respondents, lang), other=L.integer(ov.respondents - ov.headline.n, lang)))
    if ov.walkups_excluded:
        out.append(_("%(n)s câu trả lời của người tự đến máy khảo sát (không thuộc mẫu xác suất) không được tính "
                     "vào chỉ số, trên bảng điều khiển cũng vậy.", n=L.integer(ov.walkups_excluded, lang)))
    return out


def _improve(data: ReportData) -> list:
    return sorted((r for r in data.priorities if r.quadrant == "improve"), key=lambda r: -r.importance.value)


def _version_line(data: ReportData) -> str:
    """The version banner of the report (as on the pages), with the newer version when one exists."""
    text, newer = wavedata.banner(data.view)
    return text + ("; " + _("đã có phiên bản mới hơn: phiên bản %(version)d", version=newer) if newer else "")


def report(session: Session, wave: Wave, lang: str = "vi", **kwargs) -> bytes:
    """gather() then report_pdf.build_pdf(): the wave report as tagged PDF/UA-1 bytes."""
    from survey.services.workspace import report_pdf  # imported here: report_pdf imports this module

    with force_locale(lang):
        data = gather(session, wave, lang, **kwargs)
    return report_pdf.build_pdf(data)
