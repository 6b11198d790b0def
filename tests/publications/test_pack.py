"""The reproducibility pack of a publication version: members, microdata, design, no personal data, syntax,
and (when Rscript is installed) R's survey package recomputing every published number."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import zipfile

import numpy as np
import pytest
from sqlalchemy import delete, select

from survey import QUESTIONNAIRE_DIR
from survey.models import Answer, Invitation, QuestionnaireVersion, Response, WaveStratum
from survey.services import publications
from survey.services.publications import pack
from survey.services.questionnaires.bank import load_file
from survey.services.workspace import publishing
from tests.workspace.conftest import build_world

SINGLETONS = ("T-XCB|civil_status", "T-SXD|construction")
MEMBERS = {
    "README.md",
    "microdata.csv",
    "microdata.sav",
    "microdata.dta",
    "calibration_cells.csv",
    "strata.csv",
    "codebook.csv",
    "index_tree.csv",
    "published.csv",
    "reproduce.R",
    "reproduce.do",
    "reproduce.sps",
    "manifest.json",
}


def singleton_world(session, code="W-SING"):
    """The test province's wave with two strata cut down to one respondent each, then published."""
    world = build_world(session, code=code, publish=False)
    wave = world["wave"]
    for key in SINGLETONS:
        stratum = session.scalar(select(WaveStratum).where(WaveStratum.wave_id == wave.id, WaveStratum.key == key))
        ids = session.scalars(
            select(Response.id)
            .join(Invitation, Invitation.id == Response.invitation_id)
            .where(Invitation.stratum_id == stratum.id)
            .order_by(Response.id)
        ).all()
        session.execute(delete(Answer).where(Answer.response_id.in_(ids[1:])))
        session.execute(delete(Response).where(Response.id.in_(ids[1:])))
    session.flush()
    publishing.publish(session, "test", wave)
    return world


INFO_CH = ([1], [2, 6], [10], [1, 4, 5], [9], [7], [3, 6])  # 7 is no option: answered, 0 in every column


def household_world(session, code="W-HH"):
    """The test province on the household instrument, with the multiple-choice INFO_CH answered by most
    respondents (a few chose nothing, one in seven an unlisted code), then published."""
    loaded = load_file(session, os.path.join(QUESTIONNAIRE_DIR, "sipas2023-household.yaml"))
    session.info["hl_version"] = session.get(QuestionnaireVersion, loaded.version_id)
    world = build_world(session, code=code, publish=False)
    ids = session.scalars(select(Response.id).where(Response.wave_id == world["wave"].id).order_by(Response.id)).all()
    session.execute(
        Answer.__table__.insert(),
        [
            {"response_id": rid, "item_code": "INFO_CH", "value_int": v, "value_text": None}
            for k, rid in enumerate(ids)
            if k % 11
            for v in INFO_CH[k % len(INFO_CH)]
        ],
    )
    session.flush()
    publishing.publish(session, "test", world["wave"])
    return world


