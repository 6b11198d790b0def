"""Themes: the page (admins and analysts edit, viewers read), tags by hand, keyword suggestions, defaults."""

from __future__ import annotations

import re

import pytest
from flask import g
from sqlalchemy import func, select

from survey.models import AuditLog, CommentTag, Theme
from survey.services.feedback import inbox, theme_counts, theme_defaults, themes
from tests.feedback.inbox_helpers import PASSWORD, add_comment, make_world, sign_in, users


@pytest.fixture
def world(db_session):
    """The inbox world with its three users."""
    w = make_world(db_session)
    w.update(users(db_session, w))
    return w


def _form(**kw) -> dict:
    data = {
        "action": "save",
        "code": "le_phi",
        "name_vi": "Lệ phí",
        "name_en": "Fees",
        "keywords": "lệ phí\nphí\n",
        "complaint": "",
    }
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _tags(session, comment) -> dict[str, bool]:
    rows = session.execute(
        select(Theme.code, CommentTag.auto)
        .join(Theme, CommentTag.theme_id == Theme.id)
        .where(CommentTag.comment_id == comment.id)
    )
    return {code: auto for code, auto in rows}


def test_an_analyst_adds_a_theme_and_it_is_audited(client, db_session, world):
    sign_in(client, "i.analyst")
    resp = client.post("/analyst/themes", data=_form(keywords="Lệ phí\n\n lệ  phí \nphí", complaint="y"))
    assert resp.status_code == 302
    theme = db_session.scalar(select(Theme).where(Theme.code == "le_phi"))
    assert (theme.name_vi, theme.name_en, theme.complaint, theme.active) == ("Lệ phí", "Fees", True, True)
    assert theme.keywords == "Lệ phí\nphí"  # trimmed, blank and repeated lines dropped
    entry = db_session.scalar(select(AuditLog).where(AuditLog.action == "theme.create"))
    assert entry.target_id == "le_phi" and entry.actor == "i.analyst"
    assert "Lệ phí" in client.get("/analyst/themes").get_data(as_text=True)


@pytest.mark.parametrize(
    "form, message",
    [
        (_form(code="Lệ Phí"), "Mã chủ đề gồm 1–40 chữ thường không dấu"),
        (_form(code=""), "Mã chủ đề gồm 1–40 chữ thường không dấu"),
        (_form(name_vi="  "), "Hãy nhập tên chủ đề bằng tiếng Việt."),
        (_form(keywords="\n".join("tu khoa %d" % k for k in range(101))), "Danh sách từ khoá quá dài: tối đa 100 dòng"),
        (_form(keywords="x" * 81), "Mỗi từ khoá dài tối đa 80 ký tự"),
        (_form(keywords="ok\n" * 3000 + "y" * 5000), "Danh sách từ khoá quá dài: tối đa 10.000 ký tự."),
        (_form(keywords="!!!"), "Từ khoá phải có ít nhất một chữ hoặc chữ số."),
    ],
)
def test_a_bad_theme_gets_a_vietnamese_error_and_nothing_is_stored(client, db_session, world, form, message):
    sign_in(client, "i.analyst")
    before = _count(db_session, Theme), _count(db_session, AuditLog)
    resp = client.post("/analyst/themes", data=form)
    assert resp.status_code == 422
    assert message in resp.get_data(as_text=True)
    assert (
        _count(db_session, Theme),
        db_session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action.like("theme.%"))),
    ) == (before[0], 0)


def test_a_duplicate_code_is_refused(client, db_session, world):
    themes.create_theme(db_session, "test", themes.ThemeInput("le_phi", "Lệ phí"))
    sign_in(client, "i.admin")
    resp = client.post("/analyst/themes", data=_form())
    assert resp.status_code == 422 and "Đã có chủ đề mã “le_phi”." in resp.get_data(as_text=True)
    assert _count(db_session, Theme) == 1


def test_an_agency_viewer_reads_the_themes_but_cannot_change_them(client, db_session, world):
    theme = themes.create_theme(db_session, "test", themes.ThemeInput("le_phi", "Lệ phí", keywords="phí"))
    comment = add_comment(db_session, world, "Phí cao")
    sign_in(client, "i.viewer")
    page = client.get("/analyst/themes").get_data(as_text=True)
    assert "Lệ phí" in page and "Thêm chủ đề" not in page
    assert client.get("/analyst/themes/%d" % theme.id).status_code == 200
    assert client.post("/analyst/themes", data=_form(code="khac")).status_code == 403
    assert client.post("/analyst/themes/%d" % theme.id, data={"action": "deactivate"}).status_code == 403
    assert client.post("/analyst/inbox/%d" % comment.id, data={"action": "add", "theme": "le_phi"}).status_code == 403
    assert _count(db_session, Theme) == 1 and db_session.get(Theme, theme.id).active
    assert _count(db_session, CommentTag) == 0


