"""The 766-style score (docs/methodology.md §17) against hand-computed values: which dossiers count, which are
unfavourable, latest words win, dossier-eval answers, undefined without dossiers, subtree roll-up, periods."""

from __future__ import annotations

import os
import uuid
from datetime import date, datetime

import pytest

from survey import QUESTIONNAIRE_DIR
from survey.models import Agency, Answer, Invitation, Response, Wave
from survey.services.common.tokens import hash_token
from survey.services.qd766 import ingest
from survey.services.qd766 import score as qd
from survey.services.qd766.records import Kind
from survey.services.questionnaires.bank import load_file
from tests.qd766.conftest import add_dossiers, event, rating
from tests.sampling.factories import record

MAY = (date(2025, 5, 1), date(2025, 5, 31))


def send(session, source, kind, records):
    result = ingest.ingest(session, source, kind, records)
    assert result.count("rejected") == 0, [it.result.errors for it in result.items]


def ag(reg, code="AG1"):
    return reg["agencies"][code].id


def test_the_score_counts_each_unfavourable_dossier_once(db_session, reg, source):
    # Ten dossiers of AG1: HS-0 overdue by its dates, HS-1 overdue by event and petitioned and rated badly
    # (one dossier, three reasons), HS-2 petitioned, HS-3 rated not satisfied: 4 unfavourable of 10 → 60 %.
    add_dossiers(
        db_session,
        source,
        [record("HS-0", due_at="2025-05-10T09:00:00+07:00")] + [record(f"HS-{i}") for i in range(1, 10)],
    )
    send(
        db_session,
        source,
        Kind.EVENT,
        [
            event("E-1", "HS-1", "overdue"),
            event("E-2", "HS-1", "petition"),
            event("E-3", "HS-2", "petition"),
            event("E-4", "HS-0", "apology_letter"),
        ],
    )
    send(
        db_session,
        source,
        Kind.RATING,
        [
            rating("R-1", "HS-1", level="not_satisfied"),
            rating("R-3", "HS-3", level="not_satisfied"),
            rating("R-4", "HS-4", level="normal"),
            rating("R-5", "HS-5"),
        ],
    )
    s = qd.by_agency(db_session, *MAY)[ag(reg)]
    assert (s.dossiers, s.overdue, s.apologised, s.petitions, s.rated, s.not_satisfied, s.unfavourable) == (
        10,
        2,
        1,
        2,
        4,
        2,
        4,
    )
    assert s.value == pytest.approx(60.0)
    assert s.points == pytest.approx(10.8)  # 60 % of the group's 18 points


def test_an_agency_without_dossiers_has_no_score_and_zero_dossiers_is_undefined(db_session, reg, source):
    add_dossiers(db_session, source, [record("HS-1")])
    scores = qd.by_agency(db_session, *MAY)
    assert ag(reg, "AG2") not in scores
    assert qd.Score().value is None and qd.Score().points is None
    assert qd.overall({}).value is None


def test_the_latest_timing_event_wins_over_the_dossiers_own_due_date(db_session, reg, source):
    add_dossiers(
        db_session, source, [record("HS-1", due_at="2025-05-10T09:00:00+07:00"), record("HS-2"), record("HS-3")]
    )
    send(
        db_session,
        source,
        Kind.EVENT,
        [
            event("E-1", "HS-1", "on_time", at="2025-05-10T12:00:00+07:00"),  # the due date was extended
            event("E-2", "HS-2", "on_time", at="2025-05-10T12:00:00+07:00"),
            event("E-3", "HS-2", "overdue", at="2025-05-11T12:00:00+07:00"),  # later word: overdue
            event("E-4", "HS-3", "overdue", at="2025-05-10T12:00:00+07:00"),
            event("E-5", "HS-3", "on_time", at="2025-05-09T12:00:00+07:00"),
        ],
    )  # earlier: loses
    s = qd.by_agency(db_session, *MAY)[ag(reg)]
    assert (s.overdue, s.unfavourable) == (2, 2)
    assert s.value == pytest.approx(100 / 3)


def test_the_latest_rating_wins_and_a_level_outranks_a_score(db_session, reg, source):
    add_dossiers(db_session, source, [record("HS-1"), record("HS-2"), record("HS-3"), record("HS-4")])
    send(
        db_session,
        source,
        Kind.RATING,
        [
            rating("R-1", "HS-1", level="not_satisfied", rated_at="2025-05-11T09:00:00"),
            rating("R-2", "HS-1", level="satisfied", rated_at="2025-05-12T09:00:00"),  # re-rated: satisfied
            rating("R-3", "HS-2", level="satisfied", score=2),  # the level decides
            rating("R-4", "HS-3", level=None, score=5),  # weak band: not satisfied
            rating("R-5", "HS-4", level=None, score=6),
        ],
    )  # average band: not
    s = qd.by_agency(db_session, *MAY)[ag(reg)]
    assert (s.rated, s.not_satisfied) == (4, 1)
    assert s.value == pytest.approx(75.0)


