"""Fault benchmark: kill -9 mid-burst, a database restart, SQLite under concurrent use; acknowledged vs stored.

Each phase builds a fresh database in a temporary folder and serves it with gunicorn on a free loopback
port (bench/load_submit.py's Server: survey/gunicorn_conf.py, its own process group, the per-device rate
limit raised because the simulated kiosks post back to back). Simulated kiosks (bench/kiosks.py) post the
full service-point form and resend an unacknowledged one under the same UUID; intake clients post
batches of bench/intake.py's synthetic dossiers and resend an unacknowledged batch as it was, under the
same Idempotency-Key.
  a. kill -9: half-way the whole gunicorn process group (master and workers) is SIGKILLed and started
     again; on SQLite, and on the private PostgreSQL cluster of phase b.
  b. database restart: a private PostgreSQL cluster this script starts itself (initdb into a temporary
     folder, its own port on 127.0.0.1; the shared server is never touched) is stopped with
     `pg_ctl stop -m fast` and started again while kiosks and intake keep sending.
  c. SQLite under concurrent use (4 workers × 16 threads, as `make run`): while kiosks post and intake
     batches arrive, parallel sign-ins (some with a wrong password), PDF/export downloads by signed-in
     analysts, and admin writes (new accounts, disable/enable).
It prints, per phase, acknowledged vs stored (lost, doubled, half-written) for kiosk responses and intake
dossiers, invitations whose token no intake answer carried, and the answers by 5xx status (phase b: before,
during and after the outage). Goals: nothing acknowledged lost or doubled, nothing half-written; no 5xx,
except 503 while the database is down. Prints figures, asserts nothing.

Usage: .venv/bin/python bench/faults.py [--phases a,b,c] [--kiosks 20] [--seconds 6] [--down 3]
       [--signins 50] [--downloads 9] [--admin-writes 16] [--keep]
"""
from __future__ import annotations

import argparse
import asyncio
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, ROOT)
sys.path.append(BENCH)  # after the project, as bench/load_submit.py does
from intake import DAYS, SECTORS, START  # noqa: E402  (after the path is set)
from intake import records as dossier_records  # noqa: E402
from kiosks import Results, kiosk  # noqa: E402
from load_submit import INSTRUMENTS, Server, free_port, prepare, verify  # noqa: E402

PASSWORD = "faults-bench-password"
SOURCE = "faults"
SERVER_ERRORS = ("500", "502", "503", "504")


# --- the database ----------------------------------------------------------------------------------

def prepare_phase(url: str, kiosks: int, users: int = 0, demo: bool = False, spares: int = 0) -> dict:
    """bench/load_submit.py's kiosks, plus an intake source, a launched wave and (phase c) accounts."""
    prep = prepare(url, kiosks)
    from survey import create_app
    from survey.extensions import db
    from survey.models import Agency, Procedure, Sector, ServicePoint
    from survey.services.accounts.users import create_user
    from survey.services.intake import apikeys
    from survey.services.intake import batch as intake
    from survey.services.questionnaires.bank import get_version
    from survey.services.sampling import waves

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        s = db.session
        if demo:  # the demo province: a closed wave with answers, for the report and the exports
            from survey.services.demo import seed_demo
            seed_demo(s)
        # bench/intake.py's synthetic registry (its records() name these codes)
        have = {x.code: x for x in s.query(Sector)}
        sectors = [have.get(c) or Sector(code=c, name_vi=c) for c in SECTORS]
        agencies = [Agency(code=f"AG{i:02d}", name_vi=f"Cơ quan {i}", level="department") for i in range(60)]
        s.add_all(sectors + agencies)
        s.flush()
        s.add_all([Procedure(code=f"P{i:03d}", name_vi=f"Thủ tục {i}", sector_id=sectors[i % 11].id)
                   for i in range(220)])
        s.add_all([ServicePoint(code=f"SP{i:02d}", name_vi=f"Điểm {i}", kind="agency_counter", agency_id=a.id)
                   for i, a in enumerate(agencies)])
        wave = waves.create_wave(s, code="FAULTS", name="Faults", period_start=START,
                                 period_end=START + timedelta(days=2 * DAYS),
                                 version=get_version(s, INSTRUMENTS[-1]), fixed_pi=0.05, seed="faults")
        waves.launch(s, wave)
        source, _ = intake.get_or_create_source(s, SOURCE)
        prep["key"] = apikeys.create_key(s, source)[1]
        prep["analysts"] = [create_user(s, f"analyst{i:03d}", PASSWORD, "analyst").username for i in range(users)]
        if users:
            prep["admin"] = create_user(s, "faults-admin", PASSWORD, "admin").username
            prep["spares"] = [create_user(s, f"spare{i:02d}", PASSWORD, "analyst").id for i in range(spares)]
        s.commit()
        db.session.remove()
        db.engine.dispose()
    return prep


