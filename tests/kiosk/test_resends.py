"""A resend of a stored UUID must carry the same content: other answers under it are a conflict, logged."""
from __future__ import annotations

import logging

from sqlalchemy import select

from survey.models import Response
from survey.services.kiosk.handoff import handoff_invitation
from tests.kiosk.conftest import submission

LOGGER = "survey.services.respond.responses"


def _answers(db_session, response_uuid):
    db_session.expire_all()
    found = db_session.scalar(select(Response).where(Response.uuid == response_uuid))
    return sorted((a.item_code, a.value_int, a.value_text) for a in found.answers)


def test_a_walk_up_resent_with_other_answers_is_a_uuid_conflict(client, kiosk, db_session, caplog):
    body = submission(kiosk["quick"], {"QK1": 3})
    assert client.post("/kiosk/api/responses", json=body, headers=kiosk["headers"]).status_code == 201
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        changed = client.post("/kiosk/api/responses", json={**body, "answers": {"QK1": 1, "QK2": [1]}},
                              headers=kiosk["headers"])
    assert changed.status_code == 409 and changed.json["error"] == "uuid_conflict"
    assert [r for r in caplog.records if r.name == LOGGER and body["uuid"] in r.getMessage()]
    assert _answers(db_session, body["uuid"]) == [("QK1", 3, None)]  # the first answer stands
    # The identical resend is still a duplicate.
    again = client.post("/kiosk/api/responses", json=body, headers=kiosk["headers"])
    assert again.status_code == 200 and again.json["status"] == "duplicate"


def test_a_walk_up_resent_as_partial_is_a_uuid_conflict(client, kiosk, db_session):
    body = submission(kiosk["version"], {"ACC1": 4, "KQ1": 1})
    assert client.post("/kiosk/api/responses", json=body, headers=kiosk["headers"]).status_code == 201
    resent = client.post("/kiosk/api/responses", json={**body, "partial": True}, headers=kiosk["headers"])
    assert resent.status_code == 409 and resent.json["error"] == "uuid_conflict"


def test_a_hand_off_answer_resent_with_other_answers_is_a_uuid_conflict(client, kiosk, db_session, caplog):
    handoff_invitation(db_session, kiosk["inv"], kiosk["reg"]["point"].id)
    db_session.commit()
    start = client.post("/kiosk/api/start", headers=kiosk["headers"]).json
    body = submission(kiosk["version"], {"ACC1": 5, "KQ1": 1}, handoff_id=start["handoff_id"])
    assert client.post("/kiosk/api/responses", json=body, headers=kiosk["headers"]).status_code == 201
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        changed = client.post("/kiosk/api/responses", json={**body, "answers": {"ACC1": 1, "KQ1": 1}},
                              headers=kiosk["headers"])
    assert changed.status_code == 409 and changed.json["error"] == "uuid_conflict"
    assert [r for r in caplog.records if r.name == LOGGER and body["uuid"] in r.getMessage()]
    assert ("ACC1", 5, None) in _answers(db_session, body["uuid"])
    # Answers that no longer pass the checks cannot be the stored ones either.
    invalid = client.post("/kiosk/api/responses", json={**body, "answers": {"ACC1": 9}}, headers=kiosk["headers"])
    assert invalid.status_code == 409 and invalid.json["error"] == "uuid_conflict"
    again = client.post("/kiosk/api/responses", json=body, headers=kiosk["headers"])
    assert again.status_code == 200 and again.json["status"] == "duplicate"
