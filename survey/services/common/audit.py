"""Audit log of administrative actions (who, what, when), and how to say each entry in words.

`record` writes an entry. The rest reads one back for people: `ACTIONS` names every action in
Vietnamese (English through the translations), `details_in_words` turns its details into labelled,
formatted values, and `action_choices` groups the actions for the audit page's filter. An action
not in the table (a feature newer than it) still shows: its family's name and its code.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from survey.models import AuditLog
from survey.services.common import formats


def record(session: Session, actor: Any, action: str, target_type: str = "", target_id: Any = "",
           **details: Any) -> AuditLog:
    """Add an audit entry; `actor` is a User, or a string such as "cli". Flushes, never commits."""
    user_id = getattr(actor, "id", None)
    name = getattr(actor, "username", None) or str(actor)
    entry = AuditLog(user_id=user_id, actor=name, action=action, target_type=target_type,
                     target_id=str(target_id), details=details)
    session.add(entry)
    session.flush()
    return entry


FAMILIES = {
    "auth.": _l("Đăng nhập, đăng xuất"), "user.": _l("Tài khoản cán bộ"), "wave.": _l("Đợt khảo sát"),
    "device.": _l("Máy khảo sát (kiosk)"), "kiosk.": _l("Chuyển lượt tại quầy"), "apikey.": _l("Khoá API"),
    "dossiers.": _l("Hồ sơ"), "registry.": _l("Danh mục"), "target.": _l("Chỉ tiêu"),
    "questionnaire.": _l("Bảng hỏi"), "export.": _l("Tải dữ liệu, báo cáo"), "publication.": _l("Công bố"),
    "job.": _l("Tác vụ nền"), "case.": _l("Phản ánh"), "case_rule.": _l("Quy tắc mở phản ánh"),
    "comment.": _l("Góp ý của người dân"), "theme.": _l("Chủ đề góp ý"), "feedback.": _l("Góp ý của người dân"),
    "qd766.": _l("Điểm QĐ 766"), "scores.": _l("Điểm lưu sẵn của phiếu"),
    "partitions.": _l("Phân vùng bảng câu trả lời"),
}

ACTIONS = {  # what happened, as a log line says it ("Đã đóng đợt": the wave was closed)
    "auth.login": _l("Đăng nhập thành công"), "auth.login_failed": _l("Đăng nhập sai mật khẩu"),
    "auth.login_throttled": _l("Tạm chặn đăng nhập (thử quá nhiều lần)"), "auth.logout": _l("Đã đăng xuất"),
    "auth.logout_everywhere": _l("Đã đăng xuất khỏi mọi nơi"),
    "user.create": _l("Đã tạo tài khoản"), "user.set_role": _l("Đã đổi vai trò, phạm vi"),
    "user.enable": _l("Đã mở khoá tài khoản"), "user.disable": _l("Đã khoá tài khoản"),
    "user.set_password": _l("Đã đặt mật khẩu mới"), "user.session_revoke": _l("Đã kết thúc một phiên đăng nhập"),
    "user.sessions_revoke": _l("Đã kết thúc mọi phiên đăng nhập"),
    "wave.create": _l("Đã tạo đợt khảo sát"), "wave.update": _l("Đã sửa đợt nháp"),
    "wave.delete": _l("Đã xoá đợt nháp"), "wave.stratum": _l("Đã đặt riêng quy tắc một tầng"),
    "wave.launch": _l("Đã khởi động đợt"), "wave.close": _l("Đã đóng đợt"),
    "wave.purge_contacts": _l("Đã xoá số điện thoại"), "wave.anonymise": _l("Đã ẩn danh hoá đợt"),
    "wave.audit": _l("Đã kiểm tra lại mẫu"), "wave.bundle": _l("Đã tải gói thư mời"),
    "wave.slips": _l("Đã in phiếu thư mời"), "wave.sms_csv": _l("Đã xuất tệp SMS"),
    "device.create": _l("Đã đăng ký máy kiosk"), "device.new_code": _l("Đã cấp mã đăng ký mới cho máy"),
    "device.revoke": _l("Đã thu hồi máy kiosk"), "device.enrolled": _l("Máy kiosk đã hoàn tất đăng ký"),
    "kiosk.handoff": _l("Đã chuyển lượt đánh giá sang kiosk"),
    "kiosk.handoff_cancel": _l("Đã huỷ lượt chuyển sang kiosk"), "kiosk.handoff_flagged": _l("Lượt chuyển cần xem lại"),
    "kiosk.slip_printed": _l("Đã in phiếu thư mời tại quầy"), "kiosk.call_staff": _l("Người dân bấm gọi nhân viên"),
    "kiosk.call_answered": _l("Đã đến hỗ trợ theo lời gọi từ kiosk"),
    "apikey.create": _l("Đã tạo khoá API"), "apikey.scope": _l("Đã đổi phạm vi khoá API"),
    "apikey.rotate": _l("Đã cấp khoá API mới thay khoá cũ"), "apikey.revoke": _l("Đã thu hồi khoá API"),
    "dossiers.import": _l("Đã nhập hồ sơ từ tệp"), "registry.import": _l("Đã nhập danh mục"),
    "registry.lineage_import": _l("Đã nhập lịch sử sáp nhập, chia tách"),
    "user.reassign": _l("Đã chuyển tài khoản sang đơn vị hiện hành"),
    "target.set": _l("Đã đặt chỉ tiêu"), "target.delete": _l("Đã xoá chỉ tiêu"),
    "questionnaire.load": _l("Đã nạp phiên bản bảng hỏi"),
    "export.report": _l("Đã tải báo cáo PDF"), "export.index": _l("Đã tải bảng chỉ số"),
    "export.microdata": _l("Đã tải dữ liệu vi mô"), "export.codebook": _l("Đã tải sổ mã"),
    "export.comments": _l("Đã tải góp ý (đã che thông tin cá nhân)"),
    "export.counter_ratings": _l("Đã tải số liệu đánh giá tại quầy"),
    "publication.restate": _l("Đã công bố lại (phiên bản mới)"), "publication.pack": _l("Đã tải gói tái lập"),
    "user.set_mail": _l("Đã đổi thư điện tử nhận thư báo phản ánh"),
    "case_rule.create": _l("Đã thêm quy tắc mở phản ánh"), "case_rule.update": _l("Đã sửa quy tắc mở phản ánh"),
    "case_rule.deactivate": _l("Đã ngừng áp dụng quy tắc mở phản ánh"),
    "case_rule.activate": _l("Đã áp dụng lại quy tắc mở phản ánh"),
    "case.phone_view": _l("Đã xem số điện thoại gọi lại của phản ánh"),
    "case.digest": _l("Đã gửi thư tổng hợp phản ánh"),
    "theme.create": _l("Đã thêm chủ đề góp ý"), "theme.update": _l("Đã sửa chủ đề góp ý"),
    "theme.activate": _l("Đã dùng lại chủ đề góp ý"), "theme.deactivate": _l("Đã ngừng dùng chủ đề góp ý"),
    "comment.tag": _l("Đã gắn chủ đề cho góp ý"), "comment.untag": _l("Đã bỏ chủ đề khỏi góp ý"),
    "comment.raw_read": _l("Đã xem nguyên văn góp ý"), "comment.raw_purge": _l("Đã xoá nguyên văn góp ý"),
    "comment.raw_purge_older": _l("Đã xoá nguyên văn các góp ý cũ"),
    "feedback.backfill": _l("Đã che thông tin cá nhân trong góp ý cũ"),
    "scores.backfill": _l("Đã tính điểm lưu sẵn cho các phiếu cũ"),
    "partitions.create": _l("Đã tạo trước phân vùng câu trả lời"),
    "partitions.convert": _l("Đã chuyển bảng câu trả lời sang phân vùng"),
    "partitions.retire": _l("Đã tách phân vùng câu trả lời cũ"),
}

TARGETS = {
    "wave": _l("Đợt"), "user": _l("Tài khoản"), "username": _l("Tên đăng nhập"), "address": _l("Địa chỉ IP"),
    "device": _l("Máy"), "api_key": _l("Khoá API"), "invitation": _l("Thư mời"), "target": _l("Chỉ tiêu"),
    "registry": _l("Tệp danh mục"), "questionnaire_version": _l("Phiên bản bảng hỏi"),
    "source_system": _l("Hệ thống nguồn"), "publication": _l("Bản công bố"), "job": _l("Tác vụ"),
    "case_rule": _l("Quy tắc phản ánh"), "feedback_case": _l("Phản ánh"), "comment": _l("Góp ý"),
    "theme": _l("Chủ đề góp ý"), "service_point": _l("Điểm phục vụ"),
}

KEYS = {
    "username": _l("Tên đăng nhập"), "role": _l("Vai trò"), "agency_id": _l("Cơ quan"),
    "service_point_id": _l("Điểm phục vụ"), "service_point": _l("Điểm phục vụ"), "before": _l("Trước"),
    "after": _l("Sau"), "sessions_revoked": _l("Số phiên đã kết thúc"), "session_id": _l("Phiên"),
    "ip": _l("Địa chỉ IP"), "failures": _l("Số lần sai liên tiếp"), "minute": _l("Phút"),
    "count": _l("Số lần bị chặn"), "reasons": _l("Giới hạn"), "design": _l("Thiết kế"), "key": _l("Tầng"),
    "pi": "π", "target_n": _l("Số phiếu mục tiêu"), "invitations": _l("Số thư mời"),
    "expired": _l("Thư mời hết hiệu lực"), "deleted": _l("Số điện thoại đã xoá"),
    "unlinked": _l("Thư mời đã cắt liên kết"), "seed_erased": _l("Đã xoá hạt giống"), "ok": _l("Khớp"),
    "discrepancies": _l("Số sai lệch"), "reissue": _l("Cấp lại mã"), "reprint": _l("In lại"), "format": _l("Khổ phiếu"),
    "label": _l("Tên"), "demo": _l("Dữ liệu mẫu"), "source": _l("Hệ thống nguồn"), "scope": _l("Phạm vi"),
    "new_prefix": _l("Tiền tố khoá mới"), "reason": _l("Lý do"), "officer_id": _l("Cán bộ chuyển"),
    "seconds": _l("Số giây"), "year": _l("Năm"), "sector_code": _l("Lĩnh vực"), "old": _l("Giá trị cũ"),
    "new": _l("Giá trị mới"), "counts": _l("Số dòng"), "rejected": _l("Dòng bị từ chối"),
    "instrument": _l("Bảng hỏi"), "version": _l("Phiên bản"), "content_hash": _l("Mã băm nội dung"),
    "file": _l("Tệp"), "invited": _l("Số thư mời"), "lang": _l("Ngôn ngữ"), "filters": _l("Bộ lọc"),
    "code": _l("Mã đợt"), "name": _l("Tên đợt"), "name_en": _l("Tên tiếng Anh"), "period": _l("Kỳ khảo sát"),
    "questionnaire_version_id": _l("Phiên bản bảng hỏi"), "changes": _l("Thay đổi"),
    "case_type": _l("Loại phản ánh"), "sla_days": _l("Thời hạn xử lý (ngày)"), "threshold": _l("Ngưỡng"),
    "case_digest": _l("Nhận thư tổng hợp"), "email": _l("Thư điện tử"), "theme": _l("Chủ đề"),
    "complaint": _l("Là khiếu nại"), "days": _l("Số ngày"), "purged": _l("Số góp ý đã xoá nguyên văn"),
    "found": _l("Số góp ý tìm thấy"), "name_vi": _l("Tên"), "questionnaire_id": _l("Bảng hỏi"),
    "kind": _l("Loại"),
}

VALUES = {
    "role": {"admin": _l("Quản trị viên"), "analyst": _l("Cán bộ phân tích (toàn tỉnh)"),
             "agency_viewer": _l("Cán bộ cơ quan (chỉ xem cơ quan mình)"), "officer": _l("Cán bộ tại quầy")},
    "reason": {"quick_answer": _l("trả lời chỉ vài giây sau khi chuyển")},
    "lang": {"vi": "Tiếng Việt", "en": "English"},
    "scheme": {"agency_sector": _l("Cơ quan × lĩnh vực"), "agency": _l("Cơ quan"), "sector": _l("Lĩnh vực")},
    "rule": {"target": _l("Theo công thức SIPAS"), "fixed": _l("Tỷ lệ chọn cố định")},
}
SHARES = {"pi", "fixed_pi", "margin", "response_rate", "new_stratum_pi"}  # fractions shown as percentages
DESIGN_KEYS = {"scheme": _l("Phân tầng"), "rule": _l("Cách tính cỡ mẫu"), "fixed_pi": _l("Tỷ lệ chọn cố định"),
               "margin": _l("Sai số e"), "response_rate": _l("Tỷ lệ phản hồi dự kiến"),
               "min_responses": _l("Số phiếu tối thiểu mỗi tầng"), "new_stratum_pi": _l("π của tầng mới")}
ACTORS = {"cli": _l("dòng lệnh"), "anonymous": _l("(chưa đăng nhập)"), "hệ thống": _l("hệ thống"),
          "demo": _l("dữ liệu mẫu")}


@dataclass
class Names:
    """Names of the rows an entry's details point at by id (the audit page loads the ones it shows)."""

    agencies: Mapping[int, str] = field(default_factory=dict)
    service_points: Mapping[int, str] = field(default_factory=dict)
    users: Mapping[int, str] = field(default_factory=dict)


