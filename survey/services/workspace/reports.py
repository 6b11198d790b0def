"""The wave report for the provincial People's Committee: a PDF in Vietnamese (English on request).

Contents: summary against the targets, method note (sample, response rate, weighting, margin of
error), elements, sectors (each against its own target), agencies (ranked; small cells flagged),
the agencies below target, priorities for improvement, trends, response rates. Every number comes
from the same services as the dashboard (survey.services.workspace.dashboard → analysis). The report is
restricted to `visible` agencies when produced for an agency viewer.
"""
from __future__ import annotations

import io
import statistics
from dataclasses import dataclass
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.platypus import PageBreak, SimpleDocTemplate
from sqlalchemy.orm import Session

import analysis
from survey.models import Agency, Wave
from survey.models.fieldwork import Outcome, WaveStatus
from survey.services.workspace import charts as figures
from survey.services.workspace import dashboard as dash
from survey.services.workspace import detail, wavedata
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
    return ReportData(wave, lang, province, scope, ov, detail.response_rates(session, wave, filters, visible),
                      detail.trends(session, wave, filters, visible, min_n),
                      detail.priorities(session, wave, filters, visible),
                      frame.design.kish_deff if frame.design is not None else float("nan"), names,
                      bool(frame.structure["items"]), shown.view)


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


def _cell_table(data: ReportData, cells: list, kind: str, st: dict, header: str):
    rows = [[c.rank or "—", _label(data, kind, c), L.num(c.value, lang=data.lang), _ci(data, c.est),
             L.integer(c.n, data.lang), _flag(data, c.est, c.n), _target(data, c.target), _status_word(c.status)]
            for c in cells]
    return L.table(["#", header, _("Chỉ số (%)"), _("KTC 95 %"), _("Số trả lời"), _("Cảnh báo"), _("Mục tiêu (%)"),
                    _("Đánh giá")], rows, [0.05, 0.29, 0.09, 0.14, 0.08, 0.1, 0.09, 0.16], st,
                   [c.status for c in cells], {0, 2, 3, 4, 6})


def _small_list(data: ReportData, cells: list, kind: str, st: dict) -> list:
    """Cells too small to rank, listed by name with their number of answers (no index shown)."""
    small = [c for c in cells if c.status == "small"]
    if not small:
        return []
    text = "; ".join("%s (n = %d)" % (_label(data, kind, c), c.n) for c in sorted(small, key=lambda c: c.label))
    return [L.p(_("Chưa đủ câu trả lời để xếp hạng (dưới %(min)d): %(list)s.", min=data.ov.min_n, list=text),
                st["small"])]


def _summary(data: ReportData, st: dict) -> list:
    ov, lang = data.ov, data.lang
    h = ov.headline
    out = [L.p(_("1. Tóm tắt"), st["h1"])]
    if not data.indexed:  # answers were collected, but none of them counts towards an index
        return out + [L.p(_("Bảng hỏi của đợt khảo sát này không có tiêu chí hài lòng nên không có chỉ số để tính."),
                          st["body"])]
    out.append(L.p(_("Chỉ số hài lòng chung của đợt khảo sát là %(value)s %% (khoảng tin cậy 95 %%: %(ci)s), "
                     "tính trên %(n)s người trả lời.", value=L.num(h.value, lang=lang), ci=_ci(data, h.est),
                     n=L.integer(h.n, lang)), st["body"]))
    out += [L.p(text, st["small"]) for text in count_notes(ov, lang)]
    for t, status in ov.target_status:
        out.append(L.p("• " + _("%(label)s — %(value)s %%: %(status)s.", label=_target_label(t, lang),
                                value=L.num(t.value, lang=lang), status=_status_word(status).lower()),
                       st["bullet"]))
    weak = [c for c in ov.sectors if c.status == "below"]
    if weak:
        out.append(L.p(_("Lĩnh vực dưới mục tiêu riêng: %(list)s.", list="; ".join(
            "%s %s %%" % (_label(data, "sector", c), L.num(c.value, lang=lang)) for c in weak)), st["body"]))
    below = [c for c in ov.agencies if c.status == "below"]
    ranked = [c for c in ov.agencies if c.rank]
    out.append(L.p(_("%(ranked)d cơ quan được xếp hạng, trong đó %(below)d cơ quan dưới mục tiêu; %(small)d cơ quan "
                     "có quá ít câu trả lời để xếp hạng.", ranked=len(ranked), below=len(below),
                     small=sum(c.status == "small" for c in ov.agencies)), st["body"]))
    improve = _improve(data)
    if improve:
        out.append(L.p(_("Ưu tiên cải thiện: %(list)s.", list="; ".join(
            data.names["tree"].get(r.key, r.label) for r in improve)), st["body"]))
    if ov.qd766 is not None and not ov.qd766.empty:  # the gap to the QĐ 766 score is a headline (section 10)
        out.append(L.p(L.qd766_headline(ov.qd766, lang) + " " + _("Chi tiết ở mục 10."), st["body"]))
    return out


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


