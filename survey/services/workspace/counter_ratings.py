"""Walk-up ratings at a service point's kiosks ("Đánh giá tại quầy"), apart from the sampled index.

A walk-up rating is a kiosk response without an invitation (ResponseMode.KIOSK_WALKUP, probability_sample
false). Nobody chose who answers, so these ratings are not a probability sample: they are counted and
shown here only, never weighted, never mixed into the index (results.wave_data reads invitations).

"Chưa hài lòng" (not satisfied) comes from the rating's own questionnaire version: a rating is not
satisfied when at least one of its rating questions (the index items, else every scale question) got a
scale code outside the scale's `satisfied` codes (on the quick form: the face "Chưa hài lòng", code 1).
Days and hours are local (Asia/Ho_Chi_Minh). Comments come from the redacted `comment` table when it has
the row, else from the answer's text redacted here (answers stored before redaction on write); they carry the
day only: a time or a device next to a comment could tell the counter who wrote it.

The sampled index of the point beside it (counter_index.py) is the latest publication's: the two numbers
are never combined.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from survey.models import Answer, Comment, Device, QuestionnaireVersion, Response, ServicePoint
from survey.models._base import utcnow
from survey.models.response import ResponseMode
from survey.services.common.periods import FIRST_DAY, LAST_DAY, local_tz, period_bounds
from survey.services.common.redact import redact
from survey.services.questionnaires.bank import index_structure, iter_questions, scale_for
from survey.services.workspace.counter_index import Sampled, sampled_index

DEFAULT_DAYS = 30
MAX_DAYS = 366
LATEST_COMMENTS = 20
LABEL = _l("Đánh giá tại quầy — không phải mẫu xác suất, không tính vào chỉ số")
NOT_FOUND = _l("Không tìm thấy điểm phục vụ này trong phạm vi bạn được xem.")
NO_COUNTER = _l("Quầy (máy tính bảng) này không thuộc điểm phục vụ đã chọn.")


class CounterError(Exception):
    """A request the page cannot answer: a Vietnamese message and the HTTP status."""

    def __init__(self, message: Any, status: int = 400):
        super().__init__(str(message))
        self.message, self.status = str(message), status


@dataclass(frozen=True)
class Period:
    """Local days from start to end inclusive."""

    start: date
    end: date

    @property
    def days(self) -> list[date]:
        """Every day of the period, in order."""
        return [self.start + timedelta(days=k) for k in range((self.end - self.start).days + 1)]

    def args(self) -> dict:
        """Query-string arguments for links that keep the period."""
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def local_today(now: datetime | None = None) -> date:
    """Today in the province's time zone."""
    return (now or utcnow()).replace(tzinfo=UTC).astimezone(ZoneInfo(local_tz())).date()


def parse_period(start: str | None, end: str | None, today: date | None = None) -> Period:
    """The period of ?start=&end= (YYYY-MM-DD); missing ends default to the last DEFAULT_DAYS days."""
    today = today or local_today()

    def day(value: str | None, fallback: date) -> date:
        if value is None or not value.strip():
            return fallback
        try:
            got = date.fromisoformat(value.strip())
        except ValueError:
            raise CounterError(
                _l(
                    "Ngày “%(value)s” không hợp lệ: hãy nhập theo dạng năm-tháng-ngày, ví dụ 2025-07-31.",
                    value=value.strip()[:20],
                )
            ) from None
        if not FIRST_DAY <= got <= LAST_DAY:
            raise CounterError(_l("Ngày phải nằm trong khoảng 2000–2100."))
        return got

    last = day(end, today)
    first = day(start, last - timedelta(days=DEFAULT_DAYS - 1))
    if first > last:
        raise CounterError(_l("Ngày bắt đầu phải trước hoặc bằng ngày kết thúc."))
    if (last - first).days + 1 > MAX_DAYS:
        raise CounterError(_l("Khoảng thời gian dài nhất là %(days)d ngày.", days=MAX_DAYS))
    return Period(first, last)


def points_in_scope(session: Session, visible: set[int] | None) -> list[ServicePoint]:
    """Service points the viewer may see (those of his agencies), by name."""
    query = select(ServicePoint).order_by(ServicePoint.name_vi, ServicePoint.id)
    if visible is not None:
        query = query.where(ServicePoint.agency_id.in_(sorted(visible) or [-1]))
    return list(session.scalars(query))


def check_point(session: Session, point_id: int | None, visible: set[int] | None) -> ServicePoint:
    """The service point, or CounterError 404 when unknown or outside the viewer's agencies (same answer)."""
    point = session.get(ServicePoint, point_id) if point_id is not None else None
    if point is None or (visible is not None and point.agency_id not in visible):
        raise CounterError(NOT_FOUND, 404)
    return point


