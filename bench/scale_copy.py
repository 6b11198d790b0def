"""bench/scale.py's COPY loader for the largest waves: the product's own functions, minus per-batch look-ups.

At 10^5 the product's bulk path (scale_load: intake.ingest, the kiosk group-commit writer) loads
about 3,000 dossiers and 600 responses a second on this shared 2-core machine, so 10^6 respondents
(1.4 million dossiers, 35 million answers) would take about 40 minutes. This path runs the same
functions and the same statement kinds, in bigger pieces:

- dossiers: each record through `intake.records.validate` (the intake's checks, its column values
  and content hash), ids drawn from the table's sequence, stored with `common.bulk.bulk_insert`
  (COPY, what ingest itself issues); selection with the sampler's `Selector` (the keyed hash
  against each stratum's π); invitations with `sampling.invitations.bulk_issue` (tokens, codes, COPY);
- responses: each through `respond.responses.prepare_response` (validation, the answer rows and
  the score rows every write path stores), then COPY of the responses, answers and score rows
  (bulk_insert) and the invitations marked completed, one transaction per chunk.

Skipped against the product path: ingest's look-up of existing external ids (every id here is new)
and the writer's device re-check and ON CONFLICT (every UUID is new).
"""
from __future__ import annotations

import time
import uuid
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

CHUNK = 50_000
RESPOND_CHUNK = 10_000


def intake(app, wave_id: int, source_id: int, records_of, total: int, log=print) -> dict:
    """Validate, COPY and select `total` dossiers (records_of(first, count) makes the records)."""
    from sqlalchemy import text

    from survey.extensions import db
    from survey.models import Dossier, SourceSystem
    from survey.models._base import utcnow
    from survey.services.common.bulk import bulk_insert
    from survey.services.common.periods import local_tz
    from survey.services.intake.records import CodeMaps, validate
    from survey.services.sampling import invitations as inv_service
    from survey.services.sampling.selector import Selector

    t0 = time.perf_counter()
    invited = 0
    with app.app_context():
        s = db.session
        source = s.get(SourceSystem, source_id)
        maps, zone = CodeMaps.load(s), ZoneInfo(local_tz())
        for first in range(0, total, CHUNK):
            now = utcnow()
            rows = []
            for i, raw in enumerate(records_of(first, min(CHUNK, total - first))):
                result = validate(raw, i, maps, zone, now)
                if result.row is None:
                    raise RuntimeError("a generated record was refused: %s" % result.errors)
                rows.append({**result.row, "source_system_id": source.id, "created_at": now})
            ids = s.execute(text("SELECT nextval('dossier_id_seq') FROM generate_series(1, :n)"),
                            {"n": len(rows)}).scalars().all()
            for row, rid in zip(rows, ids):
                row["id"] = rid
            bulk_insert(s, Dossier.__table__, rows)
            selector = Selector.load(s, [wave_id])
            selector.prepare(rows)
            picks = [pick for row in rows for pick in selector.select(source.code, row)]
            invited += len(inv_service.bulk_issue(s, wave_id, picks, now=now, delivered=True))
            s.commit()
            done = first + len(rows)
            log("  intake (COPY) %d / %d dossiers, %d invited (%.0f dossiers/s)" % (
                done, total, invited, done / (time.perf_counter() - t0)))
    return {"intake_s": time.perf_counter() - t0, "invited": invited}


def respond(app, version_id: int, wave_id: int, invitations: list, target: int, rng, answers_of, devices: dict,
            response_rate: float, log=print) -> dict:
    """prepare_response for each answered invitation, then COPY of responses, answers and score rows."""
    from sqlalchemy import text

    from survey.extensions import db
    from survey.models import Answer, QuestionnaireVersion, Response, ResponseScore
    from survey.services.common.bulk import bulk_insert
    from survey.services.respond.responses import prepare_response
    from survey.services.respond.scores import rows_of

    t0 = time.perf_counter()
    prepared_s = written_s = 0.0
    count = 0
    with app.app_context():
        s = db.session
        version = s.get(QuestionnaireVersion, version_id)
        wave = SimpleNamespace(questionnaire_version_id=version_id)
        chunk: list = []

        def flush() -> None:
            nonlocal written_s, count
            t = time.perf_counter()
            ids = s.execute(text("SELECT nextval('response_id_seq') FROM generate_series(1, :n)"),
                            {"n": len(chunk)}).scalars().all()
            bulk_insert(s, Response.__table__, [{**values, "id": rid} for (values, _rows), rid in zip(chunk, ids)])
            bulk_insert(s, Answer.__table__, [{**row, "response_id": rid}
                                              for (_values, rows), rid in zip(chunk, ids) for row in rows])
            bulk_insert(s, ResponseScore.__table__, [{**score, "response_id": rid}
                                                     for (_values, rows), rid in zip(chunk, ids)
                                                     for score in rows_of(rows)])
            s.execute(text("UPDATE invitation SET status = 'completed', completed_at = now(), "
                           "opened_at = COALESCE(opened_at, now()) WHERE id = ANY(:ids)"),
                      {"ids": [values["invitation_id"] for values, _rows in chunk]})
            s.commit()
            written_s += time.perf_counter() - t
            count += len(chunk)
            chunk.clear()
            if count % 100_000 < RESPOND_CHUNK:
                log("  respond (COPY) %d / %d (%.0f responses/s; prepare %.0f s, write %.0f s)" % (
                    count, target, count / (time.perf_counter() - t0), prepared_s, written_s))

        for inv_id, agency_id, sector_id, point_id in invitations:
            if count + len(chunk) >= target:
                break
            if rng.random() >= response_rate:
                continue
            t = time.perf_counter()
            invitation = SimpleNamespace(id=inv_id, wave=wave, wave_id=wave_id, agency_id=agency_id,
                                         sector_id=sector_id, service_point_id=point_id)
            chunk.append(prepare_response(version, str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                                          answers_of(agency_id, sector_id), {}, mode="kiosk", invitation=invitation,
                                          device_id=devices[point_id], service_point_id=point_id))
            prepared_s += time.perf_counter() - t
            if len(chunk) >= RESPOND_CHUNK:
                flush()
        if chunk:
            flush()
    return {"respondents": count, "respond_s": time.perf_counter() - t0, "prepare_s": prepared_s,
            "write_s": written_s, "refused": 0, "at": datetime.now().isoformat(timespec="seconds")}
