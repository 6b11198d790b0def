"""Benchmark: a wave's index table from score rows (response_score) against the answer-row GROUP BY.

Loads one closed wave of N respondents (default 10^5) on the 36-item SIPAS 2023 service form into a
scratch PostgreSQL database: 60 agencies × 8 sectors, 200 service points, unequal π per stratum;
every response goes through the product's own code, `prepare_response` (validation, score rows)
and the kiosk group commit's PostgreSQL writer (responses, answers and score rows in one statement
per batch of 64). Then, each in a fresh process (so each peak RSS is its own):

- old: `wave_index_table(source="db")` as it was before score rows (results.py of commit c0b2328,
  one GROUP BY response_id over the answer table);
- new: the same call today, reading one score row per respondent;
- memory: source="memory" (every index answer loaded);
- fallback: source="db" with the score rows deleted (computed from the answers, with its note);
- backfill: `hailong scores backfill`'s batches over the whole wave, then new again.

Prints seconds and peak RSS of each; asserts nothing. Run:
    .venv/bin/python bench/scores.py [--respondents 100000] [--pg-admin URL] [--keep] [--reuse NAME]
        [--replicate 10] [--skip-base]
--replicate K then times `new` on a wave of K copies of the loaded one, made by SQL (no answers).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
import types
import uuid
from datetime import date, datetime
from types import SimpleNamespace

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
INSTRUMENT = "sipas2023-service"
SECTORS = ("land", "construction", "investment", "business", "civil_status", "justice", "labour", "transport")
OLD_RESULTS = "c0b2328"  # the last commit whose results.py summed answer rows with GROUP BY


def _app(url: str):
    from survey import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})


def _answers(rng: random.Random, content: dict, p_sat: float) -> dict:
    """Every question a respondent is asked (show_if followed), codes drawn around the stratum's P(satisfied)."""
    from survey.services.respond.responses import is_visible, option_codes, questions

    answers: dict = {}
    for q in questions(content):
        if not is_visible(q, answers):
            continue
        kind = q.get("type")
        codes = option_codes(content, q) if kind in ("scale", "single", "multiple") else []
        if kind == "scale":
            if rng.random() < 0.03 and not q.get("required"):
                continue  # an item left unanswered
            answers[q["code"]] = rng.choice([c for c in codes if c >= 4] or codes) if rng.random() < p_sat \
                else rng.choice([c for c in codes if c < 4] or codes)
        elif kind == "single":
            # the call-back question last: "no" (a yes asks for a phone, kept apart from the answers)
            answers[q["code"]] = codes[-1] if q["code"] == "CALLBACK" else rng.choice(codes)
        elif kind == "multiple":
            answers[q["code"]] = sorted(rng.sample(codes, 1))
        elif kind == "number":
            answers[q["code"]] = rng.randint(max(q.get("min") or 18, 18), min(q.get("max") or 80, 80))
        elif kind == "text" and q.get("required"):
            answers[q["code"]] = "Thử: cán bộ nhiệt tình."
    return answers


