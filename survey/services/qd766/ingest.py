"""Storing batches of per-dossier ratings and dossier events (intake API and CSV import).

One batch: validate every record (survey.services.qd766.records), find the dossiers they name among the
source's dossiers (one query per 900 ids), check the sending key's scope against each dossier, then insert
the new rows in one executemany (COPY on PostgreSQL). A resend of the same external id with the same
content is "unchanged" and stores nothing; the same id with other content is rejected ("conflict"), the
stored row stays as it was. Flushes, never commits: the API keeps the good records of a batch, the CSV
import stores nothing when one line is bad (the caller decides).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Dossier, SourceSystem
from survey.models._base import utcnow
from survey.models.qd766 import DossierEvent, DossierRating
from survey.services.common.bulk import bulk_insert, matches
from survey.services.common.i18n import tr as _
from survey.services.common.periods import local_tz
from survey.services.intake.records import IN_CHUNK, RecordStatus, _err
from survey.services.intake.scopes import KeyScope
from survey.services.qd766.records import VALIDATORS, Item, Kind

MODELS = {Kind.RATING: DossierRating, Kind.EVENT: DossierEvent}


@dataclass
class IngestResult:
    """Per-record results of a batch and their counts."""

    kind: Kind
    items: list[Item]

    def count(self, status: RecordStatus) -> int:
        """How many records ended with `status` (stored / unchanged / rejected)."""
        return sum(1 for item in self.items if item.result.status == status)


def ingest(
    session: Session,
    source: SourceSystem,
    kind: Kind,
    records: list,
    *,
    scope: KeyScope | None = None,
    now: datetime | None = None,
) -> IngestResult:
    """Validate and store a batch of ratings or events of `source`'s dossiers; flushes, never commits.

    `scope`: what the sending API key may send (a record whose dossier lies outside it is rejected as
    `out_of_scope`); None (the CSV import by an operator) admits every dossier of the source.
    """
    now = now or utcnow()
    zone = ZoneInfo(local_tz())
    items = [VALIDATORS[kind](raw, i, zone, now) for i, raw in enumerate(records)]
    dossiers = _dossiers(session, source.id, sorted({it.dossier for it in items if it.row is not None}))
    for it in items:
        if it.row is not None:
            _attach(it, dossiers.get(it.dossier), scope)
    model = MODELS[kind]
    first: dict[str, Item] = {}
    fresh: list[Item] = []
    for it in items:
        if it.row is None:
            continue
        earlier = first.get(it.row["external_id"])
        if earlier is None:
            first[it.row["external_id"]] = it
            fresh.append(it)
        else:
            _same_or_conflict(it, earlier.row["content_hash"] if earlier.row else None)
    stored = _stored_hashes(session, model, source.id, list(first))
    new = []
    for it in fresh:
        if it.row["external_id"] in stored:
            _same_or_conflict(it, stored[it.row["external_id"]])
        else:
            new.append(it)
    if new:
        new.sort(key=lambda it: it.row["external_id"])  # same lock order as a concurrent batch: no deadlock
        bulk_insert(
            session, model.__table__, [{**it.row, "source_system_id": source.id, "created_at": now} for it in new]
        )
        for it in new:
            it.result.status = RecordStatus.STORED
    return IngestResult(kind, items)


def _attach(it: Item, dossier: tuple | None, scope: KeyScope | None) -> None:
    """Give the row its dossier id, or reject it: unknown dossier, or a dossier outside the key's scope."""
    if dossier is None:
        it.row = None
        _err(
            it.result,
            "unknown_dossier",
            "dossier",
            _("Không có hồ sơ mã %(id)s của hệ thống nguồn này; hãy gửi hồ sơ trước (POST /dossiers).", id=it.dossier),
        )
        return
    dossier_id, agency_id, point_id, sector_id = dossier
    blame = (
        scope.refusal({"agency_id": agency_id, "service_point_id": point_id, "sector_id": sector_id})
        if scope is not None
        else None
    )
    if blame is not None:
        it.row = None
        _err(
            it.result,
            "out_of_scope",
            blame,
            _(
                "Khoá API này không được gửi dữ liệu của hồ sơ này: trường %(field)s nằm ngoài phạm vi của khoá.",
                field=blame,
            ),
        )
        return
    it.row["dossier_id"] = dossier_id


def _same_or_conflict(it: Item, stored_hash: str | None) -> None:
    if stored_hash == it.row["content_hash"]:
        it.result.status = RecordStatus.UNCHANGED
        return
    it.result.status = RecordStatus.REJECTED
    _err(
        it.result,
        "conflict",
        "external_id",
        _(
            "Mã %(id)s đã được nhận với nội dung khác; bản ghi mới bị từ chối, bản đã lưu giữ nguyên.",
            id=it.row["external_id"],
        ),
    )
    it.row = None


def _dossiers(session: Session, source_id: int, external_ids: list[str]) -> dict[str, tuple]:
    """external_id → (id, agency, service point, sector) of the source's dossiers among `external_ids`."""
    found: dict[str, tuple] = {}
    for i in range(0, len(external_ids), IN_CHUNK):
        chunk = external_ids[i : i + IN_CHUNK]
        for ext, *rest in session.execute(
            select(
                Dossier.external_id, Dossier.id, Dossier.agency_id, Dossier.service_point_id, Dossier.sector_id
            ).where(Dossier.source_system_id == source_id, matches(session, Dossier.external_id, chunk))
        ):
            found[ext] = tuple(rest)
    return found


def _stored_hashes(session: Session, model, source_id: int, external_ids: list[str]) -> dict[str, str]:
    """external_id → content_hash of the source's stored ratings (or events) among `external_ids`."""
    found: dict[str, str] = {}
    for i in range(0, len(external_ids), IN_CHUNK):
        chunk = external_ids[i : i + IN_CHUNK]
        found.update(
            session.execute(
                select(model.external_id, model.content_hash).where(
                    model.source_system_id == source_id, matches(session, model.external_id, chunk)
                )
            ).all()
        )
    return found
