"""The analysts' page of judgement indicators and needs ("Chỉ số đánh giá và nhu cầu").

It reads the wave's publication (the frozen WaveTable's `indicators`: weighted shares in percent with
CIs per option, for the whole province, each agency and each sector; docs/methodology.md §14) and never
recomputes them. Shares with fewer answers than the publication's minimum are withheld (the count stays),
less reliable ones are flagged, as the index tables do. An agency viewer sees his agencies only.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import abort, render_template, request
from flask_babel import get_locale

from survey.web.analyst import bp
from survey.web.analyst.common import analyst_required, check_agency, context
from survey.web.analyst.views import _empty

NEED = "need"


@dataclass(frozen=True)
class Share:
    """One option of a question in the chosen domain, as published."""

    code: int
    label: str
    est: object                  # analysis.Estimate (percent)
    withheld: bool               # fewer answers than the minimum: the value is not shown
    unreliable: bool             # RSE too high or no interval: shown, flagged


@dataclass(frozen=True)
class Question:
    """A judgement indicator or a need with its shares in the chosen domain."""

    code: str
    label: str
    kind: str
    multiple: bool
    n: int                       # respondents who answered it in the domain
    shares: tuple
    note: str                    # why it is not comparable with SIPAS 2023 ("" when it is)

    @property
    def withheld(self) -> bool:
        """Every share withheld (too few answers)."""
        return all(s.withheld for s in self.shares)


def _lang() -> str:
    return "vi" if str(get_locale()) == "vi" else "en"


def _pick(lang: str, pair) -> str:
    """The reader's language of a (vi, en) pair."""
    vi, en = pair
    return vi if lang == "vi" or not en else en


def _questions(table, cell, lang: str) -> list[Question]:
    """The cell's questions in questionnaire order (those nobody answered in the domain left out)."""
    out = []
    for code, spec in (getattr(table, "indicator_questions", None) or {}).items():
        shares = (cell.shares or {}).get(code)
        if not shares:
            continue
        flags = (cell.flags or {}).get(code, {})
        n = max((e.n for e in shares.values()), default=0)
        if n == 0:
            continue
        m = spec.measure
        rows = tuple(Share(o, _pick(lang, spec.option_labels.get(o, (str(o), str(o)))), shares[o],
                           "few_answers" in flags.get(o, ()), bool(set(flags.get(o, ())) - {"few_answers"}))
                     for o in spec.options if o in shares)
        note = "" if m.comparable else (m.note_vi if lang == "vi" else m.note_en or m.note_vi)
        out.append(Question(code, _pick(lang, (m.label_vi, m.label_en)), m.kind, spec.multiple, n, rows, note))
    return out


def _domains(table, ctx, lang: str) -> list[tuple[str, str, str]]:
    """(value of ?domain=, label, group) of the domains the viewer may choose, whole province first."""
    ind = getattr(table, "indicators", None) or {}

    def listed(kind: str, fmt: str, keep=lambda k: True) -> list:
        return sorted(((fmt % k, _pick(lang, (c.label_vi, c.label_en)), kind)
                       for k, c in (ind.get(kind) or {}).items() if keep(k)), key=lambda x: x[1].lower())

    out = []
    if ctx.visible is None:
        out += [("", _pick(lang, (c.label_vi, c.label_en)), "overall") for c in (ind.get("overall") or {}).values()]
        out += listed("sectors", "sector:%s")
    return out + listed("agencies", "agency:%d", lambda k: ctx.visible is None or k in ctx.visible)


def _cell(table, ctx, domain: str):
    """The published cell of ?domain= (404 for an agency outside the viewer's scope); None when the
    publication has no answers there."""
    ind = getattr(table, "indicators", None) or {}
    kind, _, key = domain.partition(":")
    if kind == "agency":
        try:
            agency_id = int(key)
        except ValueError:
            abort(404)
        check_agency(ctx, agency_id)
        return (ind.get("agencies") or {}).get(agency_id)
    if ctx.visible is not None:  # a viewer's domains are his agencies
        abort(404)
    if kind == "sector":
        return (ind.get("sectors") or {}).get(key)
    if domain:
        abort(404)
    return next(iter((ind.get("overall") or {}).values()), None)


@bp.route("/indicators")
@analyst_required
def indicators():
    """Judgement indicators and needs of the wave's publication, for one domain (?domain=)."""
    ctx = context()
    if ctx.wave is None or not ctx.published:
        return _empty(ctx, "indicators")
    table, lang = ctx.shown.view.table, _lang()
    domains = _domains(table, ctx, lang)
    domain = request.args.get("domain")
    if domain is None:  # the sector of the filter bar, else the whole province (a viewer: his first agency)
        domain = "sector:" + ctx.filters.sector if ctx.filters.sector and ctx.visible is None else \
            (domains[0][0] if domains else "")
    cell = _cell(table, ctx, domain) if domains or ctx.visible is None else None
    qs = _questions(table, cell, lang) if cell is not None else []
    needs = [q for q in qs if q.kind == NEED]
    return render_template("analyst/indicators.html", ctx=ctx, page="indicators", domains=domains, domain=domain,
                           cell=cell, judgements=[q for q in qs if q.kind != NEED],
                           needs=needs, needs_options=_common_options(needs), min_n=_min_n(table, ctx),
                           asked=bool(getattr(table, "indicator_questions", None)),
                           unused=[f for f in ("level", "channel") if getattr(ctx.filters, f)])


def _min_n(table, ctx) -> int:
    """The minimum number of answers the publication's flags were computed with."""
    return int((getattr(table, "settings", None) or {}).get("min_n") or ctx.min_n)


def _common_options(questions: list[Question]) -> list[str] | None:
    """The option labels every question shares (the needs' one scale: a matrix), else None."""
    if not questions:
        return None
    first = [(x.code, x.label) for x in questions[0].shares]
    same = all([(x.code, x.label) for x in q.shares] == first for q in questions)
    return [label for _, label in first] if same else None
