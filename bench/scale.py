"""Benchmark: waves of 10^4, 10^5 and 10^6 respondents on PostgreSQL, from loading to pages, PDF and exports.

    .venv/bin/python bench/scale.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_scale
    .venv/bin/python bench/scale.py --sizes 10000,100000 --database-url ... [--keep]

The database's public schema is DROPPED first unless --keep (then existing waves SCALE-<n> are
reused and only missing sizes are loaded). For each size, smallest first, bench/scale_load.py builds
the wave through the product's own bulk path (intake service → on-arrival sampler → invitations;
the kiosk group-commit writer for the responses: see its docstring), then each operation runs in a
child process (bench/scale_child.py), timed inside the child and its peak RSS read with wait4:

  provisional publication of the running wave, and its dashboard (first load, filtered by sector);
  publish (`hailong wave close`: close + version 1), dashboard from the publication; PDF report;
  microdata CSV and .sav exports; the floors: a bare GROUP BY response_id over the wave's answers
  in PostgreSQL (and over the whole answer table) and the analysis engine on arrays of that size.

After the largest wave, the smallest wave's pages and PDF run again (goal: within 10 % of their
time when no large wave existed). Ends with a table of goals, measured figures and whether each
is met. Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.append(os.path.dirname(os.path.abspath(__file__)))  # after ROOT: bench/analysis.py must not shadow analysis/

import scale_load  # noqa: E402

CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scale_child.py")
GB = 2 ** 30


def run_child(op: str, code: str, url: str, out: str, timeout: float = 1200) -> dict:
    """One operation in a child process: its RESULT, plus peak RSS (MiB) and wall time of the whole child."""
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, CHILD, op, code, "--database-url", url, "--out", out],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
        return {"error": "timeout after %d s" % timeout}
    # RUSAGE_CHILDREN's ru_maxrss is the largest of all children so far, not this one's: the child prints
    # its own VmHWM (peak resident set) as it exits.
    result: dict = {"wall": time.perf_counter() - t}
    for line in stdout.splitlines():
        if line.startswith("RESULT "):
            result.update(json.loads(line[7:]))
        if line.startswith("HWM "):
            result["rss_mb"] = int(line.split()[1]) / 1024
    if proc.returncode != 0:
        result["error"] = (stderr.strip().splitlines() or ["exit %d" % proc.returncode])[-1][:300]
    return result


def scale_child_ops() -> list[str]:
    """The operations bench/scale_child.py can run."""
    return ["provisional", "pages", "publish", "pdf", "csv", "sav", "groupby", "engine"]


def publication_kb(url: str, code: str) -> int:
    """The stored size of the wave's publication rows (every version: index table and frozen frame), in KB."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        found = conn.scalar(text("SELECT COALESCE(sum(pg_column_size(p.*)), 0) FROM publication p "
                                 "JOIN wave w ON w.id = p.wave_id WHERE w.code = :c"), {"c": code})
    engine.dispose()
    return int(found) // 1024


def _fmt_s(r: dict | None, key: str = "seconds") -> str:
    if not r:
        return "—"
    if "error" in r:
        return "ERR"
    return "%.2f s" % r[key] if r.get(key) is not None else "—"


def _fmt_mb(r: dict | None) -> str:
    return "—" if not r or "rss_mb" not in r else "%.0f MB" % r["rss_mb"]


def measure(code: str, url: str, out: str, log, running: bool = True, only: set | None = None) -> dict:
    """Every operation on one loaded wave; a running one is closed and published on the way.

    A wave closed before (--keep of a measured database) skips what needs it running: the
    provisional publication, its page and the publish."""
    m = {}
    ops = ("provisional", "pages", "publish") if running else ()
    for op in ops + ("pages", "pdf", "csv", "sav", "groupby", "engine"):
        if only and (op not in only or (op == "pages" and running and "publish" not in m
                                         and "provisional" not in only)):
            continue  # (a running wave's page without its provisional publication says nothing)
        key = op if op != "pages" or "pages_provisional" in m or not running else "pages_provisional"
        key = "pages_published" if op == "pages" and ("publish" in m or not running) else key
        m[key] = run_child(op, code, url, out)
        if key == "publish":
            m[key]["publication_kb"] = publication_kb(url, code)
        log("  %-18s %s" % (key, json.dumps({k: (round(v, 3) if isinstance(v, float) else v)
                                             for k, v in m[key].items()})))
    return m


