"""The OpenAPI description is valid, served, and describes what the implementation really does."""
from __future__ import annotations

import jsonschema
import pytest
from openapi_spec_validator import validate

from survey.models.fieldwork import CHANNELS, OUTCOMES
from survey.services.intake import batch as intake
from survey.services.sampling import waves
from survey.web.api.openapi import openapi_spec
from tests.sampling.factories import make_key, make_wave, record


def _validator(spec: dict, name: str) -> jsonschema.Draft202012Validator:
    # OpenAPI 3.1 schemas are JSON Schema 2020-12; "#/components/..." refs resolve against this root.
    return jsonschema.Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": spec["components"]})


def test_the_document_is_a_valid_openapi_3_1_description():
    validate(openapi_spec())


def test_it_is_served_with_this_server_as_base(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    spec = resp.get_json()
    assert spec["openapi"] == "3.1.0" and spec["servers"][0]["url"].endswith("/api/v1")
    validate(spec)


def test_documented_dossier_fields_are_the_fields_the_intake_reads():
    dossier = openapi_spec()["components"]["schemas"]["Dossier"]
    assert set(dossier["properties"]) == set(intake.FIELDS)
    # `agency` may come as its alias competent_agency_code: required through allOf/anyOf, not in the list.
    assert dossier["required"] == [f for f in intake.REQUIRED if f != "agency"]
    assert dossier["allOf"] == [{"anyOf": [{"required": ["agency"]}, {"required": ["competent_agency_code"]}]}]
    assert dossier["properties"]["channel"]["enum"] == list(CHANNELS)
    assert dossier["properties"]["outcome"]["enum"] == list(OUTCOMES)


def test_every_route_of_the_blueprint_is_documented(app):
    spec = openapi_spec()
    routes = {r.rule.removeprefix("/api/v1").replace("<token>", "{token}")
              for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")}
    assert routes == set(spec["paths"])


def test_real_answers_match_the_documented_schemas(client, db_session, reg, source, version):
    spec = openapi_spec()
    key = make_key(db_session, source)
    waves.launch(db_session, make_wave(db_session, version, fixed_pi=1.0))
    batch = [record("A", phone="0912345678", kiosk_handoff=True), record("B", phone="1"), record("C", agency="X"),
             "junk", record("A")]
    _validator(spec, "Batch").validate({"dossiers": [b for b in batch if isinstance(b, dict)]})
    body = client.post("/api/v1/dossiers", json={"dossiers": batch}, headers={"X-API-Key": key}).get_json()
    _validator(spec, "BatchResult").validate(body)
    assert {r["status"] for r in body["results"]} == {"stored", "rejected", "unchanged"}
    codes = {e["code"] for r in body["results"] for e in r["errors"]}
    assert codes <= set(intake.REASON_CODES)
    reissued = client.post("/api/v1/invitations/reissue", json={"external_id": "B"}, headers={"X-API-Key": key})
    _validator(spec, "Reissued").validate(reissued.get_json())
    denied = client.post("/api/v1/dossiers", json={"dossiers": []})
    _validator(spec, "Error").validate(denied.get_json())


@pytest.mark.parametrize("bad", [{"dossiers": [{"external_id": "x", "agency": "A"}]}, {"records": []}])
def test_the_request_schema_rejects_what_the_server_rejects(bad):
    with pytest.raises(jsonschema.ValidationError):
        _validator(openapi_spec(), "Batch").validate(bad)


def test_the_reissue_body_schema_refuses_what_the_endpoint_refuses(client, db_session, reg, source):
    key = make_key(db_session, source)
    request_body = openapi_spec()["paths"]["/invitations/reissue"]["post"]["requestBody"]
    schema = request_body["content"]["application/json"]["schema"]
    check = jsonschema.Draft202012Validator(schema)
    for body in ({"external_id": ""}, {"external_id": "   "}, {}):
        assert not check.is_valid(body)
        resp = client.post("/api/v1/invitations/reissue", json=body, headers={"Authorization": f"Bearer {key}"})
        assert resp.status_code == 400
    for unstorable in ("a\x00", "a\ud800"):  # no database can hold these: a 500 before
        resp = client.post("/api/v1/invitations/reissue", json={"external_id": unstorable},
                           headers={"Authorization": f"Bearer {key}"})
        assert resp.status_code == 400
    assert check.is_valid({"external_id": "HS-1"})


def test_a_method_the_api_does_not_take_is_a_405_naming_the_allowed_ones(client):
    resp = client.delete("/api/v1/dossiers")
    assert resp.status_code == 405 and resp.get_json()["code"] == 405
    assert set(resp.headers["Allow"].split(", ")) >= {"POST"}


def test_the_dossier_schema_takes_the_competent_agency_under_either_name():
    check = _validator(openapi_spec(), "Dossier")
    by_alias = {k: v for k, v in record("A", competent_agency_code="AG1").items() if k != "agency"}
    assert check.is_valid(record("A")) and check.is_valid(by_alias)
    assert not check.is_valid({k: v for k, v in by_alias.items() if k != "competent_agency_code"})
