"""Load benchmark: many simulated kiosks posting complete responses to the app under gunicorn.

For each backend (a fresh SQLite file, then a scratch PostgreSQL database) it:
1. migrates the database, loads the questionnaire bank and enrols one device per simulated kiosk;
2. starts gunicorn on a free loopback port;
3. measures the ceiling: CLIENTS concurrent kiosks calling the no-op GET /kiosk/ping;
4. measures submissions: CLIENTS concurrent kiosks each POSTing complete responses back to back to
   /kiosk/api/responses — the kiosk's walk-up three-face rating (kiosk-quick, 2 answer rows) and
   the full SIPAS service-point form (sipas2023-service, every question answered, ~36 rows);
5. crash test: the same load, the server's whole process group is killed with SIGKILL half-way,
   restarted, and every kiosk resends what was not acknowledged (same UUID, as the real kiosk's
   queue does); afterwards every acknowledged UUID must be stored exactly once with all its answers.

It prints submissions/s, p50 and p99 latency, the same for the no-op ceiling and their ratio, and
for each phase the CPU per request of the server, PostgreSQL and the client, with the server's
sleeps (voluntary context switches) per request (bench/cpu.py).
Goals: nothing acknowledged lost or doubled; p99 < 200 ms at 100 clients; submissions/s ≥ ½ ceiling.

The client is one asyncio process speaking HTTP/1.1 over keep-alive loopback connections (it
shares the machine's cores with the server, so figures are conservative). The per-device rate
limit is raised for the run: each simulated kiosk posts far faster than a person can answer.

Usage: .venv/bin/python bench/load_submit.py [--clients 100] [--seconds 4] [--rounds 3] [--workers 4]
       [--threads 16] [--backends sqlite,postgresql] [--pg-admin URL]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
# kiosks.py beside this file, after the project (bench/analysis.py must not hide the analysis package)
sys.path.append(os.path.dirname(os.path.abspath(__file__)))
from cpu import Usage, snapshot  # noqa: E402  (after the path is set)
from kiosks import Results, run_load  # noqa: E402

VENV_BIN = os.path.dirname(sys.executable)
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
INSTRUMENTS = ("kiosk-quick", "sipas2023-service")  # the walk-up rating, and the full service-point form
FACTORY = "survey:create_app({'RATE_LIMITS': {'device': (1000000, 100000.0)}})"


# --- setting up a database -------------------------------------------------------------------------

def prepare(url: str, clients: int) -> dict:
    """Migrate, load the bank, enrol one device per client; returns credentials and the payload shape."""
    from flask_migrate import upgrade

    from survey import QUESTIONNAIRE_DIR, create_app
    from survey.extensions import db
    from survey.models import Agency, ServicePoint
    from survey.services.kiosk.devices import create_device, enrol
    from survey.services.questionnaires.bank import get_version, load_bank
    from survey.services.respond import responses

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        load_bank(db.session, QUESTIONNAIRE_DIR)
        agency = Agency(code="BENCH", name_vi="Cơ quan thử tải", level="department")
        db.session.add(agency)
        db.session.flush()
        point = ServicePoint(code="BENCH-SP", name_vi="Điểm thử tải", kind="province_centre", agency_id=agency.id)
        db.session.add(point)
        db.session.flush()
        credentials = []
        for i in range(clients):
            _device, code = create_device(db.session, point, f"bench-{i}")
            credentials.append(enrol(db.session, code)[1])
        forms = {}
        for instrument in INSTRUMENTS:
            version = get_version(db.session, instrument)
            answers = complete_answers(version.content)
            cleaned, texts, errors = responses.clean_answers(version.content, answers)
            assert not errors, errors
            forms[instrument] = {"version_id": version.id, "content_hash": version.content_hash,
                                 "answers": answers,
                                 "rows": len(responses.answer_rows(version.content, cleaned, texts))}
        db.session.commit()
        out = {"credentials": credentials, "forms": forms}
        db.session.remove()
        db.engine.dispose()
    return out


def complete_answers(content: dict) -> dict:
    """An answer for every question a respondent is asked (show_if followed), as a satisfied citizen."""
    from survey.services.respond.responses import is_visible, option_codes, questions

    answers: dict = {}
    for q in questions(content):
        if not is_visible(q, answers):
            continue
        kind = q.get("type")
        if kind in ("scale", "single"):
            codes = option_codes(content, q)
            answers[q["code"]] = 4 if 4 in codes else codes[0]
        elif kind == "multiple":
            answers[q["code"]] = [option_codes(content, q)[0]]
        elif kind == "number":
            answers[q["code"]] = max(q.get("min") or 0, min(q.get("max") or 45, 45))
        elif kind == "text":
            answers[q["code"]] = "Thử tải: cán bộ nhiệt tình."
        elif kind == "phone":  # the call-back phone, asked when CALLBACK is yes
            answers[q["code"]] = "0912 345 678"
    return answers


def verify(url: str, acknowledged: set[str], rows: dict[int, int]) -> dict:
    """Count what the database holds for the acknowledged UUIDs."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        stored = {u: n for u, n in conn.execute(text("SELECT uuid, COUNT(*) FROM response GROUP BY uuid"))}
        answer_counts = [(v, n) for v, n in conn.execute(text(
            "SELECT r.questionnaire_version_id, COUNT(a.id) FROM response r LEFT JOIN answer a ON a.response_id = r.id "
            "GROUP BY r.id, r.questionnaire_version_id"))]
    engine.dispose()
    return {
        "acknowledged": len(acknowledged),
        "stored": sum(stored.values()),
        "lost": sum(1 for u in acknowledged if u not in stored),
        "doubled": sum(1 for n in stored.values() if n > 1),
        "half_written": sum(1 for v, n in answer_counts if n != rows[v]),
        "stored_not_acknowledged": sum(1 for u in stored if u not in acknowledged),
    }