def responses_baseline(url: str, rows: dict[int, int]) -> dict:
    """verify() before the phase: what is stored already (the demo's answers) is not the phase's."""
    return verify(url, set(), rows)


def verify_intake(url: str, res: IntakeResults) -> dict:
    """What the database holds of the intake clients' dossiers, batches and invitations."""
    from sqlalchemy import create_engine, text

    from survey.services.common.tokens import hash_token

    engine = create_engine(url)
    join = "JOIN source_system s ON s.id = d.source_system_id WHERE s.code = :src"
    with engine.connect() as conn:
        stored = dict(conn.execute(text(f"SELECT d.external_id, COUNT(*) FROM dossier d {join} GROUP BY d.external_id"),
                                   {"src": SOURCE}).all())
        invited = conn.execute(text(f"SELECT d.external_id, i.token_hash FROM invitation i JOIN dossier d "
                                    f"ON d.id = i.dossier_id {join}"), {"src": SOURCE}).all()
    engine.dispose()
    received = {hash_token(t) for t in res.tokens}
    return {
        "acknowledged": len(res.acknowledged), "batches": res.batches_acknowledged, "stored": sum(stored.values()),
        "lost": sum(1 for x in res.acknowledged if x not in stored),
        "doubled": sum(1 for n in stored.values() if n > 1),
        "half_written": sum(1 for b in res.sent if 0 < sum(1 for x in b if x in stored) < len(b)),
        "stored_not_acknowledged": sum(1 for x in stored if x not in res.acknowledged),
        "invitations": len(invited),
        "tokens_not_received": sum(1 for x, h in invited if x in res.acknowledged and h not in received),
    }


# --- the intake clients ------------------------------------------------------------------------------

@dataclass
class IntakeResults:
    """What the intake clients sent, what was acknowledged, every answer's status with its time."""

    sent: list[list[str]] = field(default_factory=list)
    acknowledged: set[str] = field(default_factory=set)
    tokens: set[str] = field(default_factory=set)
    answers: list[tuple[float, str]] = field(default_factory=list)
    took: list[float] = field(default_factory=list)  # seconds of each acknowledged request
    batches_acknowledged: int = 0
    gave_up: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def intake_client(port: int, key: str, batches: list, stop: threading.Event, hard_stop: float,
                  res: IntakeResults) -> None:
    """Post batches back to back until `stop`; resend an unacknowledged batch as it was (same key)."""
    import requests

    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {key}"
    url = f"http://127.0.0.1:{port}/api/v1/dossiers"
    while not stop.is_set():
        with res.lock:
            if not batches:
                return
            batch = batches.pop()
            res.sent.append([r["external_id"] for r in batch])
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        while True:
            if time.monotonic() > hard_stop:
                res.gave_up += 1
                return
            began = time.monotonic()
            try:
                answer = http.post(url, json={"dossiers": batch}, headers=headers, timeout=60)
                status = str(answer.status_code)
            except requests.RequestException:
                answer, status = None, "connection"
            with res.lock:
                res.answers.append((time.monotonic(), status))
            if answer is not None and answer.status_code == 200:
                body = answer.json()
                with res.lock:
                    res.batches_acknowledged += 1
                    res.took.append(time.monotonic() - began)
                    for r in body["results"]:
                        if r["status"] in ("stored", "unchanged"):
                            res.acknowledged.add(r["external_id"])
                        res.tokens.update(i["token"] for i in r["invitations"])
                break
            if answer is not None and answer.status_code < 500 and answer.status_code != 429:
                break  # refused as a whole: nothing of it is stored, nothing to resend
            time.sleep(0.1)


