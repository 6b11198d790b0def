"""What text the databases can hold, checked before a value is accepted rather than when it is stored."""
from __future__ import annotations

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
