"""bench/scale.py's loader: a synthetic province and waves of N respondents, through the product's own bulk path.

Registry: 60 agencies, 8 sectors, 40 procedures, 200 service points (one enrolled kiosk each).
One wave per size, each in its own quarter: a seed dossier per agency × sector cell first (so the
draft wave plans all 480 strata), unequal π per stratum (0.5–1.0, set as the wave's stratum
overrides, which is what `hailong wave stratum --pi` stores), launch, then the dossiers go through
the intake service (`intake.batch.ingest`: validation, bulk insert, on-arrival selection,
invitations) in batches, and about 90 % of the invited answer the 38-question sipas2023-service
form through the kiosk group-commit writer (`respond.writer.BatchWriter`: `prepare_response`
validates each, one statement per batch stores responses, answers and whatever else the write
path stores, e.g. the per-response score rows). The answered invitations are then marked
completed with the statement `store_response` runs, batched.
"""
from __future__ import annotations

import math
import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

AGENCIES, SECTORS, POINTS, PROCEDURES = 60, 8, 200, 40
SECTOR_CODES = ["land", "construction", "investment", "civil_status", "justice", "labour", "transport", "business"]
PI_CHOICES = [0.5, 0.7, 0.85, 1.0]
RESPONSE_RATE = 0.9
SOURCE = "scale-bench"
INTAKE_BATCH = 20_000
RESPOND_BATCH = 1_000
QUARTERS = {10_000: (date(2025, 1, 1), date(2025, 3, 31)), 100_000: (date(2025, 4, 1), date(2025, 6, 30)),
            1_000_000: (date(2025, 7, 1), date(2025, 9, 30))}


def wave_code(n: int) -> str:
    """The wave code of the size-n wave."""
    return "SCALE-%d" % n


def period_of(n: int) -> tuple[date, date]:
    """Each size has its own quarter (other sizes: consecutive quarters from 2026)."""
    if n in QUARTERS:
        return QUARTERS[n]
    start = date(2026, 1 + 3 * (n % 4), 1)
    return start, start + timedelta(days=89)