def intake_batches(n_batches: int, size: int, prefix: str) -> list[list[dict]]:
    """n_batches disjoint batches of bench/intake.py's synthetic dossiers."""
    recs = dossier_records(n_batches * size, prefix, 7)
    return [recs[i:i + size] for i in range(0, len(recs), size)][::-1]  # popped from the end: in order


# --- a load: kiosks and intake clients together ------------------------------------------------------

def load(port: int, prep: dict, args, prefix: str, fault=None, extra=None, kiosk_res: Results | None = None
         ) -> tuple[Results, IntakeResults]:
    """Kiosks (bench/kiosks.py's) for args.seconds after a 1 s warm-up, intake clients alongside; `fault`
    runs (in a thread) half-way and `extra` one second in, while both keep sending. `kiosk_res`: the kiosks'
    Results, given by a caller that reads it while they run."""
    kiosk_res, res = kiosk_res or Results(), IntakeResults()
    batches = intake_batches(args.max_batches, args.batch, prefix)
    stop = threading.Event()
    hard_stop = time.monotonic() + args.seconds + 90
    threads = [threading.Thread(target=intake_client, args=(port, prep["key"], batches, stop, hard_stop, res))
               for _ in range(args.intake_clients)]
    for when, work in ((1.0 + args.seconds / 2, fault), (1.0, extra)):
        if work:
            threads.append(threading.Thread(target=lambda w=work, t=when: (time.sleep(t), w())))
    form = prep["forms"][INSTRUMENTS[-1]]
    base = {"version_id": form["version_id"], "content_hash": form["content_hash"], "answers": form["answers"],
            "other": {}, "language": "vi", "partial": False}

    async def kiosks():
        now = time.monotonic()
        t_start, t_end = now + 1.0, now + 1.0 + args.seconds
        kiosk_res.window = args.seconds
        await asyncio.gather(*[kiosk(port, cred, base, t_start, t_end, t_end + 60, kiosk_res)
                               for cred in prep["credentials"]])

    for t in threads:
        t.start()
    try:
        asyncio.run(kiosks())
    finally:
        stop.set()
        for t in threads:
            t.join()
    return kiosk_res, res


def statuses(counts) -> str:
    """'none', or '500: 3, 503: 2' (5xx only)."""
    found = {k: n for k, n in sorted(counts.items()) if k in SERVER_ERRORS or k.startswith("5")}
    return ", ".join(f"{k}: {n}" for k, n in found.items()) or "none"


