"""Where, who, whose (issue 19): the competent agency, where the dossier was received, the citizen's area.

Reception is boundary-free within the province: a dossier decided by one commune may be received at
another commune's point. Strata, indices and feedback cases follow the competent agency; service-point
figures follow where it was received.
"""
from __future__ import annotations

import csv
import uuid
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from survey.models import Agency, Dossier, Invitation
from survey.models.registry import AgencyVersion
from survey.services import results
from survey.services.feedback.cases import responsible_agencies
from survey.services.intake import apikeys
from survey.services.intake.scopes import Scope
from survey.services.respond.responses import store_response
from survey.services.sampling import waves
from tests.respond.factories import SERVICE_YAML, add_version
from tests.sampling.factories import make_key, make_wave, record


@pytest.fixture
def key(db_session, reg, source):
    """A whole-province key of the source 'motcua'."""
    return make_key(db_session, source)


def post(client, key, records):
    return client.post("/api/v1/dossiers", json={"dossiers": records}, headers={"Authorization": f"Bearer {key}"})


def stored(session, external_id) -> Dossier:
    return session.scalar(select(Dossier).where(Dossier.external_id == external_id))


def test_the_new_names_and_the_citizens_area_are_stored(client, db_session, reg, key):
    rec = record("HS-1", agency=None, service_point=None, competent_agency_code="AG1",
                 received_service_point_code="SP2", citizen_area_code="28846")
    body = post(client, key, [rec]).get_json()
    assert body["results"][0]["status"] == "stored", body
    d = stored(db_session, "HS-1")
    assert (d.agency_id, d.service_point_id) == (reg["agencies"]["AG1"].id, reg["points"]["SP2"].id)
    assert (d.kind, d.citizen_area_code, d.event_type, d.unit_department) == ("dossier", "28846", None, None)


def test_an_old_payload_is_still_stored_and_the_same_dossier_under_the_new_names_is_unchanged(
        client, db_session, reg, key):
    first = post(client, key, [record("HS-1")]).get_json()
    again = post(client, key, [record("HS-1", agency=None, service_point=None, competent_agency_code="AG1",
                                      received_service_point_code="SP1")]).get_json()
    assert first["results"][0]["status"] == "stored"
    assert again["results"][0]["status"] == "unchanged"  # the content hash of old records did not move
    assert stored(db_session, "HS-1").citizen_area_code is None


def test_a_name_and_its_alias_that_disagree_are_refused(client, db_session, reg, key):
    body = post(client, key, [record("HS-1", competent_agency_code="AG2"),
                              record("HS-2", received_service_point_code="SP1"),
                              record("HS-3", agency=None)]).get_json()
    assert [r["status"] for r in body["results"]] == ["rejected", "stored", "rejected"]
    assert [(e["code"], e["field"]) for e in body["results"][0]["errors"]] == [("alias_mismatch",
                                                                                "competent_agency_code")]
    assert "competent_agency_code" in body["results"][0]["errors"][0]["message"]
    assert [e["code"] for e in body["results"][2]["errors"]] == ["missing_field"]
    assert stored(db_session, "HS-1") is None


@pytest.mark.parametrize("code", ["2884", "288460", "28846-01", "xã 28846", "2884a"])
def test_an_area_code_that_is_not_a_commune_code_is_refused_while_the_registry_has_no_official_codes(
        client, db_session, reg, key, code):
    body = post(client, key, [record("HS-1", citizen_area_code=code)]).get_json()
    result = body["results"][0]
    assert result["status"] == "rejected"
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("bad_area_code", "citizen_area_code")]
    assert "cấp xã" in result["errors"][0]["message"]
    assert stored(db_session, "HS-1") is None


def test_with_official_codes_only_a_known_commune_level_code_is_taken(client, db_session, reg, key):
    today = Agency(code="X-THACH-HA", name_vi="Xã Thạch Hà", level="commune", official_code="18652")
    department = Agency(code="SO-YTE", name_vi="Sở Y tế", level="department", official_code="99999")
    db_session.add_all([today, department])
    db_session.flush()
    # The unit's code before the 2025 arrangement lives in its history: older dossiers still validate.
    db_session.add(AgencyVersion(agency_id=today.id, code="X-OLD", official_code="18601", name_vi="Xã cũ",
                                 level="commune"))
    db_session.flush()
    body = post(client, key, [record("A", citizen_area_code="18652"), record("B", citizen_area_code="18601"),
                              record("C", citizen_area_code="12345"), record("D", citizen_area_code="99999")]
                ).get_json()
    assert [r["status"] for r in body["results"]] == ["stored", "stored", "rejected", "rejected"]
    assert {e["code"] for r in body["results"][2:] for e in r["errors"]} == {"bad_area_code"}
    assert "12345" in body["results"][2]["errors"][0]["message"]