def _method(data: ReportData, st: dict) -> list:
    ov, lang, total = data.ov, data.lang, data.rates["total"]
    h = ov.headline
    half = (h.est.ci_high - h.est.ci_low) / 2 if h.est is not None and h.est.has_interval else None
    agency_half = [(c.est.ci_high - c.est.ci_low) / 2 for c in ov.agencies if c.rank and c.est.has_interval]
    w = data.wave
    out = [L.p(_("2. Phương pháp"), st["h1"])]
    out.append(L.p(_("Mẫu: hồ sơ thủ tục hành chính được giải quyết xong trong kỳ %(start)s–%(end)s được chọn ngẫu "
                     "nhiên theo tầng (cơ quan × lĩnh vực), với xác suất chọn đã biết cho từng tầng; người dân, tổ "
                     "chức của hồ sơ được chọn nhận phiếu mời trả lời (qua đường liên kết, mã QR hoặc máy khảo sát tại "
                     "quầy), với mọi kết quả giải quyết (kể cả bị từ chối, rút hồ sơ).",
                     start=w.period_start.strftime("%d/%m/%Y"), end=w.period_end.strftime("%d/%m/%Y")), st["body"]))
    out.append(L.p(_("Tỷ lệ trả lời: %(done)s câu trả lời trên %(total)s phiếu mời (%(rate)s %%).",
                     done=L.integer(total.completed, lang), total=L.integer(total.total, lang),
                     rate=L.num(total.rate, lang=lang)), st["body"]))
    out.append(L.p(_("Trọng số: trọng số gốc bằng nghịch đảo xác suất chọn, điều chỉnh không trả lời trong từng tầng "
                     "và hiệu chỉnh theo số hồ sơ thực tế của từng tầng trong kỳ. Hiệu ứng thiết kế do trọng số không "
                     "đều (Kish): %(deff)s.", deff=L.num(data.kish_deff, 2, lang)), st["body"]))
    out.append(L.p(_("Sai số: khoảng tin cậy 95 %% tính theo phương pháp tuyến tính hoá Taylor có tính đến tương quan "
                     "giữa các tiêu chí. Sai số tối đa của chỉ số chung: ±%(half)s điểm phần trăm; của chỉ số "
                     "một cơ quan (trung vị): ±%(agency)s điểm phần trăm.", half=L.num(half, lang=lang),
                     agency=L.num(statistics.median(agency_half) if agency_half else None, lang=lang)), st["body"]))
    out.append(L.p(_("Chỉ số của một tiêu chí là tỷ lệ có trọng số của câu trả lời “Hài lòng” hoặc “Rất hài lòng”; chỉ "
                     "số yếu tố là trung bình các tiêu chí, chỉ số chung là trung bình các phần. Đánh giá: “Đạt” khi "
                     "cận dưới của khoảng tin cậy không thấp hơn mục tiêu, “Dưới mục tiêu” khi cận trên thấp hơn mục "
                     "tiêu, còn lại là “Chưa phân định”. Ô có dưới %(min)d câu trả lời không được xếp hạng.",
                     min=ov.min_n), st["body"]))
    return out


