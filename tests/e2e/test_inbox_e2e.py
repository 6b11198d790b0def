"""Real browser: an analyst opens the comments inbox, searches without diacritics, filters by theme and
downloads the CSV of what is shown. Screenshots go to $HAILONG_SCREENSHOTS when it is set."""

from __future__ import annotations

import csv
import io
import os
import uuid
from datetime import date

import pytest

pytestmark = pytest.mark.e2e
PASSWORD = "hailong-demo-2025"
SHOTS = os.environ.get("HAILONG_SCREENSHOTS")
COMMENTS = [  # (text as typed, overall rating); the land one carries a phone the inbox must not show
    ("Thủ tục đất đai còn rườm rà, phải đi lại nhiều lần. Gọi tôi 0912 345 678", 2),
    ("Cán bộ tiếp nhận rất nhiệt tình, hướng dẫn tận tình", 5),
    ("Phải chờ lâu, máy lấy số bị hỏng cả buổi sáng", 2),
    ("Giải quyết hồ sơ đất đai nhanh chóng", 4),
]


def _shot(page, name: str) -> None:
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, name + ".png"), full_page=True)


@pytest.fixture(scope="module")
def comments(live_app):
    """Four comments on demo responses (as the write path files them), the default themes and their suggestions."""
    from sqlalchemy import select

    from survey.extensions import db
    from survey.models import Comment, CommentRaw, Response
    from survey.services.common.redact import fold, redact
    from survey.services.feedback import theme_defaults, themes

    with live_app.app_context():
        responses = list(db.session.scalars(select(Response).where(Response.agency_id.is_not(None)).limit(4)))
        item = "E2E-" + uuid.uuid4().hex[:8]  # apart from any comment the demo itself files
        for response, (typed, overall) in zip(responses, COMMENTS, strict=True):
            clean = redact(typed)
            comment = Comment(
                response_id=response.id,
                item_code=item,
                text=clean.text,
                folded=fold(clean.text),
                redactions=clean.count,
                wave_id=response.wave_id,
                agency_id=response.agency_id,
                service_point_id=response.service_point_id,
                day=date(2026, 11, 20),
                overall=overall,
                probability_sample=response.probability_sample,
            )
            db.session.add(comment)
            db.session.flush()
            db.session.add(CommentRaw(comment_id=comment.id, text=typed))
        theme_defaults.seed_default_themes(db.session)
        themes.tag_untagged(db.session, limit=100_000)
        db.session.commit()
    return item


@pytest.fixture
def desktop(browser):
    """A 1280-wide browser page that accepts downloads."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN", accept_downloads=True)
    pg = context.new_page()
    blocked: list[str] = []
    pg.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
    yield pg
    context.close()
    assert blocked == [], blocked


def _sign_in(page, base: str, username: str, next_path: str) -> None:
    page.goto(f"{base}/auth/login?next={next_path}")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()


def test_analyst_searches_without_diacritics_filters_by_theme_and_downloads(desktop, live_server, comments, tmp_path):
    page = desktop
    _sign_in(page, live_server, "analyst", "/analyst/inbox")
    assert page.url.endswith("/analyst/inbox")
    assert page.get_by_role("heading", name="Góp ý của người dân").is_visible()
    main = page.locator("main").inner_text()
    assert "0912 345 678" not in main  # redacted on every page
    _shot(page, "inbox-01-list-1280")

    page.get_by_label("Tìm trong góp ý (không cần dấu)").fill("dat dai")
    page.get_by_role("button", name="Lọc").click()
    page.wait_for_load_state()
    assert "q=dat+dai" in page.url
    rows = page.get_by_test_id("comment-row")
    texts = [rows.nth(k).inner_text() for k in range(rows.count())]
    assert len([t for t in texts if "đất đai" in t]) >= 2 and all("đất đai" in t for t in texts)
    assert any("[số điện thoại]" in t for t in texts)
    _shot(page, "inbox-02-search-1280")

    page.get_by_label("Chủ đề").select_option("thu_tuc")
    page.get_by_role("button", name="Lọc").click()
    page.wait_for_load_state()
    assert "theme=thu_tuc" in page.url and "q=dat+dai" in page.url
    rows = page.get_by_test_id("comment-row")
    texts = [rows.nth(k).inner_text() for k in range(rows.count())]
    assert texts and all("Thủ tục, giấy tờ" in t and "đất đai" in t for t in texts)
    assert not any("nhanh chóng" in t for t in texts)  # the other land comment has no paperwork theme
    _shot(page, "inbox-03-theme-1280")

    with page.expect_download() as info:
        page.get_by_role("link", name="Tải góp ý (CSV)").click()
    path = tmp_path / "gop-y.csv"
    info.value.save_as(path)
    assert info.value.suggested_filename == "gop-y.csv"
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Ngày" and rows[0][-1] == "Góp ý"
    assert len(rows) - 1 == len(texts)
    assert all("đất đai" in r[-1] and "Thủ tục, giấy tờ" in r[-2] for r in rows[1:])
    assert "0912" not in path.read_text(encoding="utf-8-sig")

    page.get_by_role("link", name="Đếm theo chủ đề").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("theme-counts").is_visible()
    _shot(page, "inbox-04-counts-1280")


def test_the_inbox_fits_a_phone(page, live_server, comments):
    _sign_in(page, live_server, "analyst", "/analyst/inbox")
    assert page.get_by_test_id("comment-row").first.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 412 + 1
    _shot(page, "inbox-05-phone")


def test_analyst_sets_and_removes_a_theme_on_a_comment(desktop, live_server, comments):
    page = desktop
    _sign_in(page, live_server, "analyst", "/analyst/inbox?q=nhiet+tinh")
    page.get_by_test_id("comment-row").first.get_by_role("link").first.click()
    page.wait_for_load_state()
    assert "nhiệt tình" in page.get_by_test_id("comment-text").inner_text()
    page.get_by_label("Gắn thêm chủ đề").select_option("phi_le_phi")
    page.get_by_role("button", name="Gắn chủ đề").click()
    page.wait_for_load_state()
    assert page.get_by_text("Đã cập nhật chủ đề của góp ý.").is_visible()
    fee = page.locator("li", has_text="Phí, lệ phí")
    assert "gắn bởi cán bộ" in fee.inner_text()
    _shot(page, "inbox-06-comment-1280")
    fee.get_by_role("button", name="Bỏ chủ đề này").click()
    page.wait_for_load_state()
    assert page.locator("li", has_text="Phí, lệ phí").count() == 0
    page.goto(f"{live_server}/analyst/themes")
    assert page.get_by_test_id("themes").get_by_text("nhung_nhieu").is_visible()
    _shot(page, "inbox-07-themes-1280")
