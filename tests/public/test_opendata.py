"""Open data: a stable JSON and CSV schema, no number of a small cell, one file per publication version."""
from __future__ import annotations

import csv
import io

from survey.services import publications

PUBLICATION_KEYS = ["wave_code", "wave_name_vi", "wave_name_en", "period_start", "period_end", "kind", "version",
                    "latest_version", "published_at", "content_hash", "method_version", "respondents",
                    "confidence_level", "min_answers", "max_rse", "measure_vi", "measure_en"]
CELL_KEYS = ["scope", "code", "name_vi", "name_en", "agency_code", "sector_code", "level", "parent_code",
             "sufficient", "index", "ci_low", "ci_high", "se", "df", "n", "target", "target_year",
             "target_label_vi", "target_label_en", "status", "rank"]
NUMBERS = ("index", "ci_low", "ci_high", "se", "df", "n", "status", "rank")


def test_json_schema_keys_are_the_documented_ones(client, world, db_session):
    resp = client.get("/cong-khai/du-lieu.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    doc = resp.get_json()
    assert list(doc) == ["schema", "schema_version", "publication", "cells"]
    assert doc["schema"] == "hailong.public-scoreboard" and doc["schema_version"] == 1
    assert list(doc["publication"]) == PUBLICATION_KEYS
    assert all(list(c) == CELL_KEYS for c in doc["cells"])
    view = publications.current(db_session, world["wave"].id)
    pub = doc["publication"]
    assert (pub["wave_code"], pub["kind"], pub["version"], pub["content_hash"]) == (
        "W-2025Q3", "final", 1, view.content_hash)
    assert pub["published_at"].endswith("Z") and pub["min_answers"] == 30
    scopes = [c["scope"] for c in doc["cells"]]
    assert scopes[0] == "province" and {"sector", "agency", "agency_sector", "service_point"} <= set(scopes)
    province = doc["cells"][0]
    assert province["index"] == view.table.overall.est.value  # the published number, exactly
    land = next(c for c in doc["cells"] if c["scope"] == "agency" and c["code"] == "T-STNMT")
    assert land["status"] == "below" and land["target"] == 90 and land["sufficient"] is True


def test_csv_has_the_same_fields_with_the_publication_on_every_row(client, world):
    resp = client.get("/cong-khai/du-lieu.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    text = resp.get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["wave_code", "kind", "version", "published_at", "content_hash", *CELL_KEYS]
    doc = client.get("/cong-khai/du-lieu.json").get_json()
    assert len(rows) == len(doc["cells"])
    assert {r["wave_code"] for r in rows} == {"W-2025Q3"} and {r["version"] for r in rows} == {"1"}
    assert float(rows[0]["index"]) == doc["cells"][0]["index"]


def test_small_cells_carry_no_number_in_json_or_csv(client, world, db_session):
    table = publications.current(db_session, world["wave"].id).table
    small = [c for group in (table.agencies, table.agency_sectors, table.service_points, table.sectors)
             for c in group.values() if c.flags]
    assert small
    doc = client.get("/cong-khai/du-lieu.json").get_json()
    raw = client.get("/cong-khai/du-lieu.json").get_data(as_text=True)
    text = client.get("/cong-khai/du-lieu.csv").get_data().decode("utf-8-sig")
    for cell in small:
        for value in (cell.est.value, cell.est.ci_low, cell.est.ci_high, cell.est.se):
            assert repr(value) not in raw and repr(value) not in text
    commune = next(c for c in doc["cells"] if c["scope"] == "agency" and c["code"] == "T-XCB")
    assert commune["sufficient"] is False and all(commune[k] is None for k in NUMBERS)
    row = next(r for r in csv.DictReader(io.StringIO(text)) if r["scope"] == "agency" and r["code"] == "T-XCB")
    assert row["sufficient"] == "false" and all(row[k] == "" for k in NUMBERS)


def test_each_version_has_its_file_and_unknown_ones_are_404(client, world):
    pinned = client.get("/cong-khai/du-lieu.json?wave=W-2025Q3&version=1")
    assert pinned.status_code == 200 and "hailong-W-2025Q3-v1.json" in pinned.headers["Content-Disposition"]
    assert client.get("/cong-khai/du-lieu.csv?wave=W-2025Q3&version=2").status_code == 404
    assert client.get("/cong-khai/du-lieu.json?wave=NOPE").status_code == 404