def report(label: str, url: str, prep: dict, kiosks: Results, res: IntakeResults, log: str,
           baseline: dict | None = None) -> dict:
    """Print acknowledged vs stored for kiosks and intake, the 5xx answers and the server log's tracebacks
    and writes outside run_write's lock; return the figures."""
    rows = {f["version_id"]: f["rows"] for f in prep["forms"].values()}
    k = verify(url, kiosks.acknowledged, rows)
    for name in ("stored", "half_written", "stored_not_acknowledged") if baseline else ():
        k[name] -= baseline[name]
    d = verify_intake(url, res)
    intake_counts = Counter(s for _t, s in res.answers)
    print(f"  kiosk responses: acknowledged {k['acknowledged']}, stored {k['stored']}, lost {k['lost']}, doubled "
          f"{k['doubled']}, half-written {k['half_written']}, stored but never acknowledged "
          f"{k['stored_not_acknowledged']}; 5xx answers: {statuses(kiosks.errors)}; "
          f"connection errors (resent): {kiosks.errors.get('connection', 0)}")
    print(f"  intake dossiers: acknowledged {d['acknowledged']} in {d['batches']} batches, stored {d['stored']}, "
          f"lost {d['lost']}, doubled {d['doubled']}, half-written batches {d['half_written']}, stored but never "
          f"acknowledged {d['stored_not_acknowledged']}, batches given up {res.gave_up}; seconds per batch: median "
          f"{sorted(res.took)[len(res.took) // 2] if res.took else float('nan'):.2f}; 5xx answers: "
          f"{statuses(intake_counts)}; connection errors (resent): {intake_counts.get('connection', 0)}")
    print(f"  invitations issued {d['invitations']}, of acknowledged dossiers whose token no answer carried: "
          f"{d['tokens_not_received']}")
    with open(log, encoding="utf-8", errors="replace") as fh:
        text = fh.read()
    print(f"  server log: tracebacks {text.count('Traceback')}, writes outside run_write's lock "
          f"{text.count('outside run_write')}")
    print("  load average at the end: " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
    ok = all(x[n] == 0 for x in (k, d) for n in ("lost", "doubled", "half_written"))
    return {"phase": label, "kiosk": k, "intake": d, "ok": ok,
            "5xx": sum(n for c in (kiosks.errors, intake_counts) for s, n in c.items() if s.startswith("5"))}


STARTED: list[tuple[int, int]] = []  # (process group, port) of every gunicorn this run started


def start(server: Server) -> None:
    """Server.start(), given longer than its 30 s: four workers booting on two busy cores may need it."""
    try:
        server.start()
    except RuntimeError:
        if server.proc is None:
            raise
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and server.proc.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", server.port), timeout=1) as conn:
                    conn.sendall(b"GET /kiosk/ping HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
                    if conn.recv(64).startswith(b"HTTP/1.1 200"):
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise
    finally:
        if server.proc is not None:
            STARTED.append((server.proc.pid, server.port))


def reap() -> None:
    """SIGKILL whatever gunicorn of this run is still alive (a start that failed in a fault thread)."""
    for group, port in STARTED:
        try:
            with open(f"/proc/{group}/cmdline", "rb") as fh:
                cmdline = fh.read()
            if b"gunicorn" in cmdline and f"127.0.0.1:{port}".encode() in cmdline:
                os.killpg(group, signal.SIGKILL)
        except (FileNotFoundError, ProcessLookupError):
            pass


# --- phase a: kill -9 ----------------------------------------------------------------------------------

def phase_kill(name: str, url: str, args, tmp: str) -> dict:
    """SIGKILL the gunicorn process group half-way through kiosk and intake bursts, restart, resend."""
    print(f"\n=== a. kill -9 mid-burst — {name}: {args.kiosks} kiosks, {args.intake_clients} intake clients "
          f"(batches of {args.batch}), {args.seconds:g} s ===", flush=True)
    prep = prepare_phase(url, args.kiosks)
    server = Server(url, free_port(), args.workers, args.threads, args.kiosks, os.path.join(tmp, f"a-{name}.log"))

    def crash():
        server.kill()
        time.sleep(0.5)
        start(server)

    try:
        start(server)
        kiosks, res = load(server.port, prep, args, "KILL", fault=crash)
    finally:
        server.stop()
    return report(f"a {name}", url, prep, kiosks, res, server.log)


# --- phase b: a database restart ----------------------------------------------------------------------

class PrivateCluster:
    """A throwaway PostgreSQL cluster: initdb into a temporary folder, its own port on 127.0.0.1."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                       key=lambda p: int(re.findall(r"/(\d+)/bin", p)[0]))
        self.bin = os.path.dirname(found[-1]) if found else None
        self.dir = tempfile.mkdtemp(prefix="hailong-faults-pg-")
        self.data, self.port = os.path.join(self.dir, "data"), free_port()
        self.server = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}"

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [os.path.join(self.bin, tool), *args]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, cwd=self.dir, capture_output=True, text=True, check=check, timeout=120)

    def create(self) -> None:
        """initdb and start."""
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run("initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
        self.start()

    def database(self, name: str) -> str:
        """A new database on the cluster; its URL."""
        from sqlalchemy import create_engine, text

        admin = create_engine(self.server + "/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return f"{self.server}/{name}"

    def start(self) -> None:
        """pg_ctl start, waiting until it accepts connections."""
        self._run("pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "postgres.log"), "-w", "-t", "60", "-o",
                  f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1", "start")

    def stop(self, mode: str = "fast") -> None:
        """pg_ctl stop -m `mode`, waiting until it is down."""
        self._run("pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "60", "stop", check=False)

    def remove(self) -> None:
        """Stop the cluster and delete its folder."""
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


def phase_restart(cluster: PrivateCluster, args, tmp: str) -> dict:
    """Stop and start the database while kiosks and intake keep sending; 5xx before, during, after."""
    print(f"\n=== b. database restart — private PostgreSQL on 127.0.0.1:{cluster.port}: {args.kiosks} kiosks, "
          f"{args.intake_clients} intake clients, down {args.down:g} s of {args.seconds:g} s ===", flush=True)
    url = cluster.database("faults_b")
    prep = prepare_phase(url, args.kiosks)
    server = Server(url, free_port(), args.workers, args.threads, args.kiosks, os.path.join(tmp, "b.log"))
    marks: dict[str, float] = {}
    snaps: dict[str, Counter] = {}
    live = Results()

    def outage():
        marks["down"], snaps["down"] = time.monotonic(), Counter(dict(live.errors))
        cluster.stop("fast")
        time.sleep(args.down)
        cluster.start()
        marks["up"], snaps["up"] = time.monotonic(), Counter(dict(live.errors))

    try:
        start(server)
        kiosks, res = load(server.port, prep, args, "RESTART", fault=outage, kiosk_res=live)
    finally:
        server.stop()
    figures = report("b", url, prep, kiosks, res, server.log)
    spans = {"before": (0.0, marks["down"]), "during": (marks["down"], marks["up"]), "after": (marks["up"], 1e18)}
    kiosk_counts = {"before": snaps["down"], "during": snaps["up"] - snaps["down"],
                    "after": Counter(kiosks.errors) - snaps["up"]}
    for name, (lo, hi) in spans.items():
        counts = kiosk_counts[name] + Counter(s for t, s in res.answers if lo <= t < hi)
        figures[f"5xx_{name}"] = {k: n for k, n in counts.items() if k.startswith("5")}
        print(f"  5xx {name} the outage: {statuses(counts)}"
              + (f" (stop -m fast to started again: {hi - lo:.1f} s)" if name == "during" else ""))
    only_503 = set(figures["5xx_during"]) <= {"503"} and not figures["5xx_before"] and not figures["5xx_after"]
    print(f"  goals: nothing lost/doubled/half-written {'met' if figures['ok'] else 'NOT MET'}; "
          f"only 503, only while down {'met' if only_503 else 'NOT MET'}")
    return figures


# --- phase c: SQLite under concurrent use -----------------------------------------------------------

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
DOWNLOADS = ("/analyst/report.pdf", "/analyst/export/index.csv", "/analyst/export/index.xlsx",
             "/analyst/export/microdata.csv", "/analyst/export/microdata.sav", "/analyst/export/codebook.csv",
             "/analyst/report.pdf?lang=en", "/analyst/export/codebook.html", "/analyst/export/codebook.md")


class Browser:
    """A staff member's browser: its cookies and the CSRF token of the last page it loaded."""

    def __init__(self, base: str, outcome: dict[str, Counter], lock: threading.Lock) -> None:
        import requests

        self.base, self.http, self.csrf = base, requests.Session(), ""
        self.outcome, self.lock = outcome, lock

    def request(self, kind: str, method: str, path: str, data: dict | None = None) -> int | None:
        """One request, its status counted under `kind` (None on a connection error)."""
        import requests

        began = time.monotonic()
        try:
            answer = self.http.request(method, self.base + path, timeout=180, allow_redirects=False,
                                       data=None if data is None else {"csrf_token": self.csrf, **data})
            status = answer.status_code
        except requests.RequestException:
            answer, status = None, None
        with self.lock:
            self.outcome[kind]["connection" if status is None else str(status)] += 1
            self.outcome[kind + " seconds"][round(time.monotonic() - began, 1)] += 1
        found = CSRF.search(answer.text) if answer is not None and "html" in answer.headers.get(
            "Content-Type", "") else None
        if found:
            self.csrf = found.group(1)
        return status


def phase_sqlite(args, tmp: str) -> dict:
    """SQLite as `make run` serves it: sign-ins, downloads and admin writes while kiosks and intake post."""
    workers, threads = 4, 16  # the Makefile's WORKERS and survey/gunicorn_conf.py's threads
    print(f"\n=== c. SQLite under concurrent use — gunicorn {workers} × {threads} as `make run`: {args.signins} "
          f"parallel sign-ins ({args.signins // 5} with a wrong password), {args.downloads} downloads, "
          f"{args.admin_writes} admin writes, while {args.kiosks} kiosks and {args.intake_clients} intake clients "
          f"post for {args.seconds:g} s ===", flush=True)
    url = "sqlite:///" + os.path.join(tmp, "c.sqlite")
    prep = prepare_phase(url, args.kiosks, users=args.signins, demo=True, spares=args.admin_writes)
    baseline = responses_baseline(url, {f["version_id"]: f["rows"] for f in prep["forms"].values()})
    server = Server(url, free_port(), workers, threads, args.kiosks, os.path.join(tmp, "c.log"))
    try:
        start(server)
        base, lock = f"http://127.0.0.1:{server.port}", threading.Lock()
        outcome: dict[str, Counter] = defaultdict(Counter)
        staff = [Browser(base, outcome, lock) for _ in prep["analysts"]]
        for browser in staff:  # the sign-in page loaded (a read) before the burst
            browser.request("page", "GET", "/auth/login")
        admin = Browser(base, outcome, lock)
        admin.request("page", "GET", "/auth/login")
        admin.request("page", "POST", "/auth/login", {"username": prep["admin"], "password": PASSWORD, "next": ""})
        admin.request("page", "GET", "/admin/users/new")
        creates = args.admin_writes // 2

        def burst():
            gate = threading.Barrier(len(staff) + 1)

            def sign_in(i: int, browser: Browser) -> None:
                wrong = i % 5 == 4
                gate.wait()
                status = browser.request("sign-in", "POST", "/auth/login", {
                    "username": prep["analysts"][i], "password": PASSWORD + ("x" if wrong else ""), "next": ""})
                if status == 302 and i < args.downloads * 5 // 4 and not wrong:
                    browser.request("download", "GET", DOWNLOADS[(i - i // 5) % len(DOWNLOADS)])

            def admin_writes() -> None:
                gate.wait()
                for i in range(args.admin_writes):
                    if i < creates:
                        admin.request("admin write", "POST", "/admin/users/new", {
                            "username": f"new{i:02d}", "full_name": "Thử tải", "password": PASSWORD,
                            "confirm": PASSWORD, "role": "analyst", "agency_id": "", "service_point_id": ""})
                        admin.request("page", "GET", "/admin/users/new")  # the next form's CSRF token
                    else:
                        admin.request("admin write", "POST", f"/admin/users/{prep['spares'][i - creates]}/active",
                                      {"enable": "0"})

            workers_ = [threading.Thread(target=sign_in, args=(i, b)) for i, b in enumerate(staff)]
            workers_.append(threading.Thread(target=admin_writes))
            for t in workers_:
                t.start()
            for t in workers_:
                t.join()

        kiosks, res = load(server.port, prep, args, "SQLITE", extra=burst)
    finally:
        server.stop()
    figures = report("c", url, prep, kiosks, res, server.log, baseline)
    for kind in ("sign-in", "download", "admin write"):
        counts = outcome[kind]
        took = sorted(outcome[kind + " seconds"].elements())
        print(f"  {kind + 's':<13} {sum(counts.values()):3d}: " + ", ".join(f"{k}: {n}" for k, n in sorted(
            counts.items())) + f"; 5xx: {statuses(counts)}; seconds each: median {took[len(took) // 2]:.1f}, "
            f"max {took[-1]:.1f}")
        figures["5xx"] += sum(n for k, n in counts.items() if k.startswith("5"))
    stored = admin_stored(url, creates, prep["spares"][:args.admin_writes - creates])
    print(f"  admin writes acknowledged (302) {outcome['admin write'].get('302', 0)}, stored {stored}")
    print(f"  goals: nothing lost/doubled/half-written {'met' if figures['ok'] else 'NOT MET'}; "
          f"0 5xx {'met' if figures['5xx'] == 0 else 'NOT MET'}")
    return figures


def admin_stored(url: str, creates: int, disabled: list[int]) -> int:
    """How many of the admin writes the database holds: accounts created, spare accounts disabled."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        made = conn.scalar(text("SELECT COUNT(*) FROM user_account WHERE username LIKE 'new%'"))
        off = sum(1 for (active,) in conn.execute(text("SELECT active FROM user_account WHERE id IN (%s)" % (
            ",".join(str(int(i)) for i in disabled) or "0"))) if not active)
    engine.dispose()
    return made + off


def main() -> int:
    """Run the phases asked for and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog="\n".join(__doc__.splitlines()[1:]),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phases", default="a,b,c", help="which phases, of a (kill -9), b (database restart), "
                        "c (SQLite under concurrent use)")
    parser.add_argument("--kiosks", type=int, default=20, help="simulated kiosks posting back to back")
    parser.add_argument("--intake-clients", type=int, default=2, help="intake clients posting batches")
    parser.add_argument("--batch", type=int, default=100, help="dossiers per intake batch")
    parser.add_argument("--max-batches", type=int, default=400, help="at most this many batches per phase")
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each phase's load")
    parser.add_argument("--down", type=float, default=3.0, help="phase b: seconds the database stays down")
    parser.add_argument("--signins", type=int, default=50, help="phase c: parallel sign-ins (one in 5 wrong)")
    parser.add_argument("--downloads", type=int, default=9, help="phase c: PDF/export downloads")
    parser.add_argument("--admin-writes", type=int, default=16, help="phase c: admin writes")
    parser.add_argument("--workers", type=int, default=4, help="phases a, b: gunicorn workers")
    parser.add_argument("--threads", type=int, default=16, help="phases a, b: threads per worker")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (gunicorn logs)")
    args = parser.parse_args()
    phases = set(args.phases.split(","))
    tmp = tempfile.mkdtemp(prefix="hailong-faults-")
    cluster, results = None, []
    try:
        if "a" in phases:
            results.append(phase_kill("SQLite", "sqlite:///" + os.path.join(tmp, "a.sqlite"), args, tmp))
        if phases & {"a", "b"}:
            cluster = PrivateCluster()
            if cluster.bin is None:
                print("\n=== PostgreSQL phases skipped: no /usr/lib/postgresql/*/bin/initdb ===")
            else:
                cluster.create()
                if "a" in phases:
                    results.append(phase_kill("PostgreSQL", cluster.database("faults_a"), args, tmp))
                if "b" in phases:
                    results.append(phase_restart(cluster, args, tmp))
        if "c" in phases:
            results.append(phase_sqlite(args, tmp))
    finally:
        reap()
        if cluster is not None:
            cluster.remove()
        if args.keep:
            print("logs kept in", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("\nsummary: " + "; ".join(f"{r['phase']}: {'nothing lost or doubled' if r['ok'] else 'LOSS OR DOUBLES'}, "
                                    f"{r['5xx']} 5xx" for r in results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
