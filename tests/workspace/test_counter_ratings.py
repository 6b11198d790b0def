"""Walk-up kiosk ratings of a service point (counter_ratings): counts, local days and hours, reasons, comments,
and the sampled index beside them, which walk-ups never change."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import delete, update

from survey import QUESTIONNAIRE_DIR
from survey.models import Answer, Comment, QuestionnaireVersion, Response
from survey.services import results
from survey.services.kiosk.devices import create_device
from survey.services.questionnaires.bank import load_file
from survey.services.respond.responses import store_response
from survey.services.workspace import counter_csv, counter_index, wavedata
from survey.services.workspace import counter_ratings as cr

PERIOD = cr.Period(date(2025, 8, 1), date(2025, 8, 7))


def kiosk_version(session):
    """The shipped quick form, loaded once per test."""
    if "hl_kiosk" not in session.info:
        loaded = load_file(session, QUESTIONNAIRE_DIR + "/kiosk-quick.yaml")
        session.info["hl_kiosk"] = session.get(QuestionnaireVersion, loaded.version_id)
    return session.info["hl_kiosk"]


def walkup(
    session, point, device, at_utc: datetime, answers: dict, other: dict | None = None, wave_id: int | None = None
) -> Response:
    """A walk-up rating stored as the kiosk stores one, submitted at `at_utc` (naive UTC)."""
    response, _created = store_response(
        session,
        kiosk_version(session),
        str(uuid.uuid4()),
        answers,
        other or {},
        mode="kiosk_walkup",
        device_id=device.id,
        service_point_id=point.id,
    )
    response.submitted_at = at_utc
    response.wave_id = wave_id
    session.flush()
    return response


@pytest.fixture
def kiosks(world, db_session):
    """Two counters at the province centre, one at the district centre."""
    one, _ = create_device(db_session, world["centre"], "Quầy 1")
    two, _ = create_device(db_session, world["centre"], "Quầy 2")
    other, _ = create_device(db_session, world["dcentre"], "Quầy huyện")
    return {"one": one, "two": two, "other": other}


def test_period_defaults_to_the_last_30_local_days():
    period = cr.parse_period(None, "", today=date(2025, 8, 31))
    assert (period.start, period.end) == (date(2025, 8, 2), date(2025, 8, 31)) and len(period.days) == 30


@pytest.mark.parametrize(
    "start,end,words",
    [
        ("2025-13-01", "", "không hợp lệ"),
        ("hôm qua", "", "năm-tháng-ngày"),
        ("2025-08-09", "2025-08-01", "trước"),
        ("2023-01-01", "2025-01-01", "366 ngày"),
        ("1999-12-31", "2000-01-05", "2000–2100"),
    ],
)
def test_bad_periods_are_refused_in_vietnamese(app, start, end, words):
    with app.test_request_context(), pytest.raises(cr.CounterError) as err:
        cr.parse_period(start, end, today=date(2025, 8, 31))
    assert words in err.value.message and err.value.status == 400


def test_days_and_hours_are_local_time(db_session, world, kiosks):
    centre, one = world["centre"], kiosks["one"]
    walkup(db_session, centre, one, datetime(2025, 8, 1, 23, 30), {"Q1": 1})  # 06:30 on 2 August in Hà Nội
    walkup(db_session, centre, one, datetime(2025, 8, 2, 1, 10), {"Q1": 3})  # 08:10 on 2 August
    walkup(db_session, centre, one, datetime(2025, 7, 31, 16, 59), {"Q1": 1})  # 23:59 on 31 July: outside
    report = cr.counter_report(db_session, centre, PERIOD)
    days = {b.key: b for b in report.by_day}
    assert len(report.by_day) == 7 and days[date(2025, 8, 2)].ratings == 2 and days[date(2025, 8, 1)].ratings == 0
    assert [(b.key, b.ratings, b.unhappy) for b in report.by_hour] == [(6, 1, 1), (7, 0, 0), (8, 1, 0)]
    assert report.by_hour[0].label == "06:00–07:00"
    assert (report.total.ratings, report.total.unhappy, report.total.share) == (2, 1, 50.0)


def test_not_satisfied_is_any_rating_outside_the_scales_satisfied_codes(db_session, world, kiosks):
    centre, one = world["centre"], kiosks["one"]
    at = datetime(2025, 8, 3, 3)
    walkup(db_session, centre, one, at, {"Q1": 2, "Q2": 3})  # satisfied twice
    walkup(db_session, centre, one, at, {"Q1": 3, "Q2": 1})  # the result was not satisfactory
    walkup(db_session, centre, one, at, {"Q1": 1, "Q1_REASON": [4]})  # the attitude was not
    walkup(db_session, centre, one, at, {"Q1": 2})
    report = cr.counter_report(db_session, centre, PERIOD)
    assert (report.total.ratings, report.total.unhappy) == (4, 2)
    assert [(b.key, b.ratings, b.unhappy) for b in report.by_question] == [("Q1", 4, 1), ("Q2", 2, 1)]
    assert report.by_question[0].label == "Thái độ phục vụ" and report.unhappy_labels == ["Chưa hài lòng"]


def test_reasons_are_counted_among_the_ratings_asked_them(db_session, world, kiosks):
    centre, one = world["centre"], kiosks["one"]
    at = datetime(2025, 8, 4, 2)
    walkup(db_session, centre, one, at, {"Q1": 1, "Q1_REASON": [4, 2]})
    walkup(db_session, centre, one, at, {"Q1": 1, "Q1_REASON": [4]})
    walkup(db_session, centre, one, at, {"Q1": 1})  # asked, chose none (timed out)
    walkup(db_session, centre, one, at, {"Q1": 1, "Q2": 1, "Q2_REASON": [1]})
    walkup(db_session, centre, one, at, {"Q1": 3})  # never asked
    report = cr.counter_report(db_session, centre, PERIOD)
    got = {(r.question, r.code): (r.count, r.asked, r.share) for r in report.reasons}
    assert got == {("Q1_REASON", 4): (2, 4, 50.0), ("Q1_REASON", 2): (1, 4, 25.0), ("Q2_REASON", 1): (1, 1, 100.0)}
    first = report.reasons[0]
    assert (first.code, first.label, first.group) == (4, "Phải chờ đợi lâu", "Thái độ phục vụ")


def _comment_row(session, response: Response, text: str | None) -> None:
    """Set the response's comment row to `text` (None: no comment row, as for answers stored before comments)."""
    session.execute(delete(Comment).where(Comment.response_id == response.id))
    if text is not None:
        session.add(
            Comment(
                response_id=response.id,
                item_code="Q1_REASON",
                text=text,
                folded=text.lower(),
                day=date(2025, 8, 5),
                probability_sample=False,
                service_point_id=response.service_point_id,
            )
        )
    session.flush()


