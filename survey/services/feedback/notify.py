"""Feedback-case mail: a new case to its unit's staff, an overdue case once, and a daily digest.

Sent with smtplib through the MAIL_* settings (off while MAIL_SERVER is empty). Mail says what the case
is, for which unit, and when it is due, with a link to its page; never the comment or anything about
the respondent. Each case's mail is recorded (a `notified_new` / `notified_overdue` event, and
overdue_notified_at) only after the server took it, so a failure part-way sends the rest next time and
never marks unsent mail as sent. Services flush, never commit.
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app, render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Agency, AuditLog, CaseEvent, CaseStatus, FeedbackCase, User
from survey.models._base import utcnow
from survey.models.user import Role
from survey.services.common import audit, formats
from survey.services.common.periods import period_bounds
from survey.services.feedback.case_actions import OPEN
from survey.services.registry.hierarchy import visible_agency_ids

STAFF_ROLES = (Role.AGENCY_VIEWER, Role.ANALYST, Role.ADMIN)  # officers have no case pages
KIND_WORDS = {
    "overall_low": "đánh giá chung thấp",
    "item_low": "có tiêu chí bị đánh giá thấp",
    "complaint": "góp ý được gắn chủ đề khiếu nại",
}
DIGEST_LINES = 20


class MailError(RuntimeError):
    """The mail server is not configured or refused us (the message says which, in Vietnamese)."""


@dataclass
class Sent:
    """What a pass sent: messages, the cases they were about, and the error that stopped it (if any)."""

    messages: int = 0
    cases: list[int] = field(default_factory=list)
    error: str = ""


def configured() -> bool:
    """Whether a mail server is set (MAIL_SERVER)."""
    return bool(current_app.config.get("MAIL_SERVER"))


@contextmanager
def connection() -> Iterator[smtplib.SMTP]:
    """One SMTP session with the configured server (STARTTLS and sign-in when set)."""
    cfg = current_app.config
    if not configured():
        raise MailError("Chưa cấu hình máy chủ thư (HAILONG_MAIL_SERVER): không gửi thư nào.")
    try:
        smtp = smtplib.SMTP(cfg["MAIL_SERVER"], int(cfg.get("MAIL_PORT", 25)), timeout=15)
    except OSError as exc:
        raise MailError(f"Không kết nối được máy chủ thư {cfg['MAIL_SERVER']}: {exc}") from exc
    try:
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls()
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD", ""))
        yield smtp
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"Máy chủ thư từ chối: {exc}") from exc
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def message(to: list[str], subject: str, body: str) -> EmailMessage:
    """A plain-text UTF-8 message from MAIL_FROM."""
    msg = EmailMessage()
    msg["From"] = current_app.config.get("MAIL_FROM", "hailong@localhost")
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="hailong")
    msg.set_content(body)
    return msg


def case_link(case_id: int) -> str:
    """The case page's address on the public base URL."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/analyst/cases/{case_id}"


def unit_recipients(session: Session, agency_id: int) -> list[str]:
    """E-mail addresses of the unit's active staff who have one."""
    return list(
        session.scalars(
            select(User.email)
            .where(User.agency_id == agency_id, User.active.is_(True), User.email != "", User.role.in_(STAFF_ROLES))
            .order_by(User.email)
            .distinct()
        )
    )


def _due_new(session: Session) -> list[FeedbackCase]:
    """New cases whose current unit has not been told yet (after opening or after a reassignment)."""
    cases = list(
        session.scalars(select(FeedbackCase).where(FeedbackCase.status == CaseStatus.NEW).order_by(FeedbackCase.id))
    )
    out = []
    for case in cases:
        arrived = max((e.id for e in case.events if e.action in ("opened", "reassigned")), default=0)
        told = max((e.id for e in case.events if e.action == "notified_new"), default=0)
        if arrived > told:
            out.append(case)
    return out


def _body(template: str, case: FeedbackCase, agency: Agency, now: datetime) -> str:
    return render_template(
        template,
        case=case,
        agency=agency,
        kind=KIND_WORDS.get(str(case.rule_kind), ""),
        opened=formats.when(case.opened_at, "vi"),
        due=formats.when(case.due_at, "vi"),
        late_days=max((now - case.due_at).days, 0),
        link=case_link(case.id),
    )


