"""The kiosk screen's texts in both languages, so the tablet can switch language while offline."""
from __future__ import annotations

from flask_babel import _, force_locale


def _texts() -> dict[str, str]:
    return {
        "welcome": _("Xin mời Ông/Bà đánh giá sự phục vụ"),
        "anonymous": _("Không cần ghi tên."),
        "duration": _("Gồm %(parts)s phần, khoảng %(n)s phút."),
        "text_size": _("Cỡ chữ: %(size)s"),
        "size_0": _("Thường"),
        "size_1": _("Lớn"),
        "size_2": _("Rất lớn"),
        "call_staff": _("Gọi nhân viên"),
        "call_sent": _("Đã báo cán bộ tại quầy. Xin Ông/Bà chờ trong giây lát."),
        "call_failed": _("Chưa báo được cán bộ (mất kết nối). Xin Ông/Bà đến quầy gần nhất."),
        "start": _("Bắt đầu đánh giá"),
        "language": _("Ngôn ngữ"),
        "next": _("Tiếp tục"),
        "back": _("Quay lại"),
        "send": _("Gửi đánh giá"),
        "skip": _("Bỏ qua"),
        "part": _("Phần %(step)s / %(total)s"),
        "required": _("Vui lòng chọn một câu trả lời."),
        "other": _("Ý kiến khác (ghi rõ)"),
        "thanks": _("Cảm ơn Ông/Bà!"),
        "thanks_sub": _("Đánh giá của Ông/Bà đã được ghi nhận."),
        "home": _("Về màn hình chính"),
        "returning": _("Màn hình sẽ tự trở về sau %(n)s giây."),
        "still_there": _("Ông/Bà vẫn đang đánh giá chứ?"),
        "still_there_sub": _("Nếu không có thao tác, sau %(n)s giây màn hình sẽ trở về và các câu trả lời "
                             "vừa chọn sẽ bị xoá, không được gửi."),
        "still_there_keep": _("Nếu không có thao tác, sau %(n)s giây màn hình sẽ trở về; các câu trả lời "
                              "đã chọn vẫn được gửi (chưa đầy đủ)."),
        "still_there_none": _("Nếu không có thao tác, sau %(n)s giây màn hình sẽ trở về. Ông/Bà chưa chọn "
                              "câu trả lời nào."),
        "continue": _("Tôi vẫn đang đánh giá"),
        "queued": _("%(n)s đánh giá đang chờ gửi"),
        "offline": _("Mất kết nối mạng — đánh giá vẫn được lưu trên máy và sẽ tự gửi khi có mạng."),
        "storage_full": _("Bộ nhớ của máy đã đầy: %(n)s đánh giá chỉ được giữ tạm và sẽ mất nếu tắt máy. "
                          "Vui lòng báo cán bộ kết nối mạng cho máy."),
        "no_questionnaire": _("Máy chưa có bảng hỏi. Vui lòng báo cán bộ."),
        "not_enrolled": _("Máy này chưa được đăng ký hoặc đã bị thu hồi. Vui lòng báo cán bộ."),
        "handoff": _("Mời Ông/Bà đánh giá việc giải quyết hồ sơ vừa nhận"),
        "starting": _("Đang chuẩn bị…"),
        "number_hint": _("Nhập số"),
        "tap_face": _("Chạm vào một gương mặt để trả lời."),
        "several": _("Có thể chọn nhiều ý."),
    }


def ui_strings() -> dict[str, dict[str, str]]:
    """{"vi": {...}, "en": {...}} of every text the kiosk's script shows."""
    out = {}
    for lang in ("vi", "en"):
        with force_locale(lang):
            out[lang] = _texts()
    return out
