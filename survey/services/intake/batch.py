"""Dossier intake (API and CSV): validate a batch, store the good records in bulk, select them for waves.

One batch = preload the code maps once, validate every record in Python (intake_records), look up the
existing external ids in a query per 900, insert the new dossiers, contacts and invitations with one
executemany each (COPY on PostgreSQL). No per-record queries: 100,000 dossiers take about 20 seconds.
Re-sending a record with the same content is a no-op ("unchanged"); the same external id with different
content is rejected ("conflict").
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Dossier, DossierContact, SourceSystem
from survey.models._base import utcnow
from survey.services.common.bulk import bulk_insert, matches
from survey.services.common.i18n import tr as _
from survey.services.common.periods import local_tz
from survey.services.intake import validity
from survey.services.intake.records import (  # noqa: F401  (re-exported: the API description reads them here)
    FIELDS,
    IN_CHUNK,
    REASON_CODES,
    REQUIRED,
    STATUSES,
    WARNING_CODES,
    CodeMaps,
    RecordResult,
    RecordStatus,
    _err,
    validate,
)
from survey.services.intake.scopes import KeyScope
from survey.services.sampling import invitations as inv_service
from survey.services.sampling.selector import Selector


@dataclass
class IntakeResult:
    """Per-record results and the counts of a batch."""

    results: list[RecordResult]

    def count(self, status: RecordStatus) -> int:
        """How many records ended with `status` (stored / unchanged / rejected)."""
        return sum(1 for r in self.results if r.status == status)

    @property
    def invited(self) -> int:
        """How many invitations the batch issued."""
        return sum(len(r.invitations) for r in self.results)


def ingest(session: Session, source: SourceSystem, records: list, *, maps: CodeMaps | None = None,
           selector: Selector | None = None, now: datetime | None = None, deliver: bool = True,
           scope: KeyScope | None = None, validator: Callable[..., RecordResult] = validate) -> IntakeResult:
    """Validate and store a batch; select new dossiers for launched waves. Flushes, never commits.

    `deliver`: the caller hands the new tokens out (API answer, slip files), so they count as delivered.
    `scope`: what the sending API key may send; a record outside it is rejected (`out_of_scope`), even
    when the same dossier is already stored. None (the CSV import by an operator) admits everything.
    `validator`: how a raw record becomes a dossier row (records.validate; events.validate_event for
    service events, which are stored as dossiers of their kind under the same rules).
    """
    now = now or utcnow()
    maps = maps or CodeMaps.load(session)
    zone = ZoneInfo(local_tz())
    results = [validator(raw, i, maps, zone, now) for i, raw in enumerate(records)]
    if maps.units is not None:  # a unit must exist on the record's own day (retired_unit, unit_not_yet_valid)
        for r in results:
            validity.check(r, maps.units, zone)
    if scope is not None and not scope.everything:
        for r in results:
            if r.row is not None:
                _in_scope_or_reject(r, scope)
    first: dict[str, RecordResult] = {}
    fresh: list[RecordResult] = []
    for r in results:
        if r.row is None:
            continue
        earlier = first.get(r.row["external_id"])
        if earlier is None:
            first[r.row["external_id"]] = r
            fresh.append(r)
        else:
            _same_or_conflict(r, earlier.row["content_hash"] if earlier.row else None)
    existing = _existing(session, source.id, list(first))
    new = []
    for r in fresh:
        found = existing.get(r.row["external_id"])
        if found is None:
            new.append(r)
        else:
            _same_or_conflict(r, found)
    if new:
        # In external-id order: two batches inserting overlapping ids then take the unique index's locks in
        # the same order, so one waits for the other and reruns (conflict) instead of the two deadlocking.
        new.sort(key=lambda r: r.row["external_id"])
        extra = {"source_system_id": source.id, "created_at": now}
        # One executemany on the table, then one query for the new ids: an ordered INSERT ... RETURNING would
        # fall back to a statement per row on SQLite (no insert sentinel), ten times slower.
        bulk_insert(session, Dossier.__table__, [{**r.row, **extra} for r in new])
        ids = _ids_of(session, source.id, [r.row["external_id"] for r in new])
        for r in new:
            r.row["id"] = ids[r.row["external_id"]]
            r.status = RecordStatus.STORED
        contacts = [{"dossier_id": r.row["id"], "phone": r.phone} for r in new if r.phone]
        if contacts:
            bulk_insert(session, DossierContact.__table__, contacts)
        _select_on_arrival(session, source, new, selector or Selector.load(session), now, deliver)
    return IntakeResult(results)


def _same_or_conflict(r: RecordResult, stored_hash: str | None) -> None:
    if stored_hash == r.row["content_hash"]:
        r.status = RecordStatus.UNCHANGED
    else:
        r.status = RecordStatus.REJECTED
        _err(r, "conflict", "external_id", _("Mã hồ sơ %(id)s đã được nhận với nội dung khác; bản ghi mới bị từ chối, "
                                             "bản đã lưu giữ nguyên.", id=r.row["external_id"]))
    r.row = None if r.status == RecordStatus.REJECTED else r.row


def _in_scope_or_reject(r: RecordResult, scope: KeyScope) -> None:
    blame = scope.refusal(r.row)
    if blame is None:
        return
    r.row, r.status = None, RecordStatus.REJECTED
    _err(r, "out_of_scope", blame, _("Khoá API này không được gửi hồ sơ này: trường %(field)s nằm ngoài phạm vi "
                                     "của khoá. Bản ghi bị từ chối.", field=blame))


def _ids_of(session: Session, source_id: int, external_ids: list[str]) -> dict[str, int]:
    """external_id → id of the source's dossiers among `external_ids`."""
    return _lookup(session, source_id, external_ids, Dossier.id)


