"""Move an account from a unit that ended (merged, split, renamed) to a unit valid today.

Its scope changes, so its open sessions end (as for any change of what an account may see), and
the move is audited as `user.reassign` with the units before and after. Flushes, never commits.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from survey.models import User
from survey.models.registry import Agency
from survey.services.accounts import sessions
from survey.services.accounts.users import UserError, _
from survey.services.common import audit


def reassign(session: Session, actor: Any, user: User, agency_id: int | None, on: date | None = None) -> User:
    """Scope `user` to the agency `agency_id`, which must be active and valid on `on` (today). Flushes."""
    on = on or date.today()
    agency = session.get(Agency, agency_id) if agency_id is not None else None
    if agency is None:
        raise UserError(_("Hãy chọn một cơ quan có trong danh mục."))
    ended = agency.valid_to is not None and agency.valid_to <= on
    if ended or not agency.active or (agency.valid_from is not None and agency.valid_from > on):
        raise UserError(_("Cơ quan %(name)s không còn (hoặc chưa) hoạt động; hãy chọn một cơ quan hiện hành.",
                          name=agency.name_vi))
    before = user.agency_id
    if before == agency.id:
        return user
    user.agency_id = agency.id
    session.flush()
    revoked = sessions.revoke_all(session, user.id)
    audit.record(session, actor, "user.reassign", "user", user.id, username=user.username, before=before,
                 after=agency.id, sessions_revoked=revoked)
    return user