def test_comments_prefer_the_redacted_comment_row_and_redact_bare_answer_texts(db_session, world, kiosks):
    centre, one = world["centre"], kiosks["one"]
    older = walkup(
        db_session, centre, one, datetime(2025, 8, 2, 3), {"Q1": 1, "Q1_REASON": [9]}, {"Q1_REASON": "lý do khác"}
    )
    # an answer text from before redaction on write, without its comment row
    db_session.execute(
        update(Answer)
        .where(Answer.response_id == older.id, Answer.item_code == "Q1_REASON")
        .values(value_text="Gọi tôi 0912 345 678 hoặc a.b@example.com")
    )
    _comment_row(db_session, older, None)
    newer = walkup(
        db_session,
        centre,
        one,
        datetime(2025, 8, 5, 9),
        {"Q1": 1, "Q1_REASON": [9]},
        {"Q1_REASON": "Cán bộ nói nặng lời"},
    )
    _comment_row(db_session, newer, "Cán bộ [tên] nói nặng lời")
    notes = cr.counter_report(db_session, centre, PERIOD).comments
    assert [n.text for n in notes] == ["Cán bộ [tên] nói nặng lời", "Gọi tôi [số điện thoại] hoặc [email]"]
    assert [n.day for n in notes] == [date(2025, 8, 5), date(2025, 8, 2)]
    assert notes[0].question == "Thái độ phục vụ" and not hasattr(notes[0], "hour")


