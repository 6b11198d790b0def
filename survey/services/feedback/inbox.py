"""The comments inbox: redacted comments filtered, searched, sorted and paged within a viewer's agencies,
and their counts by theme per agency.

A reader sees where (agency, service point), which wave, the day, the overall rating and the themes of a
comment, never what identifies the person: no dossier, response, phone or time of day (the `comment` row
holds none of them except the response link, which is never selected here). Search ignores diacritics:
the query is folded like the stored `folded` column and every word must occur in it ("dat dai" finds
"đất đai").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session, aliased

from survey.models import Agency, Comment, CommentTag, ServicePoint, Theme, Wave
from survey.services.common.redact import fold

RATINGS = {"low": (1, 2), "mid": (3, 3), "high": (4, 5)}  # bands of the 1–5 overall rating; "none": not given
SAMPLES = ("probability", "walkup")
SORTS = ("day", "agency", "point", "rating")
MAX_QUERY = 200  # characters of a search
MAX_ID = 2**31 - 1  # an id beyond any integer column is unknown, not a database error
MAX_PAGE = 1_000_000  # ?page=10**20 would be an OFFSET the database driver cannot bind


@dataclass(frozen=True)
class Filters:
    """What narrows the inbox (all optional); `args()` gives them back as query arguments."""

    wave_id: int | None = None
    agency_id: int | None = None  # this agency only (as the counts table counts it)
    service_point_id: int | None = None
    theme: str = ""  # a theme's code
    rating: str = ""  # low | mid | high | none
    date_from: date | None = None
    date_to: date | None = None
    sample: str = ""  # probability | walkup
    q: str = ""

    def args(self) -> dict[str, str]:
        """The filters as query-string arguments (only those set)."""
        names = {"wave_id": "wave", "agency_id": "agency", "service_point_id": "point"}
        out = {}
        for key, value in asdict(self).items():
            if value not in (None, ""):
                out[names.get(key, key)] = value.isoformat() if isinstance(value, date) else str(value)
        return out


@dataclass(frozen=True)
class Parsed:
    """Filters read from a query string, and what was wrong with it (in words)."""

    filters: Filters
    errors: list[str] = field(default_factory=list)


def _int(args: Mapping[str, str], key: str, label, errors: list[str]) -> int | None:
    raw = (args.get(key) or "").strip()
    if not raw:
        return None
    if raw.isdigit() and 0 < int(raw) <= MAX_ID:
        return int(raw)
    errors.append(str(_l("%(what)s không hợp lệ.", what=label)))
    return None


def _day(args: Mapping[str, str], key: str, label, errors: list[str]) -> date | None:
    raw = (args.get(key) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.append(
            str(
                _l(
                    "%(what)s “%(value)s” không phải là một ngày (định dạng năm-tháng-ngày, ví dụ 2025-07-31).",
                    what=label,
                    value=raw[:20],
                )
            )
        )
        return None


def parse_filters(session: Session, args: Mapping[str, str], visible: set[int] | None) -> Parsed:
    """Read and check the inbox filters from query arguments: unknown waves, agencies outside `visible`,
    unknown themes, bad dates and bands are errors in words, and the bad filter is left out."""
    errors: list[str] = []
    wave_id = _int(args, "wave", _l("Đợt khảo sát"), errors)
    if wave_id is not None and session.get(Wave, wave_id) is None:
        errors.append(str(_l("Không có đợt khảo sát này.")))
        wave_id = None
    agency_id = _int(args, "agency", _l("Cơ quan"), errors)
    if agency_id is not None and (
        session.get(Agency, agency_id) is None or (visible is not None and agency_id not in visible)
    ):
        errors.append(str(_l("Không có cơ quan này trong phạm vi bạn được xem.")))
        agency_id = None
    point_id = _int(args, "point", _l("Điểm phục vụ"), errors)
    if point_id is not None and session.get(ServicePoint, point_id) is None:
        errors.append(str(_l("Không có điểm phục vụ này.")))
        point_id = None
    theme = (args.get("theme") or "").strip()
    if theme and session.scalar(select(Theme.id).where(Theme.code == theme)) is None:
        errors.append(str(_l("Không có chủ đề mã “%(code)s”.", code=theme[:40])))
        theme = ""
    rating = (args.get("rating") or "").strip()
    if rating and rating not in (*RATINGS, "none"):
        errors.append(str(_l("Mức đánh giá không hợp lệ.")))
        rating = ""
    sample = (args.get("sample") or "").strip()
    if sample and sample not in SAMPLES:
        errors.append(str(_l("Nguồn góp ý không hợp lệ.")))
        sample = ""
    date_from = _day(args, "date_from", _l("Từ ngày"), errors)
    date_to = _day(args, "date_to", _l("Đến ngày"), errors)
    if date_from and date_to and date_from > date_to:
        errors.append(str(_l("“Từ ngày” phải trước hoặc trùng “Đến ngày”.")))
        date_from = date_to = None
    q = " ".join((args.get("q") or "").split())
    if len(q) > MAX_QUERY:
        errors.append(str(_l("Từ tìm kiếm dài tối đa %(n)d ký tự.", n=MAX_QUERY)))
        q = ""
    return Parsed(Filters(wave_id, agency_id, point_id, theme, rating, date_from, date_to, sample, q), errors)


def _like(word: str) -> str:
    """A LIKE pattern that finds `word` anywhere, its own % and _ taken literally."""
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def where(session: Session, filters: Filters, visible: set[int] | None) -> list:
    """The WHERE conditions on Comment of the filters within the viewer's agencies."""
    conds: list = []
    if visible is not None:
        conds.append(Comment.agency_id.in_(sorted(visible)) if visible else Comment.id.is_(None))
    if filters.wave_id:
        conds.append(Comment.wave_id == filters.wave_id)
    if filters.agency_id:
        conds.append(Comment.agency_id == filters.agency_id)
    if filters.service_point_id:
        conds.append(Comment.service_point_id == filters.service_point_id)
    if filters.theme:
        # aliases: the counts query joins comment_tag itself, which a plain exists() would correlate to
        tag, theme = aliased(CommentTag), aliased(Theme)
        conds.append(
            exists().where(tag.comment_id == Comment.id, tag.theme_id == theme.id, theme.code == filters.theme)
        )
    if filters.rating == "none":
        conds.append(Comment.overall.is_(None))
    elif filters.rating in RATINGS:
        low, high = RATINGS[filters.rating]
        conds.append(Comment.overall.between(low, high))
    if filters.sample:
        conds.append(Comment.probability_sample.is_(filters.sample == "probability"))
    if filters.date_from:
        conds.append(Comment.day >= filters.date_from)
    if filters.date_to:
        conds.append(Comment.day <= filters.date_to)
    for word in fold(filters.q).split():
        conds.append(Comment.folded.like(_like(word), escape="\\"))
    return conds