def action_label(action: str) -> str:
    """The action in words ("Đã đóng đợt"); an unknown one: its family's name and its code."""
    if action in ACTIONS:
        return str(ACTIONS[action])
    family = FAMILIES.get(action.split(".")[0] + ".")
    return f"{family} ({action})" if family else action


def target_label(target_type: str, target_id: str) -> str:
    """What the action was done to, in words ("Đợt 2025-Q2")."""
    kind = TARGETS.get(target_type)
    return " ".join(x for x in (str(kind) if kind else target_type, target_id) if x)


def actor_label(actor: str) -> str:
    """Who did it: a username, "dòng lệnh", "(chưa đăng nhập)", or the kiosk "máy 3"."""
    if actor in ACTORS:
        return str(ACTORS[actor])
    if actor.startswith("device:"):
        return str(_l("máy %(id)s", id=actor.split(":", 1)[1]))
    return actor


def _label(key: str) -> str:
    return str(KEYS.get(key) or DESIGN_KEYS.get(key) or key)


def _value(key: str, value: Any, names: Names) -> str:
    if isinstance(value, bool):
        return str(_l("có") if value else _l("không"))
    if value is None or value == "" or value == [] or value == {}:
        return formats.MISSING
    lookup = {"agency_id": names.agencies, "service_point_id": names.service_points, "officer_id": names.users}
    if key in lookup and isinstance(value, int):
        return lookup[key].get(value, "#%d" % value)
    if key in VALUES and str(value) in VALUES[key]:
        return str(VALUES[key][str(value)])
    if key in SHARES and isinstance(value, int | float):
        return formats.pct(value)
    if isinstance(value, int | float):
        return formats.num(value, 0 if float(value).is_integer() else 2)
    if key == "minute" and isinstance(value, str):
        try:
            return formats.when(datetime.fromisoformat(value))
        except ValueError:
            return value
    if key in ("before", "after") and isinstance(value, list) and len(value) == 3:
        parts = zip(("role", "agency_id", "service_point_id"), value, strict=True)
        return "; ".join(f"{KEYS[k]}: {_value(k, v, names)}" for k, v in parts if v is not None)
    if key == "changes" and isinstance(value, dict):
        return "; ".join(f"{_label(k)}: {_value(k, pair[0], names)} → {_value(k, pair[1], names)}"
                         for k, pair in value.items() if isinstance(pair, list) and len(pair) == 2)
    if key == "period" and isinstance(value, list) and len(value) == 2:
        return formats.period(*value)
    if key == "design" and isinstance(value, dict):
        return "; ".join(f"{label}: {_value(k, value[k], names)}" for k, label in DESIGN_KEYS.items()
                         if value.get(k) is not None)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_value(str(k), v, names)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_value(key, v, names) for v in value)
    return str(value)


def details_in_words(details: Mapping[str, Any] | None, names: Names | None = None) -> list[tuple[str, str]]:
    """An entry's details as (label, value) pairs in the reader's language, numbers and dates formatted."""
    names = names or Names()
    return [(_label(k), _value(k, v, names)) for k, v in (details or {}).items()]


def action_choices(present: Iterable[str]) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """The filter's options: (family prefix, family name, [(action, its name)]) for every action known or logged."""
    codes = sorted(set(ACTIONS) | set(present))
    groups: dict[str, list[tuple[str, str]]] = {}
    for code in codes:
        groups.setdefault(code.split(".")[0] + ".", []).append((code, action_label(code)))
    return [(prefix, str(FAMILIES.get(prefix, prefix)), items) for prefix, items in groups.items()]