def test_only_the_latest_comments_are_listed(db_session, world, kiosks):
    centre, one = world["centre"], kiosks["one"]
    for k in range(cr.LATEST_COMMENTS + 3):
        walkup(
            db_session,
            centre,
            one,
            datetime(2025, 8, 1, 1) + timedelta(hours=k),
            {"Q1": 1, "Q1_REASON": [9]},
            {"Q1_REASON": "ý kiến %d" % k},
        )
    notes = cr.counter_report(db_session, centre, PERIOD).comments
    assert len(notes) == cr.LATEST_COMMENTS and notes[0].text == "ý kiến %d" % (cr.LATEST_COMMENTS + 2)


def test_a_counter_narrows_the_report_and_counters_are_listed(db_session, world, kiosks):
    centre = world["centre"]
    at = datetime(2025, 8, 6, 2)
    walkup(db_session, centre, kiosks["one"], at, {"Q1": 1})
    walkup(db_session, centre, kiosks["two"], at, {"Q1": 3})
    walkup(db_session, centre, kiosks["two"], at, {"Q1": 3})
    walkup(db_session, world["dcentre"], kiosks["other"], at, {"Q1": 1})
    whole = cr.counter_report(db_session, centre, PERIOD)
    assert [(b.label, b.ratings, b.unhappy) for b in whole.by_counter] == [("Quầy 1", 1, 1), ("Quầy 2", 2, 0)]
    two = cr.counter_report(db_session, centre, PERIOD, device_id=kiosks["two"].id)
    assert (two.device.label, two.total.ratings, two.total.unhappy) == ("Quầy 2", 2, 0)
    with pytest.raises(cr.CounterError) as err:
        cr.counter_report(db_session, centre, PERIOD, device_id=kiosks["other"].id)
    assert err.value.status == 404


def test_sampled_responses_at_the_point_are_not_walkups(db_session, world, kiosks):
    centre = world["centre"]
    invited = db_session.query(Response).filter(Response.service_point_id == centre.id).first()
    invited.submitted_at, invited.mode, invited.device_id = datetime(2025, 8, 3, 3), "kiosk", kiosks["one"].id
    db_session.flush()
    assert cr.counter_report(db_session, centre, PERIOD).total.ratings == 0


def test_the_sampled_index_is_the_publications_cell_of_the_point(db_session, world, kiosks):
    centre = world["centre"]
    published = wavedata.published(db_session, world["wave"]).view.table.service_points[centre.id].est
    sampled = cr.counter_report(db_session, centre, PERIOD).sampled
    assert sampled.wave.id == world["wave"].id and sampled.est == published and sampled.n == published.n
    assert 0 < sampled.est.ci_low < sampled.est.value < sampled.est.ci_high


def test_a_viewer_gets_the_domain_estimate_inside_his_agencies(db_session, world):
    centre = world["centre"]
    scope = {world["land"].id}
    sampled = counter_index.sampled_index(db_session, centre, scope, 30)
    frame = wavedata.scoped(wavedata.published(db_session, world["wave"]).frame, scope)
    assert sampled.est == frame.index(mask=frame.point == centre.id).overall
    assert sampled.n == 90  # the land department's respondents at the centre only (construction's left out)