def reset_schema(url: str) -> None:
    """Drop and recreate the public schema of the benchmark database (and the partitions' schema)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("DROP SCHEMA IF EXISTS answer_part CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def setup_registry(session) -> None:
    """Questionnaire bank, registry, kiosks, an analyst account and the intake source (committed by the caller)."""
    from survey import QUESTIONNAIRE_DIR
    from survey.models import Agency, Device, Procedure, Sector, ServicePoint
    from survey.services.accounts.users import create_user
    from survey.services.intake import batch as intake
    from survey.services.questionnaires.bank import load_bank

    load_bank(session, QUESTIONNAIRE_DIR)
    sectors = [Sector(code=c, name_vi="Lĩnh vực " + c) for c in SECTOR_CODES]
    agencies = [Agency(code="AG%02d" % i, name_vi="Cơ quan %d" % i, level="department") for i in range(AGENCIES)]
    session.add_all(sectors + agencies)
    session.flush()
    session.add_all([Procedure(code="P%03d" % i, name_vi="Thủ tục %d" % i, sector_id=sectors[i % SECTORS].id)
                     for i in range(PROCEDURES)])
    points = [ServicePoint(code="SP%03d" % i, name_vi="Điểm %d" % i, kind="agency_counter",
                           agency_id=agencies[i % AGENCIES].id) for i in range(POINTS)]
    session.add_all(points)
    session.flush()
    session.add_all([Device(service_point_id=p.id, label="Kiosk %s" % p.code, secret_hash="bench-secret-%d" % p.id,
                            enrolled_at=datetime(2025, 1, 1)) for p in points])
    create_user(session, "scale.analyst", "scale-bench-password-1", "admin")
    set_targets(session)
    intake.get_or_create_source(session, SOURCE, "Scale benchmark")
    session.flush()


def set_targets(session) -> None:
    """The reform plan's 2025 targets (TTHC ≥ 90 %, land, construction and investment ≥ 85 %, the province's
    own ≥ 91 %), through the registry service; setting them again changes nothing."""
    from survey.services.registry.targets import set_target

    set_target(session, 2025, "tthc", 90.0, actor="bench")
    set_target(session, 2025, "province", 91.0, actor="bench")
    for sector in ("land", "construction", "investment"):
        set_target(session, 2025, "tthc_sector", 85.0, sector, actor="bench")


def _records(rng: random.Random, start: date, days: int, prefix: str, first: int, count: int) -> list[dict]:
    """Intake records (the API's JSON shape): each agency × sector cell, service point of the agency."""
    out = []
    for k in range(first, first + count):
        a, s = rng.randrange(AGENCIES), rng.randrange(SECTORS)
        completed = datetime.combine(start + timedelta(days=rng.randrange(days)), datetime.min.time()) + \
            timedelta(hours=1 + rng.randrange(9), minutes=rng.randrange(60))  # 08:00–17:59 local
        received = completed - timedelta(days=1 + rng.randrange(20))
        out.append({"external_id": "%s-%08d" % (prefix, k), "agency": "AG%02d" % a, "sector": SECTOR_CODES[s],
                    "service_point": "SP%03d" % (a + AGENCIES * rng.randrange(POINTS // AGENCIES)),
                    "channel": "in_person", "received_at": received.isoformat(), "completed_at": completed.isoformat(),
                    "due_at": (received + timedelta(days=15)).isoformat(),
                    "outcome": rng.choices(["approved", "rejected", "withdrawn"], [90, 7, 3])[0]})
    return out


def _seed_cells(start: date, prefix: str) -> list[dict]:
    """One dossier per agency × sector cell on the period's first day, so the draft plans every stratum."""
    at = datetime.combine(start, datetime.min.time()) + timedelta(hours=3)
    return [{"external_id": "%s-seed-%02d-%d" % (prefix, a, s), "agency": "AG%02d" % a, "sector": SECTOR_CODES[s],
             "service_point": "SP%03d" % a, "channel": "in_person", "received_at": (at - timedelta(days=3)).isoformat(),
             "completed_at": at.isoformat(), "outcome": "approved"} for a in range(AGENCIES) for s in range(SECTORS)]


def load_wave(app, n: int, log=print, copy: bool = False) -> dict:
    """Create, launch and fill the size-n wave; returns counts and the loading rates (left launched).

    `copy`: through scale_copy (the same functions, COPY in big chunks) instead of ingest and the writer.
    """
    import scale_copy
    from sqlalchemy import select, text

    from survey.extensions import db
    from survey.models import Invitation, QuestionnaireVersion, SourceSystem
    from survey.services.intake import batch as intake
    from survey.services.questionnaires.bank import get_version
    from survey.services.sampling import waves

    rng = random.Random(n)
    start, end = period_of(n)
    days = (end - start).days + 1
    code = wave_code(n)
    figures: dict = {"size": n}
    with app.app_context():
        s = db.session
        source = s.scalar(select(SourceSystem).where(SourceSystem.code == SOURCE))
        version = get_version(s, "sipas2023-service")
        intake.ingest(s, source, _seed_cells(start, code))
        wave = waves.create_wave(s, code=code, name="Scale %d" % n, period_start=start, period_end=end,
                                 version=version, fixed_pi=0.5, seed="scale-%d" % n)
        wave.design = {**wave.design, "overrides": {st.key: {"pi": rng.choice(PI_CHOICES)} for st in wave.strata}}
        waves.replan(s, wave)
        waves.launch(s, wave, now=datetime.combine(start, datetime.min.time()))
        s.commit()
        mean_pi = float(s.scalar(text("SELECT avg(pi) FROM wave_stratum WHERE wave_id = :w"), {"w": wave.id}))
        dossiers = int(math.ceil(n / (mean_pi * RESPONSE_RATE) * 1.02))
        t = time.perf_counter()
        invited = 0
        if copy:
            got = scale_copy.intake(app, wave.id, source.id, lambda first, count: _records(
                rng, start, days, code, first, count), dossiers, log)
            invited = got["invited"]
        for first in range(0, 0 if copy else dossiers, INTAKE_BATCH):
            result = intake.ingest(s, source, _records(rng, start, days, code, first, min(INTAKE_BATCH,
                                                                                         dossiers - first)))
            s.commit()
            invited += result.invited
            log("  intake %s: %d / %d dossiers, %d invited (%.0f dossiers/s)" % (
                code, min(first + INTAKE_BATCH, dossiers), dossiers, invited,
                min(first + INTAKE_BATCH, dossiers) / (time.perf_counter() - t)))
        figures["intake_s"] = time.perf_counter() - t
        figures["dossiers"] = dossiers + AGENCIES * SECTORS
        waves.refresh_populations(s, wave)  # the calibration totals: the period's dossiers, now all in
        s.commit()
        wave_id, version_id = wave.id, version.id
        invitations = s.execute(select(Invitation.id, Invitation.agency_id, Invitation.sector_id,
                                       Invitation.service_point_id)
                                .where(Invitation.wave_id == wave_id).order_by(Invitation.id)).all()
        figures["invitations"] = len(invitations)
        s.commit()
    if copy:
        with app.app_context():
            version = db.session.get(QuestionnaireVersion, version_id)
            answers_of = answerer(version.content, rng)
            devices = dict(db.session.execute(text("SELECT service_point_id, id FROM device")).all())
        figures.update(scale_copy.respond(app, version_id, wave_id, invitations, n, rng, answers_of, devices,
                                          RESPONSE_RATE, log))
    else:
        figures.update(respond(app, version_id, wave_id, invitations, n, rng, log))
    with app.app_context():
        figures["answers"] = int(db.session.scalar(text(
            "SELECT count(*) FROM answer WHERE response_id >= (SELECT min(id) FROM response WHERE wave_id = :w)"),
            {"w": wave_id}))
    figures["path"] = "COPY (scale_copy)" if copy else "product (ingest + group-commit writer)"
    return figures


def answerer(content: dict, rng: random.Random):
    """answers_of(agency_id, sector_id): one simulated form; index items share a personal level (they
    correlate as real answers do), agencies and sectors differ; the other questions from their options."""
    from survey.services.questionnaires.bank import index_structure
    from survey.services.respond.answers import option_codes, questions

    items = set(index_structure(content)["items"])
    plan = [(q["code"], q["code"] in items, option_codes(content, q)) for q in questions(content)
            if q["type"] in ("single", "scale") and q["code"] != "CALLBACK"]
    callback = any(q["code"] == "CALLBACK" for q in questions(content))
    quality = {a: rng.gauss(1.6, 0.45) for a in range(1, AGENCIES + 2 * SECTORS + 1)}

    def answers_of(agency_id: int, sector_id: int) -> dict:
        p = 1 / (1 + math.exp(-(quality.get(agency_id, 1.6) - 0.15 * (sector_id % 4) + rng.gauss(0.0, 0.9))))
        out: dict = {"CALLBACK": 2} if callback else {}
        for code, item, codes in plan:
            if not item:
                out[code] = rng.choice(codes)
            elif rng.random() >= 0.03:  # 3 % of index items left unanswered
                out[code] = rng.choice((4, 5, 5)) if rng.random() < p else rng.choice((1, 2, 3, 3))
        return out

    return answers_of


def respond(app, version_id: int, wave_id: int, invitations: list, target: int, rng: random.Random, log=print) -> dict:
    """Answer up to `target` invitations through the group-commit writer, RESPOND_BATCH per statement."""
    from sqlalchemy import text

    from survey.extensions import db
    from survey.models import QuestionnaireVersion
    from survey.services.respond.batch import Job
    from survey.services.respond.responses import SubmissionError, prepare_response
    from survey.services.respond.writer import BatchWriter

    with app.app_context():
        version = db.session.get(QuestionnaireVersion, version_id)
        answers_of = answerer(version.content, rng)
        devices = dict(db.session.execute(text("SELECT service_point_id, id FROM device")).all())
        wave = SimpleNamespace(questionnaire_version_id=version_id)
        writer = BatchWriter()
        stored = prepared_s = written_s = 0.0
        count = refused = 0
        t0 = time.perf_counter()
        batch: list = []
        done_ids: list[int] = []

        def flush() -> None:
            nonlocal written_s, count
            t = time.perf_counter()
            writer.write(batch)
            ok = [job for job in batch if job.result == "stored"]
            with db.engine.begin() as conn:  # what store_response does for an answered invitation, batched
                conn.execute(text("UPDATE invitation SET status = 'completed', completed_at = now(), "
                                  "opened_at = COALESCE(opened_at, now()) WHERE id = ANY(:ids)"),
                             {"ids": [job.values["invitation_id"] for job in ok]})
            written_s += time.perf_counter() - t
            count += len(ok)
            batch.clear()

        for inv_id, agency_id, sector_id, point_id in invitations:
            if count + len(batch) >= target:
                break
            if rng.random() >= RESPONSE_RATE:
                continue
            t = time.perf_counter()
            invitation = SimpleNamespace(id=inv_id, wave=wave, wave_id=wave_id, agency_id=agency_id,
                                         sector_id=sector_id, service_point_id=point_id)
            try:
                values, rows = prepare_response(version, str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                                                answers_of(agency_id, sector_id), {}, mode="kiosk",
                                                invitation=invitation, device_id=devices[point_id],
                                                service_point_id=point_id)
            except SubmissionError as exc:
                refused += 1
                if refused < 3:
                    log("  refused: %s %s" % (exc.code, [e.as_dict() for e in exc.errors][:3]))
                continue
            batch.append(Job(values, rows, "bench-secret-%d" % point_id))
            prepared_s += time.perf_counter() - t
            done_ids.append(inv_id)
            if len(batch) >= RESPOND_BATCH:
                flush()
                if count % 50_000 < RESPOND_BATCH:
                    log("  respond: %d / %d stored (%.0f responses/s; prepare %.0f s, write %.0f s)" % (
                        count, target, count / (time.perf_counter() - t0), prepared_s, written_s))
        if batch:
            flush()
        writer.close()
        stored = time.perf_counter() - t0
    return {"respondents": count, "respond_s": stored, "prepare_s": prepared_s,
            "write_s": written_s, "refused": refused, "at": datetime.now(UTC).isoformat(timespec="seconds")}
