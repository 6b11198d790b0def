"""Public pages: the province with its sectors and agencies, one agency, the widget, the open data."""
from __future__ import annotations

import unicodedata
from functools import lru_cache

from flask import abort, current_app, render_template, request, url_for
from flask_babel import get_locale
from markupsafe import Markup

from survey.extensions import db
from survey.services import scoreboard
from survey.services.common import formats
from survey.services.scoreboard import opendata
from survey.web.public import bp
from survey.web.public.caching import cached, etag_of, templates_fingerprint

PER_PAGE = 25


def _folded(text: str) -> str:
    """A name as sorted: accents and case ignored ("Đ" with "D", "Ủy" with "Uy")."""
    plain = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in plain if not unicodedata.combining(ch)).lower()


SORTS = {"rank": lambda c: (c.rank is None, c.rank or 0, _folded(c.name_vi)),
         "name": lambda c: _folded(c.name_vi),
         "index": lambda c: (c.index is None, c.index or 0, _folded(c.name_vi)),
         "n": lambda c: (c.n is None, c.n or 0, _folded(c.name_vi))}


@lru_cache(maxsize=20000)
def _num(value: float | None, digits: int, lang: str) -> str:
    return formats.num(value, digits, lang)


@bp.context_processor
def _formatters() -> dict:
    """number(v, digits) and percent(v, digits) (v already in percent) for the public templates, memoised:
    a board's numbers repeat on every request, and Babel takes tens of microseconds per number."""
    lang = formats.locale_code()

    sign = Markup(formats.PERCENT_SIGN[lang].replace("\u00a0", "&nbsp;"))

    def points(value: float | None, digits: int = 1):
        text = _num(value, digits, lang)
        return text if text == formats.MISSING else Markup(text) + sign
    return {"number": lambda value, digits=0: _num(value, digits, lang), "percent": points}


def _show_provisional() -> bool:
    return bool(current_app.config.get("PUBLIC_SHOW_PROVISIONAL", False))


def _selection():
    """(catalogue, the entry asked for by ?wave= and ?version=) or 404."""
    entries = scoreboard.catalogue(db.session)
    entry = scoreboard.choose(entries, _show_provisional(), request.args.get("wave") or None,
                              request.args.get("version", type=int))
    return entries, entry


def _page_etag(entries, entry, *extra) -> str:
    listed = [(e.id, e.content_hash) for e in entries if not e.provisional or _show_provisional()]
    return etag_of(["html", entry.id if entry else None, entry.content_hash if entry else "", get_locale(),
                    request.full_path, _show_provisional(), listed, templates_fingerprint(), *extra])


def _args(entry) -> dict:
    """The query arguments that pin the shown version (none for the default one)."""
    return {"wave": entry.wave_code, "version": entry.version} if request.args.get("wave") else {}


def _sorted(cells, sort: str, desc: bool) -> list:
    """Cells sorted by a column; insufficient cells stay last whichever the direction."""
    key = SORTS.get(sort, SORTS["rank"])
    ok = sorted((c for c in cells if c.sufficient or sort == "name"), key=key, reverse=desc)
    return ok + sorted((c for c in cells if not c.sufficient and sort != "name"), key=SORTS["name"])


def _paged(rows: list) -> tuple[list, dict]:
    last = max((len(rows) + PER_PAGE - 1) // PER_PAGE, 1)
    page = min(max(request.args.get("page", 1, type=int), 1), last)
    return rows[(page - 1) * PER_PAGE: page * PER_PAGE], {"page": page, "pages": last, "total": len(rows)}


def _latest(entries, entry) -> int:
    """The newest version of the entry's wave and kind."""
    return max(e.version for e in entries if e.wave_code == entry.wave_code and e.kind == entry.kind)


def _common(entries, entry) -> dict:
    board = scoreboard.board(db.session, entry)
    return {"board": board, "entry": entry, "lang": str(get_locale()), "pin": _args(entry),
            "latest": _latest(entries, entry),
            "waves": scoreboard.waves(entries, _show_provisional()),
            "versions": scoreboard.versions_of(entries, entry.wave_code)}


@bp.route("")
def index():
    """The province, its sectors and its agencies (sortable, paged) for the shown version."""
    entries, entry = _selection()
    if entry is None:
        if request.args.get("wave"):
            abort(404)
        return cached(_page_etag(entries, None), lambda: render_template("public/empty.html", pin={}), "text/html")
    sort = request.args.get("sort", "rank") if request.args.get("sort") in SORTS else "rank"
    desc = request.args.get("desc", 0, type=int) == 1

    def render() -> str:
        ctx = _common(entries, entry)
        rows, paging = _paged(_sorted(ctx["board"].agencies, sort, desc))
        return render_template("public/index.html", agencies=rows, paging=paging, sort=sort, desc=desc, **ctx)
    return cached(_page_etag(entries, entry), render, "text/html")


@bp.route("/co-quan/<code>")
def agency(code: str):
    """One agency: its index, its sectors, its service points, its subordinate agencies, the widget snippet."""
    entries, entry = _selection()
    if entry is None or scoreboard.board(db.session, entry).agency(code) is None:
        abort(404)

    def render() -> str:
        ctx = _common(entries, entry)
        sectors, points, children = ctx["board"].of_agency(code)
        children, paging = _paged(_sorted(children, "rank", False))
        base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
        widget = base + url_for("public.widget", code=code, **({"lang": "en"} if ctx["lang"] == "en" else {}))
        return render_template("public/agency.html", cell=ctx["board"].agency(code), sectors=sectors,
                               service_points=points, children=children, paging=paging, widget_url=widget, **ctx)
    return cached(_page_etag(entries, entry, current_app.config.get("PUBLIC_BASE_URL")), render, "text/html")


@bp.route("/widget/<code>")
def widget(code: str):
    """A small card of one agency's index for other sites to frame (no scripts)."""
    entries, entry = _selection()
    if entry is None or scoreboard.board(db.session, entry).agency(code) is None:
        abort(404)

    def render() -> str:
        ctx = _common(entries, entry)
        return render_template("public/widget.html", cell=ctx["board"].agency(code), **ctx)
    return cached(_page_etag(entries, entry), render, "text/html")


def _data(fmt: str):
    entries, entry = _selection()
    if entry is None:
        abort(404)
    board = scoreboard.board(db.session, entry)
    latest = _latest(entries, entry)
    etag = etag_of([fmt, opendata.SCHEMA_VERSION, entry.content_hash, latest])
    name = "hailong-%s-v%d.%s" % (entry.wave_code, entry.version, fmt)
    write, mimetype = (opendata.as_json, "application/json") if fmt == "json" else (opendata.as_csv, "text/csv")
    return cached(etag, lambda: write(board, latest), mimetype, vary_cookie=False, filename=name)


@bp.route("/du-lieu.json")
def data_json():
    """The shown version as JSON (docs/open-data.md)."""
    return _data("json")


@bp.route("/du-lieu.csv")
def data_csv():
    """The shown version as CSV (docs/open-data.md)."""
    return _data("csv")
