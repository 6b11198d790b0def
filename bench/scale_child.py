"""One measured operation of bench/scale.py, run as a child process so its peak RSS is its own.

    .venv/bin/python bench/scale_child.py OP WAVE_CODE --database-url URL [--out DIR]

OP: provisional (a running wave's provisional publication), publish (`hailong wave close`: close and
publish version 1), pages (the analyst dashboard, first load then filtered by sector, through the
Flask test client signed in as the benchmark analyst), pdf (`hailong report`), csv and sav
(`hailong export microdata`), groupby (the PostgreSQL floor: one GROUP BY response_id over the
wave's answers), engine (the analysis engine on synthetic arrays of the wave's size, bench/analysis.py).
The last line printed is `RESULT {json}` with the seconds of the operation itself (start-up and
imports excluded); the parent reads the peak RSS from wait4.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.append(os.path.dirname(os.path.abspath(__file__)))  # after ROOT: bench/analysis.py must not shadow analysis/
PASSWORD = "scale-bench-password-1"


def _cli(args: list[str]) -> float:
    """Run a `hailong` command in this process; its wall time."""
    from survey.cli import cli

    t = time.perf_counter()
    try:
        cli.main(args=args, prog_name="hailong", standalone_mode=False)
    except SystemExit as exc:
        if exc.code:
            raise
    return time.perf_counter() - t


def _app(url: str):
    from survey import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "scale-bench", "WTF_CSRF_ENABLED": False,
                       "JOBS_INLINE": True})


def _wave_id(app, code: str) -> int:
    from sqlalchemy import select

    from survey.extensions import db
    from survey.models import Wave

    with app.app_context():
        return db.session.scalar(select(Wave.id).where(Wave.code == code))


def provisional(url: str, code: str, out: str) -> dict:
    """A fresh provisional publication of the running wave (what the background refresh computes)."""
    from sqlalchemy import select

    from survey.extensions import db
    from survey.models import Wave
    from survey.services.workspace import publishing

    app = _app(url)
    with app.app_context():
        wave = db.session.scalar(select(Wave).where(Wave.code == code))
        t = time.perf_counter()
        view = publishing.refresh_provisional(db.session, wave)
        db.session.commit()
        return {"seconds": time.perf_counter() - t, "version": getattr(view, "version", None)}


def pages(url: str, code: str, out: str) -> dict:
    """The dashboard's first load and a sector-filtered load, as a signed-in analyst (test client)."""
    app = _app(url)
    wave_id = _wave_id(app, code)
    client = app.test_client()
    answer = client.post("/auth/login", data={"username": "scale.analyst", "password": PASSWORD, "next": ""})
    if answer.status_code not in (200, 302):
        raise RuntimeError("sign-in failed: %d" % answer.status_code)
    found = {}
    for name, path in (("first", "/analyst/?wave=%d" % wave_id),
                       ("filtered", "/analyst/?wave=%d&sector=land" % wave_id),
                       ("agencies", "/analyst/agencies?wave=%d" % wave_id)):
        t = time.perf_counter()
        got = client.get(path)
        found[name] = time.perf_counter() - t
        found[name + "_status"] = got.status_code
        found[name + "_kb"] = len(got.data) // 1024
    found["seconds"] = found["first"]
    return found


def publish(url: str, code: str, out: str) -> dict:
    """`hailong wave close CODE`: close the wave and publish version 1 (one unit of work)."""
    os.environ["DATABASE_URL"] = url
    return {"seconds": _cli(["wave", "close", code])}


def pdf(url: str, code: str, out: str) -> dict:
    """`hailong report --wave CODE`: the wave's PDF."""
    os.environ["DATABASE_URL"] = url
    path = os.path.join(out, code + ".pdf")
    seconds = _cli(["report", "--wave", code, "--out", path])
    return {"seconds": seconds, "bytes": os.path.getsize(path)}


def _export(url: str, code: str, out: str, ext: str) -> dict:
    os.environ["DATABASE_URL"] = url
    path = os.path.join(out, code + "-microdata." + ext)
    seconds = _cli(["export", "microdata", "--wave", code, "--out", path])
    return {"seconds": seconds, "bytes": os.path.getsize(path)}


def csv(url: str, code: str, out: str) -> dict:
    """`hailong export microdata --out X.csv`."""
    return _export(url, code, out, "csv")


def sav(url: str, code: str, out: str) -> dict:
    """`hailong export microdata --out X.sav`."""
    return _export(url, code, out, "sav")


def groupby(url: str, code: str, out: str) -> dict:
    """The database floor: the bare GROUP BY response_id over the wave's answers (id range of its responses)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        lo, hi = conn.execute(text("SELECT min(r.id), max(r.id) FROM response r JOIN wave w ON w.id = r.wave_id "
                                   "WHERE w.code = :c"), {"c": code}).one()
        t = time.perf_counter()
        rows = conn.execute(text("SELECT response_id, count(*) FROM answer WHERE response_id BETWEEN :lo AND :hi "
                                 "GROUP BY response_id"), {"lo": lo, "hi": hi}).fetchall()
        seconds = time.perf_counter() - t
        t = time.perf_counter()
        whole = len(conn.execute(text("SELECT response_id, count(*) FROM answer GROUP BY response_id")).fetchall())
        return {"seconds": seconds, "groups": len(rows), "whole_table_s": time.perf_counter() - t,
                "whole_groups": whole}


def engine(url: str, code: str, out: str) -> dict:
    """The analysis engine's full index table on synthetic arrays of the wave's size (bench/analysis.py)."""
    import importlib.util  # bench/analysis.py by path: the name `analysis` is the engine's package

    spec = importlib.util.spec_from_file_location("bench_analysis", os.path.join(ROOT, "bench", "analysis.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    n = int(code.rsplit("-", 1)[-1])
    wave = module.make_wave(n, 2025)
    t = time.perf_counter()
    module.index_table(wave)
    return {"seconds": time.perf_counter() - t}


OPS = {f.__name__: f for f in (provisional, pages, publish, pdf, csv, sav, groupby, engine)}


def main() -> None:
    """Run one operation and print its RESULT line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("op", choices=sorted(OPS))
    parser.add_argument("wave")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--out", default="/tmp")
    args = parser.parse_args()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    result = OPS[args.op](args.database_url, args.wave, args.out)
    print("RESULT " + json.dumps(result), flush=True)
    with open("/proc/self/status") as fh:  # the peak resident set of this whole process (the operation's)
        hwm = next(line.split()[1] for line in fh if line.startswith("VmHWM:"))
    print("HWM %s kB" % hwm, flush=True)


if __name__ == "__main__":
    main()
