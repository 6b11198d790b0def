"""Benchmark: does R's `survey` reproduce every number the demo province published? (goal: all of them)

Builds a fresh SQLite database with the demo province (`--database URL` opens an existing one instead),
then for the latest final publication version of every wave (or `--wave CODE`) writes its
reproducibility pack, unpacks it in a temporary folder and runs the pack's own `reproduce.R` with
Rscript, exactly as a statistician who downloaded it would. The script compares R's estimate, SE, CI,
df and n of every published row with published.csv at the pack's tolerance; this prints, per version,
how many numbers agree, the worst difference and R's time, and the totals. Without Rscript it installs
r-cran-survey when run as root (apt-get), else says how to. SPSS and Stata syntax are not run here
(neither program is on this machine; PSPP lacks the complex-samples procedures the .sps uses).
Prints figures; exits 1 when some number does not agree.

    .venv/bin/python bench/reproduce.py [--database URL] [--wave CODE] [--keep DIR]
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from public import _app  # noqa: E402  (the same fresh demo database as the scoreboard bench)

SUMMARY = re.compile(r"numbers: (\d+); agree within ([^:]+): (\d+); worst difference: (\S+)")


def _rscript() -> str | None:
    """Rscript, installing Debian's r-cran-survey first when it is missing and we are root."""
    if shutil.which("Rscript") is None and os.geteuid() == 0:
        print("installing r-cran-survey (apt-get) ...", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "r-cran-survey"], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    return shutil.which("Rscript")


def _versions(wave_code: str | None) -> list:
    """The latest final publication version of each wave (or of one), oldest wave first."""
    from sqlalchemy import select

    from survey.extensions import db
    from survey.models import Wave
    from survey.services.publications import pack_views

    waves = db.session.scalars(select(Wave).order_by(Wave.period_start, Wave.id)).all()
    found = []
    for wave in waves:
        if wave_code and wave.code != wave_code:
            continue
        view = pack_views.find(db.session, wave)
        if view is not None:
            found.append((wave.code, view))
    return found


def _run(rscript: str, body: bytes, folder: str) -> tuple[int, int, str, float, str]:
    """(numbers, agreeing, worst difference, seconds, output) of one pack's reproduce.R."""
    with zipfile.ZipFile(__import__("io").BytesIO(body)) as zf:
        zf.extractall(folder)
    t = time.perf_counter()
    out = subprocess.run([rscript, "reproduce.R"], cwd=folder, capture_output=True, text=True, timeout=3600)
    seconds = time.perf_counter() - t
    found = SUMMARY.search(out.stdout)
    if not found:
        return 0, 0, "—", seconds, (out.stdout + out.stderr)[-2000:]
    return int(found[1]), int(found[3]), found[4], seconds, ""


def main() -> int:
    """Seed (or open) the demo, pack each wave's latest final version, run R on it, print the agreement."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default=None, help="an existing demo database URL (default: a fresh SQLite)")
    parser.add_argument("--wave", default=None, help="only this wave code")
    parser.add_argument("--keep", default=None, help="unpack into this folder (kept) instead of a temporary one")
    args = parser.parse_args()
    rscript = _rscript()
    if rscript is None:
        print("Rscript not found: apt-get install -y r-cran-survey (as root), then run again")
        return 2
    app = _app(args.database)
    from survey.extensions import db
    from survey.services.publications import pack

    totals = [0, 0]
    failed = False
    with app.app_context():
        versions = _versions(args.wave)
        if not versions:
            print("no final publication to reproduce")
            return 2
        print("%-14s %4s %6s %8s %8s %12s %8s" % ("wave", "ver", "rows", "numbers", "agree", "worst", "R s"))
        for code, view in versions:
            t = time.perf_counter()
            data = pack.pack_data(db.session, view)
            body = pack.build(data)
            pack_s = time.perf_counter() - t
            folder = os.path.join(args.keep, code) if args.keep else tempfile.mkdtemp(prefix="hailong-pack-")
            os.makedirs(folder, exist_ok=True)
            total, agree, worst, seconds, error = _run(rscript, body, folder)
            rows = total // 6
            print("%-14s %4d %6d %8d %8d %12s %8.1f   (pack %.1f s, %d respondents, %s strata merged)"
                  % (code, view.version, rows, total, agree, worst, seconds, pack_s, data.n,
                     data.meta.get("collapsed_strata", 0)), flush=True)
            if error:
                print(error)
            failed = failed or error != "" or agree != total
            totals[0] += total
            totals[1] += agree
            if not args.keep:
                shutil.rmtree(folder, ignore_errors=True)
    print("all publications: %d of %d numbers agree" % (totals[1], totals[0]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