def counters(session: Session, point: ServicePoint) -> list[Device]:
    """The point's kiosks (its counters), by label."""
    return list(
        session.scalars(select(Device).where(Device.service_point_id == point.id).order_by(Device.label, Device.id))
    )


@dataclass(frozen=True)
class Bucket:
    """Ratings of one group (a day, an hour, a counter, a question) and how many were not satisfied."""

    key: Any
    label: str
    ratings: int
    unhappy: int

    @property
    def share(self) -> float | None:
        """Percent not satisfied (None without ratings)."""
        return 100.0 * self.unhappy / self.ratings if self.ratings else None


@dataclass(frozen=True)
class Reason:
    """One reason option: how often it was chosen among the ratings that were asked it."""

    question: str
    group: str
    code: int
    label: str
    count: int
    asked: int

    @property
    def share(self) -> float | None:
        """Percent of the ratings shown the reason screen that chose it (several may be chosen)."""
        return 100.0 * self.count / self.asked if self.asked else None


@dataclass(frozen=True)
class Note:
    """A redacted comment with its local day only."""

    day: date
    question: str
    text: str


@dataclass(frozen=True)
class CounterReport:
    """Everything the counter-ratings page and its CSV show for one point (and optionally one counter)."""

    point: ServicePoint
    period: Period
    device: Device | None
    total: Bucket
    by_day: list
    by_hour: list
    by_counter: list
    by_question: list
    reasons: list
    comments: list
    unhappy_labels: list  # the scale labels that count as not satisfied
    sampled: Sampled | None = None
    counters: list = field(default_factory=list)


@dataclass(frozen=True)
class _Form:
    """What one questionnaire version asks at the kiosk."""

    ratings: dict  # rating question → (satisfied codes, valid codes, labels of the other codes)
    reasons: dict  # reason question → (its show_if rule or None, {option code: label})
    group: dict  # question → its section's title (a reason's: the title of the rating that opened it)
    order: dict  # question → position in the questionnaire


def _form(content: dict, lang: str) -> _Form:
    """The rating questions (the index items, else every scale question) and reasons of a version."""

    def text(node: dict | None, fallback: Any) -> str:
        return (node or {}).get(lang) or (node or {}).get("vi") or str(fallback)

    questions = list(iter_questions(content))
    items = index_structure(content)["items"] or [q["code"] for q in questions if q.get("type") == "scale"]
    titles = {s["id"]: text(s.get("title"), s["id"]) for s in content["sections"]}
    group = {q["code"]: titles.get(q["section"]) or q["code"] for q in questions}
    group.update({q["code"]: group[q["show_if"]["item"]] for q in questions if q.get("show_if")})
    ratings, reasons = {}, {}
    for q in questions:
        if q["code"] in items and q.get("type") == "scale":
            scale = scale_for(content, q)
            satisfied = set(scale.get("satisfied") or ())
            codes = {c["code"]: text(c.get("label"), c["code"]) for c in scale["codes"]}
            ratings[q["code"]] = (satisfied, set(codes), [t for c, t in codes.items() if c not in satisfied])
        elif q.get("type") == "multiple":
            options = {o["code"]: text(o.get("label"), o["code"]) for o in q.get("options") or ()}
            reasons[q["code"]] = (q.get("show_if"), options)
    return _Form(ratings, reasons, group, {q["code"]: k for k, q in enumerate(questions)})


def _walkups(session: Session, point: ServicePoint, period: Period, device: Device | None) -> tuple[list, dict]:
    """The walk-up responses (id, submitted_at, device_id, version) and their answers {id: {item: [(int, text)]}}."""
    lo, hi = period_bounds(period.start, period.end)
    query = select(Response.id, Response.submitted_at, Response.device_id, Response.questionnaire_version_id).where(
        Response.service_point_id == point.id,
        Response.submitted_at >= lo,
        Response.submitted_at < hi,
        Response.mode.in_((ResponseMode.KIOSK_WALKUP, ResponseMode.KIOSK)),
        or_(Response.probability_sample.is_(False), Response.invitation_id.is_(None)),
    )
    if device is not None:
        query = query.where(Response.device_id == device.id)
    rows = session.execute(query.order_by(Response.submitted_at, Response.id)).all()
    answers: dict = defaultdict(lambda: defaultdict(list))
    ids = [r.id for r in rows]
    for k in range(0, len(ids), 5000):  # bounded IN lists
        chunk = select(Answer.response_id, Answer.item_code, Answer.value_int, Answer.value_text)
        for rid, item, value, text in session.execute(chunk.where(Answer.response_id.in_(ids[k : k + 5000]))):
            answers[rid][item].append((value, text))
    return rows, answers