def test_editing_and_deactivating_a_theme(client, db_session, world):
    theme = themes.create_theme(db_session, "test", themes.ThemeInput("le_phi", "Lệ phí", keywords="phí"))
    tagged = add_comment(db_session, world, "Phí cao")
    themes.tag(db_session, "test", tagged, "le_phi")
    sign_in(client, "i.admin")
    resp = client.post("/analyst/themes/%d" % theme.id, data=_form(name_vi="Phí, lệ phí", keywords="phí\nlệ phí"))
    assert resp.status_code == 302
    db_session.refresh(theme)
    assert theme.name_vi == "Phí, lệ phí" and theme.keywords == "phí\nlệ phí"
    entry = db_session.scalar(select(AuditLog).where(AuditLog.action == "theme.update"))
    assert entry.details["changes"]["name_vi"] == ["Lệ phí", "Phí, lệ phí"]
    assert client.post("/analyst/themes/%d" % theme.id, data={"action": "deactivate"}).status_code == 302
    db_session.refresh(theme)
    assert not theme.active
    # a theme no longer used is not suggested or offered, but its tags stay and are counted
    new = add_comment(db_session, world, "Lệ phí cao quá")
    assert themes.tag_untagged(db_session).tags == 0 and _tags(db_session, new) == {}
    assert "le_phi" not in client.get("/analyst/inbox/%d" % new.id).get_data(as_text=True).split("add-theme")[-1]
    counts = theme_counts.counts_by_theme(db_session, inbox.Filters(), None)
    assert counts.cells == {(world["land"].id, theme.id): 1}
    assert client.post("/analyst/themes/%d" % theme.id, data={"action": "activate"}).status_code == 302
    db_session.refresh(theme)
    assert theme.active


def test_tagging_by_hand_an_unknown_theme_is_an_error_and_changes_nothing(client, db_session, world):
    themes.create_theme(db_session, "test", themes.ThemeInput("le_phi", "Lệ phí"))
    comment = add_comment(db_session, world, "Phí cao")
    sign_in(client, "i.analyst")
    resp = client.post("/analyst/inbox/%d" % comment.id, data={"action": "add", "theme": "khong_co"})
    assert resp.status_code == 422
    assert "Không có chủ đề mã “khong_co”." in resp.get_data(as_text=True)
    assert _count(db_session, CommentTag) == 0
    assert db_session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "comment.tag")) == 0
    with pytest.raises(themes.ThemeError, match="Không có chủ đề"):
        themes.untag(db_session, "test", comment, "khong_co")


def test_setting_and_removing_a_theme_by_hand(client, db_session, world):
    themes.create_theme(db_session, "test", themes.ThemeInput("le_phi", "Lệ phí", keywords="phí"))
    comment = add_comment(db_session, world, "Phí cao")
    themes.tag_untagged(db_session)
    assert _tags(db_session, comment) == {"le_phi": True}
    sign_in(client, "i.analyst")
    assert client.post("/analyst/inbox/%d" % comment.id, data={"action": "add", "theme": "le_phi"}).status_code == 302
    assert _tags(db_session, comment) == {"le_phi": False}  # a person confirmed the suggestion
    page = client.get("/analyst/inbox/%d" % comment.id).get_data(as_text=True)
    assert "gắn bởi cán bộ" in page
    assert (
        client.post("/analyst/inbox/%d" % comment.id, data={"action": "remove", "theme": "le_phi"}).status_code == 302
    )
    assert _tags(db_session, comment) == {}
    themes.tag_untagged(db_session)
    assert _tags(db_session, comment) == {}  # already looked at: a removed suggestion does not come back
    actions = list(db_session.scalars(select(AuditLog.action).where(AuditLog.target_type == "comment")))
    assert actions == ["comment.tag", "comment.untag"]


