"""Text rules: what the databases can hold (checked before a value is accepted), and what fits an SMS."""
from __future__ import annotations

import unicodedata
from typing import Any


def storable_text(value: Any) -> bool:
    """A string every database here can hold: no NUL, and valid Unicode.

    JSON can spell a lone UTF-16 surrogate ("\\ud800"), which has no UTF-8 form: left to the
    driver it fails the whole transaction, and with it every other submission or dossier sharing it.
    """
    if not isinstance(value, str) or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# SMS: GSM 03.38's basic characters (one septet each) and its extension table (two: escape + char). A text
# of only these is sent GSM-7, 160 characters per message (153 per part of a longer one); any other
# character turns the whole text into UCS-2: 70 per message, 67 per part.
GSM7_BASIC = frozenset("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
                       "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")
# Typography that registry names and translations carry, spelt in GSM-7 (an en dash alone would triple the cost).
_GSM7_SPELLING = str.maketrans({"–": "-", "—": "-", "‑": "-", "‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"',
                                "„": '"', "…": "...", "\u00a0": " ", "\u202f": " ", "\t": " ", "«": '"', "»": '"'})


def strip_accents(text: str) -> str:
    """Vietnamese without diacritics (đ → d), the way unaccented SMS are written."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def gsm7_text(text: str) -> str:
    """`text` in GSM-7 only: without accents, typographic dashes and quotes spelt plainly, anything else '?'."""
    plain = unicodedata.normalize("NFC", strip_accents(text).translate(_GSM7_SPELLING))
    return "".join(c if c in GSM7_BASIC or c in GSM7_EXTENDED else "?" for c in plain)


def is_gsm7(text: str) -> bool:
    """Whether an SMS of `text` goes out GSM-7 (every character in the basic or extension table)."""
    return all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text)


def sms_units(text: str) -> int:
    """The text's length as the SMS network counts it: septets in GSM-7, UTF-16 code units in UCS-2."""
    if is_gsm7(text):
        return sum(2 if c in GSM7_EXTENDED else 1 for c in text)
    return len(text.encode("utf-16-le")) // 2


def sms_segments(text: str) -> int:
    """How many messages an SMS of `text` takes (GSM-7: 160, then 153 each; UCS-2: 70, then 67 each)."""
    units = sms_units(text)
    single, part = (160, 153) if is_gsm7(text) else (70, 67)
    return 1 if units <= single else -(-units // part)
