"""The default comment themes a province starts with, and the one function that adds them (idempotent).

The demo seeding calls `seed_default_themes`; a province's administrators and analysts then edit the list on
the themes page (survey.services.feedback.themes). A default whose code already exists is left as edited.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Theme

# The demo province's starting list (an administrator edits it). Keywords are phrases that stay distinct
# once folded: "quát mắng", not "quát" (which folds like "quạt", a fan); "chờ lâu", not "chậm" ("chăm");
# no "đắt" (dear), which folds like "đất" (land).
# (code, Vietnamese name, English name, complaint, keywords one per line)
DEFAULT_THEMES = (
    (
        "thai_do",
        "Thái độ cán bộ",
        "Staff attitude",
        False,
        "thái độ\ncáu gắt\nkhó chịu\nthiếu nhiệt tình\nnhiệt tình\nhách dịch\nquát mắng\nquát tháo\nthân thiện\n"
        "niềm nở\nlịch sự\ncoi thường\ntận tình\nchu đáo",
    ),
    (
        "thoi_gian_cho",
        "Thời gian chờ",
        "Waiting time",
        False,
        "chờ lâu\nđợi lâu\nthời gian chờ\nphải chờ\nxếp hàng\ntrễ hẹn\nquá hạn\nhẹn lại\nchậm trễ\ngiải quyết chậm\n"
        "mất cả buổi\nnhanh chóng",
    ),
    (
        "co_so_vat_chat",
        "Cơ sở vật chất, máy lấy số",
        "Facilities and the queue ticket machine",
        False,
        "cơ sở vật chất\nmáy lấy số\nlấy số\nsố thứ tự\nghế ngồi\nthiếu ghế\nchỗ ngồi\nđiều hòa\nđiều hoà\n"
        "nóng bức\noi bức\nchật chội\nchỗ để xe\nbãi đỗ xe\nnhà vệ sinh\nwifi\nmáy in",
    ),
    (
        "thu_tuc",
        "Thủ tục, giấy tờ",
        "Procedures and paperwork",
        False,
        "thủ tục\ngiấy tờ\nrườm rà\nphức tạp\nbổ sung hồ sơ\nbổ sung giấy tờ\nbiểu mẫu\nmẫu đơn\ntờ khai\n"
        "công chứng\nbản sao\nđi lại nhiều lần",
    ),
    (
        "phi_le_phi",
        "Phí, lệ phí",
        "Fees and charges",
        False,
        "lệ phí\nphí\nchi phí\nthu thêm\nthu phí\nmức thu\nbiên lai",
    ),
    (
        "truc_tuyen",
        "Trực tuyến, cổng dịch vụ công",
        "Online services and the public service portal",
        False,
        "trực tuyến\nonline\ncổng dịch vụ công\ndịch vụ công\nqua mạng\nnộp qua mạng\ntrang web\nwebsite\n"
        "đăng nhập\ntài khoản\nvneid\nlỗi hệ thống\nthanh toán trực tuyến",
    ),
    (
        "nhung_nhieu",
        "Nhũng nhiễu, tiêu cực",
        "Harassment and petty corruption",
        True,
        "nhũng nhiễu\ngây khó dễ\ngây khó khăn\nlàm khó\nvòi vĩnh\nbồi dưỡng\nphong bì\ntiêu cực\nhối lộ\n"
        "chạy hồ sơ\nbắt bẻ\ntiền cà phê",
    ),
    (
        "huong_dan",
        "Hướng dẫn, giải thích",
        "Guidance and explanations",
        False,
        "hướng dẫn\ngiải thích\nchỉ dẫn\nkhông hiểu\nkhông biết phải\nkhó hiểu\nbảng chỉ dẫn",
    ),
)


def seed_default_themes(session: Session) -> int:
    """Add the default themes whose codes are missing (idempotent; keeps a province's edits); returns how many."""
    have = set(session.scalars(select(Theme.code)))
    added = 0
    for code, name_vi, name_en, complaint, keywords in DEFAULT_THEMES:
        if code not in have:
            session.add(
                Theme(code=code, name_vi=name_vi, name_en=name_en, keywords=keywords, complaint=complaint, active=True)
            )
            added += 1
    session.flush()
    return added