def test_walkups_never_change_the_points_index(db_session, world, kiosks):
    centre, wave = world["centre"], world["wave"]
    before = results.wave_index_table(db_session, wave.id).service_points[centre.id].est
    shown_before = counter_index.sampled_index(db_session, centre, None, 30).est
    for k in range(60):  # many unhappy walk-ups during the wave, even tagged with the wave
        walkup(
            db_session,
            centre,
            kiosks["one"],
            datetime(2025, 8, 1, 2) + timedelta(hours=k),
            {"Q1": 1, "Q2": 1},
            wave_id=wave.id if k % 2 else None,
        )
    after = results.wave_index_table(db_session, wave.id).service_points[centre.id].est
    assert after == before and counter_index.sampled_index(db_session, centre, None, 30).est == shown_before
    assert results.wave_index_table(db_session, wave.id).walkup_excluded == 30
    assert cr.counter_report(db_session, centre, PERIOD).total.unhappy == 60


def test_no_publication_means_no_sampled_index(db_session, world, kiosks):
    from tests.workspace.conftest import build_world

    unpublished = build_world(
        db_session, period=(date(2026, 1, 1), date(2026, 3, 31)), code="W-2026Q1", seed=11, publish=False
    )
    assert counter_index.sampled_index(db_session, unpublished["centre"], None, 30).wave.id == world["wave"].id
    from survey.models import ServicePoint

    lonely = ServicePoint(code="T-XA", name_vi="Bộ phận một cửa xã", kind="commune_desk", agency_id=world["commune"].id)
    db_session.add(lonely)
    db_session.flush()
    assert counter_index.sampled_index(db_session, lonely, None, 30) is None


def test_points_in_scope_and_check_point(app, db_session, world):
    district = {world["district"].id, world["commune"].id}
    assert [p.code for p in cr.points_in_scope(db_session, district)] == ["T-HCC-CX"]
    assert cr.points_in_scope(db_session, {world["land"].id}) == []
    assert len(cr.points_in_scope(db_session, None)) == 2
    with app.test_request_context():
        assert cr.check_point(db_session, world["dcentre"].id, district).code == "T-HCC-CX"
        for point_id, scope in ((world["centre"].id, district), (10**6, None), (None, None)):
            with pytest.raises(cr.CounterError) as err:
                cr.check_point(db_session, point_id, scope)
            assert err.value.status == 404 and "Không tìm thấy điểm phục vụ" in err.value.message


def test_csv_rows_are_labelled_and_hold_no_comment(app, db_session, world, kiosks):
    centre = world["centre"]
    walkup(
        db_session,
        centre,
        kiosks["one"],
        datetime(2025, 8, 2, 3),
        {"Q1": 1, "Q1_REASON": [9]},
        {"Q1_REASON": "bí mật riêng"},
    )
    with app.test_request_context():
        rows = counter_csv.csv_rows(cr.counter_report(db_session, centre, PERIOD))
    assert rows[0][2] == "Đánh giá tại quầy — không phải mẫu xác suất, không tính vào chỉ số"
    assert all(len(r) == len(counter_csv.CSV_COLUMNS) for r in rows)
    assert ["total", "all", "", 1, 1, 100.0, None, None, None] in rows
    assert ["reason", "Q1_REASON:9", "Thái độ phục vụ — Lý do khác", None, None, None, 1, 1, 100.0] in rows
    assert "bí mật riêng" not in repr(rows)
    assert [r[1] for r in rows if r[0] == "counter"] == ["Quầy 1"]  # the counter's label, never its device id


def test_the_sampled_index_comes_from_a_wave_of_the_chosen_period_first(db_session, world):
    from tests.workspace.conftest import build_world

    later = build_world(db_session, period=(date(2026, 1, 1), date(2026, 3, 31)), code="W-2026Q1", seed=11)["wave"]
    centre = world["centre"]
    august = counter_index.sampled_index(db_session, centre, None, 30, PERIOD)
    assert august.wave.id == world["wave"].id and august.overlaps(PERIOD)
    newest = counter_index.sampled_index(db_session, centre, None, 30, cr.Period(date(2026, 11, 1), date(2026, 11, 30)))
    assert newest.wave.id == later.id and not newest.overlaps(cr.Period(date(2026, 11, 1), date(2026, 11, 30)))
