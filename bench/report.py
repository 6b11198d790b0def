"""Benchmark: the province-size PDF report (goal < 30 s) and the dashboard's first load.

Builds a fresh SQLite database with the Hà Tĩnh demo province (78 agencies, five waves: four closed
with simulated answers), then times `reports.report()` for the latest closed wave in Vietnamese and
in English, the exports, and one uncached dashboard computation. Prints the figures; asserts nothing.
Run: .venv/bin/python bench/report.py
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> None:
    """Seed the demo province, then time report, exports and dashboard."""
    from flask_migrate import upgrade

    from survey import QUESTIONNAIRE_DIR, create_app
    from survey.extensions import db
    from survey.models import Answer, Response
    from survey.services import publications
    from survey.services.demo import seed_demo
    from survey.services.questionnaires.bank import load_bank
    from survey.services.workspace import dashboard as dash
    from survey.services.workspace import exports, reports

    folder = tempfile.mkdtemp(prefix="hailong-bench-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///" + os.path.join(folder, "bench.sqlite"),
                      "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        t = time.perf_counter()
        load_bank(db.session, QUESTIONNAIRE_DIR)
        seed_demo(db.session)
        db.session.commit()
        print("demo province seeded in %.1f s" % (time.perf_counter() - t))
        wave = dash.default_wave(db.session)
        n = db.session.query(Response).filter_by(wave_id=wave.id).count()
        answers = db.session.query(Answer).join(Response).filter(Response.wave_id == wave.id).count()
        ov = dash.overview(db.session, wave, dash.Filters(wave.id), None, 30)
        print("wave %s: %d respondents, %d answers, %d agencies (%d ranked)" % (
            wave.code, n, answers, len(ov.agencies), sum(1 for c in ov.agencies if c.rank)))
        for lang in ("vi", "en"):
            publications.reset_caches()  # cold: the frozen frame thawed again
            t = time.perf_counter()
            pdf = reports.report(db.session, wave, lang, province="Hà Tĩnh")
            print("report (%s, cold): %.1f s, %d KB (goal < 30 s)" % (lang, time.perf_counter() - t, len(pdf) // 1024))
        publications.reset_caches()  # cold: the frozen frame thawed again
        t = time.perf_counter()
        dash.overview(db.session, wave, dash.Filters(wave.id), None, 30)
        print("dashboard overview (cold): %.2f s" % (time.perf_counter() - t))
        t = time.perf_counter()
        dash.overview(db.session, wave, dash.Filters(wave.id, sector="land"), None, 30)
        print("dashboard overview with a filter (cached wave data): %.2f s" % (time.perf_counter() - t))
        t = time.perf_counter()
        variables, rows = exports.microdata(db.session, wave)
        csv_bytes = exports.to_csv([v.name for v in variables], rows)
        sav = exports.microdata_sav(variables, rows, wave.code)
        print("microdata export: %d rows × %d variables, CSV %d KB + SAV %d KB in %.1f s" % (
            len(rows), len(variables), len(csv_bytes) // 1024, len(sav) // 1024, time.perf_counter() - t))


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    main()
