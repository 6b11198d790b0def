"""The index table from score rows (response_score) is the table from the answers.

source="db" reads the score rows; a response stored without them (before migration 0012) is
computed from its answers, and the table says how many were. The three ways (all scored, none or
some scored, source="memory") must give the same numbers; the world of test_results.py plus
judgement questions (single, multiple, a needs scale) whose option shares the rows also carry.
"""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from sqlalchemy import func, select, update

from survey.models import ResponseScore
from survey.services import results
from survey.services.respond import rescore
from tests.analysis.test_results import CONTENT, build, same_result

NEED5 = {"codes": [{"code": c, "label": {"vi": str(c), "en": str(c)}} for c in range(1, 6)]}  # no "satisfied"


def _content() -> dict:
    content = copy.deepcopy(CONTENT)
    content["instrument"] = "test-results-scores"
    content["scales"]["need5"] = NEED5
    options = [{"code": c, "label": {"vi": "Lựa chọn %d" % c, "en": "Option %d" % c}} for c in (1, 2, 3, 9)]
    content["sections"].append({"id": "judgement", "title": {"vi": "Đánh giá khác", "en": "Other"}, "questions": [
        {"code": "JDG1", "type": "single", "text": {"vi": "Một lựa chọn", "en": "One"}, "options": options[:3]},
        {"code": "JDG2", "type": "multiple", "text": {"vi": "Nhiều lựa chọn", "en": "Many"}, "options": options},
        {"code": "NEED1", "type": "scale", "scale": "need5", "text": {"vi": "Nhu cầu", "en": "Need"}}]})
    return content


@pytest.fixture
def world(db_session):
    return build(db_session, content=_content())


def _backfill(session, size: int = rescore.BATCH, batches: int | None = None) -> None:
    after, done = 0, 0
    while batches is None or done < batches:
        step = rescore.backfill_batch(session, after, size)
        if not step.responses:
            return
        after, done = step.last_id, done + 1


def _close(x, y) -> bool:
    return all((math.isnan(u) and math.isnan(v)) or u == pytest.approx(v, rel=1e-10, abs=1e-9)
               for u, v in zip((x.value, x.se, x.ci_low, x.ci_high), (y.value, y.se, y.ci_low, y.ci_high))) \
        and (x.df, x.n) == (y.df, y.n)


def same_table(a, b) -> None:
    """Index cells of every grouping and the indicator shares agree."""
    same_result(a.overall.index, b.overall.index)
    for kind in ("agencies", "sectors", "agency_sectors", "service_points"):
        assert getattr(a, kind).keys() == getattr(b, kind).keys()
        for key in getattr(a, kind):
            same_result(getattr(a, kind)[key].index, getattr(b, kind)[key].index)
    assert a.indicators.keys() == b.indicators.keys()
    for kind, cells in a.indicators.items():
        assert cells.keys() == b.indicators[kind].keys()
        for key, cell in cells.items():
            other = b.indicators[kind][key].shares
            assert cell.shares.keys() == other.keys() == {"JDG1", "JDG2", "NEED1"}
            for q, by_option in cell.shares.items():
                assert by_option.keys() == other[q].keys()
                assert all(_close(est, other[q][o]) for o, est in by_option.items()), (kind, key, q)


def _scored_note(table) -> list[str]:
    return [n for n in table.notes if "điểm lưu sẵn" in n]


def test_the_table_from_score_rows_is_the_table_from_the_answers(db_session, world):
    _backfill(db_session)
    wave_id = world["wave"].id
    db, mem = (results.wave_index_table(db_session, wave_id, source=s) for s in ("db", "memory"))
    same_table(db, mem)
    assert db.respondents == mem.respondents == 51 and _scored_note(db) == _scored_note(mem) == []
    assert not math.isnan(db.indicators["overall"][""].shares["JDG2"][9].value)


def test_without_score_rows_the_table_is_computed_from_the_answers_and_says_so(db_session, world):
    wave_id = world["wave"].id
    db, mem = (results.wave_index_table(db_session, wave_id, source=s) for s in ("db", "memory"))
    same_table(db, mem)
    assert _scored_note(db) == _scored_note(mem)
    assert len(_scored_note(db)) == 1 and _scored_note(db)[0].startswith("51 phiếu chưa có điểm lưu sẵn")


def test_a_half_backfilled_wave_gives_the_same_table_and_counts_the_rest(db_session, world):
    _backfill(db_session, size=20, batches=1)  # 20 responses of the 56 (the walk-ups included)
    scored = db_session.scalar(select(func.count(func.distinct(ResponseScore.response_id))))
    assert scored == 20
    wave_id = world["wave"].id
    db, mem = (results.wave_index_table(db_session, wave_id, source=s) for s in ("db", "memory"))
    same_table(db, mem)
    # build() stores each stratum's respondents before the next's and the five walk-ups last: all 20 answered
    assert _scored_note(db)[0].startswith("31 phiếu chưa có điểm lưu sẵn")
    data = results.wave_data(db_session, wave_id, source="db")
    memory = results.wave_data(db_session, wave_id, source="memory")
    assert np.isnan(data.overall_answer).sum() > 0  # some answered no overall item: NaN on both
    np.testing.assert_array_equal(data.overall_answer, memory.overall_answer)


def test_the_database_source_reads_the_score_rows_not_the_answers(db_session, world):
    _backfill(db_session)
    db_session.execute(update(ResponseScore).values(satisfied=0))  # nobody satisfied, by the score rows alone
    wave_id = world["wave"].id
    db, mem = (results.wave_index_table(db_session, wave_id, source=s) for s in ("db", "memory"))
    assert db.overall.index.overall.value == 0.0 < mem.overall.index.overall.value