def table(results: dict, before: dict | None, after: dict | None, largest: int) -> list[str]:
    """Goal / measured / met rows."""
    lines = ["", "%-46s %-22s %-26s %s" % ("goal", "target", "measured", "met")]

    def row(what: str, target: str, measured: str, met: bool | None) -> None:
        lines.append("%-46s %-22s %-26s %s" % (what, target, measured, "—" if met is None else ("yes" if met
                                                                                                 else "NO")))

    def ok(r: dict | None, key: str, limit: float) -> bool | None:
        return None if not r or "error" in r or r.get(key) is None else r[key] <= limit

    big = results.get(largest, {})
    pub = big.get("publish")
    row("publish %d" % largest, "≤ 60 s, ≤ 2 GB", "%s, %s" % (_fmt_s(pub), _fmt_mb(pub)),
        None if not pub or "error" in pub else pub["seconds"] <= 60 and pub.get("rss_mb", 0) <= 2048)
    for n, m in sorted(results.items()):
        for key in ("pages_published",):
            r = m.get(key)
            for page in ("first", "filtered"):
                row("dashboard %s from a publication, %d" % (page, n), "≤ 0.5 s", _fmt_s(r, page), ok(r, page, 0.5))
        r = m.get("pages_provisional")
        row("dashboard first, provisional (running), %d" % n, "(≤ 0.5 s)", _fmt_s(r, "first"), ok(r, "first", 0.5))
    r = big.get("pdf")
    row("PDF %d" % largest, "≤ 30 s", "%s, %s" % (_fmt_s(r), _fmt_mb(r)), ok(r, "seconds", 30))
    for ext in ("csv", "sav"):
        r = big.get(ext)
        row("microdata %s %d" % (ext.upper(), largest), "≤ 90 s, ≤ 400 MB", "%s, %s" % (_fmt_s(r), _fmt_mb(r)),
            None if not r or "error" in r else r["seconds"] <= 90 and r.get("rss_mb", 0) <= 400)
    if before and after:
        for key, field in (("pages", "first"), ("pages", "filtered"), ("pdf", "seconds")):
            b, a = before.get(key), after.get(key)
            if b and a and "error" not in b and "error" not in a:
                ratio = a[field] / b[field] if b[field] else float("nan")
                row("smallest wave %s %s after the largest" % (key, field), "within 10 %",
                    "%.2f → %.2f s (%+.0f %%)" % (b[field], a[field], 100 * (ratio - 1)), ratio <= 1.10)
    return lines