def _results(data: ReportData, st: dict) -> list:
    ov, lang = data.ov, data.lang
    out = [L.p(_("3. Kết quả theo yếu tố và tiêu chí"), st["h1"])]
    tree = data.names["tree"]
    rows = [[tree.get(c.key, c.label), L.num(c.value, lang=lang), _ci(data, c.est), L.integer(c.n, lang),
             _flag(data, c.est, c.n)] for c in ov.parts + ov.elements]
    out.append(L.table([_("Yếu tố"), _("Chỉ số (%)"), _("KTC 95 %"), _("Số trả lời"), _("Cảnh báo")], rows,
                       [0.45, 0.13, 0.18, 0.11, 0.13], st, numeric={1, 2, 3}))
    out.append(L.gap())
    out.append(L.figure(figures.bars(ov.elements, ov.targets, title=_("Chỉ số theo yếu tố")), 0.9))
    items = [[c.key, L.num(c.value, lang=lang), _ci(data, c.est), L.integer(c.n, lang), _flag(data, c.est, c.n)]
             for c in ov.items]
    out.append(L.keep(L.p(_("Tỷ lệ hài lòng theo tiêu chí"), st["h2"]),
                      L.table([_("Tiêu chí"), _("Tỷ lệ (%)"), _("KTC 95 %"), _("Số trả lời"), _("Cảnh báo")], items,
                              [0.3, 0.17, 0.22, 0.14, 0.17], st, numeric={1, 2, 3})))
    out.append(L.p(_("4. Kết quả theo lĩnh vực"), st["h1"]))
    out.append(L.p(_("Đất đai, xây dựng và đầu tư được so với mục tiêu riêng của các lĩnh vực này."), st["small"]))
    out.append(_cell_table(data, [c for c in ov.sectors if c.status != "small"], "sector", st, _("Lĩnh vực")))
    out += _small_list(data, ov.sectors, "sector", st)
    out.append(L.gap())
    out.append(L.figure(figures.forest(ov.sectors, [], title=_("Chỉ số hài lòng theo lĩnh vực")), 0.9))
    out += [PageBreak(), L.p(_("5. Xếp hạng cơ quan"), st["h1"])]
    out.append(L.p(_("Mục tiêu áp dụng: %(label)s.", label=_target_label(ov.headline.target, lang))
                   if ov.headline.target else "", st["small"]))
    out.append(_cell_table(data, [c for c in ov.agencies if c.status != "small"], "agency", st, _("Cơ quan")))
    out += _small_list(data, ov.agencies, "agency", st)
    ranked = [c for c in ov.agencies if c.rank]
    for start in range(0, len(ranked), FOREST_ROWS):  # one chart per page-sized slice of the ranking
        chunk = ranked[start:start + FOREST_ROWS]
        title = _("Chỉ số hài lòng theo cơ quan")
        if len(ranked) > FOREST_ROWS:
            title += " (%d–%d)" % (start + 1, start + len(chunk))
        out += [L.gap(), L.figure(figures.forest(chunk, ov.targets, title=title, include_small=False), 1.0)]
    below = [c for c in ov.agencies if c.status == "below"]
    out.append(L.p(_("6. Cơ quan dưới mục tiêu"), st["h1"]))
    if below:
        for c in below:
            out.append(L.p("• " + _("%(name)s: %(value)s %% (KTC 95 %%: %(ci)s), mục tiêu %(target)s %%.",
                                    name=_label(data, "agency", c), value=L.num(c.value, lang=lang),
                                    ci=_ci(data, c.est), target=L.num(c.target.value if c.target else None,
                                                                       lang=lang)), st["bullet"]))
    else:
        out.append(L.p(_("Không có cơ quan nào thấp hơn mục tiêu một cách có ý nghĩa thống kê."), st["body"]))
    if ov.points:
        points = [c for c in ov.points if c.rank]
        out.append(L.keep(L.p(_("Điểm phục vụ"), st["h2"]), _cell_table(data, points, "point", st,
                                                                          _("Điểm phục vụ"))))
        few = sum(c.status == "small" for c in ov.points)
        if few:
            out.append(L.p(_("%(n)d điểm phục vụ khác có dưới %(min)d câu trả lời nên không xếp hạng (xem trên "
                             "bảng điều khiển).", n=few, min=ov.min_n), st["small"]))
    return out