@dataclass(frozen=True)
class Row:
    """One comment as the inbox shows it (no response, dossier, phone or time of day)."""

    id: int
    text: str
    day: date
    overall: int | None
    probability_sample: bool
    agency: Agency | None
    point: ServicePoint | None
    wave: Wave | None
    themes: list[tuple[Theme, bool]]  # (theme, suggested automatically)


@dataclass(frozen=True)
class Page:
    """A page of the inbox."""

    rows: list[Row]
    total: int
    page: int
    per_page: int
    sort: str
    desc: bool


def _order(query: Select, sort: str, desc: bool) -> Select:
    key = {"day": Comment.day, "agency": Agency.name_vi, "point": ServicePoint.name_vi, "rating": Comment.overall}[sort]
    last = Comment.id.desc() if desc else Comment.id.asc()  # the id keeps pages stable between requests
    if sort == "day":  # never missing
        return query.order_by(Comment.day.desc() if desc else Comment.day.asc(), last)
    return query.order_by(key.is_(None), key.desc() if desc else key.asc(), last)  # missing values last


def _themes_of(session: Session, ids: list[int]) -> dict[int, list[tuple[Theme, bool]]]:
    out: dict[int, list[tuple[Theme, bool]]] = {i: [] for i in ids}
    if ids:
        query = (
            select(CommentTag.comment_id, Theme, CommentTag.auto)
            .join(Theme, CommentTag.theme_id == Theme.id)
            .where(CommentTag.comment_id.in_(ids))
            .order_by(Theme.name_vi)
        )
        for comment_id, theme, auto in session.execute(query):
            out[comment_id].append((theme, auto))
    return out


