"""Microdata written chunk by chunk (microdata_release, microdata_files, microdata_jobs): the rows are those
one pass over whole records gave, whatever the chunk size; each file is what the whole-file writers make;
a large wave is exported by a background job whose page offers the file."""

from __future__ import annotations

import csv
import io
import secrets
from collections import Counter

import numpy as np
import pyreadstat
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from survey.models import AuditLog, Job, JobState
from survey.services.common.spreadsheet import to_csv
from survey.services.workspace import microdata_files, microdata_jobs, microdata_release, microdata_rows, sdc
from survey.services.workspace.microdata import (
    DATES,
    microdata_sav,
    profile_units,
    sdc_k,
    variables,
    version_content,
)
from tests.workspace.conftest import CELLS, sign_in
from tests.workspace.test_microdata_sav import offline  # noqa: F401  (a fixture)


def _one_pass(session, wave, k=None):
    """The rows as the release made them before chunking: every record whole, then disclosure control."""
    src = microdata_rows.load(session, wave)
    content = version_content(session, wave)
    vars_ = variables(content)
    questions = list(dict.fromkeys(v.source for v in vars_ if v.source))
    raw = microdata_rows.records(session, src, questions, None)
    records = []
    for i in np.random.default_rng(secrets.randbits(64)).permutation(len(raw)).tolist():
        rec = {key: value for key, value in raw[i].items() if key != "answers"}
        for v in vars_:
            if v.source:
                chosen = raw[i]["answers"].get(v.source) or []
                if v.option is not None:
                    rec[v.name] = int(v.option in chosen) if chosen else None
                else:
                    rec[v.name] = chosen[0] if len(chosen) == 1 else None
        records.append(rec)
    parents = {c: src.agencies[p][0] if p in src.agencies else None for c, p, _l in src.agencies.values()}
    level = {c: lvl for c, _p, lvl in src.agencies.values()}
    done = sdc.protect(records, k=sdc_k() if k is None else k, scheme=(wave.design or {}).get("scheme", ""),
                       agencies=parents, population=src.population, profile=profile_units(content, vars_),
                       first=(DATES,))
    rows = []
    for rec in done.records:
        fixed = {"wave": wave.code, "fpc": done.fpc.get(rec["stratum"]),
                 "agency_level": level.get(rec["agency"], "") if rec["agency"] else None}
        rows.append(tuple(fixed[v.name] if v.name in fixed else rec.get(v.name) for v in vars_
                          if v.name not in ("row", "psu")))
    return rows, done.report


def _unnumbered(plan, rows):
    names = [v.name for v in plan.variables]
    skip = {names.index("row"), names.index("psu")}
    return Counter(tuple(v for j, v in enumerate(r) if j not in skip) for r in rows)


