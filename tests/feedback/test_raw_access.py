"""Raw comment text: administrators only, every read audited, purged one by one or by age (audited too)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from survey.models import AuditLog, Comment, CommentRaw
from survey.models._base import utcnow
from survey.services.feedback import comment_raw
from tests.feedback.inbox_helpers import add_comment, make_world, sign_in, users

TYPED = "Cán bộ Nguyễn Văn B gây khó dễ, số tôi 0912 345 678"


@pytest.fixture
def world(db_session):
    """The inbox world with its three users."""
    w = make_world(db_session)
    w.update(users(db_session, w))
    return w


def _raw_count(session) -> int:
    return session.scalar(select(func.count()).select_from(CommentRaw))


def _entries(session, action: str) -> list[AuditLog]:
    return list(session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def test_an_admin_reads_the_raw_text_and_every_read_is_audited(client, db_session, world):
    comment = add_comment(db_session, world, TYPED)
    sign_in(client, "i.admin")
    for _ in range(2):
        resp = client.get("/admin/comments/%d/raw" % comment.id)
        assert resp.status_code == 200 and resp.headers["Cache-Control"] == "private, no-store"
        page = resp.get_data(as_text=True)
        assert "0912 345 678" in page and "[số điện thoại]" in page
    reads = _entries(db_session, "comment.raw_read")
    assert [(e.actor, e.target_type, e.target_id, e.details) for e in reads] == [
        ("i.admin", "comment", str(comment.id), {"found": True})
    ] * 2


def test_the_inbox_never_shows_the_raw_text_even_to_an_admin(client, db_session, world):
    comment = add_comment(db_session, world, TYPED)
    sign_in(client, "i.admin")
    for url in ("/analyst/inbox", "/analyst/inbox/%d" % comment.id, "/analyst/inbox.csv"):
        assert "0912 345 678" not in client.get(url).get_data(as_text=True), url
    assert "/admin/comments/%d/raw" % comment.id in client.get("/analyst/inbox/%d" % comment.id).get_data(as_text=True)


@pytest.mark.parametrize("who", ["i.analyst", "i.viewer"])
def test_others_get_403_and_nothing_is_read_or_purged(client, db_session, world, who):
    comment = add_comment(db_session, world, TYPED)
    sign_in(client, who)
    assert client.get("/admin/comments/%d/raw" % comment.id).status_code == 403
    assert client.post("/admin/comments/%d/raw" % comment.id).status_code == 403
    assert client.get("/admin/comments/raw").status_code == 403
    assert client.post("/admin/comments/raw", data={"days": "1"}).status_code == 403
    assert _raw_count(db_session) == 1
    assert _entries(db_session, "comment.raw_read") == []
    assert "Cán bộ [" not in client.get("/analyst/inbox/%d" % comment.id).get_data(as_text=True)
    assert "/admin/comments/%d/raw" % comment.id not in client.get("/analyst/inbox/%d" % comment.id).get_data(
        as_text=True
    )


def test_anonymous_is_sent_to_sign_in(client, db_session, world):
    comment = add_comment(db_session, world, TYPED)
    resp = client.get("/admin/comments/%d/raw" % comment.id)
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
    assert _entries(db_session, "comment.raw_read") == []


def test_purging_one_comment_keeps_the_redacted_text(client, db_session, world):
    comment = add_comment(db_session, world, TYPED)
    other = add_comment(db_session, world, "Khác 0987 654 321", item="CMT2")
    sign_in(client, "i.admin")
    assert client.post("/admin/comments/%d/raw" % comment.id).status_code == 302
    assert db_session.get(CommentRaw, comment.id) is None and db_session.get(CommentRaw, other.id) is not None
    assert "[số điện thoại]" in db_session.get(Comment, comment.id).text
    assert [e.target_id for e in _entries(db_session, "comment.raw_purge")] == [str(comment.id)]
    page = client.get("/admin/comments/%d/raw" % comment.id).get_data(as_text=True)
    assert "Nguyên văn đã được xoá" in page and "0912 345 678" not in page
    assert _entries(db_session, "comment.raw_read")[-1].details == {"found": False}
    client.post("/admin/comments/%d/raw" % comment.id)  # nothing left: no second purge entry
    assert len(_entries(db_session, "comment.raw_purge")) == 1


def test_purging_raw_text_older_than_n_days(client, db_session, world):
    old = add_comment(db_session, world, "cũ 0912 345 678", item="A")
    recent = add_comment(db_session, world, "mới 0912 345 679", item="B")
    old.created_at = utcnow() - timedelta(days=100)
    recent.created_at = utcnow() - timedelta(days=10)
    db_session.flush()
    sign_in(client, "i.admin")
    page = client.get("/admin/comments/raw").get_data(as_text=True)
    assert "Đang lưu nguyên văn của 2 góp ý" in page
    resp = client.post("/admin/comments/raw", data={"days": "90"}, follow_redirects=True)
    assert "Đã xoá nguyên văn của 1 góp ý." in resp.get_data(as_text=True)
    assert db_session.get(CommentRaw, old.id) is None and db_session.get(CommentRaw, recent.id) is not None
    entry = _entries(db_session, "comment.raw_purge_older")[0]
    assert entry.actor == "i.admin" and entry.details == {"days": 90, "purged": 1}


@pytest.mark.parametrize("days", ["0", "-5", "abc", "", "3651", "1.5"])
def test_a_bad_purge_age_is_a_vietnamese_error_and_deletes_nothing(client, db_session, world, days):
    comment = add_comment(db_session, world, TYPED)
    comment.created_at = utcnow() - timedelta(days=5000)
    db_session.flush()
    sign_in(client, "i.admin")
    resp = client.post("/admin/comments/raw", data={"days": days})
    assert resp.status_code == 422
    assert "Số ngày phải là số nguyên từ 1 đến 3650." in resp.get_data(as_text=True)
    assert _raw_count(db_session) == 1 and _entries(db_session, "comment.raw_purge_older") == []


def test_the_service_refuses_a_bad_age_too(db_session, world):
    add_comment(db_session, world, TYPED)
    with pytest.raises(ValueError, match="Số ngày"):
        comment_raw.purge_older(db_session, "test", 0)
    assert _raw_count(db_session) == 1


def test_an_unknown_comment_is_404(client, db_session, world):
    sign_in(client, "i.admin")
    assert client.get("/admin/comments/999999/raw").status_code == 404
    assert _entries(db_session, "comment.raw_read") == []
