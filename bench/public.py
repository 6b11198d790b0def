"""Benchmark: the public scoreboard pages answered from a publication (goal ≤ 50 ms per page).

Builds a fresh SQLite database with the Hà Tĩnh demo province (77 agencies in the latest closed wave;
`--database URL` uses an existing demo database instead), then, with the Flask test client, asks each
public page --requests times (default 300) after one warm-up request, and prints the median and the
95th percentile of the wall time per request, plus the first (cold) request that thaws the publication.
Pages: the province with sectors and agencies, a later page sorted by name, an agency with its sectors and
service points, the widget, the JSON and CSV open data, and a revalidation answered 304.
Prints figures; asserts nothing.

    .venv/bin/python bench/public.py [--requests N] [--database URL]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _app(url: str | None):
    from flask_migrate import upgrade

    from survey import QUESTIONNAIRE_DIR, create_app
    from survey.extensions import db
    from survey.services.demo import seed_demo
    from survey.services.questionnaires.bank import load_bank

    fresh = url is None
    url = url or "sqlite:///" + os.path.join(tempfile.mkdtemp(prefix="hailong-bench-"), "bench.sqlite")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    if fresh:
        with app.app_context():
            upgrade()
            t = time.perf_counter()
            load_bank(db.session, QUESTIONNAIRE_DIR)
            seed_demo(db.session)
            db.session.commit()
            print("demo province seeded in %.1f s" % (time.perf_counter() - t))
    return app


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    """Seed (or open) the demo, then time each public page."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--database", default=None, help="an existing demo database URL (default: a fresh SQLite)")
    args = parser.parse_args()
    app = _app(args.database)
    from survey.extensions import db
    from survey.services import scoreboard

    with app.app_context():
        entry = scoreboard.choose(scoreboard.catalogue(db.session), False)
        board = scoreboard.board(db.session, entry)
        agency = max(board.agencies, key=lambda c: sum(1 for p in board.service_points if p.agency_code == c.code))
        print("publication %s v%d: %d respondents, %d agencies, %d sectors, %d agency × sector, %d service points"
              % (entry.wave_code, entry.version, board.respondents, len(board.agencies), len(board.sectors),
                 len(board.agency_sectors), len(board.service_points)))
        scoreboard.reset_caches()
    client = app.test_client()
    pages = [("province, sectors, agencies", "/cong-khai", {}),
             ("agencies sorted by name, page 2", "/cong-khai?sort=name&page=2", {}),
             ("agency %s" % agency.code, "/cong-khai/co-quan/%s" % agency.code, {}),
             ("widget", "/cong-khai/widget/%s" % agency.code, {}),
             ("open data JSON", "/cong-khai/du-lieu.json", {}),
             ("open data CSV", "/cong-khai/du-lieu.csv", {})]
    t = time.perf_counter()
    first = client.get("/cong-khai")
    print("first request (thaws the publication): %.0f ms" % (1000 * (time.perf_counter() - t)))
    pages.append(("revalidation (304)", "/cong-khai", {"If-None-Match": first.headers["ETag"]}))
    print("%-34s %9s %9s %8s" % ("page", "median", "p95", "status"))
    for name, url, headers in pages:
        client.get(url, headers=headers)  # warm-up
        times = []
        for _ in range(args.requests):
            t = time.perf_counter()
            resp = client.get(url, headers=headers)
            times.append(1000 * (time.perf_counter() - t))
        print("%-34s %6.1f ms %6.1f ms %8d" % (name, statistics.median(times), _percentile(times, 0.95),
                                             resp.status_code))
    print("load average: %.2f %.2f %.2f" % os.getloadavg())


if __name__ == "__main__":
    main()