def _existing(session: Session, source_id: int, external_ids: list[str]) -> dict[str, str]:
    """external_id → content_hash of the source's dossiers among `external_ids`."""
    return _lookup(session, source_id, external_ids, Dossier.content_hash)


def _lookup(session: Session, source_id: int, external_ids: list[str], column) -> dict:
    """external_id → `column` for the source's dossiers among `external_ids`.

    On PostgreSQL the wanted ids are joined as rows (see `matches`): a plain `external_id IN (...)` let the
    planner, whose statistics still describe a small table during a big load, scan every dossier of the
    source and test it against the whole list — seconds per batch at 100,000 dossiers.
    """
    found: dict = {}
    for i in range(0, len(external_ids), IN_CHUNK):
        chunk = external_ids[i:i + IN_CHUNK]
        found.update(session.execute(select(Dossier.external_id, column).where(
            Dossier.source_system_id == source_id, matches(session, Dossier.external_id, chunk))).all())
    return found


def _select_on_arrival(session: Session, source: SourceSystem, new: list[RecordResult], selector: Selector,
                       now: datetime, deliver: bool) -> None:
    """Invite the new dossiers that launched waves select; their tokens go back in the results."""
    if not selector.waves:
        return
    per_wave: dict[int, list[dict]] = {}
    owner: dict[int, RecordResult] = {r.row["id"]: r for r in new}
    selector.prepare([r.row for r in new])
    for r in new:
        for pick in selector.select(source.code, r.row):
            per_wave.setdefault(pick["wave_id"], []).append(pick)
    codes = {w["wave"].id: w["wave"].code for w in selector.waves}
    for wave_id, picks in per_wave.items():
        for issued in inv_service.bulk_issue(session, wave_id, picks, now=now, delivered=deliver):
            r = owner[issued.dossier_id]
            entry = {"wave": codes[wave_id], "invitation_id": issued.invitation_id, "token": issued.token,
                     "expires_at": now + timedelta(days=inv_service.ttl_days()), "kiosk_handoff": False}
            if r.kiosk:
                entry["kiosk_handoff"] = _handoff(session, issued.invitation_id, r)
            r.invitations.append(entry)


def _handoff(session: Session, invitation_id: int, r: RecordResult) -> bool:
    """Hand the invitation to the service point's kiosk (the kiosk feature's service), when both exist."""
    if r.row.get("service_point_id") is None:
        r.warnings.append({"code": "kiosk_no_service_point", "field": "kiosk_handoff",
                           "message": _("Không chuyển sang kiosk được: hồ sơ không có điểm phục vụ.")})
        return False
    from survey.models import Invitation
    from survey.models.fieldwork import InvitationChannel
    from survey.services.kiosk.handoff import handoff_invitation

    try:
        with session.begin_nested():  # a kiosk problem must not lose the dossier or its invitation
            invitation = session.get(Invitation, invitation_id)
            invitation.channel = InvitationChannel.KIOSK
            handoff_invitation(session, invitation, r.row["service_point_id"])
    except Exception as exc:  # noqa: BLE001 - reported to the caller as a warning, logged for operators
        import logging

        logging.getLogger(__name__).warning("kiosk hand-off failed for invitation %s: %s", invitation_id, exc)
        r.warnings.append({"code": "kiosk_failed", "field": "kiosk_handoff",
                           "message": _("Không chuyển được sang kiosk; hãy dùng phiếu in hoặc đường liên kết.")})
        return False
    return True


def get_or_create_source(session: Session, code: str, name: str = "") -> tuple[SourceSystem, bool]:
    """The source system with `code`, created when missing; returns (source, created)."""
    found = session.execute(select(SourceSystem).where(SourceSystem.code == code)).scalar_one_or_none()
    if found:
        return found, False
    source = SourceSystem(code=code, name=name or code)
    session.add(source)
    session.flush()
    return source, True


__all__ = ["CodeMaps", "FIELDS", "IntakeResult", "RecordResult", "RecordStatus", "REASON_CODES", "REQUIRED",
           "STATUSES", "WARNING_CODES", "get_or_create_source", "ingest", "validate"]
