"""Scoped API keys: a key sends only its agencies' (service points', sectors') dossiers, record by record.

Before, any source's key created dossiers for any agency, and filled any counter's kiosk hand-off queue.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from survey.models import Agency, ApiKey, Dossier, KioskHandoff, ServicePoint
from survey.models._base import utcnow
from survey.services.intake import apikeys
from survey.services.intake.scopes import Scope
from survey.services.sampling import waves
from tests.sampling.factories import make_key, make_wave, record


def scoped_key(session, source, *scopes: Scope) -> str:
    return apikeys.create_key(session, source, list(scopes))[1]


def post(client, key, records):
    return client.post("/api/v1/dossiers", json={"dossiers": records}, headers={"Authorization": f"Bearer {key}"})


def outcome(body) -> list[tuple]:
    return [(r["status"], [(e["code"], e["field"]) for e in r["errors"]]) for r in body["results"]]


@pytest.fixture
def child(db_session, reg):
    """A unit below AG1 (a district office) with its own counter, and a province centre serving AG1."""
    unit = Agency(code="AG1-D1", name_vi="Chi nhánh AG1", level="district", parent_id=reg["agencies"]["AG1"].id)
    grandchild = Agency(code="AG1-D1-X", name_vi="Tổ AG1", level="commune")
    db_session.add_all([unit, grandchild])
    db_session.flush()
    grandchild.parent_id = unit.id
    desk = ServicePoint(code="SP-D1", name_vi="Quầy chi nhánh", kind="district_centre", agency_id=unit.id)
    centre = ServicePoint(code="SP-TINH", name_vi="Trung tâm tỉnh", kind="province_centre",
                          agency_id=reg["agencies"]["AG2"].id, agencies_served=[reg["agencies"]["AG1"]])
    db_session.add_all([desk, centre])
    db_session.flush()
    return {"unit": unit, "desk": desk, "centre": centre}


def test_a_key_scoped_to_an_agency_cannot_create_another_agencys_dossiers(client, db_session, reg, source):
    whole = make_key(db_session, source)
    post(client, whole, [record("AG2-old", agency="AG2", service_point="SP2")])
    key = scoped_key(db_session, source, Scope(agency_id=reg["agencies"]["AG1"].id))
    body = post(client, key, [record("A"), record("B", agency="AG2", service_point="SP2"),
                              record("AG2-old", agency="AG2", service_point="SP2")]).get_json()
    # The AG2 dossier stored earlier is refused too: "unchanged" would confirm another agency's data.
    assert outcome(body) == [("stored", []), ("rejected", [("out_of_scope", "agency")]),
                             ("rejected", [("out_of_scope", "agency")])]
    assert "phạm vi" in body["results"][1]["errors"][0]["message"]
    assert sorted(db_session.scalars(select(Dossier.external_id))) == ["A", "AG2-old"]


def test_a_scoped_key_cannot_hand_off_work_to_another_agencys_counter(client, db_session, reg, source, version):
    waves.launch(db_session, make_wave(db_session, version, fixed_pi=1.0))
    key = scoped_key(db_session, source, Scope(agency_id=reg["agencies"]["AG1"].id))
    body = post(client, key, [record("mine", kiosk_handoff=True),
                              record("theirs", service_point="SP2", kiosk_handoff=True)]).get_json()
    assert outcome(body) == [("stored", []), ("rejected", [("out_of_scope", "service_point")])]
    assert body["results"][0]["invitations"][0]["kiosk_handoff"] is True
    handoffs = db_session.scalars(select(KioskHandoff.service_point_id)).all()
    assert handoffs == [reg["points"]["SP1"].id]


def test_a_subtree_scope_admits_the_units_below_and_the_points_serving_them(client, db_session, reg, source, child):
    key = scoped_key(db_session, source, Scope(agency_id=reg["agencies"]["AG1"].id))
    body = post(client, key, [record("unit", agency="AG1-D1", service_point="SP-D1"),
                              record("below", agency="AG1-D1-X", service_point=None),
                              record("centre", service_point="SP-TINH"),
                              record("other", agency="AG2", service_point="SP-TINH")]).get_json()
    assert outcome(body) == [("stored", []), ("stored", []), ("stored", []),
                             ("rejected", [("out_of_scope", "agency")])]
    narrow = scoped_key(db_session, source, Scope(agency_id=child["unit"].id))
    body = post(client, narrow, [record("up", service_point=None), record("down", agency="AG1-D1-X",
                                                                          service_point="SP-D1")]).get_json()
    assert outcome(body) == [("rejected", [("out_of_scope", "agency")]), ("stored", [])]


def test_the_named_columns_of_one_row_must_all_match_and_any_row_may(client, db_session, reg, source):
    land, civil = reg["sectors"]["land"].id, reg["sectors"]["civil_status"].id
    key = scoped_key(db_session, source, Scope(agency_id=reg["agencies"]["AG1"].id, sector_id=land),
                     Scope(service_point_id=reg["points"]["SP2"].id, sector_id=civil))
    body = post(client, key, [record("ag1-land"), record("ag1-civil", procedure="P-CIV-1"),
                              record("sp2-civil", agency="AG2", service_point="SP2", procedure="P-CIV-1"),
                              record("sp2-civil-ag1", service_point="SP2", procedure="P-CIV-1"),
                              record("sp2-land", agency="AG2", service_point="SP2"),
                              record("civil-nowhere", agency="AG2", service_point=None, procedure="P-CIV-1")]
                ).get_json()
    assert [r["status"] for r in body["results"]] == ["stored", "rejected", "stored", "stored", "rejected",
                                                      "rejected"]
    assert {e["code"] for r in body["results"] for e in r["errors"]} == {"out_of_scope"}
    assert body["results"][5]["errors"][0]["field"] == "service_point"


def test_a_lost_token_is_reissued_only_within_the_keys_scope(client, db_session, reg, source, version):
    waves.launch(db_session, make_wave(db_session, version, fixed_pi=1.0))
    post(client, make_key(db_session, source), [record("A"), record("B", agency="AG2", service_point="SP2")])
    key = scoped_key(db_session, source, Scope(agency_id=reg["agencies"]["AG1"].id))
    reissue = lambda ext: client.post("/api/v1/invitations/reissue", json={"external_id": ext},  # noqa: E731
                                      headers={"X-API-Key": key})
    assert reissue("A").status_code == 200
    assert reissue("B").status_code == 404


def test_a_revoked_or_rotated_key_is_refused_and_the_rotated_one_keeps_the_scope(client, db_session, reg, source):
    key = scoped_key(db_session, source, Scope(agency_id=reg["agencies"]["AG1"].id))
    row = apikeys.find(db_session, key.split(".")[0])
    new_row, new_key = apikeys.rotate(db_session, row)
    assert post(client, key, [record("A")]).status_code == 401
    body = post(client, new_key, [record("A"), record("B", agency="AG2", service_point="SP2")]).get_json()
    assert [r["status"] for r in body["results"]] == ["stored", "rejected"]
    with pytest.raises(ValueError):
        apikeys.rotate(db_session, row)
    apikeys.revoke(db_session, new_row.prefix)
    assert post(client, new_key, [record("C")]).status_code == 401


def test_a_scope_must_name_something(db_session, reg, source):
    with pytest.raises(apikeys.ScopeError):
        apikeys.create_key(db_session, source, [])
    with pytest.raises(apikeys.ScopeError):
        apikeys.create_key(db_session, source, [Scope()])


def test_last_use_is_recorded_at_most_once_a_minute(client, db_session, reg, source):
    key = make_key(db_session, source)
    row = apikeys.find(db_session, key.split(".")[0])
    assert row.last_used_at is None
    post(client, key, [record("A")])
    db_session.expire_all()
    first = row.last_used_at
    assert first is not None and utcnow() - first < timedelta(minutes=1)
    post(client, key, [record("B")])
    db_session.expire_all()
    assert row.last_used_at == first
    row.last_used_at = first - timedelta(minutes=2)
    db_session.flush()
    post(client, key, [record("C")])
    db_session.expire_all()
    assert row.last_used_at >= first
    assert db_session.scalar(select(func.count()).select_from(ApiKey)) == 1


def test_a_kept_answer_is_never_replayed_to_a_key_of_another_scope(client, db_session, reg, source, version):
    waves.launch(db_session, make_wave(db_session, version, fixed_pi=1.0))
    batch = [record("A"), record("B", agency="AG2", service_point="SP2")]
    first = post(client, make_key(db_session, source), batch).get_json()
    assert first["invited"] == 2
    other = scoped_key(db_session, source, Scope(agency_id=reg["agencies"]["AG2"].id))
    resp = post(client, other, batch)
    body = resp.get_json()
    assert "Idempotent-Replayed" not in resp.headers
    assert outcome(body) == [("rejected", [("out_of_scope", "agency")]), ("unchanged", [])]
    assert body["invited"] == 0  # no token of the first answer reaches the AG2-only key
