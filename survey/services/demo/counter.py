"""Demo step: four weeks of walk-up ratings on the demo kiosks, so the counter-ratings page has something to show.

Two tablets at the demo kiosk's service point (the one the kiosk step registered, and a second counter),
about a dozen quick ratings a day in office hours, more "Chưa hài lòng" in the morning rush, some reasons
and a few "other" texts — one with a phone number, to show that free text is redacted on write. Stored
through the respond service (the path a real tablet takes), then dated back. Walk-ups are never part of
the sampled index. Idempotent: nothing is added when the point already has walk-ups.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from survey.models import Comment, Device, Questionnaire, QuestionnaireVersion, Response, ServicePoint
from survey.models._base import utcnow
from survey.models.response import ResponseMode
from survey.services.kiosk import devices
from survey.services.respond import responses

DAYS, PER_DAY = 28, 12
SECOND_COUNTER = "Kiosk demo — quầy 2"
OTHER_TEXTS = ["Máy lấy số bị hỏng cả buổi sáng.", "Cán bộ gợi ý phải bồi dưỡng thì mới nhanh.",
               "Chờ gần hai tiếng, gọi lại cho tôi 0912 345 678 để giải thích.", "Thiếu chỗ ngồi chờ."]


def _version(s) -> QuestionnaireVersion | None:
    return s.scalar(select(QuestionnaireVersion).join(Questionnaire)
                    .where(Questionnaire.instrument == "kiosk-quick").order_by(QuestionnaireVersion.id.desc()))


def _answer(rng, hour: int) -> tuple[dict, dict]:
    """One quick rating: faces 3/2/1, unhappier at the morning rush; reasons when unhappy."""
    unhappy = 0.22 if hour in (8, 9) else 0.09
    answers: dict = {}
    other: dict = {}
    for item, reasons in (("Q1", (1, 2, 3, 4, 5, 9)), ("Q2", (1, 2, 3, 4, 9))):
        face = 1 if rng.random() < unhappy else (3 if rng.random() < 0.6 else 2)
        answers[item] = face
        if face == 1:
            chosen = sorted(set(rng.sample(reasons, rng.choice((1, 1, 2)))))
            answers[item + "_REASON"] = chosen
            if 9 in chosen:
                other[item + "_REASON"] = rng.choice(OTHER_TEXTS)
    return answers, other


def seed(ctx) -> None:
    """Store and back-date the demo walk-ups (skipped when the point has some)."""
    s = ctx.session
    version, device_id = _version(s), ctx.data.get("kiosk_device_id")
    first = s.get(Device, device_id) if device_id else None
    if version is None or first is None:
        return
    point = s.get(ServicePoint, first.service_point_id)
    if s.scalar(select(func.count()).select_from(Response).where(
            Response.service_point_id == point.id, Response.mode == ResponseMode.KIOSK_WALKUP)):
        return
    second = s.scalar(select(Device).where(Device.service_point_id == point.id, Device.label == SECOND_COUNTER))
    if second is None:
        second, _code = devices.create_device(s, point, SECOND_COUNTER)
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    dated: dict[int, datetime] = {}
    for day in range(DAYS, 0, -1):
        for _ in range(PER_DAY):
            hour = ctx.rng.choice((8, 8, 9, 9, 10, 10, 11, 14, 14, 15, 16))  # local office hours
            when = today - timedelta(days=day) + timedelta(hours=hour - 7, minutes=ctx.rng.randrange(60))
            answers, other = _answer(ctx.rng, hour)
            device = first if ctx.rng.random() < 0.6 else second
            response, _created = responses.store_response(
                s, version, str(uuid.uuid4()), answers, other, mode=ResponseMode.KIOSK_WALKUP, device_id=device.id,
                service_point_id=point.id, started_at=when - timedelta(seconds=40), client_submitted_at=when)
            dated[response.id] = when
    for rid, when in dated.items():  # as if each had been sent at its time
        s.execute(update(Response).where(Response.id == rid).values(submitted_at=when, client_submitted_at=when))
        s.execute(update(Comment).where(Comment.response_id == rid)
                  .values(day=(when + timedelta(hours=7)).date(), created_at=when))
    s.flush()
    ctx.urls.append(("Đánh giá tại quầy của điểm kiosk demo", f"/analyst/counter/{point.id}"))
    ctx.notes.append(f"Demo tại quầy: {len(dated)} lượt đánh giá nhanh trong {DAYS} ngày tại {point.name_vi} "
                     "(2 quầy); không phải mẫu xác suất, không tính vào chỉ số.")