def _priorities_and_trends(data: ReportData, st: dict) -> list:
    lang = data.lang
    out = [PageBreak(), L.p(_("7. Ưu tiên cải thiện"), st["h1"])]
    if data.priorities:
        out.append(L.figure(figures.priorities(data.priorities, title=_("Ma trận tầm quan trọng – mức hài lòng")),
                            0.85))
        out.append(L.p(_("Mức độ quan trọng: hệ số tương quan (có trọng số) giữa mức hài lòng của người trả lời với "
                         "yếu tố và sự hài lòng chung. Yếu tố quan trọng hơn trung bình mà có chỉ số thấp hơn trung "
                         "bình cần ưu tiên cải thiện."), st["small"]))
        for r in _improve(data):
            out.append(L.p("• " + _("%(name)s: chỉ số %(value)s %%, mức độ quan trọng (tương quan) %(imp)s.",
                                    name=data.names["tree"].get(r.key, r.label),
                                    value=L.num(r.performance.value, lang=lang),
                                    imp=L.num(r.importance.value, 2, lang)),
                           st["bullet"]))
        weakest = sorted((c for c in data.ov.items if c.value is not None), key=lambda c: c.value)[:3]
        if weakest:
            out.append(L.p(_("Các tiêu chí thấp nhất: %(list)s.", list="; ".join(
                "%s (%s %%)" % (c.key, L.num(c.value, lang=lang)) for c in weakest)), st["body"]))
    else:
        out.append(L.p(_("Chưa đủ dữ liệu để ước lượng mức độ quan trọng của các yếu tố."), st["body"]))
    out.append(L.p(_("8. Xu hướng qua các kỳ"), st["h1"]))
    out.append(L.figure(figures.trends(data.trends, data.names["sector"], title=_("Xu hướng qua các kỳ")), 0.9))
    out.append(L.p(_("Chỉ so sánh với các đợt trước đợt của báo cáo, theo số liệu đã công bố của từng đợt; thay đổi "
                     "chỉ được coi là có ý nghĩa (▲, ▼) khi khoảng tin cậy của nó không chứa 0 và cả hai kỳ đều đủ "
                     "tin cậy."), st["small"]))
    for x in data.trends.left_out:
        out.append(L.p("• " + (_("Không đưa vào %(wave)s: kỳ khảo sát trùng với %(other)s (hai mẫu trùng kỳ không "
                                 "độc lập; giữ đợt được công bố sau cùng).", wave=x.wave.name, other=x.other.name)
                               if x.reason == "overlap" else
                               _("Không đưa vào %(wave)s: đợt này chưa có số liệu công bố.", wave=x.wave.name)),
                       st["small"]))
    rows = []
    for p in data.trends.get("", []):
        if not p.cell.n:  # a wave without answers yet has nothing to report
            continue
        ch = p.change
        mark = {"up": " ▲", "down": " ▼"}.get(p.significant, "")
        rows.append([p.wave.name, L.num(p.cell.value, lang=lang), _ci(data, p.cell.est), L.integer(p.cell.n, lang),
                     _flag(data, p.cell.est, p.cell.n),
                     ((("+" if ch.value > 0 else "") + L.num(ch.value, lang=lang) + mark) if ch else "—"),
                     _ci(data, ch) if ch else "—"])
    if rows:
        out.append(L.table([_("Đợt"), _("Chỉ số (%)"), _("KTC 95 %"), _("Số trả lời"), _("Cảnh báo"), _("Thay đổi"),
                            _("KTC của thay đổi")], rows, [0.26, 0.1, 0.15, 0.1, 0.12, 0.12, 0.15], st,
                           numeric={1, 2, 3, 5, 6}))
    words = {Outcome.APPROVED: _("Được giải quyết"), Outcome.REJECTED: _("Bị từ chối"),
             Outcome.WITHDRAWN: _("Rút hồ sơ")}
    rows = [[words.get(r.key, r.key), L.integer(r.total, lang), L.integer(r.completed, lang), L.num(r.rate, lang=lang)]
            for r in data.rates["outcomes"]]
    out.append(L.keep(L.p(_("9. Tỷ lệ trả lời theo kết quả hồ sơ"), st["h1"]),
                      L.table([_("Kết quả hồ sơ"), _("Phiếu mời"), _("Đã trả lời"), _("Tỷ lệ (%)")], rows,
                              [0.4, 0.2, 0.2, 0.2], st, numeric={1, 2, 3})))
    out += L.qd766_section(data.ov.qd766, lang, st, _("10. Điểm QĐ 766 và chỉ số khảo sát"))
    return out


