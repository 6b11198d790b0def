"""The Stata and SPSS syntax of a pack covers every published grouping and indicator (checked as text: neither
program runs here), and GNU PSPP, when installed, runs reproduce.sps to every published number."""

from __future__ import annotations

import csv
import io
import math
import re
import shutil
import subprocess
import zipfile

import pytest

from survey.services import publications
from survey.services.publications import pack
from tests.publications.test_pack import household_world, rows, singleton_world

TOLERANCE = 1e-6  # as reproduce.R: percentage points


@pytest.fixture
def household(db_session):
    world = household_world(db_session)
    view = publications.current(db_session, world["wave"].id)
    return view, zipfile.ZipFile(io.BytesIO(pack.build(pack.pack_data(db_session, view))))


def _indicators(zf) -> dict:
    """{question: [options]} of the published indicator rows."""
    out: dict = {}
    for r in rows(zf, "published.csv"):
        if r["level"] == "indicator":
            q, o = r["component"].rsplit("=", 1)
            if o not in out.setdefault(q, []):
                out[q].append(o)
    return out


def test_the_do_file_estimates_every_grouping_and_every_indicator(household):
    _view, zf = household
    do = zf.read("reproduce.do").decode()
    assert 'hl_domain "overall" "" "1"' in do
    for grouping in ("agency", "sector", "agency_sector", "service_point"):
        assert 'hl_domain "%s" "`k\'"' % grouping in do
    indicators = _indicators(zf)
    assert "INFO_CH" in indicators
    for q, options in indicators.items():
        for grouping in ("overall", "agency", "sector"):
            assert re.search(r'hl_shares "%s" .* "%s" "%s" ' % (grouping, q, " ".join(options)), do), (grouping, q)
    # a multiple-choice question: one 0/1 column per option, chosen = 1
    info = re.search(r'hl_shares "overall" ""  "1" "INFO_CH" "([^"]+)" "([^"]+)" "([^"]+)"', do)
    assert info.group(2).split() == ["INFO_CH_%s" % o for o in info.group(1).split()]
    assert set(info.group(3).split()) == {"1"}
    assert "svy, subpop(`in'): mean" in do and "str80 component" in do


def test_the_sps_file_computes_every_published_component_in_every_grouping(household):
    _view, zf = household
    sps = zf.read("reproduce.sps").decode()
    assert "MATRIX." in sps and "END MATRIX." in sps and "GET FILE = 'microdata.sav'" in sps
    table = re.search(r"BEGIN DATA\n(.*?)\nEND DATA", sps, re.S).group(1).splitlines()
    listed = {tuple(line.split(",", 2)[1:]) for line in table}
    assert {(r["level"], r["component"]) for r in rows(zf, "published.csv")} <= listed
    for number, grouping in enumerate(("overall", "agency", "sector", "agency_sector", "service_point"), 1):
        assert "(%d = '%s')" % (number, grouping) in sps
    assert "LOOP gg = 1 TO 5." in sps and "DO IF gg <= 3." in sps  # indicators: province, agencies, sectors
    assert "SET MXLOOPS = 1000000." in sps  # else a loop stops after 40 domains (the demo has 162 agency × sector)
    assert "IDF.T(" in sps and "IDF.BETA(" in sps and "/BREAK = hl_d4" in sps
    assert "COMPUTE hl_y1 = 0." in sps and "(INFO_CH_1 = 1)" in sps


def _compare(folder, name: str) -> tuple[int, int]:
    """(numbers, agreeing within TOLERANCE) of published.csv against a program's results file."""

    def num(text):
        return None if text.strip() in ("", ".") else float(text)

    with open(folder / name, encoding="utf-8") as fh:
        got = {tuple(r[c].strip() for c in ("grouping", "key", "level", "component")): r for r in csv.DictReader(fh)}
    total = agree = 0
    with open(folder / "published.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            other = got.get((r["grouping"], r["key"], r["level"], r["component"]))
            for c in ("value", "se", "ci_low", "ci_high", "df", "n"):
                total += 1
                a, b = num(r[c]), num(other[c]) if other else math.inf
                agree += (a is None and b is None) or (a is not None and b is not None and abs(a - b) <= TOLERANCE)
    return total, agree


@pytest.mark.skipif(shutil.which("pspp") is None, reason="GNU PSPP is not installed (apt-get install pspp)")
@pytest.mark.parametrize("make", [singleton_world, household_world], ids=["singletons", "household"])
def test_pspp_runs_the_sps_file_to_every_published_number(db_session, tmp_path, make):
    world = make(db_session)
    zf = zipfile.ZipFile(
        io.BytesIO(pack.build(pack.pack_data(db_session, publications.current(db_session, world["wave"].id))))
    )
    zf.extractall(tmp_path)
    out = subprocess.run(
        ["pspp", "reproduce.sps", "-o", "pspp.txt"], cwd=tmp_path, capture_output=True, text=True, timeout=900
    )
    assert out.returncode == 0 and (tmp_path / "spss_results.csv").exists(), out.stdout + out.stderr
    total, agree = _compare(tmp_path, "spss_results.csv")
    assert total == agree == 6 * len(rows(zf, "published.csv"))
    assert {r["level"] for r in rows(zf, "published.csv")} >= {"item", "element", "part", "overall", "indicator"}