def _point_key(session, source, point) -> str:
    row, secret = apikeys.create_key(session, source, [Scope(service_point_id=point.id)])
    return secret


def test_a_dossier_received_at_another_communes_point_is_taken_by_that_points_key(client, db_session, reg, source):
    # The point SP2 belongs to AG2; the dossier is AG1's. The receiving point's key may send it; a key of
    # the competent agency alone may not fill another agency's counter.
    point_key = _point_key(db_session, source, reg["points"]["SP2"])
    agency_key = apikeys.create_key(db_session, source, [Scope(agency_id=reg["agencies"]["AG1"].id)])[1]
    by_point = post(client, point_key, [record("HS-1", received_service_point_code="SP2",
                                               service_point=None)]).get_json()
    by_agency = post(client, agency_key, [record("HS-2", service_point="SP2")]).get_json()
    assert by_point["results"][0]["status"] == "stored"
    assert by_agency["results"][0]["status"] == "rejected"
    assert [(e["code"], e["field"]) for e in by_agency["results"][0]["errors"]] == [("out_of_scope",
                                                                                     "service_point")]


def test_strata_and_cases_follow_the_competent_agency_and_service_points_where_it_was_received(
        client, db_session, reg, key):
    version = add_version(db_session, SERVICE_YAML)
    wave = make_wave(db_session, version, fixed_pi=1.0)
    waves.launch(db_session, wave)
    body = post(client, key, [record("HS-1", service_point="SP2")]).get_json()  # AG1's dossier at AG2's point
    assert body["invited"] == 1, body
    ag1, sp2 = reg["agencies"]["AG1"].id, reg["points"]["SP2"].id
    inv = db_session.scalar(select(Invitation).where(Invitation.wave_id == wave.id))
    assert (inv.agency_id, inv.service_point_id, inv.stratum.agency_id) == (ag1, sp2, ag1)
    response, created = store_response(db_session, version, str(uuid.uuid4()), {"ACC1": 2, "KQ1": 1}, {},
                                       mode="link", invitation=inv, partial=True)
    db_session.flush()
    assert created and (response.agency_id, response.service_point_id) == (ag1, sp2)
    row = SimpleNamespace(id=response.id, invitation_id=inv.id, service_point_id=sp2, agency_id=ag1)
    assert responsible_agencies(db_session, [row]) == {response.id: ag1}  # not SP2's agency AG2
    data = results.wave_data(db_session, wave.id)  # what the indices and the service-point pages read
    assert (data.agency_id.tolist(), data.service_point_id.tolist()) == ([ag1], [sp2])


def test_a_dossier_csv_takes_the_new_columns_and_may_name_the_agency_only_by_its_alias(
        runner, db_session, reg, source, tmp_path):
    columns = ["external_id", "competent_agency_code", "procedure", "received_service_point_code", "channel",
               "received_at", "completed_at", "outcome", "citizen_area_code"]
    path = tmp_path / "dossiers.csv"
    rows = [record("HS-1", agency=None, service_point=None, competent_agency_code="AG1",
                   received_service_point_code="SP2", citizen_area_code="28846"),
            record("HS-2", agency=None, competent_agency_code="AG2", citizen_area_code="28")]
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    result = runner.invoke(args=["import", "dossiers", str(path), "--source", "motcua", "--quiet"])
    assert result.exit_code == 1, result.output
    assert "Đã lưu 1, trùng không đổi 0, từ chối 1" in result.output and "dòng 3 (HS-2): bad_area_code" in result.output
    d = stored(db_session, "HS-1")
    assert (d.agency_id, d.service_point_id, d.citizen_area_code) == (reg["agencies"]["AG1"].id,
                                                                      reg["points"]["SP2"].id, "28846")