@pytest.mark.parametrize("k", [1, None])
def test_rows_made_three_at_a_time_are_the_rows_of_one_pass_over_whole_records(db_session, world, k):
    plan = microdata_release.plan(db_session, world["wave"], k=k)
    seen = []
    rows = list(plan.rows(chunk=3, progress=lambda done, total: seen.append((done, total))))
    whole, report = _one_pass(db_session, world["wave"], k)
    assert len(rows) == sum(c[3] for c in CELLS) == plan.n
    assert _unnumbered(plan, rows) == Counter(whole)
    assert plan.sdc.suppressed == report.suppressed and plan.sdc.recodes == report.recodes
    assert [r[0] for r in rows] == list(range(1, plan.n + 1))  # numbered in the released order
    assert seen[0] == (3, plan.n) and seen[-1] == (plan.n, plan.n) and len(seen) == -(-plan.n // 3)


def test_the_chunked_csv_is_byte_for_byte_the_whole_file_csv(db_session, world, tmp_path):
    plan = microdata_release.plan(db_session, world["wave"])
    rows = list(plan.rows())
    names = [v.name for v in plan.variables]
    for style in ("vi", "intl"):
        path = tmp_path / ("m-%s.csv" % style)
        assert microdata_files.write_csv(str(path), names, iter(rows), style) == len(rows)
        assert path.read_bytes() == to_csv(names, rows, style)


def test_the_appended_sav_is_the_whole_frame_sav_but_for_its_creation_stamp(db_session, offline, tmp_path):  # noqa: F811
    offline_world = offline  # kiosk answers given offline: their days differ from their receipt
    out = tmp_path / "m.sav"
    done = microdata_jobs.export(db_session, offline_world["wave"], "sav", str(out), chunk=7)
    plan = microdata_release.plan(db_session, offline_world["wave"])
    body = out.read_bytes()
    df, meta = pyreadstat.read_sav(str(out))
    assert done.rows == len(df) == plan.n and list(df.columns) == [v.name for v in plan.variables]
    rows = [list(r) for r in df.itertuples(index=False)]
    whole = microdata_sav(plan.variables, rows, microdata_jobs.sav_label(offline_world["wave"], plan.source),
                          microdata_jobs.source_note(plan.source))
    assert len(body) == len(whole) and body[:92] == whole[:92]  # same dictionary, same case count
    again, meta2 = pyreadstat.read_sav(str(_write(tmp_path / "whole.sav", whole)))
    assert again.equals(df) and meta.variable_value_labels == meta2.variable_value_labels
    assert meta.column_names_to_labels == meta2.column_names_to_labels
    assert set(df["submitted_at"].dropna()) and meta.readstat_variable_types["stratum"] == "string"


def _write(path, body):
    path.write_bytes(body)
    return path


def test_the_xlsx_holds_the_rows_under_a_frozen_header(db_session, world, tmp_path):
    out = tmp_path / "m.xlsx"
    done = microdata_jobs.export(db_session, world["wave"], "xlsx", str(out), chunk=5)
    ws = load_workbook(out, read_only=True)["microdata"]
    got = list(ws.iter_rows(values_only=True))
    plan = microdata_release.plan(db_session, world["wave"])
    assert list(got[0]) == [v.name for v in plan.variables] and len(got) - 1 == done.rows == plan.n
    weights = sorted(r[got[0].index("weight")] for r in got[1:])
    # openpyxl writes numbers with 16 significant digits (the CSV and the .sav keep every bit)
    assert np.allclose(weights, sorted(world_weights(db_session, world)), rtol=1e-15, atol=0)


def world_weights(session, world):
    return microdata_rows.load(session, world["wave"]).data.design.weights.tolist()


@pytest.fixture
def inline_jobs(app, tmp_path):
    """Jobs run in the request's thread (their rows live in the test's transaction), files under tmp_path."""
    app.config.update(JOBS_INLINE=True, JOBS_DIR=str(tmp_path), EXPORT_INLINE_ROWS=10)
    yield app
    app.config.update(JOBS_INLINE=False, JOBS_DIR=None)
    app.config.pop("EXPORT_INLINE_ROWS", None)


def test_a_large_wave_is_exported_by_a_job_whose_page_offers_the_file(client, world, analyst, db_session,
                                                                     inline_jobs):
    sign_in(client, "phan.tich")
    page = client.get("/analyst/export/microdata.csv?csv=intl")
    assert page.status_code == 200 and 'data-testid="export-job"' in page.get_data(as_text=True)
    assert db_session.scalar(select(AuditLog).where(AuditLog.action == "export.microdata")) is None
    started = client.post("/analyst/export/microdata.csv/job?csv=intl&wave=%d" % world["wave"].id)
    assert started.status_code == 303 and "/jobs/" in started.headers["Location"]
    job = db_session.scalar(select(Job).where(Job.kind == microdata_jobs.EXPORT_JOB))
    assert job.state == JobState.DONE, job.message
    state = client.get("/jobs/%d.json" % job.id).get_json()
    assert state["download"] and state["finished"]
    with client.get(state["download"]) as got:
        rows = list(csv.DictReader(io.StringIO(got.data.decode("utf-8-sig"))))
    assert len(rows) == job.result["rows"] == sum(c[3] for c in CELLS)
    assert sorted(float(r["weight"]) for r in rows) == sorted(world_weights(db_session, world))
    entry = db_session.scalar(select(AuditLog).where(AuditLog.action == "export.microdata"))
    assert entry.actor == "phan.tich" and entry.details["csv"] == "intl" and entry.details["job"] == job.id


def test_the_export_job_of_an_agency_viewer_holds_only_their_agencies(client, world, viewer, db_session,
                                                                     inline_jobs):
    sign_in(client, "xem.tnmt")
    client.post("/analyst/export/microdata.csv/job?csv=intl&wave=%d" % world["wave"].id)
    job = db_session.scalar(select(Job).where(Job.kind == microdata_jobs.EXPORT_JOB))
    with client.get("/jobs/%d/download" % job.id) as got:
        text = got.data.decode("utf-8-sig")
    agencies = [r["agency"] for r in csv.DictReader(io.StringIO(text))]
    assert agencies and set(agencies) <= {"T-STNMT", ""} and world["land"].id in job.params["visible"]
    assert world["build"].id not in job.params["visible"]


def test_a_small_wave_is_sent_at_once_and_its_temporary_file_is_removed(client, world, analyst, tmp_path,
                                                                      monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    sign_in(client, "phan.tich")
    got = client.get("/analyst/export/microdata.xlsx")
    assert got.status_code == 200 and got.data[:2] == b"PK" and int(got.headers["Content-Length"]) == len(got.data)
    got.close()
    assert not list(tmp_path.glob("hailong-export-*"))


def test_the_cli_prints_its_progress(runner, world, tmp_path):
    out = tmp_path / "m.csv"
    result = runner.invoke(args=["export", "microdata", "--wave", world["wave"].code, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "100.0 %" in result.output and "Đang đọc các biến nhận diện" in result.output
    assert out.read_bytes().count(b"\r\n") == sum(c[3] for c in CELLS) + 1
