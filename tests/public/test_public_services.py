"""The public scoreboard of a health wave: facilities against the public-service target, per level and per
commune-level area, all from the publication (issue 22 item 4)."""
from __future__ import annotations

import re

import pytest

from survey.services import scoreboard
from survey.services.publications import frozen
from tests.workspace.conftest import build_world
from tests.workspace.public_world import FACILITIES, build_public_wave


def _text(resp) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", resp.get_data(as_text=True).replace("&nbsp;", " ")))


@pytest.fixture
def health(db_session):
    return build_public_wave(db_session, "health")


def test_board_lists_the_facilities_of_the_publication_against_the_health_target(db_session, health):
    entry = scoreboard.choose(scoreboard.catalogue(db_session), False, "PS-2025")
    board = scoreboard.board(db_session, entry)
    names = {c.name_vi: c for c in board.agencies}
    assert set(names) == {f[2] for f in FACILITIES["health"]}
    good = names["Bệnh viện đa khoa Cẩm Xuyên"]
    assert good.sufficient and good.target == 85 and good.target_label_vi == "Mục tiêu health 2025"
    small = names["Bệnh viện đa khoa tỉnh"]
    assert not small.sufficient and small.index is None and small.n is None  # 14 answers: emptied, not ranked
    assert board.public_service.service == "health"
    assert {c.code for c in board.public_service.levels} == {"inpatient", "outpatient"}
    assert {c.name_vi for c in board.public_service.areas} == {"Ủy ban nhân dân xã Cẩm Xuyên",
                                                               "Ủy ban nhân dân xã Cẩm Bình"}
    assert {c.code for c in board.public_service.residences} == {"42001", "42002"}


def test_board_reads_the_publication_not_the_registry_or_answers(db_session, health):
    from survey.models import Publication

    pub = db_session.query(Publication).filter_by(wave_id=health["wave"].id).one()
    stored = frozen.thaw_table(pub.inputs["public_services"])
    health["h1"].name_vi = "Tên đổi sau khi công bố"  # a later registry edit does not reach the published cells
    db_session.flush()
    scoreboard.reset_caches()
    board = scoreboard.board(db_session, scoreboard.choose(scoreboard.catalogue(db_session), False, "PS-2025"))
    levels = {c.code: c for c in board.public_service.levels}
    assert levels["inpatient"].index == pytest.approx(stored.levels["inpatient"].est.value)
    assert "Tên đổi sau khi công bố" not in {c.name_vi for c in board.agencies}


def test_public_page_shows_the_health_section_and_the_facilities(client, health):
    text = _text(client.get("/cong-khai?wave=PS-2025"))
    assert "Dịch vụ công: Y tế" in text
    assert "Chỉ số hài lòng về dịch vụ công (Y tế)" in text  # not "sự phục vụ hành chính"
    assert "Chỉ số hài lòng theo loại hình dịch vụ" in text and "Khám, chữa bệnh ngoại trú" in text
    assert "Chỉ số hài lòng theo địa bàn cấp xã" in text and "Ủy ban nhân dân xã Cẩm Bình" in text
    assert "Chỉ số hài lòng theo xã nơi người dân cư trú" in text
    assert "Trạm y tế xã Cẩm Bình" in text and "85 %" in text
    assert "chưa đủ số liệu" in text  # the provincial hospital


def test_public_page_of_a_tthc_wave_has_no_health_section(client, db_session):
    build_world(db_session)
    html = client.get("/cong-khai?wave=W-2025Q3").get_data(as_text=True)
    assert 'data-testid="public-service"' not in html
    assert "Chỉ số hài lòng về sự phục vụ hành chính" in html