def run_r(zf, folder):
    """(numbers, agreeing) of the pack's reproduce.R run in `folder` (asserts that R says all agree)."""
    zf.extractall(folder)
    out = subprocess.run(["Rscript", "reproduce.R"], cwd=folder, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stdout + out.stderr
    total, agree = (int(x) for x in re.findall(r"numbers: (\d+); agree within [^:]+: (\d+)", out.stdout)[0])
    return total, agree


needs_r = pytest.mark.skipif(
    shutil.which("Rscript") is None, reason="Rscript is not installed (apt-get install r-cran-survey)"
)


@pytest.fixture
def packed(db_session):
    world = singleton_world(db_session)
    view = publications.current(db_session, world["wave"].id)
    data = pack.pack_data(db_session, view)
    return world, view, data, zipfile.ZipFile(io.BytesIO(pack.build(data)))


def rows(zf, name):
    return list(csv.DictReader(io.StringIO(zf.read(name).decode("utf-8"))))


def test_the_pack_has_every_member_and_a_manifest_of_their_hashes(packed):
    import hashlib

    _world, view, _data, zf = packed
    assert set(zf.namelist()) == MEMBERS
    manifest = json.loads(zf.read("manifest.json"))
    assert manifest["version"] == view.version and manifest["content_hash"] == view.content_hash
    for name, digest in manifest["files"].items():
        assert hashlib.sha256(zf.read(name)).hexdigest() == digest
    assert manifest["collapsed_strata"] == 2 == view.collapsed_strata


def test_the_design_columns_equal_the_frozen_frame(packed, db_session):
    _world, view, data, zf = packed
    frame = publications.frame(db_session, view)
    d = frame.data.design
    micro = rows(zf, "microdata.csv")
    assert len(micro) == frame.n
    # Rows are in content order: compare as multisets of (w_nonresponse, w_final, fpc) per stratum.
    got = sorted((float(r["w_nonresponse"]), float(r["w_final"]), float(r["fpc"])) for r in micro)
    h = np.asarray(d.frame.strata)
    want = sorted(zip(d.base_weights.tolist(), d.weights.tolist(), np.asarray(d._pop)[h].tolist()))
    assert got == want  # exact: weights are written with repr
    strata = {r["stratum"] for r in micro}
    assert len(strata) == len(set(h.tolist()))  # one label per variance stratum of the frozen design
    merged = [s for s in strata if "T-XCB|civil_status" in s or "T-SXD|construction" in s]
    assert all(s not in SINGLETONS for s in merged)  # the singletons are members of a collapsed stratum
    facts = view.inputs["weighting"]["collapse"]
    assert {facts["strata"][k] for k in SINGLETONS} <= strata


def test_the_calibration_totals_are_the_frozen_ones(packed):
    _world, view, _data, zf = packed
    totals = view.inputs["weighting"]["collapse"]["totals"]
    cells = rows(zf, "calibration_cells.csv")
    assert {c["cell"] for c in cells} <= set(totals) | {c["cell"] for c in cells}
    for c in cells:
        if c["cell"] in totals:
            assert float(c["total"]) == totals[c["cell"]]
        assert float(c["sum_w_final"]) == pytest.approx(float(c["total"]), rel=1e-12)
    micro = rows(zf, "microdata.csv")
    assert {r["cell"] for r in micro} == {c["cell"] for c in cells}


def test_no_personal_data_leaves_in_the_pack(packed, db_session):
    world, _view, _data, zf = packed
    text = "".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist() if not n.endswith((".sav", ".dta")))
    binary = zf.read("microdata.sav") + zf.read("microdata.dta")
    for secret in ("0912345678", "Nguyễn Văn A"):
        assert secret not in text and secret.encode() not in binary
    header = rows(zf, "microdata.csv")[0].keys()
    assert not {"CMT1", "id", "response_id", "uuid", "submitted_at", "phone", "device"} & set(header)
    uuids = db_session.scalars(select(Response.uuid).where(Response.wave_id == world["wave"].id)).all()
    assert not any(u in text for u in uuids[:50])
    assert [int(r["row_id"]) for r in rows(zf, "microdata.csv")] == list(range(1, len(uuids) + 1))


def test_the_sav_and_dta_hold_the_same_microdata(packed):
    import pyreadstat

    _world, _view, _data, zf = packed
    micro = rows(zf, "microdata.csv")
    for name, reader in (("microdata.sav", pyreadstat.read_sav), ("microdata.dta", pyreadstat.read_dta)):
        path = "/tmp/pack-test-" + name
        with open(path, "wb") as fh:
            fh.write(zf.read(name))
        df, meta = reader(path)
        assert list(df.columns) == list(micro[0].keys()) and len(df) == len(micro)
        assert df["w_final"].tolist() == [float(r["w_final"]) for r in micro]
        assert df["stratum"].tolist() == [r["stratum"] for r in micro]
        assert "Trọng số cuối cùng" in meta.column_names_to_labels["w_final"]


def test_published_csv_holds_every_number_of_the_version(packed):
    _world, view, _data, zf = packed
    pub = rows(zf, "published.csv")
    overall = next(r for r in pub if r["grouping"] == "overall" and r["level"] == "overall")
    e = view.table.overall.index.overall
    assert float(overall["value"]) == e.value and float(overall["se"]) == e.se and int(overall["n"]) == e.n
    assert {r["grouping"] for r in pub} == {"overall", "agency", "sector", "agency_sector", "service_point"}
    assert sum(1 for r in pub if r["level"] == "overall") == 1 + sum(
        len(getattr(view.table, g)) for g in ("agencies", "sectors", "agency_sectors")
    ) + len([k for k in view.table.service_points if k is not None])


def test_the_syntax_names_the_design_variables_and_options(packed):
    _world, _view, data, zf = packed
    r = zf.read("reproduce.R").decode()
    assert "svydesign(ids = ~1, strata = ~stratum, fpc = ~fpc, weights = ~w_nonresponse" in r
    assert "postStratify(des, ~cell" in r and "partial = TRUE" in r
    assert 'options(survey.lonely.psu = "%s")' % data.settings["lonely_psu"] in r
    assert "2 strata merged" in r and "svycontrast" in r and "degf(subset(des, m))" in r
    do = zf.read("reproduce.do").decode()
    assert "svyset _n [pweight = w_nonresponse], strata(stratum_id) fpc(fpc) poststrata(cell_id)" in do
    assert "postweight(cell_total) singleunit(centered)" in do and "subpop(`in')" in do
    for code in data.tree["items"]:
        assert data.item_vars[code] in do
    sps = zf.read("reproduce.sps").decode()
    assert "GET FILE = 'microdata.sav'" in sps and "AUTORECODE VARIABLES = stratum cell" in sps
    assert "(T(CM) * hlZ) &/ (Wc" in sps and "(1 - nh &/ popH)" in sps  # post-stratification residual; fpc