def counter_report(
    session: Session,
    point: ServicePoint,
    period: Period,
    device_id: int | None = None,
    visible: set[int] | None = None,
    min_n: int = 30,
    lang: str = "vi",
) -> CounterReport:
    """The walk-up ratings of `point` (of one counter when `device_id`) over `period`, and the sampled index;
    the questionnaire's labels in `lang` (vi or en)."""
    devices = counters(session, point)
    device = next((d for d in devices if d.id == device_id), None)
    if device_id is not None and device is None:
        raise CounterError(NO_COUNTER, 404)
    rows, answers = _walkups(session, point, period, device)
    versions = session.scalars(
        select(QuestionnaireVersion).where(
            QuestionnaireVersion.id.in_(sorted({r.questionnaire_version_id for r in rows}) or [-1])
        )
    )
    forms = {v.id: _form(v.content, lang) for v in versions}
    zone = ZoneInfo(local_tz())
    # ratings and not satisfied, keyed ("day", date), ("hour", h), ("counter", device), ("question", code), ...
    n, bad, chosen = Counter(), Counter(), Counter()
    labels, unhappy, order, texts = {}, {}, {}, []
    for r in rows:
        form, got = forms[r.questionnaire_version_id], answers.get(r.id, {})
        local = r.submitted_at.replace(tzinfo=UTC).astimezone(zone)
        unhappy_here = False
        for code, (satisfied, valid, others) in form.ratings.items():
            values = [v for v, _t in got.get(code, ()) if v in valid]
            if values:
                labels.setdefault(("question", code), form.group[code])
                order.setdefault(code, form.order[code])
                unhappy.update(dict.fromkeys(others))
                n["question", code] += 1
                bad["question", code] += values[0] not in satisfied
                unhappy_here |= values[0] not in satisfied
        for code, (rule, options) in form.reasons.items():
            if not (code in got if rule is None else any(v in rule["in"] for v, _t in got.get(rule["item"], ()))):
                continue  # the reason screen was not shown
            key = (code, form.group[code])
            n["asked", key] += 1
            order.setdefault(code, form.order[code])
            for option in {v for v, _t in got.get(code, ()) if v is not None}:
                chosen[(*key, option)] += 1
                labels.setdefault(("reason", (*key, option)), options.get(option, str(option)))
        texts += [
            (r.id, code, local.date(), t, form.group.get(code, code)) for code, vs in got.items() for _v, t in vs if t
        ]
        for key in (("day", local.date()), ("hour", local.hour), ("counter", r.device_id), ("all", "all")):
            n[key] += 1
            bad[key] += unhappy_here

    def buckets(kind: str, keys, label) -> list[Bucket]:
        return [Bucket(k, label(k), n[kind, k], bad[kind, k]) for k in keys]

    hours = sorted(k for kind, k in n if kind == "hour")
    names = {d.id: d.label for d in devices}
    reasons = [
        Reason(code, group, option, labels["reason", (code, group, option)], count, n["asked", (code, group)])
        for (code, group, option), count in chosen.items()
    ]
    return CounterReport(
        point, period, device, Bucket("all", "", n["all", "all"], bad["all", "all"]),
        buckets("day", period.days, lambda d: d.strftime("%d/%m/%Y")),
        buckets("hour", range(hours[0], hours[-1] + 1) if hours else (), lambda h: "%02d:00–%02d:00" % (h, h + 1)),
        sorted(buckets("counter", [k for kind, k in n if kind == "counter"], lambda k: names.get(k, "—")),
               key=lambda b: b.label),
        buckets("question", sorted((k for kind, k in n if kind == "question"), key=order.get),
                lambda k: labels["question", k]),
        sorted(reasons, key=lambda x: (order.get(x.question, 0), -x.count, x.code)),
        _comments(session, texts), list(unhappy), sampled_index(session, point, visible, min_n, period), devices,
    )  # fmt: skip


def _comments(session: Session, texts: list) -> list[Note]:
    """The latest LATEST_COMMENTS texts, newest first: the comment table's redacted text, else masked here."""
    latest = sorted(texts, key=lambda t: (t[2], t[0]), reverse=True)[:LATEST_COMMENTS]
    stored = {
        (c.response_id, c.item_code): c.text
        for c in session.scalars(select(Comment).where(Comment.response_id.in_(sorted({t[0] for t in latest}) or [-1])))
    }
    return [Note(day, group, stored.get((rid, code)) or redact(text).text) for rid, code, day, text, group in latest]