def load(url: str, respondents: int, seed: int = 17) -> int:
    """Registry, the bank, one closed wave with its strata, invitations and responses; returns the wave id."""
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from survey import QUESTIONNAIRE_DIR
    from survey.extensions import db
    from survey.models import Agency, Invitation, Sector, ServicePoint, Wave, WaveStratum
    from survey.services.kiosk.devices import create_device, enrol
    from survey.services.questionnaires.bank import get_version, load_bank
    from survey.services.respond import responses
    from survey.services.respond.batch import Job
    from survey.services.respond.writer import BatchWriter, encode_postgresql

    rng = random.Random(seed)
    app = _app(url)
    with app.app_context():
        upgrade()
        s = db.session
        load_bank(s, QUESTIONNAIRE_DIR)
        version = get_version(s, INSTRUMENT)
        sectors = [Sector(code=c, name_vi="Lĩnh vực " + c) for c in SECTORS]
        agencies = [Agency(code="A%02d" % k, name_vi="Cơ quan %d" % k, level="department") for k in range(60)]
        s.add_all(sectors + agencies)
        s.flush()
        points = [ServicePoint(code="P%03d" % k, name_vi="Điểm %d" % k, kind="district_centre",
                               agency_id=agencies[k % 60].id) for k in range(200)]
        s.add_all(points)
        s.flush()
        device, code = create_device(s, points[0], "bench")
        secret = enrol(s, code)[0].secret_hash
        wave = Wave(code="BENCH-%d" % respondents, name="Đợt thử %d" % respondents, period_start=date(2025, 4, 1),
                    period_end=date(2025, 6, 30), questionnaire_version_id=version.id, seed="bench", status="closed",
                    design={"scheme": "agency_sector", "timezone": "UTC"})
        s.add(wave)
        s.flush()
        cells = [(a, sec) for a in agencies for sec in sectors]
        share = [rng.uniform(0.3, 1.7) for _ in cells]
        total = sum(share)
        plan = []
        for (agency, sector), w in zip(cells, share):
            n = max(2, round(respondents * w / total))
            pi = rng.uniform(0.05, 0.6)
            invited = round(n / 0.8)
            stratum = WaveStratum(wave_id=wave.id, key="%s|%s" % (agency.code, sector.code), agency_id=agency.id,
                                  sector_id=sector.id, pi=pi, population=round(invited / pi))
            plan.append((agency, sector, stratum, n, invited, rng.uniform(0.6, 0.97)))
        s.add_all([p[2] for p in plan])
        s.flush()
        rows = []
        for agency, sector, stratum, n, invited, _p in plan:
            point = points[rng.randrange(200)]
            rows += [{"wave_id": wave.id, "stratum_id": stratum.id, "token_hash": uuid.uuid4().hex, "pi": stratum.pi,
                      "agency_id": agency.id, "sector_id": sector.id, "service_point_id": point.id,
                      "outcome": "approved" if k % 5 else "rejected", "status": "completed" if k < n else "expired",
                      "expires_at": datetime(2025, 8, 1)} for k in range(invited)]
        ids = s.execute(insert(Invitation.__table__).returning(Invitation.__table__.c.id, sort_by_parameter_order=True),
                        rows).scalars().all()
        s.commit()
        started = time.perf_counter()
        writer, batch, stored, at = BatchWriter(), [], 0, 0
        wave_ns = SimpleNamespace(questionnaire_version_id=version.id)
        for _agency, _sector, _stratum, n, invited, p_sat in plan:
            for k in range(invited):
                row, iid = rows[at + k], ids[at + k]
                if k >= n:
                    continue
                invitation = SimpleNamespace(id=iid, wave=wave_ns, wave_id=wave.id, agency_id=row["agency_id"],
                                             sector_id=row["sector_id"], service_point_id=row["service_point_id"])
                values, answer_rows = responses.prepare_response(
                    version, str(uuid.UUID(int=rng.getrandbits(128), version=4)), _answers(rng, version.content, p_sat),
                    {}, mode="kiosk", invitation=invitation, device_id=device.id,
                    service_point_id=row["service_point_id"])
                job = Job(values, answer_rows, secret)
                encode_postgresql(job)
                batch.append(job)
                if len(batch) == 64:
                    writer.write(batch)
                    stored += sum(j.result == "stored" for j in batch)
                    batch = []
            at += invited
        if batch:
            writer.write(batch)
            stored += sum(j.result == "stored" for j in batch)
        writer.close()
        seconds = time.perf_counter() - started
        print(f"loaded {stored} responses ({len(rows)} invitations) in {seconds:.1f} s "
              f"({stored / seconds:.0f}/s, validation and score rows included)", flush=True)
        wave_id = wave.id
        db.session.remove()
        db.engine.dispose()
    return wave_id