def test_suggestions_match_folded_keywords_as_whole_words(db_session, world):
    theme_defaults.seed_default_themes(db_session)
    waiting = add_comment(db_session, world, "Phải CHỜ LÂU quá, máy lấy số bị hỏng")
    fan = add_comment(db_session, world, "Quạt mát, cán bộ không quát tháo")  # "quát tháo" yes, not "quạt"
    bribe = add_comment(db_session, world, "Bị vòi vĩnh tiền cà phê")
    land = add_comment(db_session, world, "Giải quyết hồ sơ đất đai")  # "đất" is not "đắt": no fee theme
    mopped = add_comment(db_session, world, "Cho lau chui sạch sẽ")  # "give it a wipe": folds like "chờ lâu"
    run = themes.tag_untagged(db_session, limit=100)
    assert run.comments == 5
    assert set(_tags(db_session, waiting)) == {"thoi_gian_cho", "co_so_vat_chat"}
    assert set(_tags(db_session, fan)) == {"thai_do"}
    assert set(_tags(db_session, bribe)) == {"nhung_nhieu"}
    assert _tags(db_session, land) == {}
    assert set(_tags(db_session, mopped)) == {"thoi_gian_cho"}  # folding cannot tell "chờ lâu" from "cho lau"
    assert all(c.tagged_at is not None for c in (waiting, fan, bribe, land, mopped))
    assert all(_tags(db_session, waiting).values())  # suggestions are marked auto


def test_tag_untagged_respects_the_limit_and_only_looks_once(db_session, world):
    themes.create_theme(db_session, "test", themes.ThemeInput("le_phi", "Lệ phí", keywords="phí"))
    comments = [add_comment(db_session, world, "Phí số %d" % k, item="C%d" % k) for k in range(5)]
    assert themes.tag_untagged(db_session, limit=3) == themes.TagRun(3, 3)
    assert [c.tagged_at is not None for c in comments] == [True, True, True, False, False]
    assert themes.untagged_count(db_session) == 2
    assert themes.tag_untagged(db_session, limit=3) == themes.TagRun(2, 2)
    assert themes.tag_untagged(db_session, limit=3) == themes.TagRun(0, 0)
    assert _count(db_session, CommentTag) == 5


def test_the_suggest_button_tags_comments(client, db_session, world):
    themes.create_theme(db_session, "test", themes.ThemeInput("le_phi", "Lệ phí", keywords="phí"))
    comment = add_comment(db_session, world, "Phí cao")
    sign_in(client, "i.analyst")
    resp = client.post("/analyst/themes", data={"action": "suggest"}, follow_redirects=True)
    assert "Đã gợi ý chủ đề cho 1 góp ý (1 lượt gắn)." in resp.get_data(as_text=True)
    assert _tags(db_session, comment) == {"le_phi": True}


def test_default_themes_are_seeded_once_and_edits_survive(db_session):
    assert theme_defaults.seed_default_themes(db_session) == len(theme_defaults.DEFAULT_THEMES)
    codes = {t.code: t for t in themes.list_themes(db_session)}
    assert {"thai_do", "thoi_gian_cho", "co_so_vat_chat", "thu_tuc", "phi_le_phi", "truc_tuyen", "nhung_nhieu"} <= set(
        codes
    )
    assert codes["nhung_nhieu"].complaint and not codes["thai_do"].complaint
    assert all(t.name_en for t in codes.values())
    codes["thai_do"].name_vi = "Thái độ phục vụ"
    assert theme_defaults.seed_default_themes(db_session) == 0
    assert db_session.get(Theme, codes["thai_do"].id).name_vi == "Thái độ phục vụ"
    for theme in codes.values():  # every default passes the page's own checks
        data = themes.ThemeInput(theme.code, theme.name_vi, theme.name_en, theme.keywords, theme.complaint)
        assert themes.validate(db_session, data, theme) == []


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_a_theme_post_without_csrf_token_is_refused(client, db_session, world, csrf_enabled):
    token = _token(client.get("/auth/login").get_data(as_text=True))
    signed = client.post("/auth/login", data={"username": "i.analyst", "password": PASSWORD, "csrf_token": token})
    assert signed.status_code == 302
    resp = client.post("/analyst/themes", data=_form())
    assert resp.status_code == 400
    assert _count(db_session, Theme) == 0
    g.pop("csrf_token", None)  # Flask-WTF caches the pre-sign-in token on g, which this test's app context keeps
    token = _token(client.get("/analyst/themes").get_data(as_text=True))
    ok = client.post("/analyst/themes", data=dict(_form(), csrf_token=token))
    assert ok.status_code == 302, ok.get_data(as_text=True)
    assert _count(db_session, Theme) == 1  # the same post with its token passes
