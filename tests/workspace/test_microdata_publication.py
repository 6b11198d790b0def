"""Microdata of a published wave comes from the publication's frozen frame: its weights are the published
ones and stay so when late dossiers arrive; the codebook names the version; a wave never published
exports its live data, labelled provisional."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import numpy as np
from sqlalchemy import insert

from survey.models import Dossier, SourceSystem
from survey.services import publications
from survey.services.workspace import publishing, wavedata
from tests.workspace.conftest import CELLS, build_world, sign_in


def _late_dossiers(session, world, n=500):
    """Land dossiers of the wave's period imported after publication (they move the calibration totals)."""
    src = SourceSystem(code="late-src", name="Phần mềm một cửa")
    session.add(src)
    session.flush()
    session.execute(
        insert(Dossier.__table__),
        [
            {
                "source_system_id": src.id,
                "external_id": "LATE-%d" % k,
                "agency_id": world["land"].id,
                "sector_id": world["sector:land"].id,
                "channel": "in_person",
                "received_at": datetime(2025, 8, 1),
                "completed_at": datetime(2025, 8, 20),
                "outcome": "approved",
                "content_hash": "h%d" % k,
                "created_at": datetime(2025, 12, 1),
            }
            for k in range(n)
        ],
    )
    session.commit()  # imported: committed (a savepoint of the test's transaction)
    publications.reset_caches()  # as a fresh worker would: nothing remembered


def _weights(client, query="") -> list[float]:
    text = client.get("/analyst/export/microdata.csv?csv=intl" + query).data.decode("utf-8-sig")
    return sorted(float(r["weight"]) for r in csv.DictReader(io.StringIO(text)))


def _codebook(client, query="") -> str:
    return client.get("/analyst/export/codebook.md" + query).get_data(as_text=True)


def _published_weights(session, wave, version=None) -> list[float]:
    return sorted(wavedata.published(session, wave, version).frame.data.design.weights.tolist())


def test_exported_weights_are_exactly_the_published_ones(client, world, analyst, db_session):
    sign_in(client, "phan.tich")
    assert _weights(client) == _published_weights(db_session, world["wave"])  # every bit: written in full
    assert len(_weights(client)) == sum(c[3] for c in CELLS)
    book = _codebook(client)
    assert "công bố chính thức phiên bản 1" in book and "tạm tính" not in book.split("\n")[2]


def test_late_dossiers_after_publishing_do_not_move_the_exported_weights(client, world, analyst, db_session):
    sign_in(client, "phan.tich")
    before = _weights(client)
    _late_dossiers(db_session, world)
    assert _weights(client) == before
    live = sorted(wavedata.load_live(db_session, world["wave"]).data.design.weights.tolist())
    assert not np.allclose(live, before)  # the raw data did move: only the publication holds them still
    assert "phiên bản 1" in _codebook(client)


def test_a_restatement_is_a_new_export_and_the_old_version_stays_downloadable(client, world, analyst, db_session):
    sign_in(client, "phan.tich")
    v1 = _weights(client)
    _late_dossiers(db_session, world)
    publishing.restate(db_session, "test", world["wave"], "Nhập bổ sung 500 hồ sơ đất đai muộn")
    db_session.commit()
    v2 = _weights(client)
    assert v2 != v1 and v2 == _published_weights(db_session, world["wave"])
    assert "phiên bản 2" in _codebook(client)
    assert _weights(client, "&version=1") == v1 and "phiên bản 1" in _codebook(client, "?version=1")
    assert client.get("/analyst/export/microdata.csv?version=9").status_code == 404


def test_codes_are_those_frozen_with_the_publication(client, world, analyst, db_session):
    world["build"].code = "T-SXD-MOI"  # renamed after publishing: the published rows keep the old code
    db_session.flush()
    sign_in(client, "phan.tich")
    text = client.get("/analyst/export/microdata.csv?csv=intl").data.decode("utf-8-sig")
    agencies = {r["agency"] for r in csv.DictReader(io.StringIO(text))}
    assert "T-SXD" in agencies and "T-SXD-MOI" not in agencies


def test_a_wave_never_published_exports_its_live_data_labelled_provisional(client, db_session, analyst, tmp_path):
    import pyreadstat

    world = build_world(db_session, publish=False)
    sign_in(client, "phan.tich")
    query = "&wave=%d" % world["wave"].id
    weights = _weights(client, query)
    assert weights == sorted(wavedata.load_live(db_session, world["wave"]).data.design.weights.tolist())
    book = _codebook(client, "?wave=%d" % world["wave"].id)
    assert "chưa được công bố" in book and "tạm tính" in book and "phiên bản" not in book.split("\n")[2]
    path = tmp_path / "m.sav"
    path.write_bytes(client.get("/analyst/export/microdata.sav?wave=%d" % world["wave"].id).data)
    _df, meta = pyreadstat.read_sav(str(path))
    assert meta.file_label == "W-2025Q3 tạm tính"


def test_an_agency_viewer_gets_only_own_rows_of_the_publication(client, world, viewer):
    sign_in(client, "xem.tnmt")
    text = client.get("/analyst/export/microdata.csv").data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert {r["agency"] for r in rows} == {"T-STNMT"} and len(rows) == 90


def test_a_codebook_written_without_its_source_makes_no_claim_about_it(db_session, world):
    from survey.services.workspace import exports

    released = exports.release(db_session, world["wave"])
    assert "Nguồn:" not in exports.codebook(released.variables, "md", "Codebook").decode("utf-8")
    book = exports.codebook(released.variables, "md", "Codebook", released.sdc, released.source).decode("utf-8")
    assert "Nguồn: công bố chính thức phiên bản 1" in book