def page_ids(
    session: Session, filters: Filters, visible: set[int] | None, sort: str, desc: bool, limit: int, offset: int = 0
) -> list[int]:
    """The ids of one page of the filtered comments, in order."""
    # Only ids (and the sort key) are sorted: sorting whole rows with their text took 240 ms for 20 000
    # comments on SQLite; the page's 25 rows are read afterwards by id.
    sort = sort if sort in SORTS else "day"
    query = select(Comment.id)
    if sort == "agency":
        query = query.outerjoin(Agency, Comment.agency_id == Agency.id)
    elif sort == "point":
        query = query.outerjoin(ServicePoint, Comment.service_point_id == ServicePoint.id)
    query = _order(query.where(*where(session, filters, visible)), sort, desc)
    return list(session.scalars(query.limit(limit).offset(offset)))


def rows_by_id(session: Session, ids: list[int]) -> list[Row]:
    """The comments with these ids as the inbox shows them (with agency, point, wave, themes), in that order."""
    if not ids:
        return []
    query = (
        select(Comment, Agency, ServicePoint, Wave)
        .outerjoin(Agency, Comment.agency_id == Agency.id)
        .outerjoin(ServicePoint, Comment.service_point_id == ServicePoint.id)
        .outerjoin(Wave, Comment.wave_id == Wave.id)
        .where(Comment.id.in_(ids))
    )
    found = list(session.execute(query))
    themes = _themes_of(session, [c.id for c, *_ in found])
    rows = {
        c.id: Row(c.id, c.text, c.day, c.overall, c.probability_sample, a, p, w, themes[c.id]) for c, a, p, w in found
    }
    return [rows[i] for i in ids if i in rows]


def count(session: Session, filters: Filters, visible: set[int] | None) -> int:
    """How many comments the filters find."""
    return session.scalar(select(func.count(Comment.id)).where(*where(session, filters, visible))) or 0


def list_page(
    session: Session,
    filters: Filters,
    visible: set[int] | None,
    *,
    sort: str = "day",
    desc: bool = True,
    page: int = 1,
    per_page: int = 25,
) -> Page:
    """One page of the filtered comments, sorted (day, agency, point, rating), newest first by default."""
    page, sort = min(max(int(page), 1), MAX_PAGE), sort if sort in SORTS else "day"
    total = count(session, filters, visible)
    ids = page_ids(session, filters, visible, sort, desc, per_page, (page - 1) * per_page)
    return Page(rows_by_id(session, ids), total, page, per_page, sort, desc)


def get(session: Session, comment_id: int, visible: set[int] | None) -> Row | None:
    """One comment as the inbox shows it, or None when it does not exist or lies outside `visible`."""
    if not 0 < comment_id <= MAX_ID:
        return None
    inside = session.scalar(select(Comment.id).where(Comment.id == comment_id, *where(session, Filters(), visible)))
    rows = rows_by_id(session, [inside]) if inside else []
    return rows[0] if rows else None


def choices(session: Session, visible: set[int] | None) -> dict[str, list]:
    """What the filter menus offer: waves, the viewer's agencies and the service points of their comments."""
    scope = [Comment.agency_id.in_(sorted(visible)) if visible else Comment.id.is_(None)] if visible is not None else []
    agencies = select(Agency).order_by(Agency.name_vi)
    if visible is not None:
        agencies = agencies.where(Agency.id.in_(sorted(visible)) if visible else Agency.id.is_(None))
    point_ids = select(Comment.service_point_id).where(Comment.service_point_id.is_not(None), *scope).distinct()
    wave_ids = select(Comment.wave_id).where(Comment.wave_id.is_not(None), *scope).distinct()
    return {
        "waves": list(
            session.scalars(
                select(Wave).where(Wave.id.in_(wave_ids)).order_by(Wave.period_start.desc(), Wave.id.desc())
            )
        ),
        "agencies": list(session.scalars(agencies)),
        "points": list(
            session.scalars(select(ServicePoint).where(ServicePoint.id.in_(point_ids)).order_by(ServicePoint.name_vi))
        ),
        "themes": list(session.scalars(select(Theme).order_by(Theme.active.desc(), Theme.name_vi))),
    }
