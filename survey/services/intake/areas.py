"""The citizen's area on an intake record: an official commune-level unit code, never anything finer.

Sources give it only sometimes (the national portal knows the applicant's commune, a counter often
does not), and the platform keeps it coarse on purpose: a commune is a domain for the indices, a
village or an address would identify people. When the registry carries official codes (Công văn
1027/CTK-CSCL for the units since 1 July 2025, and the codes of earlier units in their versions, so
older dossiers still validate) the code must be one of them; before any official code is loaded,
only its form is checked: the five digits of a commune-level code.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models.registry import Agency, AgencyVersion
from survey.services.common.i18n import tr as _

if TYPE_CHECKING:
    from survey.services.intake.records import RecordResult

AREA_CODE_RE = re.compile(r"^\d{5}$")
COMMUNE_LEVELS = frozenset({"commune", "ward", "special_zone"})


def known_area_codes(session: Session) -> frozenset[str] | None:
    """Official codes of commune-level units, current and past; None when the registry has none at all."""
    codes: set[str] = set()
    for model in (Agency, AgencyVersion):
        for code, level in session.execute(select(model.official_code, model.level)
                                           .where(model.official_code.is_not(None))):
            if str(level) in COMMUNE_LEVELS and code.strip():
                codes.add(code.strip())
    return frozenset(codes) or None


def check_area_code(code: str | None, known: frozenset[str] | None, result: RecordResult) -> str | None:
    """The code when acceptable (None when not given); else a `bad_area_code` error on the record."""
    if code is None:
        return None
    if not AREA_CODE_RE.match(code):
        message = _("Mã địa bàn của người dân phải là mã đơn vị hành chính cấp xã gồm 5 chữ số (không chi tiết "
                    "hơn cấp xã): %(code)s.", code=code)
    elif known is not None and code not in known:
        message = _("Mã địa bàn %(code)s không phải mã đơn vị hành chính cấp xã nào trong danh mục.", code=code)
    else:
        return code
    result.errors.append({"code": "bad_area_code", "field": "citizen_area_code", "message": message})
    return None
