"""The call-back question: a `phone` answer is checked as a Vietnamese number, never stored as an answer, and
goes to contact_request (national digits) in the response's transaction, on both write paths; the bank's
service forms ask it after their comment, only of those who want to be contacted."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import func, select

from survey.models import Answer, ContactRequest, Response
from survey.paths import QUESTIONNAIRE_DIR
from survey.services.questionnaires.bank import visible
from survey.services.questionnaires.fileformat import parse_file
from survey.services.respond import responses
from tests.feedback.test_comment_rows import by_kiosk, by_link, callback_yaml, world  # noqa: F401
from tests.respond import factories as f

BASE = {"ACC1": 4, "KQ1": 1}


def contact_of(session, response_id: int) -> str | None:
    return session.scalar(select(ContactRequest.phone).where(ContactRequest.response_id == response_id))


def item_codes(session, response_id: int) -> set[str]:
    return set(session.scalars(select(Answer.item_code).where(Answer.response_id == response_id)))


@pytest.mark.parametrize(
    ("typed", "digits"),
    [
        ("0912 345 678", "0912345678"),
        ("+84 912.345.678", "0912345678"),
        ("024 3825 3456", "02438253456"),
        (912345678, "0912345678"),  # a form field that read the digits as a number dropped the 0
    ],
)
def test_a_call_back_phone_goes_to_contact_request_not_to_the_answers(db_session, world, typed, digits):  # noqa: F811
    rid = by_link(db_session, world, {**BASE, "CALLBACK": 1, "CALLBACK_PHONE": typed})
    assert contact_of(db_session, rid) == digits
    assert item_codes(db_session, rid) == {"ACC1", "KQ1", "CALLBACK"}
    assert db_session.scalar(select(func.count()).select_from(Answer).where(Answer.value_text.like("%912%"))) == 0


def test_a_walkup_call_back_is_stored_by_the_group_commit(app, db_session, world):  # noqa: F811
    job = by_kiosk(app, world, {**BASE, "CALLBACK": 1, "CALLBACK_PHONE": "0356-789-012"})
    rid = db_session.scalar(select(Response.id).where(Response.uuid == job.values["uuid"]))
    assert contact_of(db_session, rid) == "0356789012"
    assert item_codes(db_session, rid) == {"ACC1", "KQ1", "CALLBACK"}
    stored = db_session.scalar(select(ContactRequest).where(ContactRequest.response_id == rid))
    assert stored.created_at == job.values["submitted_at"]


@pytest.mark.parametrize("typed", ["0123 456", "+1 202 555 0100", "0912x45678", "gọi tôi nhé", "0" * 60])
def test_a_number_that_is_no_vietnamese_phone_gets_a_clear_error_and_stores_nothing(
    db_session,
    world,  # noqa: F811
    typed,
):
    with pytest.raises(responses.SubmissionError) as caught:
        by_link(db_session, world, {**BASE, "CALLBACK": 1, "CALLBACK_PHONE": typed})
    [error] = caught.value.errors
    assert (error.item, error.code) == ("CALLBACK_PHONE", "invalid_phone")
    assert error.message.startswith("Số điện thoại không hợp lệ.") and "0912 345 678" in error.message
    assert db_session.scalar(select(func.count()).select_from(ContactRequest)) == 0
    assert db_session.scalar(select(func.count()).select_from(Response)) == 0


def test_the_phone_is_asked_and_required_only_of_those_who_want_a_call(db_session, world):  # noqa: F811
    def fresh():  # one invitation per response
        return {**world, "inv": f.add_invitation(db_session, world["wave"], world["reg"])[0]}

    rid = by_link(db_session, fresh(), {**BASE, "CALLBACK": 2, "CALLBACK_PHONE": "0912345678"})
    assert contact_of(db_session, rid) is None  # hidden: what was sent for it is ignored
    with pytest.raises(responses.SubmissionError) as caught:
        by_link(db_session, fresh(), {**BASE, "CALLBACK": 1, "CALLBACK_PHONE": "  "})
    assert [(e.item, e.message) for e in caught.value.errors] == [("CALLBACK_PHONE", "Vui lòng trả lời câu hỏi này.")]
    rid = by_link(db_session, fresh(), {**BASE})
    assert contact_of(db_session, rid) is None


def test_the_link_form_asks_for_the_phone_on_a_phone_keypad_and_files_it(client, db_session):
    version = f.add_version(db_session, callback_yaml())
    reg = f.add_registry(db_session)
    inv, token = f.add_invitation(db_session, f.add_wave(db_session, version, reg), reg)
    db_session.commit()
    client.get(f"/s/{token}")
    client.post(f"/s/{token}/1", data={"q_ACC1": "4", "action": "next"})
    client.post(f"/s/{token}/2", data={"q_KQ1": "1", "action": "next"})
    page = client.get(f"/s/{token}/3").get_data(as_text=True)
    tag = page[page.index('id="in_CALLBACK_PHONE"') - 80 : page.index('id="in_CALLBACK_PHONE"') + 120]
    assert 'type="tel"' in tag and 'inputmode="tel"' in tag and 'name="q_CALLBACK_PHONE"' in tag
    # Hidden until "yes" is ticked (respond.js shows it); the server asks it only then, too.
    assert """data-code="CALLBACK_PHONE" data-show-if='{"in": [1], "item": "CALLBACK"}' hidden""" in page
    bad = client.post(f"/s/{token}/3", data={"q_CALLBACK": "1", "q_CALLBACK_PHONE": "12345", "action": "next"})
    assert bad.status_code == 422 and "Số điện thoại không hợp lệ." in bad.get_data(as_text=True)
    done = client.post(f"/s/{token}/3", data={"q_CALLBACK": "1", "q_CALLBACK_PHONE": "0912345678", "action": "next"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/s/{token}/done")
    rid = db_session.scalar(select(Response.id).where(Response.invitation_id == inv.id))
    assert contact_of(db_session, rid) == "0912345678"
    assert "CALLBACK_PHONE" not in item_codes(db_session, rid)


@pytest.mark.parametrize("name", ["sipas2023-service.yaml", "sipas2017-service.yaml"])
def test_the_bank_service_forms_ask_for_a_call_back_after_the_comment(name):
    content, errors = parse_file(os.path.join(QUESTIONNAIRE_DIR, name))
    assert errors == []
    codes = [q["code"] for s in content["sections"] for q in s["questions"]]
    assert len(codes) == len(set(codes))
    at = codes.index("CMT1")
    assert codes[at + 1 : at + 3] == ["CALLBACK", "CALLBACK_PHONE"]
    questions = {q["code"]: q for s in content["sections"] for q in s["questions"]}
    callback, phone = questions["CALLBACK"], questions["CALLBACK_PHONE"]
    assert callback["text"] == {"vi": "Tôi muốn được liên hệ lại", "en": "I would like to be contacted"}
    assert [o["code"] for o in callback["options"]] == [1, 2] and not callback.get("required")
    assert phone["type"] == "phone" and phone["show_if"] == {"item": "CALLBACK", "in": [1]}
    assert visible(phone, {"CALLBACK": 1}) and not visible(phone, {"CALLBACK": 2}) and not visible(phone, {})
    index_items = {i for e in content["index"]["elements"].values() for i in e["items"]} | {content["overall_item"]}
    assert not index_items & {"CALLBACK", "CALLBACK_PHONE"}


def test_a_phone_question_never_gets_an_answer_row_in_the_prepared_rows(db_session, world):  # noqa: F811
    _values, rows = responses.prepare_response(
        world["version"],
        str(uuid.uuid4()),
        {**BASE, "CALLBACK": 1, "CALLBACK_PHONE": "0912345678"},
        {},
        mode="link",
        invitation=world["inv"],
    )
    assert "CALLBACK_PHONE" not in {r["item_code"] for r in rows}
    assert rows.contact["phone"] == "0912345678"


def test_no_export_or_pack_has_a_column_for_the_call_back_questions_phone():
    import pathlib

    import yaml

    from survey.services.publications import pack_answers
    from survey.services.workspace import microdata

    bank = pathlib.Path(__file__).resolve().parents[2] / "questionnaires"
    content = yaml.safe_load((bank / "sipas2023-service.yaml").read_text(encoding="utf-8"))
    phones = [q["code"] for s in content["sections"] for q in s.get("questions") or [] if q["type"] == "phone"]
    assert phones  # the form asks for one
    for columns in ([v.name for v in microdata.variables(content)], [v.name for v in pack_answers.variables(content)]):
        assert not any(code.upper() in name.upper() for code in phones for name in columns), columns