def replicate(url: str, wave_id: int, times: int) -> int:
    """A second wave of `times` copies of the wave's invitations, responses and score rows (no answers).

    Copied by SQL, not through the product's code: only to time the score-row read at 10^6 without
    loading 36 million answer rows for an hour (the old path, which needs them, is not timed on it).
    """
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        new = conn.execute(text(
            "INSERT INTO wave (code, name, period_start, period_end, questionnaire_version_id, seed, status, design, "
            "created_at) SELECT code || '-x' || :t, name || ' ×' || :t, period_start, period_end, "
            "questionnaire_version_id, seed, status, design, created_at FROM wave WHERE id = :w RETURNING id"),
            {"w": wave_id, "t": times}).scalar_one()
        conn.execute(text(
            "INSERT INTO wave_stratum (wave_id, key, agency_id, sector_id, pi, population) "
            "SELECT :n, key, agency_id, sector_id, pi, population * :t FROM wave_stratum WHERE wave_id = :w"),
            {"n": new, "w": wave_id, "t": times})
        for k in range(times):
            conn.execute(text(
                "INSERT INTO invitation (wave_id, stratum_id, token_hash, pi, agency_id, sector_id, service_point_id, "
                "outcome, channel, status, expires_at, created_at) "
                "SELECT :n, s2.id, md5(i.id || '-' || :k), i.pi, i.agency_id, i.sector_id, i.service_point_id, "
                "i.outcome, i.channel, i.status, i.expires_at, i.created_at FROM invitation i "
                "JOIN wave_stratum s1 ON s1.id = i.stratum_id "
                "JOIN wave_stratum s2 ON s2.wave_id = :n AND s2.key = s1.key "
                "WHERE i.wave_id = :w"), {"n": new, "w": wave_id, "k": k})
            conn.execute(text(
                "INSERT INTO response (uuid, invitation_id, questionnaire_version_id, wave_id, agency_id, sector_id, "
                "service_point_id, device_id, mode, probability_sample, partial, language, started_at, submitted_at) "
                "SELECT gen_random_uuid()::text, i2.id, r.questionnaire_version_id, :n, r.agency_id, r.sector_id, "
                "r.service_point_id, r.device_id, r.mode, r.probability_sample, r.partial, r.language, r.started_at, "
                "r.submitted_at FROM response r "
                "JOIN invitation i2 ON i2.token_hash = md5(r.invitation_id || '-' || :k) "
                "WHERE r.wave_id = :w"), {"n": new, "w": wave_id, "k": k})
            conn.execute(text(
                "INSERT INTO response_score (response_id, block, wave_id, questionnaire_version_id, satisfied, valid, "
                "chosen, answered, overall) SELECT r2.id, s.block, :n, s.questionnaire_version_id, s.satisfied, "
                "s.valid, s.chosen, s.answered, s.overall FROM response_score s "
                "JOIN response r ON r.id = s.response_id "
                "JOIN invitation i2 ON i2.token_hash = md5(r.invitation_id || '-' || :k) "
                "JOIN response r2 ON r2.invitation_id = i2.id WHERE s.wave_id = :w"), {"n": new, "w": wave_id, "k": k})
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return new


