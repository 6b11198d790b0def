"""Intake benchmark: 100,000 synthetic dossiers through the API (gunicorn on a loopback port) and through CSV.

    .venv/bin/python bench/intake.py                      # SQLite (a fresh file in a temporary folder)
    .venv/bin/python bench/intake.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/hailong_bench
    .venv/bin/python bench/intake.py --n 20000 --batch 500

Each run builds a fresh database: a synthetic registry (60 agencies, 11 sectors, 220 procedures, 60 service
points), a source system with an API key, and a launched wave over the whole synthetic period (π = 5 %), so
on-arrival selection and invitation issuing are part of what is measured. Then:
  1. API: `gunicorn --workers 2` on 127.0.0.1, one client posting batches sequentially (keep-alive),
     then the first 10 batches again (all must come back "unchanged").
  2. CSV: `hailong import dossiers` as a subprocess on another 100,000 dossiers (start-up included).
Goal: under 60 s each on the 2-core development machine. The PostgreSQL URL's public schema is DROPPED.
"""
from __future__ import annotations

import argparse
import csv
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
BIN = os.path.dirname(sys.executable)
SECTORS = ["land", "construction", "investment", "civil_status", "justice", "labour", "transport", "business",
           "health", "education", "other"]
START = date(2025, 4, 1)
DAYS = 90


def setup_database(url: str) -> str:
    """Migrate a fresh database, seed the synthetic registry, a launched wave and an API key; returns the key."""
    from flask_migrate import upgrade
    from sqlalchemy import create_engine, text

    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    from survey import create_app
    from survey.extensions import db
    from survey.models import Agency, Procedure, Questionnaire, QuestionnaireVersion, Sector, ServicePoint
    from survey.services.intake import apikeys
    from survey.services.intake import batch as intake
    from survey.services.sampling import waves

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        s = db.session
        sectors = [Sector(code=c, name_vi=c) for c in SECTORS]
        agencies = [Agency(code=f"AG{i:02d}", name_vi=f"Cơ quan {i}", level="department") for i in range(60)]
        s.add_all(sectors + agencies)
        s.flush()
        s.add_all([Procedure(code=f"P{i:03d}", name_vi=f"Thủ tục {i}", sector_id=sectors[i % 11].id)
                   for i in range(220)])
        s.add_all([ServicePoint(code=f"SP{i:02d}", name_vi=f"Điểm {i}", kind="agency_counter", agency_id=a.id)
                   for i, a in enumerate(agencies)])
        q = Questionnaire(instrument="sipas2023-service", title_vi="Bench")
        s.add(q)
        s.flush()
        v = QuestionnaireVersion(questionnaire_id=q.id, version="1", content_hash="0" * 64, content={"sections": []})
        s.add(v)
        source, _ = intake.get_or_create_source(s, "bench")
        _row, key = apikeys.create_key(s, source)
        wave = waves.create_wave(s, code="BENCH", name="Bench", period_start=START,
                                 period_end=START + timedelta(days=2 * DAYS), version=v, fixed_pi=0.05, seed="bench")
        waves.launch(s, wave)
        s.commit()
        db.engine.dispose()
    return key


