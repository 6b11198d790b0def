"""Personal data taken out of free text before it is stored: phones, ID numbers, e-mails, plates, dossier codes.

Citizens write their phone or ID number into the comment box although the form asks them not to.
Every page, export and inbox reads the redacted text; only `comment_raw` keeps what was typed.
Each kind of span becomes a labelled placeholder, so a reader still sees that, say, a phone was given.

The patterns aim at what people actually type, with digits grouped by spaces, dots or dashes:
- phones: mobile 0 + 9 digits starting 3/5/7/8/9 ("0912 345 678", "091.234.5678"), landline
  0 + 2x + 8 digits ("024 3825 3456", "(028) 3829 1234"), and both with +84 / 84 / 0084 instead of 0;
- ID numbers: 12-digit CCCD ("001095001234", "0010 9500 1234") and 9-digit CMND, grouped by spaces
  or dashes only (dots group thousands in a Vietnamese amount);
- e-mail addresses; vehicle plates ("29A-123.45", "51F 12345", "29-B1 234.56");
- dossier codes: the one-stop software's "000.00.12.H26-250101-0001" (unit code, yymmdd, sequence) and
  the "HS-2025-000123" receipts the intake documents and the demo uses.
Ordinary numbers stay: amounts ("50.000 đồng", "500000000 đồng"), dates, times, counts ("3 lần").
A number glued to a longer run of digits (a bigger amount, another code) is never cut out of it.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from survey.services.common.texts import strip_accents

PHONE, ID_NUMBER, EMAIL, PLATE, DOSSIER = "[số điện thoại]", "[số giấy tờ]", "[email]", "[biển số xe]", "[mã hồ sơ]"

_SEP = r"[ \t.\-]{0,2}"  # between two digits: nothing, or a space, dot or dash (odd spacing: two of them)
_ID_SEP = r"[ \t\-]?"  # ID numbers: no dots, which group thousands
_START = r"(?<![\d+])(?<!\d[.,])"  # not inside a longer number ("1.091.234.567"); "sđt0912…" is fine
_END = r"(?!\d)(?![.,]\d)"  # nor continued by more digits
_MONEY = r"(?!\s*(?:đồng|đ\b|vnđ|vnd\b|dong\b|nghìn|ngàn|triệu|tỷ|tỉ))"


def _digits(n: int, sep: str = _SEP) -> str:
    return rf"\d(?:{sep}\d){{{n - 1}}}"


# +84 / 84 / 0084 / 0, optionally bracketed, optionally followed by a "(0)" some people keep.
_PREFIX = rf"(?:\(?(?:\+[ ]?84|0084|84)\)?{_SEP}(?:\(0\){_SEP})?|\(?0)"
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), EMAIL),
    (re.compile(rf"(?<![\w.])(?:[A-Z0-9]{{2,4}}\.){{0,4}}[A-Z0-9]{{2,4}}-\d{{6}}-\d{{3,6}}{_END}", re.I), DOSSIER),
    (re.compile(rf"(?<![\w-])HS(?:[-./][A-Z0-9]+)*[-./]\d{{3,}}{_END}", re.I), DOSSIER),
    (
        re.compile(rf"(?<![\w.])\d{{2}}[ \-]?[A-Z]{{1,2}}\d?[ \-.]{{0,2}}(?:\d{{3}}\.\d{{2}}|\d{{4,5}}){_END}", re.I),
        PLATE,
    ),
    (re.compile(rf"{_START}{_digits(12, _ID_SEP)}{_END}(?![ \t\-]\d){_MONEY}"), ID_NUMBER),
    (re.compile(rf"{_START}{_PREFIX}\)?{_SEP}[35789](?:{_SEP}\d){{8}}{_END}{_MONEY}"), PHONE),
    (
        re.compile(
            rf"{_START}{_PREFIX}2(?:\d\)?{_SEP}(?:\d{_SEP}){{7}}|\d{{2}}\)?{_SEP}(?:\d{_SEP}){{6}})\d{_END}{_MONEY}"
        ),
        PHONE,
    ),
    (re.compile(rf"{_START}{_digits(9, _ID_SEP)}{_END}(?![ \t\-]\d){_MONEY}"), ID_NUMBER),
]
_SPACES = re.compile(r"\s+")
_DIGIT = re.compile(r"\d")
# A date inside a run of digits ("ngày 08-03-2025 10 giờ" reads like 0 + 9 digits): such a run is kept.
_DATE = re.compile(r"(?<!\d)(?:\d{1,2}[-./]\d{1,2}[-./](?:19|20)\d{2}|(?:19|20)\d{2}[-./]\d{1,2}[-./]\d{1,2})(?!\d)")


class Redacted(NamedTuple):
    """A text with its personal data replaced, and how many spans were replaced."""

    text: str
    count: int


def redact(text: str) -> Redacted:
    """`text` with phones, ID numbers, e-mails, plates and dossier codes replaced by labelled placeholders."""
    email, digits = "@" in text, _DIGIT.search(text) is not None
    if not (email or digits):  # most comments: nothing any pattern could match (each needs a digit or an @)
        return Redacted(text, 0)
    count = 0
    for pattern, label in _PATTERNS:
        if email if label == EMAIL else digits:
            text, n = _replace(pattern, label, text)
            count += n
    return Redacted(text, count)


def _replace(pattern: re.Pattern[str], label: str, text: str) -> tuple[str, int]:
    """`text` with the pattern's matches replaced by `label`, and how many were; a run of digits holding a
    date is no phone or ID number."""
    if label not in (PHONE, ID_NUMBER):
        return pattern.subn(label, text)
    kept = 0

    def one(match: re.Match[str]) -> str:
        nonlocal kept
        if _DATE.search(match.group()):
            kept += 1
            return match.group()
        return label

    text, n = pattern.subn(one, text)
    return text, n - kept


def _landline_digits(digits: str) -> bool:
    """0 + 2x area code + subscriber: 11 digits in all since the 2017 renumbering."""
    return len(digits) == 11 and digits[1] == "2"


def normalise_phone(value: str) -> str | None:
    """A Vietnamese mobile or landline number as its national digits ("0912345678"), or None if it is not one.

    Accepts separators (spaces, dots, dashes, brackets), +84 / 84 / 0084 instead of the leading 0, and
    the leading 0 left out (a number field may have dropped it).
    """
    if not isinstance(value, str) or len(value) > 40:
        return None
    compact = re.sub(r"[ \t.\-()]", "", value.strip())
    if compact.startswith("+"):
        if not compact.startswith("+84"):
            return None
        national = compact[3:]
    elif compact.startswith("0084"):
        national = compact[4:]
    elif compact.startswith("84") and len(compact) in (11, 12):
        national = compact[2:]
    else:
        national = compact[1:] if compact.startswith("0") else compact
    if national.startswith("0") and len(national) in (10, 11):  # "+84 (0) 912…"
        national = national[1:]
    if not national.isascii() or not national.isdigit():
        return None
    digits = "0" + national
    mobile = len(digits) == 10 and digits[1] in "35789"
    return digits if mobile or _landline_digits(digits) else None


def _unaccented() -> dict[int, str | None]:
    """Each accented Latin letter (Vietnamese uses U+00C0–U+024F and U+1E00–U+1EFF) to its base letter, and
    combining marks to nothing: texts.strip_accents as one str.translate, several times faster per comment."""
    table: dict[int, str | None] = {c: None for c in range(0x300, 0x370)}
    for c in [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        plain = strip_accents(chr(c))
        if plain != chr(c):
            table[c] = plain
    return table


_UNACCENTED = _unaccented()


def fold(text: str) -> str:
    """Lower case, without Vietnamese diacritics (đ → d), whitespace collapsed: what search compares."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text).translate(_UNACCENTED).lower()).strip()
