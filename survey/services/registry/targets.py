"""Satisfaction targets: data per year, scope and sector, never constants in code.

Targets (model Target, one per year + scope + sector): scopes ``tthc`` (procedures, all sectors),
``tthc_sector`` (procedures of one sector), ``service`` (service of state administrative agencies),
``public_service`` (public health/education services; sector health or education) and ``province``
(the province's own yearly SIPAS target). Values are percentages.
"""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Sector, Target
from survey.models.registry import TargetScope

TARGET_SCOPES = {  # scope → (needs a sector, Vietnamese label, English label)
    TargetScope.TTHC: (False, "Hài lòng về giải quyết TTHC (mọi lĩnh vực)",
                       "Satisfaction with administrative procedures (all sectors)"),
    TargetScope.TTHC_SECTOR: (True, "Hài lòng về giải quyết TTHC lĩnh vực %s",
                              "Satisfaction with administrative procedures: %s"),
    TargetScope.SERVICE: (False, "Hài lòng về sự phục vụ của cơ quan hành chính nhà nước",
                          "Satisfaction with the service of state administrative agencies"),
    TargetScope.PUBLIC_SERVICE: (True, "Hài lòng về dịch vụ công lĩnh vực %s",
                                 "Satisfaction with public services: %s"),
    TargetScope.PROVINCE: (False, "Chỉ tiêu hài lòng (SIPAS) riêng của tỉnh",
                           "The province's own satisfaction target"),
}


class TargetError(ValueError):
    """A target that cannot be stored; the message is for the user (Vietnamese)."""


def list_targets(session: Session, year: int | None = None) -> list[Target]:
    """Targets ordered by year, scope and sector (optionally one year)."""
    query = select(Target).order_by(Target.year, Target.scope, Target.sector_code)
    if year is not None:
        query = query.where(Target.year == year)
    return list(session.scalars(query))


def set_target(session: Session, year: int, scope: str, value: float, sector_code: str = "", *,
               actor: Any = None, label_vi: str | None = None, label_en: str | None = None
               ) -> tuple[Target, str]:
    """Create or change one target; returns (target, "created"|"updated"|"unchanged"); audits changes."""
    sector = _check_target(session, year, scope, value, sector_code)
    needs_sector, vi, en = TARGET_SCOPES[scope]
    labels = {"label_vi": label_vi if label_vi is not None else (vi % sector.name_vi if sector else vi),
              "label_en": label_en if label_en is not None else (
                  en % (sector.name_en or sector.code) if sector else en)}
    target = session.scalars(select(Target).where(
        Target.year == year, Target.scope == scope, Target.sector_code == sector_code)).first()
    before = None if target is None else target.value
    if target is None:
        target = Target(year=year, scope=scope, sector_code=sector_code, value=value, **labels)
        session.add(target)
        outcome = "created"
    else:
        updates = {"value": value, **{k: v for k, v in labels.items()
                                      if k == "label_vi" and label_vi is not None
                                      or k == "label_en" and label_en is not None}}
        changed = {k: v for k, v in updates.items() if getattr(target, k) != v}
        for key, new in changed.items():
            setattr(target, key, new)
        outcome = "updated" if changed else "unchanged"
    session.flush()
    if actor is not None and outcome != "unchanged":
        from survey.services.common.audit import record

        record(session, actor, "target.set", "target", target.id, year=year, scope=scope,
               sector_code=sector_code, old=before, new=value)
    return target, outcome


def delete_target(session: Session, year: int, scope: str, sector_code: str = "", *,
                  actor: Any = None) -> bool:
    """Remove one target; False when there was none. Audits the removal."""
    target = session.scalars(select(Target).where(
        Target.year == year, Target.scope == scope, Target.sector_code == sector_code)).first()
    if target is None:
        return False
    if actor is not None:
        from survey.services.common.audit import record

        record(session, actor, "target.delete", "target", target.id, year=year, scope=scope,
               sector_code=sector_code, old=target.value)
    session.delete(target)
    session.flush()
    return True


def _check_target(session: Session, year: int, scope: str, value: float, sector_code: str) -> Sector | None:
    if scope not in TARGET_SCOPES:
        raise TargetError(_("Phạm vi không hợp lệ \"%(value)s\"; phải là một trong: %(allowed)s",
                            value=scope, allowed=", ".join(TARGET_SCOPES)))
    if not 2000 <= year <= 2100:
        raise TargetError(_("Năm không hợp lệ: %(year)d", year=year))
    if not 0 < value <= 100:
        raise TargetError(_("Chỉ tiêu là tỷ lệ phần trăm, phải lớn hơn 0 và không quá 100"))
    if not TARGET_SCOPES[scope][0]:
        if sector_code:
            raise TargetError(_("Phạm vi \"%(scope)s\" không gắn với lĩnh vực; bỏ --sector", scope=scope))
        return None
    if not sector_code:
        raise TargetError(_("Phạm vi \"%(scope)s\" cần mã lĩnh vực (--sector)", scope=scope))
    sector = session.scalars(select(Sector).where(Sector.code == sector_code)).first()
    if sector is None:
        raise TargetError(_("Không tìm thấy lĩnh vực \"%(code)s\"", code=sector_code))
    return sector
