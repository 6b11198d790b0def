"""Migration 0013 on a database with agencies: each gets one open version from its current state."""
from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from tests.conftest import make_test_app


def test_existing_agencies_get_one_version_valid_since_ever(tmp_path):
    app = make_test_app("sqlite:///" + str(tmp_path / "m.sqlite"))
    from survey.extensions import db

    with app.app_context():
        downgrade(revision="0012")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO agency (id, code, name_vi, name_en, level, parent_id, active) VALUES "
                              "(1, 'P', 'Tỉnh', 'Province', 'province', NULL, 1), "
                              "(2, 'H', 'Huyện', '', 'district', 1, 1)"))
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT agency_id, valid_from, valid_to, code, name_vi, level, parent_id "
                                     "FROM agency_version ORDER BY agency_id")).all()
            dated = conn.execute(text("SELECT valid_from, valid_to, official_code FROM agency")).all()
        db.engine.dispose()
    assert [tuple(r) for r in rows] == [(1, None, None, "P", "Tỉnh", "province", None),
                                        (2, None, None, "H", "Huyện", "district", 1)]
    assert dated == [(None, None, None), (None, None, None)]
