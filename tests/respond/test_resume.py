"""Reopening a link mid-survey: "Tiếp tục từ phần n" lands on the right part, or the citizen starts over."""
from __future__ import annotations

import re

from sqlalchemy import select

from survey.models import Response, ResponseDraft
from survey.web.respond.resume import resume_step


def _post(client, token, step, data, action="next"):
    return client.post(f"/s/{token}/{step}", data={**data, "action": action})


def _continue_link(body):
    found = re.search(r'href="([^"]+)">Tiếp tục từ phần (\d+)<', body)
    return (found.group(1), int(found.group(2))) if found else None


def _draft(db_session, inv_id):
    db_session.expire_all()
    return db_session.scalar(select(ResponseDraft).where(ResponseDraft.invitation_id == inv_id))


def test_a_fresh_link_only_offers_to_start(client, survey_data):
    body = client.get(f"/s/{survey_data['token']}").get_data(as_text=True)
    assert "Bắt đầu" in body and _continue_link(body) is None and "Làm lại từ đầu" not in body


def test_reopening_after_two_parts_continues_from_the_third_with_the_answers_kept(client, survey_data):
    t = survey_data["token"]
    client.get(f"/s/{t}")
    _post(client, t, 1, {"q_ACC1": "4", "q_ACC2": "5"})
    _post(client, t, 2, {"q_KQ1": "1"})          # on time: the "late" part is skipped, 3 parts in all
    body = client.get(f"/s/{t}").get_data(as_text=True)  # the tab was closed; the link opened again
    assert _continue_link(body) == (f"/s/{t}/3", 3)
    assert "Phần 3 / 3" in body and "Làm lại từ đầu" in body
    assert "Phần 3 / 3" in client.get(f"/s/{t}/3").get_data(as_text=True)
    first = client.get(f"/s/{t}/1").get_data(as_text=True)
    assert 'value="4" checked' in first and 'value="5" checked' in first
    # Finishing from there stores the earlier parts' answers too.
    assert _post(client, t, 3, {"q_AGE": "40"}).headers["Location"].endswith(f"/s/{t}/done")


def test_a_part_left_with_a_required_question_empty_is_where_it_continues(client, survey_data):
    t = survey_data["token"]
    client.get(f"/s/{t}")
    _post(client, t, 1, {"q_ACC1": "3"})
    assert _post(client, t, 2, {}).status_code == 422   # KQ1 is required: the citizen left here
    assert _continue_link(client.get(f"/s/{t}").get_data(as_text=True)) == (f"/s/{t}/2", 2)


def test_going_back_from_the_last_part_continues_at_the_last(client, survey_data):
    t = survey_data["token"]
    client.get(f"/s/{t}")
    _post(client, t, 1, {"q_ACC1": "3"})
    _post(client, t, 2, {"q_KQ1": "2", "q_KQ2": "2 tuần"})   # late: 4 parts
    _post(client, t, 3, {"q_LATE1": "2"})
    _post(client, t, 4, {"q_AGE": "33"}, action="back")
    _post(client, t, 3, {"q_LATE1": "2"}, action="back")
    assert _continue_link(client.get(f"/s/{t}").get_data(as_text=True)) == (f"/s/{t}/4", 4)


def test_starting_over_empties_the_draft_but_keeps_its_uuid(client, survey_data, db_session):
    t, inv_id = survey_data["token"], survey_data["inv"].id
    client.get(f"/s/{t}")
    _post(client, t, 1, {"q_ACC1": "4"})
    uuid = _draft(db_session, inv_id).data["uuid"]
    resp = client.post(f"/s/{t}/restart")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/s/{t}/1")
    draft = _draft(db_session, inv_id)
    assert draft.data["uuid"] == uuid and not any(v is not None for v in draft.data["answers"].values())
    assert 'checked' not in client.get(f"/s/{t}/1").get_data(as_text=True)
    body = client.get(f"/s/{t}").get_data(as_text=True)
    assert _continue_link(body) is None and "Bắt đầu" in body


def test_starting_over_needs_the_csrf_token_and_an_open_link(client, survey_data, db_session, csrf_enabled):
    t, inv_id = survey_data["token"], survey_data["inv"].id
    client.get(f"/s/{t}")
    page = client.get(f"/s/{t}/1").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post(f"/s/{t}/1", data={"q_ACC1": "4", "action": "next", "csrf_token": token})
    assert client.post(f"/s/{t}/restart").status_code == 400          # no token: nothing emptied
    assert _draft(db_session, inv_id).data["answers"]["ACC1"] == 4
    welcome = client.get(f"/s/{t}").get_data(as_text=True)
    form_token = re.search(r'name="csrf_token" value="([^"]+)"', welcome).group(1)
    assert client.post(f"/s/{t}/restart", data={"csrf_token": form_token}).status_code == 302
    assert _draft(db_session, inv_id).data["answers"].get("ACC1") is None
    assert client.post("/s/not-a-token/restart", data={"csrf_token": form_token}).status_code == 404


def test_starting_over_after_the_answers_were_stored_stores_nothing_again(client, survey_data, db_session):
    t = survey_data["token"]
    client.get(f"/s/{t}")
    _post(client, t, 1, {"q_ACC1": "4"})
    _post(client, t, 2, {"q_KQ1": "1"})
    _post(client, t, 3, {})
    assert client.post(f"/s/{t}/restart").status_code == 410
    stored = db_session.scalars(select(Response).where(Response.invitation_id == survey_data["inv"].id)).all()
    assert len(stored) == 1


def test_resume_step_reads_only_the_draft():
    import yaml

    from tests.respond.factories import SERVICE_YAML

    content = yaml.safe_load(SERVICE_YAML)
    assert resume_step(content, {"answers": {}}) is None
    assert resume_step(content, {"answers": {"ACC1": None, "ACC2": None}}) is None  # passed by, nothing chosen
    assert resume_step(content, {"answers": {"ACC1": 4, "ACC2": None}}) == 2
    assert resume_step(content, {"answers": {"ACC1": None, "ACC2": 3}}) == 1      # ACC1 required, empty
