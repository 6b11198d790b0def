"""Dates at the edge of what Python can hold: the record is rejected with its own reason, the batch goes on.

0001-01-01 in the province's time (UTC+7), or with an offset east of Greenwich, is before year 1 in UTC;
9999-12-31 late in the day west of Greenwich is after year 9999: converting either raised OverflowError,
a 500 for the whole batch (and an aborted CSV import).
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from survey.models import Dossier
from tests.intake.test_cli import write_csv
from tests.sampling.factories import make_key, record

FIELDS = ("received_at", "due_at", "completed_at")
EDGES = ("0001-01-01", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00")


@pytest.mark.parametrize("value", EDGES)
@pytest.mark.parametrize("field", FIELDS)
def test_a_date_beyond_the_calendar_rejects_only_its_record_on_the_api(client, db_session, reg, source, field, value):
    key = make_key(db_session, source)
    resp = client.post("/api/v1/dossiers", json={"dossiers": [record("ok-1"), record("bad", **{field: value}),
                                                              record("ok-2")]},
                       headers={"Authorization": f"Bearer {key}"})
    assert resp.status_code == 200
    good, bad, other = resp.get_json()["results"]
    assert (good["status"], bad["status"], other["status"]) == ("stored", "rejected", "stored")
    assert [(e["code"], e["field"]) for e in bad["errors"]] == [("bad_date", field)], bad["errors"]
    assert value[:10] in bad["errors"][0]["message"]
    assert sorted(db_session.scalars(select(Dossier.external_id))) == ["ok-1", "ok-2"]


@pytest.mark.parametrize("value", EDGES)
@pytest.mark.parametrize("field", FIELDS)
def test_a_date_beyond_the_calendar_rejects_only_its_line_of_a_csv(runner, db_session, reg, source, tmp_path, field,
                                                                   value):
    path = write_csv(tmp_path / "hs.csv", [record("A"), record("B", **{field: value}), record("C")])
    result = runner.invoke(args=["import", "dossiers", path, "--source", "motcua"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)  # rejected lines, not a traceback
    assert "Đã lưu 2, trùng không đổi 0, từ chối 1" in result.output, result.output
    assert "dòng 3 (B): bad_date" in result.output
    assert sorted(db_session.scalars(select(Dossier.external_id))) == ["A", "C"]


def test_the_latest_storable_dates_are_still_accepted(client, db_session, reg, source):
    key = make_key(db_session, source)
    # 9999-12-31 in local time is 16:59 UTC that day: a due date that far away is odd but representable.
    body = client.post("/api/v1/dossiers", json={"dossiers": [record("A", due_at="9999-12-31")]},
                       headers={"X-API-Key": key}).get_json()
    assert body["results"][0]["status"] == "stored", body
    assert db_session.scalar(select(Dossier.due_at)).isoformat() == "9999-12-31T16:59:59"
