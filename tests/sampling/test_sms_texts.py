"""SMS texts: the unaccented one is GSM-7 and fits one message with its link; the accented one's cost is shown."""
from __future__ import annotations

import csv
import re

import pytest

from survey.services.common.texts import GSM7_BASIC, gsm7_text, is_gsm7, sms_segments, sms_units, strip_accents
from survey.services.demo.registry import DEMO_REGISTRY
from survey.services.sampling import invitations as inv
from survey.services.sampling import slips

# Public addresses a province may use: the default, a LAN address with a port (`make run`), a long DNS name.
BASES = ["http://127.0.0.1:5000", "http://192.168.100.200:5101", "https://dichvucong.hatinh.gov.vn"]
CODE = "W" * inv.CODE_LENGTH  # the widest symbol: a code as printed is always 9 characters anyway
EXPIRES = "31/12/2026"


def _registry_agencies() -> list[str]:
    with open(DEMO_REGISTRY, encoding="utf-8") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        return sorted({r["name_vi"] for r in rows if r["kind"] == "agency"}, key=len, reverse=True)


AGENCIES = _registry_agencies()


def _item(agency: str, base: str) -> dict:
    return {"invitation_id": 1, "phone": "0912345678", "agency": agency, "expires": EXPIRES,
            "code": inv.display_code(CODE), "url": f"{base}/s/{'x' * 24}",
            "short_url": inv.absolute_url(inv.code_url(CODE), base)}


def test_the_demo_registry_has_the_names_that_used_to_overflow():
    assert len(AGENCIES) > 50 and len(AGENCIES[0]) >= 38 and any("–" in a for a in AGENCIES)


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("base", BASES)
def test_every_agencys_unaccented_sms_is_gsm7_in_one_message_with_its_short_link(app, base, lang):
    with app.test_request_context(f"/?lang={lang}"):
        assert ("Please rate" in slips.sms_text(_item(AGENCIES[0], base), "Hà Tĩnh")) == (lang == "en")
        for agency in AGENCIES:
            item = _item(agency, base)
            text = slips.sms_ascii(item, app.config["PROVINCE_NAME"])
            assert is_gsm7(text) and sms_units(text) <= 160 and sms_segments(text) == 1, (agency, text)
            assert item["short_url"] in text and EXPIRES in text


@pytest.mark.parametrize("base", BASES)
def test_every_template_with_the_longest_names_is_gsm7_and_the_longest_that_fits_is_sent(app, base):
    """Each version of the message with the five longest agency names; on an address as long as the
    default or a LAN one with its port, the full version (naming the agency) fits."""
    province = app.config["PROVINCE_NAME"]
    with app.test_request_context():
        for agency in AGENCIES[:5]:
            item = _item(agency, base)
            versions = [gsm7_text(t) for t in slips.sms_templates(item, province, slips.sms_agency(agency))]
            assert len(versions) == 3 and all(is_gsm7(v) and item["short_url"] in v for v in versions)
            assert [sms_units(v) for v in versions] == sorted((sms_units(v) for v in versions), reverse=True)
            assert sms_units(versions[-1]) <= 160
            assert slips.sms_ascii(item, province) == next(v for v in versions if sms_units(v) <= 160)
            if len(base) <= len(BASES[1]):
                assert sms_units(versions[0]) <= 160, versions[0]


def test_a_name_too_long_for_one_message_drops_the_agency_rather_than_split():
    agency = "Trung tâm Phục vụ hành chính công và Kiểm soát thủ tục hành chính cấp tỉnh trực thuộc Văn phòng"
    item = _item(agency, BASES[-1])
    text = slips.sms_ascii(item, "Hà Tĩnh")
    assert sms_units(text) <= 160 and "Trung tam" not in text and item["short_url"] in text


def test_the_sms_file_shows_each_texts_segments(app):
    with app.test_request_context():
        (row,) = slips.sms_rows([_item(AGENCIES[0], BASES[0])], "Hà Tĩnh")
    assert row["message_ascii_segments"] == 1 and row["message_segments"] == sms_segments(row["message"]) > 1
    assert row["link"] == _item(AGENCIES[0], BASES[0])["short_url"] and row["code"] == "WWWW-WWWW"
    assert "Hà Tĩnh" in row["message"] and not is_gsm7(row["message"])  # accented: UCS-2


@pytest.mark.parametrize("text, units, segments", [
    ("a" * 160, 160, 1), ("a" * 161, 161, 2), ("a" * 306, 306, 2), ("a" * 307, 307, 3),
    ("€" * 80, 160, 1), ("[" * 81, 162, 2),                      # the extension table counts two septets
    ("ă" * 70, 70, 1), ("ă" * 71, 71, 2), ("a–" * 35, 70, 1),   # one non-GSM character makes it all UCS-2
    ("😀" * 35, 70, 1),                                          # outside the BMP: two UTF-16 units each
])
def test_units_and_segments_as_the_network_counts_them(text, units, segments):
    assert (sms_units(text), sms_segments(text)) == (units, segments)


def test_typography_is_spelt_in_gsm7_and_vietnamese_loses_its_accents():
    assert gsm7_text("Sở Lao động – Thương binh “Xã hội”…") == 'So Lao dong - Thuong binh "Xa hoi"...'
    assert strip_accents("Đường Nguyễn Du, Hà Tĩnh") == "Duong Nguyen Du, Ha Tinh"
    assert gsm7_text("Zalo ✓ 中") == "Zalo ? ?" and is_gsm7(gsm7_text("ăâêôơưđ ĂÂÊÔƠƯĐ"))
    assert not re.search(r"[^\x00-\x7f£¥èéùìòÇØøÅåÆæßÉÄÖÑÜ§¿äöñüà¡¤ΔΦΓΛΩΠΨΣΘΞ€]", "".join(GSM7_BASIC))
