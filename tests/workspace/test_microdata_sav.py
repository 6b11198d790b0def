"""The SPSS .sav microdata: measurement levels, value and variable labels, the `partial` flag, the day an
answer was given (the tablet's clock for a kiosk answer sent late by its offline queue) beside the day it
was received, and disclosure control over those days."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

import pyreadstat
import pytest
from sqlalchemy import select, update

from survey.models import Invitation, Response, WaveStratum
from survey.services.workspace import exports, publishing, sdc
from tests.workspace.conftest import CELLS, build_world, sign_in

QI = [
    "stratum",
    "agency",
    "agency_level",
    "sector",
    "service_point",
    "outcome",
    "mode",
    "SEX",
    "AGE",
    "ETHNIC",
    "EDU",
    "OCCUP",
    "submitted_at",
    "received_at",
]
TABLET_START = datetime(2025, 8, 2, 20, 0)  # UTC: 3 August, 03:00 in the province (UTC+7)
RECEIVED = datetime(2025, 8, 9, 1, 30)  # the offline queue reached the server six days later


def _read(body: bytes, tmp_path):
    path = tmp_path / "m.sav"
    path.write_bytes(body)
    return pyreadstat.read_sav(str(path))


@pytest.fixture
def offline(db_session):
    """The test wave with eight land-department answers given on a kiosk offline (two of them partial, the
    citizen left), received days later, then published."""
    world = build_world(db_session, publish=False)
    stratum = db_session.scalar(
        select(WaveStratum).where(WaveStratum.wave_id == world["wave"].id, WaveStratum.key == "T-STNMT|land")
    )
    ids = db_session.scalars(
        select(Response.id)
        .join(Invitation, Invitation.id == Response.invitation_id)
        .where(Invitation.stratum_id == stratum.id)
        .order_by(Response.id)
    ).all()[:8]
    db_session.execute(
        update(Response)
        .where(Response.id.in_(ids))
        .values(mode="kiosk", started_at=TABLET_START, submitted_at=RECEIVED)
    )
    db_session.execute(update(Response).where(Response.id.in_(ids[:2])).values(partial=True))
    db_session.flush()
    publishing.publish(db_session, "test", world["wave"])
    return world


def test_measurement_levels_labels_and_dates_in_the_sav(client, world, analyst, tmp_path):
    sign_in(client, "phan.tich")
    resp = client.get("/analyst/export/microdata.sav")
    assert resp.headers["Content-Type"] == "application/x-spss-sav"
    df, meta = _read(resp.data, tmp_path)
    measure = meta.variable_measure
    assert measure["ACC1"] == measure["OVR1"] == "ordinal"  # answers on a scale
    assert measure["SEX"] == measure["CHANNEL"] == measure["agency"] == measure["partial"] == "nominal"
    assert measure["weight"] == measure["fpc"] == measure["submitted_at"] == measure["received_at"] == "scale"
    assert meta.column_names_to_labels["ACC1"].startswith("Biển hiệu")
    assert meta.column_names_to_labels["partial"].startswith("Phiếu trả lời dở dang")
    assert meta.variable_value_labels["ACC1"][5.0] == "Rất hài lòng"
    assert meta.variable_value_labels["partial"] == {0.0: "Không", 1.0: "Có"}
    assert meta.original_variable_types["received_at"] == "EDATE10"
    assert set(df["received_at"]) == set(df["submitted_at"]) == {date(2025, 8, 1)}  # link answers: the same day
    assert set(df["partial"]) == {0.0} and len(df) == sum(c[3] for c in CELLS)


def test_the_sav_says_which_publication_version_it_comes_from(client, world, analyst, tmp_path):
    sign_in(client, "phan.tich")
    _df, meta = _read(client.get("/analyst/export/microdata.sav").data, tmp_path)
    assert meta.file_label == "W-2025Q3 v1"
    assert "công bố chính thức phiên bản 1" in " ".join(meta.notes)
    assert all(len(line.encode("utf-8")) <= 80 for line in meta.notes)


def test_a_kiosk_answer_sent_late_keeps_the_tablets_day_beside_the_receipt_day(db_session, offline, tmp_path):
    released = exports.release(db_session, offline["wave"], k=1)  # k = 1: every value as it is
    names = [v.name for v in released.variables]
    rows = [dict(zip(names, r)) for r in released.rows]
    kiosk = [r for r in rows if r["mode"] == "kiosk"]
    assert len(kiosk) == 8
    assert {(r["submitted_at"], r["received_at"]) for r in kiosk} == {(date(2025, 8, 3), date(2025, 8, 9))}
    assert sorted(r["partial"] for r in kiosk) == [0] * 6 + [1] * 2
    assert sum(r["partial"] for r in rows) == 2
    df, _meta = _read(exports.microdata_sav(released.variables, released.rows, "x"), tmp_path)
    late = df[df["mode"] == "kiosk"]
    assert set(late["submitted_at"]) == {date(2025, 8, 3)} and set(late["received_at"]) == {date(2025, 8, 9)}
    assert int(df["partial"].sum()) == 2


def test_the_days_are_quasi_identifiers_under_disclosure_control(db_session, offline):
    plain = exports.release(db_session, offline["wave"], k=1)
    protected = exports.release(db_session, offline["wave"], k=5)
    names = [v.name for v in plain.variables]

    def classes(release, columns):
        idx = [names.index(c) for c in columns]
        return Counter(tuple("" if r[i] is None else str(r[i]) for i in idx) for r in release.rows)

    assert min(classes(plain, QI).values()) < 5  # the late kiosk answers stand out by their days
    assert min(classes(protected, QI).values()) >= 5 and min(classes(protected, QI + [sdc.FLAG]).values()) >= 5
    withheld = [r for r in protected.rows if "dates" in r[names.index(sdc.FLAG)].split()]
    assert withheld and protected.sdc.suppressed["dates"] > 0
    assert all(r[names.index("submitted_at")] is None and r[names.index("received_at")] is None for r in withheld)


def test_the_tablets_own_submit_time_dates_the_answer_when_it_sent_one(db_session, offline):
    # A session started late on 3 August (local) but submitted after midnight: the submit time decides.
    kiosk = db_session.scalars(select(Response.id).where(Response.mode == "kiosk").order_by(Response.id)).all()
    db_session.execute(update(Response).where(Response.id.in_(kiosk[:3]))
                       .values(client_submitted_at=datetime(2025, 8, 4, 1, 30)))  # 08:30 on 4 August local
    db_session.flush()
    released = exports.release(db_session, offline["wave"], k=1)
    names = [v.name for v in released.variables]
    days = sorted(r[names.index("submitted_at")] for r in released.rows if r[names.index("mode")] == "kiosk")
    assert days == [date(2025, 8, 3)] * 5 + [date(2025, 8, 4)] * 3