def main() -> None:
    """Load each size, measure, re-measure the smallest, print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="respondents per wave (10000,100000,1000000)")
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database of its own (schema dropped)")
    parser.add_argument("--keep", action="store_true", help="keep the database: reuse waves already loaded")
    parser.add_argument("--out", default=None, help="folder for the PDFs and exports (default: a temporary one)")
    parser.add_argument("--load-only", action="store_true", help="load the waves, measure nothing")
    parser.add_argument("--measure", default=None,
                        help="measure only these sizes (default: every size); the smallest of --sizes is still timed "
                             "again at the end when a --before file is given")
    parser.add_argument("--ops", default=None,
                        help="only these operations (comma list of " + ",".join(scale_child_ops()) + ")")
    parser.add_argument("--json", default=None, help="also write every figure to this JSON file")
    parser.add_argument("--before", default=None,
                        help="a --json file of a run with only the smallest wave: its pages and PDF are the 'before' "
                             "(for a --keep run whose smallest wave was loaded beside the others)")
    parser.add_argument("--copy-above", type=int, default=100_000,
                        help="sizes above this load through bench/scale_copy.py (the product's functions, COPY in "
                             "big chunks) instead of ingest and the group-commit writer (100000)")
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        parser.error("--database-url must be a PostgreSQL URL (the national scale is a PostgreSQL deployment)")
    sizes = sorted(int(s) for s in args.sizes.split(","))
    out = args.out or tempfile.mkdtemp(prefix="hailong-scale-")
    started = time.perf_counter()

    def log(text: str) -> None:
        print("[%6.0f s] %s" % (time.perf_counter() - started, text), flush=True)

    from flask_migrate import upgrade
    from sqlalchemy import select

    from survey import create_app
    from survey.extensions import db
    from survey.models import Agency, Wave

    if not args.keep:
        scale_load.reset_schema(args.database_url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "SECRET_KEY": "scale-bench"})
    with app.app_context():
        upgrade()
        if db.session.scalar(select(Agency.id).limit(1)) is None:
            scale_load.setup_registry(db.session)
        scale_load.set_targets(db.session)  # a database loaded before the targets were part of the registry
        db.session.commit()
        have = dict(db.session.execute(select(Wave.code, Wave.status)).all())
    log("database ready; sizes %s; files in %s" % (sizes, out))
    results, loads, before, after = {}, {}, None, None
    for n in sizes:
        code = scale_load.wave_code(n)
        if code in have:
            log("wave %s already loaded (%s): not loaded again" % (code, have[code]))
        else:
            log("loading %s ..." % code)
            loads[n] = scale_load.load_wave(app, n, log, copy=n > args.copy_above)
            log("loaded %s: %s" % (code, json.dumps({k: (round(v, 1) if isinstance(v, float) else v)
                                                     for k, v in loads[n].items()})))
        if args.load_only or (args.measure and str(n) not in args.measure.split(",")):
            continue
        results[n] = measure(code, args.database_url, out, log, running=have.get(code, "launched") == "launched",
                             only=set(args.ops.split(",")) if args.ops else None)
        if n == sizes[0] and len(sizes) > 1 and not have:
            before = {"pages": results[n]["pages_published"], "pdf": results[n]["pdf"]}
    if args.before:
        with open(args.before) as fh:
            earlier = json.load(fh)["results"]
        first = earlier[min(earlier, key=int)]
        before = {"pages": first["pages_published"], "pdf": first["pdf"]}
    if before is not None and not args.load_only and len(sizes) > 1:
        small = scale_load.wave_code(sizes[0])
        after = {"pages": run_child("pages", small, args.database_url, out),
                 "pdf": run_child("pdf", small, args.database_url, out)}
        log("smallest wave again: %s" % json.dumps(after))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"results": results, "loads": loads, "before": before, "after": after}, fh, indent=1)
    for n, f in sorted(loads.items()):
        print("load %8d: %d dossiers in %.0f s (%.0f/s), %d invitations, %d respondents × %.1f answers in %.0f s "
              "(%.0f responses/s, %.0f answer rows/s; prepare %.0f s, write %.0f s), via %s" % (
                  n, f["dossiers"], f["intake_s"], f["dossiers"] / f["intake_s"], f["invitations"], f["respondents"],
                  f["answers"] / max(f["respondents"], 1), f["respond_s"], f["respondents"] / f["respond_s"],
                  f["answers"] / f["respond_s"], f["prepare_s"], f["write_s"], f["path"]))
    if results:
        print("\n%-9s %-20s %-20s %-16s %-16s %-16s %-20s %-20s %-12s %-10s" % (
            "size", "provisional", "publish", "page prov first", "page pub first", "page pub filtered", "PDF",
            "CSV", "SAV", "GROUP BY / engine"))
        for n, m in sorted(results.items()):
            print("%-9d %-20s %-20s %-16s %-16s %-16s %-20s %-20s %-12s %s / %s" % (
                n, "%s %s" % (_fmt_s(m.get("provisional")), _fmt_mb(m.get("provisional"))),
                "%s %s" % (_fmt_s(m.get("publish")), _fmt_mb(m.get("publish"))),
                _fmt_s(m.get("pages_provisional"), "first"),
                _fmt_s(m.get("pages_published"), "first"), _fmt_s(m.get("pages_published"), "filtered"),
                "%s %s" % (_fmt_s(m.get("pdf")), _fmt_mb(m.get("pdf"))),
                "%s %s" % (_fmt_s(m.get("csv")), _fmt_mb(m.get("csv"))),
                "%s %s" % (_fmt_s(m.get("sav")), _fmt_mb(m.get("sav"))), _fmt_s(m.get("groupby")),
                _fmt_s(m.get("engine"))))
        print("\n".join(table(results, before, after, sizes[-1])))
    print("machine: %d cores, load average %.1f; total %.0f s" % (os.cpu_count() or 0, os.getloadavg()[0],
                                                               time.perf_counter() - started))


if __name__ == "__main__":
    main()