def _old_results():
    """results.py as of OLD_RESULTS, as a module (its imports are today's models and services)."""
    source = subprocess.run(["git", "show", f"{OLD_RESULTS}:survey/services/results.py"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    module = types.ModuleType("old_results")
    module.__file__ = "old_results.py"
    exec(compile(source, "old_results.py", "exec"), module.__dict__)  # noqa: S102  (our own file, from git)
    return module


def measure_variant(url: str, wave_id: int, variant: str) -> dict:
    """One variant in this process: seconds and peak RSS (MB) before and after."""
    from sqlalchemy import text

    from survey.extensions import db
    from survey.services import results
    from survey.services.respond import rescore

    app = _app(url)
    with app.app_context():
        module = _old_results() if variant == "old" else results
        db.session.execute(text("SELECT 1"))
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        note = ""
        if variant == "backfill":
            after = done = 0
            while True:
                step = rescore.backfill_batch(db.session, after, rescore.BATCH, actor="bench")
                db.session.commit()
                if not step.responses:
                    break
                after, done = step.last_id, done + step.responses
            note = f"{done} responses"
        else:
            source = "memory" if variant == "memory" else "db"
            table = module.wave_index_table(db.session, wave_id, source=source)
            note = "overall %.4f, n %d%s" % (table.overall.est.value, table.respondents,
                                             ", note: %d" % sum("điểm lưu sẵn" in n for n in table.notes))
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        db.session.remove()
        db.engine.dispose()
    return {"variant": variant, "seconds": seconds, "rss_before_mb": before, "rss_peak_mb": peak, "note": note}


def _run(url: str, wave_id: int, variant: str) -> None:
    out = subprocess.run([sys.executable, __file__, "measure", url, str(wave_id), variant], capture_output=True,
                         text=True)
    if out.returncode:
        print(f"  {variant:9s} failed:\n{out.stderr[-2000:]}", flush=True)
        return
    got = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"  {variant:9s} {got['seconds']:7.2f} s   peak RSS {got['rss_peak_mb']:6.0f} MB "
          f"(process before the call {got['rss_before_mb']:.0f} MB)   {got['note']}", flush=True)


def main() -> None:
    """Load a wave in a scratch database (or reuse one), then time each variant in its own process."""
    if len(sys.argv) > 1 and sys.argv[1] == "measure":
        print(json.dumps(measure_variant(sys.argv[2], int(sys.argv[3]), sys.argv[4])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=100_000)
    parser.add_argument("--pg-admin", default=PG_ADMIN)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database (prints its name)")
    parser.add_argument("--reuse", default=None, help="a database kept by --keep: skip the load")
    parser.add_argument("--replicate", type=int, default=0,
                        help="then also time the read on a wave of this many SQL copies of the loaded one")
    parser.add_argument("--skip-base", action="store_true", help="with --reuse: only the replicated wave")
    args = parser.parse_args()
    from sqlalchemy import create_engine, text

    admin = create_engine(args.pg_admin, isolation_level="AUTOCOMMIT")
    name = args.reuse or "bench_scores_%d_%d" % (args.respondents, os.getpid())
    url = args.pg_admin.rsplit("/", 1)[0] + "/" + name
    if args.reuse is None:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        if args.reuse is None:
            load(url, args.respondents)
        engine = create_engine(url)
        with engine.connect() as conn:
            wave_id = conn.execute(text("SELECT min(id) FROM wave")).scalar_one()
            counts = conn.execute(text("SELECT (SELECT count(*) FROM response), (SELECT count(*) FROM answer), "
                                       "(SELECT count(*) FROM response_score)")).one()
        print(f"wave {wave_id}: {counts[0]} responses, {counts[1]} answer rows, {counts[2]} score rows", flush=True)
        for variant in () if args.skip_base else ("old", "new", "memory", "old", "new"):
            _run(url, wave_id, variant)
        if not args.skip_base:
            with engine.begin() as conn:
                conn.execute(text("DELETE FROM response_score"))
            _run(url, wave_id, "fallback")
            _run(url, wave_id, "backfill")
            _run(url, wave_id, "new")
        if args.replicate:
            big = replicate(url, wave_id, args.replicate)
            print(f"wave {big}: {args.replicate} SQL copies of wave {wave_id} (score rows, no answers)", flush=True)
            for variant in ("new", "new"):
                _run(url, big, variant)
        engine.dispose()
    finally:
        if not args.keep and args.reuse is None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        elif args.reuse is None:
            print(f"kept database {name}: --reuse {name}")
        admin.dispose()


if __name__ == "__main__":
    main()