def _cover(data: ReportData, st: dict) -> list:
    w = data.wave
    out = [L.gap(3), L.p(_("BÁO CÁO"), st["title"]),
           L.p(_("Kết quả khảo sát sự hài lòng của người dân, tổ chức đối với sự phục vụ của cơ quan hành chính "
                 "nhà nước"), st["title"]),
           L.gap(0.5), L.p(_("Kính gửi: Ủy ban nhân dân tỉnh %(province)s", province=data.province), st["subtitle"]),
           L.gap(0.5), L.p(w.name, st["subtitle"]),
           L.p(_("Kỳ khảo sát: %(start)s – %(end)s", start=w.period_start.strftime("%d/%m/%Y"),
                 end=w.period_end.strftime("%d/%m/%Y")), st["subtitle"])]
    if data.scope:
        out.append(L.p(_("Phạm vi: %(name)s và các đơn vị trực thuộc", name=data.scope), st["subtitle"]))
    if data.wave.status != WaveStatus.CLOSED:
        out.append(L.p(_("Số liệu tạm thời: đợt khảo sát chưa kết thúc."), st["subtitle"]))
    out.append(L.p(_version_line(data), st["subtitle"]))
    out += [L.gap(1), L.p(_("Lập ngày %(date)s bằng hệ thống Hài Lòng.", date=datetime.now().strftime("%d/%m/%Y")),
                          st["subtitle"]), PageBreak()]
    return out


def _version_line(data: ReportData) -> str:
    """The version banner of the report (as on the pages), with the newer version when one exists."""
    text, newer = wavedata.banner(data.view)
    return text + ("; " + _("đã có phiên bản mới hơn: phiên bản %(version)d", version=newer) if newer else "")


def build_pdf(data: ReportData) -> bytes:
    """Render the report to PDF bytes, in data.lang."""
    with force_locale(data.lang):
        st = L.styles()
        story = _cover(data, st) + _summary(data, st) + _method(data, st) + _results(data, st) + \
            _priorities_and_trends(data, st)
        buf = io.BytesIO()
        title = _("Báo cáo khảo sát sự hài lòng") + " — " + data.wave.name
        stamp = _version_line(data)
        footer = _("Trang")

        def on_page(canvas, doc):
            canvas.saveState()
            canvas.setFont(L.FONT, 8)
            canvas.drawString(2 * cm, 1.2 * cm, title)
            canvas.drawString(2 * cm, 0.8 * cm, stamp)  # every page says which publication it prints
            canvas.drawRightString(A4[0] - 2 * cm, 1.2 * cm, "%s %d" % (footer, doc.page))
            canvas.restoreState()

        doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm, topMargin=1.8 * cm,
                                bottomMargin=2 * cm, title=title, author="Hài Lòng", lang=data.lang)
        doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buf.getvalue()


def report(session: Session, wave: Wave, lang: str = "vi", **kwargs) -> bytes:
    """gather() then build_pdf(): the wave report as PDF bytes."""
    with force_locale(lang):
        data = gather(session, wave, lang, **kwargs)
    return build_pdf(data)