def _send_cases(session: Session, cases: list[FeedbackCase], kind: str, now: datetime) -> Sent:
    sent = Sent()
    if not cases:
        return sent
    subjects = {"new": "[Hài Lòng] Phản ánh mới #%d cần xử lý", "overdue": "[Hài Lòng] Phản ánh #%d đã quá hạn"}
    try:
        with connection() as smtp:
            for case in cases:
                agency = session.get(Agency, case.agency_id)
                to = unit_recipients(session, case.agency_id)
                if to:
                    body = _body(f"mail/case_{kind}.txt", case, agency, now)
                    smtp.send_message(message(to, subjects[kind] % case.id, body))
                    sent.messages += 1
                case.events.append(
                    CaseEvent(
                        at=now,
                        actor="hệ thống",
                        action=f"notified_{kind}",
                        to_agency_id=case.agency_id,
                        note=f"Đã gửi thư tới {len(to)} người." if to else "Đơn vị chưa có ai có e-mail.",
                    )
                )
                if kind == "overdue":
                    case.overdue_notified_at = now
                sent.cases.append(case.id)
                session.flush()
    except MailError as exc:
        sent.error = str(exc)
    return sent


def notify_new(session: Session, now: datetime | None = None) -> Sent:
    """Mail each new case (and each reassigned one) to its unit's staff, once per arrival. Flushes."""
    return _send_cases(session, _due_new(session), "new", now or utcnow())


def notify_overdue(session: Session, now: datetime | None = None) -> Sent:
    """Mail each open case past its due time to its unit, once (overdue_notified_at). Flushes."""
    now = now or utcnow()
    cases = list(
        session.scalars(
            select(FeedbackCase)
            .where(FeedbackCase.status.in_(OPEN), FeedbackCase.due_at < now, FeedbackCase.overdue_notified_at.is_(None))
            .order_by(FeedbackCase.id)
        )
    )
    return _send_cases(session, cases, "overdue", now)


def _had_digest_today(session: Session, user: User, now: datetime) -> bool:
    midnight, _end = period_bounds(formats.local_day(now), formats.local_day(now))
    return (
        session.scalar(
            select(AuditLog.id)
            .where(AuditLog.action == "case.digest", AuditLog.target_id == str(user.id), AuditLog.at >= midnight)
            .limit(1)
        )
        is not None
    )


def digest(session: Session, now: datetime | None = None) -> Sent:
    """Each user who asked for it gets the day's digest of open cases in their scope, at most once a (local)
    day: each one sent is logged as `case.digest`, so a second run, or a run after a failure, sends only the
    rest. No open case: no mail."""
    now = now or utcnow()
    sent = Sent()
    users = list(
        session.scalars(
            select(User)
            .where(User.case_digest.is_(True), User.active.is_(True), User.email != "", User.role.in_(STAFF_ROLES))
            .order_by(User.id)
        )
    )
    if not users:
        return sent
    names = {agency_id: name for agency_id, name in session.execute(select(Agency.id, Agency.name_vi))}
    try:
        with connection() as smtp:
            for user in users:
                if _had_digest_today(session, user, now):
                    continue
                visible = visible_agency_ids(session, user)
                stmt = select(FeedbackCase).where(FeedbackCase.status.in_(OPEN)).order_by(FeedbackCase.due_at)
                if visible is not None:
                    stmt = stmt.where(FeedbackCase.agency_id.in_(visible or {-1}))
                cases = list(session.scalars(stmt))
                if not cases:
                    continue
                lines = [
                    (c, names.get(c.agency_id, ""), formats.when(c.due_at, "vi"), c.due_at < now)
                    for c in cases[:DIGEST_LINES]
                ]
                body = render_template(
                    "mail/case_digest.txt",
                    user=user,
                    total=len(cases),
                    new=sum(c.status == CaseStatus.NEW for c in cases),
                    overdue=sum(c.due_at < now for c in cases),
                    lines=lines,
                    more=max(len(cases) - DIGEST_LINES, 0),
                    day=formats.day(now, "vi"),
                    link=f"{current_app.config['PUBLIC_BASE_URL']}/analyst/cases/",
                )
                smtp.send_message(
                    message([user.email], f"[Hài Lòng] Phản ánh đang mở ngày {formats.day(now, 'vi')}", body)
                )
                audit.record(session, "hệ thống", "case.digest", "user", user.id, count=len(cases))
                sent.messages += 1
                sent.cases += [c.id for c in cases]
    except MailError as exc:
        sent.error = str(exc)
    return sent
