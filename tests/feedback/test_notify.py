"""Case mail through a real SMTP server (aiosmtpd on a free local port): new, overdue once, the digest."""

from __future__ import annotations

import socket
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from survey.models import CaseEvent
from survey.models._base import utcnow
from survey.services.feedback import case_actions, case_rules, cases, notify
from tests.feedback import case_helpers as h


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's hook name)
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app):
    """A live SMTP server; the app's MAIL_* settings point at it for the test."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    saved = {k: app.config.get(k) for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_FROM")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_FROM="hailong@tinh.gov.vn")
    yield inbox
    app.config.update(saved)
    controller.stop()


@pytest.fixture
def world(db_session):
    """The small province with default rules, and staff of the land department (one without e-mail)."""
    w = h.make_world(db_session)
    case_rules.seed_defaults(db_session)
    h.staff(db_session, "land1", agency=w["land"], email="land1@tinh.gov.vn")
    h.staff(db_session, "land2", agency=w["land"], email="land2@tinh.gov.vn", digest=True)
    h.staff(db_session, "land3", agency=w["land"])
    h.staff(db_session, "build1", agency=w["build"], email="build1@tinh.gov.vn")
    return w


def _bodies(inbox):
    return [m.get_content() for _to, m in inbox.messages]


def test_a_new_case_is_mailed_once_to_its_units_staff_without_personal_data(db_session, world, smtp):
    h.dossier_response(
        db_session, world, overall=1, external_id="HS-000123", comment="Tôi là Nguyễn Văn A", phone="0912345678"
    )
    case = cases.scan(db_session).opened[0]
    sent = notify.notify_new(db_session)
    assert (sent.messages, sent.cases, sent.error) == (1, [case.id], "")
    to, msg = smtp.messages[0]
    assert sorted(to) == ["land1@tinh.gov.vn", "land2@tinh.gov.vn"]
    assert msg["From"] == "hailong@tinh.gov.vn" and f"#{case.id}" in msg["Subject"]
    body = msg.get_content()
    assert "Phản ánh" in body or "phản ánh" in body
    assert f"/analyst/cases/{case.id}" in body and "Sở Tài nguyên và Môi trường" in body
    for secret in ("HS-000123", "Nguyễn Văn A", "0912345678"):
        assert secret not in body and secret not in msg["Subject"]
    assert notify.notify_new(db_session).messages == 0  # told once
    assert len(smtp.messages) == 1
    events = db_session.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case.id)).all()
    assert events == ["opened", "notified_new"]


def test_a_reassigned_case_is_mailed_to_the_new_unit(db_session, world, smtp):
    h.dossier_response(db_session, world, overall=1)
    case = cases.scan(db_session).opened[0]
    notify.notify_new(db_session)
    case_actions.reassign(db_session, "u", case, world["build"].id, "Thuộc Sở Xây dựng")
    assert notify.notify_new(db_session).messages == 1
    assert smtp.messages[-1][0] == ["build1@tinh.gov.vn"]


def test_an_overdue_case_is_mailed_once(db_session, world, smtp):
    h.dossier_response(db_session, world, overall=1)
    case = cases.scan(db_session).opened[0]
    assert notify.notify_overdue(db_session).messages == 0  # not due yet
    later = case.due_at + timedelta(days=2)
    sent = notify.notify_overdue(db_session, now=later)
    assert sent.messages == 1 and case.overdue_notified_at == later
    assert "quá hạn" in smtp.messages[-1][1].get_content()
    assert notify.notify_overdue(db_session, now=later + timedelta(days=1)).messages == 0


def test_a_closed_case_is_never_overdue_mail(db_session, world, smtp):
    h.dossier_response(db_session, world, overall=1)
    case = cases.scan(db_session).opened[0]
    case_actions.resolve(db_session, "u", case, "Đã xử lý")
    assert notify.notify_overdue(db_session, now=case.due_at + timedelta(days=1)).messages == 0


def test_the_digest_goes_to_those_who_asked_with_their_scopes_cases(db_session, world, smtp):
    h.dossier_response(db_session, world, overall=1)
    h.dossier_response(db_session, world, overall=2, agency=world["sub"])  # below land: in land2's scope
    h.dossier_response(db_session, world, overall=1, agency=world["build"])  # another unit: not in it
    opened = cases.scan(db_session).opened
    sent = notify.digest(db_session, now=utcnow() + timedelta(days=6))
    assert sent.messages == 1
    to, msg = smtp.messages[0]
    assert to == ["land2@tinh.gov.vn"]
    body = msg.get_content()
    assert f"#{opened[0].id}" in body and f"#{opened[1].id}" in body and f"#{opened[2].id}" not in body
    assert "Quá hạn:       2" in body


def test_without_a_mail_server_nothing_is_marked_sent(db_session, world, app):
    h.dossier_response(db_session, world, overall=1)
    cases.scan(db_session)
    assert not app.config.get("MAIL_SERVER")
    sent = notify.notify_new(db_session)
    assert sent.messages == 0 and sent.cases == [] and "HAILONG_MAIL_SERVER" in sent.error
    assert notify.notify_new.__module__  # the case still awaits its mail:
    assert len(notify._due_new(db_session)) == 1


def test_a_server_that_is_down_is_a_clear_error(db_session, world, app):
    h.dossier_response(db_session, world, overall=1)
    cases.scan(db_session)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port())
    try:
        sent = notify.notify_new(db_session)
    finally:
        app.config.update(MAIL_SERVER="", MAIL_PORT=25)
    assert sent.cases == [] and "Không kết nối được máy chủ thư" in sent.error


def test_cli_notify_and_scan(runner, db_session, world, smtp):
    h.dossier_response(db_session, world, overall=1)
    out = runner.invoke(args=["cases", "scan"])
    assert out.exit_code == 0, out.output
    assert "mở 1 phản ánh" in out.output
    out = runner.invoke(args=["cases", "notify"])
    assert out.exit_code == 0, out.output
    assert "Phản ánh mới: 1 thư cho 1 phản ánh." in out.output
    assert len(smtp.messages) == 1
    out = runner.invoke(args=["cases", "digest"])
    assert out.exit_code == 0 and "Đã gửi 1 thư tổng hợp." in out.output


def test_cli_help_is_vietnamese(runner):
    out = runner.invoke(args=["cases", "--help"])
    assert "Phản ánh của người dân" in out.output
    for sub in ("scan", "notify", "digest", "purge-contacts"):
        assert runner.invoke(args=["cases", sub, "--help"]).exit_code == 0


def test_the_digest_goes_once_a_day(db_session, world, smtp):
    h.dossier_response(db_session, world, overall=1)
    cases.scan(db_session)
    now = utcnow()
    assert notify.digest(db_session, now=now).messages == 1
    assert notify.digest(db_session, now=now).messages == 0  # the same day: not again
    assert notify.digest(db_session, now=now + timedelta(days=1)).messages == 1
    assert len(smtp.messages) == 2