# --- the server ------------------------------------------------------------------------------------

def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn in its own process group, so SIGKILL takes the master and every worker at once."""

    def __init__(self, url: str, port: int, workers: int, threads: int, clients: int, log: str):
        self.url, self.port, self.workers, self.threads, self.log = url, port, workers, threads, log
        self.clients = clients
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        """Start gunicorn and wait until it answers."""
        env = dict(os.environ, DATABASE_URL=self.url, SECRET_KEY="bench-secret",
                   HAILONG_RATE_LIMIT_FILE=self.log + ".ratelimits")  # not the demo's table
        # The simulated kiosks open all their keep-alive connections in the same instant and keep
        # them; whichever process wakes first could take most of them, and the run would measure
        # that luck. A real fleet's connections come and go (keepalive 5 s) and spread by
        # themselves; here each process is capped at its share, for the ceiling and the
        # submissions alike.
        share = -(-self.clients // self.workers)
        cmd = [os.path.join(VENV_BIN, "gunicorn"), "-c", "python:survey.gunicorn_conf", "--workers", str(self.workers),
               "--threads", str(self.threads), "--worker-connections", str(share),
               "--bind", f"127.0.0.1:{self.port}", "--keep-alive", "30",
               "--backlog", "2048", "--log-level", "warning", FACTORY]
        with open(self.log, "ab") as fh:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=fh, stderr=fh, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"GET /kiosk/ping HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
                    if s.recv(64).startswith(b"HTTP/1.1 200"):
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("gunicorn did not start; see " + self.log)

    def kill(self) -> None:
        """SIGKILL the whole process group (a power cut, from the application's point of view)."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        """Graceful stop."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


# --- one backend ---------------------------------------------------------------------------------------

def bench_backend(name: str, url: str, args, tmp: str) -> dict:
    """Prepare, measure ceiling and submissions, then the crash test; returns the figures."""
    print(f"\n=== {name}: {args.clients} simulated kiosks, "
          f"gunicorn {args.workers} workers × {args.threads} threads ===", flush=True)
    prep = prepare(url, args.clients)
    port = free_port()
    server = Server(url, port, args.workers, args.threads, args.clients, os.path.join(tmp, f"gunicorn-{name}.log"))
    server.start()
    try:
        # Rounds of back-to-back phases (ceiling, then each form): this shared machine's speed
        # drifts by tens of per cent within a minute, so each round's ratio compares phases run
        # moments apart, and the ratio reported is the median over rounds. Throughput and
        # latencies are over all rounds together.
        pings, subs = Results(), {instrument: Results() for instrument in prep["forms"]}
        ratios: dict[str, list[float]] = {instrument: [] for instrument in prep["forms"]}
        acknowledged: set[str] = set()
        usage = {key: Usage() for key in ["ping", *prep["forms"]]}

        def phase(key: str, form: dict | None) -> Results:
            before = snapshot(server.proc.pid)
            res = asyncio.run(run_load(port, prep, args.seconds, form))
            usage[key].add(before, snapshot(server.proc.pid), res.completed)
            return res

        for _round in range(args.rounds):
            ping_round = phase("ping", None)
            pings.merge(ping_round)
            for instrument, form in prep["forms"].items():
                res = phase(instrument, form)
                acknowledged |= res.acknowledged
                subs[instrument].merge(res)
                base = ping_round.summary()["rps"]
                ratios[instrument].append(res.summary()["rps"] / base if base else float("nan"))
        ping = pings.summary()
        print(f"  no-op ceiling  GET /kiosk/ping                 {ping['rps']:7.0f} req/s   p50 {ping['p50']:6.1f} ms"
              f"   p99 {ping['p99']:6.1f} ms")
        print("      " + usage["ping"].line())
        rows = {f["version_id"]: f["rows"] for f in prep["forms"].values()}
        figures = {}
        for instrument, form in prep["forms"].items():
            sub = figures[instrument] = subs[instrument].summary()
            sub["ratio"] = ratio = statistics.median(ratios[instrument])
            spread = ", ".join(f"{r:.2f}" for r in ratios[instrument])
            print(f"  submit {instrument:<18} ({form['rows']:2d} rows) {sub['rps']:7.0f} resp/s"
                  f"  p50 {sub['p50']:6.1f} ms"
                  f"   p99 {sub['p99']:6.1f} ms   ratio to ceiling {ratio:.2f} (rounds: {spread})"
                  f"   non-2xx: {subs[instrument].errors or 'none'}")
            print("      " + usage[instrument].line())

        def crash():
            server.kill()
            time.sleep(0.5)
            server.start()

        crash_form = prep["forms"][INSTRUMENTS[-1]]
        crash_res = asyncio.run(run_load(port, prep, args.seconds, crash_form, on_half=crash))
        after = verify(url, acknowledged | crash_res.acknowledged, rows)
        print(f"  SIGKILL mid-run ({INSTRUMENTS[-1]}) and restart: acknowledged {after['acknowledged']}, stored "
              f"{after['stored']}, lost {after['lost']}, doubled {after['doubled']}, half-written "
              f"{after['half_written']}, stored but never acknowledged {after['stored_not_acknowledged']}; "
              f"client retries after the kill: {crash_res.errors.get('connection', 0)}")
        ok = after["lost"] == 0 and after["doubled"] == 0 and after["half_written"] == 0
        goals = {}
        for instrument, sub in figures.items():
            goals[f"{instrument} p99<200ms"] = sub["p99"] < 200
            goals[f"{instrument} ratio>=0.5"] = sub["ratio"] >= 0.5
        goals["none lost/doubled/half-written"] = ok
        print("  goals: " + ", ".join(f"{k} {'met' if v else 'NOT MET'}" for k, v in goals.items()))
        return {"backend": name, "ping": ping, "submit": figures, "crash": after, "goals": goals}
    finally:
        server.stop()


def main() -> int:
    """Run the benchmark on each backend and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each measured phase")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of ceiling + submissions (median ratio)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (survey/gunicorn_conf.py: 2 per core)")
    parser.add_argument("--threads", type=int, default=16, help="threads per gunicorn worker (gthread)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-admin", default=os.environ.get("BENCH_PG_ADMIN", PG_ADMIN))
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (gunicorn logs)")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="hailong-bench-")
    results = []
    try:
        for backend in args.backends.split(","):
            if backend == "sqlite":
                results.append(bench_backend("SQLite", "sqlite:///" + os.path.join(tmp, "bench.sqlite"), args, tmp))
            elif backend == "postgresql":
                url, drop = pg_database(args.pg_admin)
                if url is None:
                    print(f"\n=== PostgreSQL: skipped, no server at {args.pg_admin} ===")
                    continue
                try:
                    results.append(bench_backend("PostgreSQL", url, args, tmp))
                finally:
                    drop()
    finally:
        if args.keep:
            print("logs kept in", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    met = all(all(r["goals"].values()) for r in results)
    print("\nall goals met" if met else "\nsome goals NOT met (see above)")
    return 0


def pg_database(admin_url: str):
    """A scratch PostgreSQL database for the run: (url, drop) or (None, None)."""
    from sqlalchemy import create_engine, text

    name = f"hailong_bench_{os.getpid()}"
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:
        return None, None

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return admin_url.rsplit("/", 1)[0] + "/" + name, drop


if __name__ == "__main__":
    raise SystemExit(main())
