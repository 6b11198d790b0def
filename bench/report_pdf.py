"""Benchmark: build time of the wave report, old renderer (ReportLab, reports.build_pdf) against new (tagged
PDF/UA-1 by WeasyPrint, report_pdf.build_pdf), on the demo province's latest closed wave.

Seeds a fresh SQLite database with the demo province, gathers the report's numbers once per language, then
times each renderer three times alternately on the same ReportData and prints the medians (seconds) and sizes.
Asserts nothing. Run: .venv/bin/python bench/report_pdf.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

RUNS = 3


def main() -> None:
    """Seed the demo province, then time both renderers in Vietnamese and English."""
    from flask_babel import force_locale
    from flask_migrate import upgrade

    from survey import QUESTIONNAIRE_DIR, create_app
    from survey.extensions import db
    from survey.services.demo import seed_demo
    from survey.services.questionnaires.bank import load_bank
    from survey.services.workspace import dashboard as dash
    from survey.services.workspace import report_pdf, reports

    folder = tempfile.mkdtemp(prefix="hailong-bench-")
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": "sqlite:///" + os.path.join(folder, "bench.sqlite"), "SECRET_KEY": "bench"}
    )
    with app.app_context():
        upgrade()
        load_bank(db.session, QUESTIONNAIRE_DIR)
        seed_demo(db.session)
        db.session.commit()
        wave = dash.default_wave(db.session)
        print("wave %s, %d CPU, median of %d runs each" % (wave.code, os.cpu_count() or 0, RUNS))
        for lang in ("vi", "en"):
            with force_locale(lang):
                data = reports.gather(db.session, wave, lang, province="Hà Tĩnh")
            times: dict[str, list[float]] = {"old (ReportLab)": [], "new (WeasyPrint PDF/UA-1)": []}
            sizes = {}
            for _run in range(RUNS):  # alternate, so a busy moment of the machine hits both alike
                for name, build in (
                    ("old (ReportLab)", reports.build_pdf),
                    ("new (WeasyPrint PDF/UA-1)", report_pdf.build_pdf),
                ):
                    started = time.perf_counter()
                    pdf = build(data)
                    times[name].append(time.perf_counter() - started)
                    sizes[name] = len(pdf)
            for name, values in times.items():
                print(
                    "%s %-26s median %.2f s (runs %s), %d KB"
                    % (
                        lang,
                        name,
                        statistics.median(values),
                        ", ".join("%.2f" % v for v in values),
                        sizes[name] // 1024,
                    )
                )


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    main()