def records(n: int, prefix: str, seed: int) -> list[dict]:
    """n synthetic dossiers: procedures, service points, outcomes, channels, 40 % with a phone."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        a, p = rng.randrange(60), rng.randrange(220)
        received = datetime(2025, 4, 1, 7) + timedelta(days=rng.randrange(DAYS), minutes=rng.randrange(600))
        completed = received + timedelta(days=rng.randrange(20), hours=rng.randrange(8))
        rec = {"external_id": f"{prefix}{i:07d}", "agency": f"AG{a:02d}", "procedure": f"P{p:03d}",
               "service_point": f"SP{a:02d}", "channel": rng.choice(("in_person", "online", "postal")),
               "received_at": received.isoformat() + "+07:00",
               "due_at": (received + timedelta(days=15)).date().isoformat(),
               "completed_at": completed.isoformat() + "+07:00",
               "outcome": rng.choices(("approved", "rejected", "withdrawn"), (88, 8, 4))[0]}
        if rng.random() < 0.4:
            rec["phone"] = f"09{rng.randrange(10**8):08d}"
        out.append(rec)
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_api(url: str, key: str, recs: list[dict], batch: int, workers: int) -> dict:
    """POST the records in batches to gunicorn; returns timings and counts."""
    import requests

    port = free_port()
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench", HAILONG_PUBLIC_URL=f"http://127.0.0.1:{port}")
    server = subprocess.Popen([os.path.join(BIN, "gunicorn"), "--workers", str(workers), "--bind",
                               f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {key}"
        for _ in range(100):
            try:
                if http.get(base + "/healthz", timeout=5).ok:
                    break
            except requests.RequestException:  # still booting
                time.sleep(0.1)
        latencies, totals = [], {"stored": 0, "unchanged": 0, "rejected": 0, "invited": 0}
        t0 = time.perf_counter()
        for i in range(0, len(recs), batch):
            t = time.perf_counter()
            resp = http.post(base + "/api/v1/dossiers", json={"dossiers": recs[i:i + batch]}, timeout=120)
            resp.raise_for_status()
            body = resp.json()
            latencies.append(time.perf_counter() - t)
            for k in totals:
                totals[k] += body[k]
        elapsed = time.perf_counter() - t0
        t1 = time.perf_counter()
        resent = {"unchanged": 0, "stored": 0}
        for i in range(0, min(len(recs), 10 * batch), batch):
            body = http.post(base + "/api/v1/dossiers", json={"dossiers": recs[i:i + batch]}, timeout=120).json()
            resent["unchanged"] += body["unchanged"]
            resent["stored"] += body["stored"]
        resend_time = time.perf_counter() - t1
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    return {"elapsed": elapsed, "latencies": latencies, **totals, "resent": resent, "resend_time": resend_time}


def bench_csv(url: str, recs: list[dict], folder: str) -> dict:
    """Write the records to CSV and time `hailong import dossiers` (a fresh process, start-up included)."""
    path = os.path.join(folder, "dossiers.csv")
    fields = ["external_id", "agency", "procedure", "sector", "service_point", "channel", "received_at", "due_at",
              "completed_at", "outcome", "phone"]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(recs)
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench")
    t0 = time.perf_counter()
    done = subprocess.run([os.path.join(BIN, "hailong"), "import", "dossiers", path, "--source", "bench", "--quiet"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"CSV import failed:\n{done.stdout}\n{done.stderr}")
    return {"elapsed": elapsed, "output": done.stdout.strip().splitlines()[-1], "size_mb": os.path.getsize(path) / 1e6}


def main() -> int:
    """Run both benchmarks on one database and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000, help="dossiers per path (default 100000)")
    parser.add_argument("--batch", type=int, default=1000, help="records per API request (default 1000)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--pg", default=None, help="PostgreSQL URL instead of SQLite (its public schema is dropped)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.pg or "sqlite:///" + os.path.join(folder, "bench.sqlite")
        backend = "PostgreSQL" if args.pg else "SQLite"
        t = time.perf_counter()
        key = setup_database(url)
        print(f"== Hài Lòng intake benchmark — {backend}, {args.n:,} dossiers per path, {os.cpu_count()} CPUs ==")
        print(f"setup (migrate, registry, launched wave π = 5 %): {time.perf_counter() - t:.1f} s")
        api_recs = records(args.n, "API", 1)
        api = bench_api(url, key, api_recs, args.batch, args.workers)
        lat = sorted(api["latencies"])
        print(f"API  (gunicorn {args.workers} workers, 1 client, batches of {args.batch}): {api['elapsed']:.1f} s, "
              f"{args.n / api['elapsed']:,.0f} dossiers/s; stored {api['stored']:,}, rejected {api['rejected']}, "
              f"invited on arrival {api['invited']:,}")
        print(f"     per request: median {statistics.median(lat) * 1000:.0f} ms, "
              f"p95 {lat[int(0.95 * (len(lat) - 1))] * 1000:.0f} ms, max {lat[-1] * 1000:.0f} ms")
        print(f"     re-sending {api['resent']['unchanged'] + api['resent']['stored']:,} records: "
              f"{api['resent']['unchanged']:,} unchanged, {api['resent']['stored']} stored, {api['resend_time']:.1f} s")
        csv_run = bench_csv(url, records(args.n, "CSV", 2), folder)
        print(f"CSV  (hailong import dossiers, {csv_run['size_mb']:.1f} MB, process start included): "
              f"{csv_run['elapsed']:.1f} s, {args.n / csv_run['elapsed']:,.0f} dossiers/s")
        print(f"     {csv_run['output']}")
        goal = all(x < 60 for x in (api["elapsed"], csv_run["elapsed"]))
        print(f"goal < 60 s each: {'met' if goal else 'NOT met'}")
        ok = api["stored"] == args.n and api["resent"]["stored"] == 0
        return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
