"""redact(): personal data out of real Vietnamese comments (with and without diacritics, odd spacing);
ordinary numbers stay; fold() for search; normalise_phone() for the call-back number."""

from __future__ import annotations

import unicodedata

import pytest

from survey.services.common.redact import (
    DOSSIER,
    EMAIL,
    ID_NUMBER,
    PHONE,
    PLATE,
    Redacted,
    fold,
    normalise_phone,
    redact,
)

REDACTED = [
    # phones: mobile, with spaces, dots, dashes, +84 / 84 / 0084, brackets, glued to a word
    ("Cán bộ hẹn gọi lại mà không gọi, số của tôi là 0912 345 678.", f"số của tôi là {PHONE}."),
    ("Can bo hen goi lai, sdt 091.234.5678 nhe", f"sdt {PHONE} nhe"),
    ("Liên hệ +84 912345678 giúp tôi", f"Liên hệ {PHONE} giúp tôi"),
    ("lien he 84912345678", f"lien he {PHONE}"),
    ("Gọi (+84) 912 345 678 hoặc 0084 98 765 4321", f"Gọi {PHONE} hoặc {PHONE}"),
    ("sđt0987654321 gọi sau 5 giờ", f"sđt{PHONE} gọi sau 5 giờ"),
    ("zalo: 0912-345-678", f"zalo: {PHONE}"),
    ("số  0 9 1 2  3 4 5  6 7 8 nhé", f"số  {PHONE} nhé"),
    ("Tôi gọi 0912345678 3 lần không ai nghe", f"Tôi gọi {PHONE} 3 lần"),
    ("hai số 0912345678 0356789012", f"hai số {PHONE} {PHONE}"),
    # landlines: 0 + 2x area code, 11 digits
    ("Gọi tổng đài 024 3825 3456 không ai bắt máy", f"Gọi tổng đài {PHONE} không"),
    ("ĐT bàn (028) 3829 1234", f"ĐT bàn {PHONE}"),
    ("goi 0236.3822.123", f"goi {PHONE}"),
    # ID numbers: 12-digit CCCD, 9-digit CMND, spaced or dashed
    ("CCCD của tôi 001095001234 bị ghi sai ngày sinh", f"CCCD của tôi {ID_NUMBER} bị ghi sai"),
    ("căn cước 0010 9500 1234", f"căn cước {ID_NUMBER}"),
    ("cmnd so 123 456 789 het han", f"cmnd so {ID_NUMBER} het han"),
    ("CMND 123456789", f"CMND {ID_NUMBER}"),
    ("số định danh 079-095-001-234", f"số định danh {ID_NUMBER}"),
    # e-mail
    ("Gửi kết quả qua nguyen.van.an@gmail.com giúp", f"qua {EMAIL} giúp"),
    ("email: tran_thi+hs@so-tnmt.hatinh.gov.vn.", f"email: {EMAIL}."),
    # vehicle plates
    ("Xe 29A-123.45 đỗ chắn lối vào", f"Xe {PLATE} đỗ"),
    ("bien so 51F 12345 bi ghi nham", f"bien so {PLATE} bi"),
    ("xe máy 29-B1 234.56 của tôi", f"xe máy {PLATE} của"),
    ("ô tô 30E12345", f"ô tô {PLATE}"),
    # dossier codes: national one-stop style and the HS- receipts
    ("Hồ sơ 000.00.12.H26-250101-0001 trễ hẹn 5 ngày", f"Hồ sơ {DOSSIER} trễ hẹn 5 ngày"),
    ("ma ho so H26.22-250315-0123 cham", f"ma ho so {DOSSIER} cham"),
    ("biên nhận HS-2025-000123 mất", f"biên nhận {DOSSIER} mất"),
    ("hs-truoc-2025q3-000012", DOSSIER),
]


@pytest.mark.parametrize(("text", "expected"), REDACTED)
def test_personal_data_is_replaced_by_its_label(text, expected):
    found = redact(text)
    assert expected in found.text
    assert found.count == expected.count("[")
    assert found.text.count("[") == found.count  # nothing else of the sentence was touched


KEPT = [
    "Lệ phí 50.000 đồng nhưng phải nộp thêm 200.000đ, chờ 3 lần.",
    "Phi 1.500.000 d, hen 15 ngay, den ngay 12/03/2025 moi co ket qua.",
    "Tôi nộp 500000000 đồng tiền sử dụng đất",
    "Nộp ngày 2025-01-15 lúc 08:30, hẹn 20-01-2025, trả ngày 01-02-2025",
    "Tôi nộp hồ sơ ngày 08-03-2025 10 giờ sáng, hẹn 09.03.2025 15 giờ",
    "nop ngay 2025-03-05 09 gio",
    "Tổng tiền 1.091.234.567 đồng là quá cao",
    "Năm 2024 và 2025 tôi đều đến, tầng 2 phòng 204",
    "Thủ tục 1.004227 cấp giấy chứng nhận quyền sử dụng đất",
    "Chờ từ 7h30 đến 11h, số thứ tự 125, quầy số 3",
    "Cán bộ nhiệt tình, chu đáo. Rất hài lòng!",
    "",
]


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_numbers_and_plain_text_stay(text):
    assert redact(text) == Redacted(text, 0)


def test_a_comment_with_several_kinds_counts_each_span():
    text = "Tôi là A, CCCD 001095001234, sđt 0912 345 678, email a.b@c.vn, hồ sơ HS-2025-000123, phí 50.000 đồng"
    found = redact(text)
    assert found.count == 4
    assert found.text == (f"Tôi là A, CCCD {ID_NUMBER}, sđt {PHONE}, email {EMAIL}, hồ sơ {DOSSIER}, phí 50.000 đồng")
    assert redact(found.text) == Redacted(found.text, 0)  # placeholders are not redacted again


def test_fold_ignores_diacritics_case_and_spacing():
    assert fold("  Cán bộ   ĐÓN tiếp\nnhiệt   tình ") == "can bo don tiep nhiet tinh"
    assert fold("Đất đai") == fold("dat DAI") == "dat dai"
    assert fold("Thủ tục rườm rà") == "thu tuc ruom ra"
    assert (
        fold(unicodedata.normalize("NFD", "Thủ tục RƯỜM rà, đất đai")) == "thu tuc ruom ra, dat dai"
    )  # typed decomposed


@pytest.mark.parametrize(
    ("typed", "digits"),
    [
        ("0912345678", "0912345678"),
        ("0912 345 678", "0912345678"),
        ("091.234.5678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("84912345678", "0912345678"),
        ("0084912345678", "0912345678"),
        ("+84 (0) 912 345 678", "0912345678"),
        ("912345678", "0912345678"),
        ("0356-789-012", "0356789012"),
        ("024 3825 3456", "02438253456"),
        ("(028) 3829 1234", "02838291234"),
        ("+84 24 3825 3456", "02438253456"),
    ],
)
def test_vietnamese_numbers_normalise_to_national_digits(typed, digits):
    assert normalise_phone(typed) == digits


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "0123",
        "0112345678",
        "0412345678",
        "09123456789",
        "+1 202 555 0100",
        "+8491234567",
        "abc",
        "0912x45678",
        "０９１２３４５６７８",
        "1900 1234",
        "02438253",
        "0" * 41,
    ],
)
def test_anything_else_is_no_phone(typed):
    assert normalise_phone(typed) is None
