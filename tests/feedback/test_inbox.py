"""The comments inbox: scope, filters, search without diacritics, sorting, paging, counts by theme, escaping."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from survey.models import CommentTag, Response, Theme
from survey.services.feedback import inbox, theme_counts
from tests.feedback.inbox_helpers import add_comment, make_world, sign_in, users


@pytest.fixture
def world(db_session):
    """The inbox world with its three users."""
    w = make_world(db_session)
    w.update(users(db_session, w))
    return w


def _theme(session, code="thai_do", name="Thái độ cán bộ", complaint=False) -> Theme:
    theme = Theme(code=code, name_vi=name, name_en=code, keywords="", complaint=complaint)
    session.add(theme)
    session.flush()
    return theme


def _tag(session, comment, theme, auto=False):
    session.add(CommentTag(comment_id=comment.id, theme_id=theme.id, auto=auto))
    session.flush()


def _texts(page: inbox.Page) -> list[str]:
    return [r.text for r in page.rows]


def test_search_without_diacritics_finds_the_comment_with_them(db_session, world):
    add_comment(db_session, world, "Thủ tục đất đai quá rườm rà")
    add_comment(db_session, world, "Cán bộ rất nhiệt tình")
    for q in ("dat dai", "DAT DAI", "đất đai", "dai dat", "  rườm   ra "):
        found = inbox.list_page(db_session, inbox.Filters(q=q), None)
        assert _texts(found) == ["Thủ tục đất đai quá rườm rà"], q


def test_search_takes_like_wildcards_literally(db_session, world):
    add_comment(db_session, world, "Phí 100% hợp lý")
    add_comment(db_session, world, "Không có gì")
    assert _texts(inbox.list_page(db_session, inbox.Filters(q="%"), None)) == ["Phí 100% hợp lý"]
    assert _texts(inbox.list_page(db_session, inbox.Filters(q="_"), None)) == []


def test_each_filter_narrows_the_list(db_session, world):
    theme = _theme(db_session)
    a = add_comment(db_session, world, "A land q1 centre 5", overall=5, day=date(2026, 1, 5))
    b = add_comment(db_session, world, "B build q1 centre 1", agency="build", overall=1, day=date(2026, 2, 5))
    add_comment(
        db_session,
        world,
        "C commune q2 dcentre walkup",
        agency="commune",
        point="dcentre",
        wave="q2",
        overall=None,
        probability=False,
        day=date(2026, 5, 5),
    )
    add_comment(
        db_session,
        world,
        "D district q2 dcentre 3",
        agency="district",
        point="dcentre",
        wave="q2",
        overall=3,
        day=date(2026, 6, 5),
    )
    _tag(db_session, b, theme)

    def found(**kw):
        return sorted(t[0] for t in _texts(inbox.list_page(db_session, inbox.Filters(**kw), None)))

    assert found() == ["A", "B", "C", "D"]
    assert found(wave_id=world["q2"].id) == ["C", "D"]
    assert found(agency_id=world["build"].id) == ["B"]
    assert found(service_point_id=world["dcentre"].id) == ["C", "D"]
    assert found(theme="thai_do") == ["B"]
    assert found(rating="low") == ["B"] and found(rating="mid") == ["D"] and found(rating="high") == ["A"]
    assert found(rating="none") == ["C"]
    assert found(sample="walkup") == ["C"] and found(sample="probability") == ["A", "B", "D"]
    assert found(date_from=date(2026, 2, 1), date_to=date(2026, 5, 31)) == ["B", "C"]
    assert found(date_from=date(2026, 2, 5), date_to=date(2026, 2, 5)) == ["B"]
    assert a.id in {r.id for r in inbox.list_page(db_session, inbox.Filters(agency_id=world["land"].id), None).rows}


def test_a_viewer_sees_only_comments_about_their_agencies(client, db_session, world):
    add_comment(db_session, world, "Góp ý về sở tài nguyên")
    add_comment(db_session, world, "Góp ý về sở xây dựng", agency="build")
    add_comment(db_session, world, "Góp ý về xã", agency="commune", point="dcentre")
    sign_in(client, "i.viewer")
    page = client.get("/analyst/inbox").get_data(as_text=True)
    assert "Góp ý về sở tài nguyên" in page
    for foreign in ("Góp ý về sở xây dựng", "Góp ý về xã", "Sở Xây dựng", "Cẩm Bình", "một cửa huyện"):
        assert foreign not in page, foreign
    assert "Bạn đang xem góp ý về cơ quan mình" in page


def test_a_viewer_filtering_by_another_agency_gets_an_error_not_its_comments(client, db_session, world):
    add_comment(db_session, world, "Góp ý về sở xây dựng", agency="build")
    sign_in(client, "i.viewer")
    resp = client.get("/analyst/inbox?agency=%d" % world["build"].id)
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert "Không có cơ quan này trong phạm vi bạn được xem." in page
    assert "Góp ý về sở xây dựng" not in page


def test_the_page_never_shows_the_response_phone_or_time_of_day(client, db_session, world):
    comment = add_comment(db_session, world, "Gọi lại cho tôi 0912 345 678 nhé")
    sign_in(client, "i.admin")
    page = client.get("/analyst/inbox").get_data(as_text=True)
    assert "[số điện thoại]" in page
    assert "0912 345 678" not in page and "0912345678" not in page
    response = db_session.get(Response, comment.response_id)
    assert response.uuid not in page and ">%d<" % response.id not in page
    local = response.submitted_at + timedelta(hours=7)
    assert response.submitted_at.strftime("%H:%M") not in page and local.strftime("%H:%M") not in page
    assert "10/02/2026" in page  # the day only


def test_comment_text_is_escaped(client, db_session, world):
    add_comment(db_session, world, "<script>alert('x')</script> & <b>đậm</b>")
    sign_in(client, "i.analyst")
    page = client.get("/analyst/inbox").get_data(as_text=True)
    assert "<script>alert" not in page and "<b>đậm</b>" not in page
    assert "&lt;script&gt;" in page and "&amp; &lt;b&gt;đậm&lt;/b&gt;" in page


def test_pages_of_25_sorted_newest_first_and_by_rating(client, db_session, world):
    for k in range(30):
        add_comment(db_session, world, "Góp ý số %02d" % k, day=date(2026, 1, 1 + k), overall=1 + k % 5)
    first = inbox.list_page(db_session, inbox.Filters(), None, page=1)
    second = inbox.list_page(db_session, inbox.Filters(), None, page=2)
    assert first.total == 30 and len(first.rows) == 25 and len(second.rows) == 5
    assert first.rows[0].text == "Góp ý số 29" and second.rows[-1].text == "Góp ý số 00"
    by_rating = inbox.list_page(db_session, inbox.Filters(), None, sort="rating", desc=False, per_page=30)
    assert [r.overall for r in by_rating.rows] == sorted(r.overall for r in by_rating.rows)
    sign_in(client, "i.analyst")
    page = client.get("/analyst/inbox?page=2").get_data(as_text=True)
    assert page.count('data-testid="comment-row"') == 5
    assert "Trang 2 / 2" in page
    beyond = client.get("/analyst/inbox?page=99999999999999999999")
    assert beyond.status_code == 200 and 'data-testid="comment-row"' not in beyond.get_data(as_text=True)


def test_empty_inbox_and_empty_filter_say_so(client, db_session, world):
    sign_in(client, "i.analyst")
    assert "Chưa có góp ý nào." in client.get("/analyst/inbox").get_data(as_text=True)
    add_comment(db_session, world, "Một góp ý")
    page = client.get("/analyst/inbox?q=khong+co+tu+nay").get_data(as_text=True)
    assert "Không có góp ý nào khớp với bộ lọc này." in page


@pytest.mark.parametrize(
    "query, message",
    [
        ("date_from=2026-13-01", "không phải là một ngày"),
        ("date_to=31/01/2026", "không phải là một ngày"),
        ("date_from=2026-03-01&date_to=2026-02-01", "phải trước hoặc trùng"),
        ("theme=khong_co", "Không có chủ đề mã “khong_co”."),
        ("rating=great", "Mức đánh giá không hợp lệ."),
        ("wave=999999", "Không có đợt khảo sát này."),
        ("wave=99999999999999999999", "Đợt khảo sát không hợp lệ."),
        ("sample=x", "Nguồn góp ý không hợp lệ."),
        ("q=" + "a" * 201, "Từ tìm kiếm dài tối đa 200 ký tự."),
    ],
)
def test_bad_filters_get_a_vietnamese_error_and_no_list(client, db_session, world, query, message):
    add_comment(db_session, world, "Một góp ý")
    sign_in(client, "i.analyst")
    resp = client.get("/analyst/inbox?" + query)
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert message in page
    assert "Một góp ý" not in page


def test_counts_by_theme_per_agency_within_the_filters(client, db_session, world):
    attitude, waiting = _theme(db_session), _theme(db_session, "thoi_gian_cho", "Thời gian chờ")
    c1 = add_comment(db_session, world, "một", overall=1)
    c2 = add_comment(db_session, world, "hai", overall=5)
    c3 = add_comment(db_session, world, "ba", agency="build", overall=1)
    add_comment(db_session, world, "bốn", agency="build", overall=2)
    _tag(db_session, c1, attitude)
    _tag(db_session, c1, waiting)
    _tag(db_session, c2, attitude)
    _tag(db_session, c3, waiting)
    counts = theme_counts.counts_by_theme(db_session, inbox.Filters(), None)
    land, build = world["land"].id, world["build"].id
    assert counts.totals == {land: 2, build: 2} and counts.total == 4
    assert counts.cells == {(land, attitude.id): 2, (land, waiting.id): 1, (build, waiting.id): 1}
    assert counts.untagged == {build: 1}
    low = theme_counts.counts_by_theme(db_session, inbox.Filters(rating="low"), None)
    assert low.cells == {(land, attitude.id): 1, (land, waiting.id): 1, (build, waiting.id): 1}
    # the theme filter is an exists() on comment_tag: the counts' own join must not swallow it
    only = theme_counts.counts_by_theme(db_session, inbox.Filters(theme="thai_do"), None)
    assert only.totals == {land: 2}
    assert only.cells == {(land, attitude.id): 2, (land, waiting.id): 1}
    sign_in(client, "i.viewer")
    page = client.get("/analyst/inbox/counts").get_data(as_text=True)
    assert "Sở Tài nguyên và Môi trường" in page and "Sở Xây dựng" not in page


def test_other_roles_and_anonymous_cannot_read_the_inbox(client, db_session, world):
    assert client.get("/analyst/inbox").status_code == 302
    from survey.services.accounts.users import create_user
    from tests.feedback.inbox_helpers import PASSWORD

    create_user(db_session, "i.officer", PASSWORD, "officer", service_point_id=world["centre"].id)
    sign_in(client, "i.officer")
    assert client.get("/analyst/inbox").status_code == 403
    assert client.get("/analyst/inbox.csv").status_code == 403


def test_a_comment_outside_the_viewers_agencies_is_404(client, db_session, world):
    mine = add_comment(db_session, world, "của tôi")
    other = add_comment(db_session, world, "của người khác", agency="build")
    sign_in(client, "i.viewer")
    assert client.get("/analyst/inbox/%d" % mine.id).status_code == 200
    assert client.get("/analyst/inbox/%d" % other.id).status_code == 404
    assert client.get("/analyst/inbox/2147483647").status_code == 404