def test_withdrawn_dossiers_and_dossiers_outside_the_period_do_not_count(db_session, reg, source):
    # Local dates: 2025-05-31T23:30+07:00 is in May, 2025-06-01T00:30+07:00 (17:30 UTC on 31 May) is not.
    add_dossiers(
        db_session,
        source,
        [
            record("HS-1"),
            record("HS-2", outcome="withdrawn"),
            record("HS-3", outcome="rejected"),
            record(
                "HS-4", received_at="2025-05-31T08:00:00+07:00", due_at=None, completed_at="2025-05-31T23:30:00+07:00"
            ),
            record(
                "HS-5", received_at="2025-05-31T08:00:00+07:00", due_at=None, completed_at="2025-06-01T00:30:00+07:00"
            ),
            record("HS-6", day="2025-04-30"),
        ],
    )
    assert qd.by_agency(db_session, *MAY)[ag(reg)].dossiers == 3  # HS-1, HS-3 (rejected counts), HS-4


def test_answers_to_the_dossier_eval_questionnaire_rate_their_dossier(db_session, reg, source):
    add_dossiers(db_session, source, [record("HS-1"), record("HS-2"), record("HS-3")])
    loaded = load_file(db_session, os.path.join(QUESTIONNAIRE_DIR, "dossier-eval.yaml"))
    wave = Wave(
        code="W-EVAL",
        name="Đánh giá hồ sơ",
        period_start=MAY[0],
        period_end=MAY[1],
        questionnaire_version_id=loaded.version_id,
        seed="s",
        status="launched",
        design={},
    )
    db_session.add(wave)
    db_session.flush()
    from sqlalchemy import select

    from survey.models import Dossier

    def answer(ext: str, codes: list[int | None]) -> None:
        d = db_session.scalar(select(Dossier).where(Dossier.external_id == ext))
        inv = Invitation(
            wave_id=wave.id,
            dossier_id=d.id,
            token_hash=hash_token(uuid.uuid4().hex),
            pi=1.0,
            agency_id=d.agency_id,
            sector_id=d.sector_id,
            outcome="approved",
            expires_at=datetime(2025, 7, 1),
            status="completed",
        )
        db_session.add(inv)
        db_session.flush()
        resp = Response(
            uuid=str(uuid.uuid4()),
            invitation_id=inv.id,
            questionnaire_version_id=loaded.version_id,
            wave_id=wave.id,
            agency_id=d.agency_id,
            mode="link",
            submitted_at=datetime(2025, 5, 12),
        )
        db_session.add(resp)
        db_session.flush()
        db_session.add_all(
            [
                Answer(response_id=resp.id, item_code=f"D{k + 1}", value_int=v)
                for k, v in enumerate(codes)
                if v is not None
            ]
        )

    answer("HS-1", [0, 0, 1, 0, 1, 0, 1, 0, 1])  # 4 points: weak → not satisfied
    answer("HS-2", [2] * 9)  # 18 points: satisfied
    answer("HS-3", [0] * 8 + [None])  # a criterion unanswered: no score, no rating
    db_session.flush()
    s = qd.by_agency(db_session, *MAY)[ag(reg)]
    assert (s.rated, s.not_satisfied) == (2, 1)
    assert s.value == pytest.approx(200 / 3)
    # An intake rating given after the answer is the latest word on HS-1.
    send(db_session, source, Kind.RATING, [rating("R-1", "HS-1", rated_at="2025-05-20T09:00:00")])
    assert qd.by_agency(db_session, *MAY)[ag(reg)].not_satisfied == 0


def test_subtree_roll_up_adds_the_units_below_and_viewers_see_only_their_agencies(db_session, reg, source):
    parent = Agency(code="UBND", name_vi="UBND tỉnh", level="province")
    db_session.add(parent)
    db_session.flush()
    for code in ("AG1", "AG2"):
        reg["agencies"][code].parent_id = parent.id
    db_session.flush()
    add_dossiers(
        db_session,
        source,
        [
            record("HS-1"),
            record("HS-2", due_at="2025-05-10T09:00:00+07:00"),
            record("HS-5", agency="AG2", service_point="SP2"),
        ],
    )
    own = qd.by_agency(db_session, *MAY)
    up = qd.rolled_up(db_session, own)
    assert parent.id not in own
    assert (up[parent.id].dossiers, up[parent.id].unfavourable) == (3, 1)
    assert up[parent.id].value == pytest.approx(200 / 3)
    assert up[ag(reg)] == own[ag(reg)]
    assert set(qd.by_agency(db_session, *MAY, visible={ag(reg, "AG2")})) == {ag(reg, "AG2")}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2025-Q3", (date(2025, 7, 1), date(2025, 9, 30))),
        ("2025q4", (date(2025, 10, 1), date(2025, 12, 31))),
        ("2025-02", (date(2025, 2, 1), date(2025, 2, 28))),
        ("2025-W27", (date(2025, 6, 30), date(2025, 7, 6))),
        ("2024", (date(2024, 1, 1), date(2024, 12, 31))),
        ("2025-07-01:2025-07-07", (date(2025, 7, 1), date(2025, 7, 7))),
        ("2025-07-01..2025-07-07", (date(2025, 7, 1), date(2025, 7, 7))),
    ],
)
def test_periods_are_read_in_every_documented_form(text, expected):
    assert qd.parse_period(text) == expected


@pytest.mark.parametrize(
    "text", ["", "2025-Q5", "2025-13", "2025-07-07:2025-07-01", "tuần 27", "2025-W54", "2025-02-30:2025-03-01"]
)
def test_a_bad_period_is_refused_in_vietnamese(text):
    with pytest.raises(ValueError, match="Kỳ không hợp lệ"):
        qd.parse_period(text)