def test_the_pack_is_the_same_bytes_each_time(packed, db_session):
    _world, view, data, zf = packed
    again = dict(pack.pack_files.members(pack.pack_data(db_session, view)))
    for name, body in pack.pack_files.members(data):
        assert again[name] == body, name
    # the .sav and .dta creation stamps are fixed (else two packs a second apart differ)
    assert zf.read("microdata.sav")[92:109] == b"01 Jan 2000:00:00"
    assert b"01 Jan 2020 00:00" in zf.read("microdata.dta")[:512]


def test_published_csv_holds_every_indicator_share_of_every_grouping(packed):
    _world, view, _data, zf = packed
    got = {(r["grouping"], r["key"], r["component"]): r for r in rows(zf, "published.csv") if r["level"] == "indicator"}
    table, want = view.table, 0
    assert table.indicator_questions and set(table.indicators) == {"overall", "agencies", "sectors"}
    for grouping, name in (("overall", "overall"), ("agencies", "agency"), ("sectors", "sector")):
        for cell in table.indicators[grouping].values():
            for q, spec in table.indicator_questions.items():
                for option in spec.options:
                    e = cell.shares[q][option]
                    r = got[(name, cell.code if grouping != "overall" else "", "%s=%s" % (q, option))]
                    assert [read_num(r[c]) for c in ("value", "se", "ci_low", "ci_high", "df", "n")] == [
                        None if x != x else x for x in (e.value, e.se, e.ci_low, e.ci_high, e.df, e.n)
                    ]
                    assert r["flags"] == " ".join(cell.flags[q][option])
                    want += 1
    assert len(got) == want
    channel = got[("overall", "", "CHANNEL=1")]
    assert 0 < float(channel["ci_low"]) < float(channel["value"]) < float(channel["ci_high"]) < 100


def test_the_codebook_names_the_option_of_each_multiple_choice_column(db_session):
    world = household_world(db_session)
    data = pack.pack_data(db_session, publications.current(db_session, world["wave"].id))
    zf = zipfile.ZipFile(io.BytesIO(pack.build(data)))
    book = {r["variable"]: r for r in rows(zf, "codebook.csv")}
    assert (book["INFO_CH_6"]["question"], book["INFO_CH_6"]["type"], book["INFO_CH_6"]["option"]) == (
        "INFO_CH",
        "multiple",
        "6",
    )
    assert book["stratum"]["option"] == "" and all(r["option"] == "" for r in book.values() if r["type"] == "single")
    micro = rows(zf, "microdata.csv")
    chosen = [r for r in micro if r["INFO_CH_1"] != ""]
    assert {r["INFO_CH_1"] for r in chosen} == {"0", "1"} and len(chosen) < len(micro)  # some chose nothing
    assert any(all(r["INFO_CH_%d" % o] == "0" for o in (1, 2, 3, 4, 5, 6, 9, 10)) for r in chosen)  # code 7


@needs_r
def test_r_reproduces_every_number_of_a_publication_with_singleton_strata(packed, tmp_path):
    _world, _view, _data, zf = packed
    total, agree = run_r(zf, tmp_path)
    published = rows(zf, "published.csv")
    assert total == agree == 6 * len(published)
    assert {r["grouping"] for r in published if r["level"] == "indicator"} == {"overall", "agency", "sector"}
    results = {(r["grouping"], r["key"], r["level"], r["component"]) for r in rows_of(tmp_path / "r_results.csv")}
    assert {(r["grouping"], r["key"], r["level"], r["component"]) for r in published} <= results


@needs_r
def test_r_reproduces_the_shares_of_a_multiple_choice_question(db_session, tmp_path):
    world = household_world(db_session)
    view = publications.current(db_session, world["wave"].id)
    zf = zipfile.ZipFile(io.BytesIO(pack.build(pack.pack_data(db_session, view))))
    total, agree = run_r(zf, tmp_path)
    assert total == agree == 6 * len(rows(zf, "published.csv"))
    shares = {
        r["component"]: r
        for r in rows_of(tmp_path / "r_results.csv")
        if r["grouping"] == "overall" and r["component"].startswith("INFO_CH=")
    }
    assert len(shares) == 8 and float(shares["INFO_CH=10"]["value"]) > 0
    assert sum(float(r["value"]) for r in shares.values()) > 100  # several channels per respondent
    answered = view.table.indicators["overall"][""].shares["INFO_CH"][1].n
    assert int(shares["INFO_CH=1"]["n"]) == answered < view.table.respondents


def read_num(text):
    """A published.csv number ('' = missing, compared as None since NaN != NaN)."""
    return None if text == "" else float(text)


def rows_of(path):
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))
