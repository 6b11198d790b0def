"""Invitations: tokens (hash only), single use, expiry, re-keying, QR codes and response rates."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from survey.models import Invitation, Response
from survey.models._base import utcnow
from survey.services.common.tokens import hash_token
from survey.services.intake import batch as intake
from survey.services.respond import responses
from survey.services.sampling import audit as wave_audit
from survey.services.sampling import invitations as inv
from survey.services.sampling import waves
from tests.sampling.factories import make_wave, record


@pytest.fixture
def launched(db_session, reg, version, source):
    """A launched wave (π = 1) over three dossiers; returns (wave, issued invitations)."""
    intake.ingest(db_session, source, [record("a"), record("b", outcome="rejected"),
                                       record("c", procedure="P-CIV-1", service_point="SP2", agency="AG2")])
    wave = make_wave(db_session, version, fixed_pi=1.0)
    return wave, waves.launch(db_session, wave)


def test_issued_invitations_carry_a_long_token_and_store_only_its_hash(db_session, launched):
    _wave, issued = launched
    token = issued[0].token
    invitation = db_session.get(Invitation, issued[0].invitation_id)
    assert len(token) >= 22  # 18 random bytes = 144 bits in URL-safe base64
    assert invitation.token_hash == hash_token(token) and token not in invitation.token_hash
    assert (invitation.status, invitation.channel) == ("issued", "link")
    assert invitation.expires_at - invitation.created_at == timedelta(days=30)
    assert inv.find_by_token(db_session, token) is invitation
    assert inv.invitation_url(token) == f"/s/{token}"


def test_a_token_is_single_use_on_the_response_path(db_session, launched, version):
    _wave, issued = launched
    invitation = inv.find_by_token(db_session, issued[0].token)
    responses.mark_opened(invitation)
    assert invitation.status == "opened" and invitation.opened_at is not None
    stored, created = responses.store_response(db_session, version, str(uuid.uuid4()), {}, {}, mode="link",
                                               invitation=invitation, partial=False)
    assert created and db_session.get(Invitation, invitation.id).status == "completed"
    assert inv.unusable_reason(invitation) == "completed"
    with pytest.raises(responses.SubmissionError) as second:
        responses.store_response(db_session, version, str(uuid.uuid4()), {}, {}, mode="link", invitation=invitation)
    assert (second.value.code, second.value.status) == ("already_answered", 409)
    responses.mark_opened(invitation)
    assert invitation.status == "completed"


def test_the_database_allows_one_response_per_invitation(db_session, launched, version):
    _wave, issued = launched
    for attempt in range(2):
        response = Response(uuid=str(uuid.uuid4()), invitation_id=issued[0].invitation_id,
                            questionnaire_version_id=version.id, mode="link")
        if attempt == 0:
            db_session.add(response)
            db_session.flush()
        else:
            with pytest.raises(IntegrityError), db_session.begin_nested():
                db_session.add(response)
                db_session.flush()


def test_an_expired_invitation_cannot_be_used_and_the_expire_job_marks_it(db_session, launched):
    _wave, issued = launched
    invitation = db_session.get(Invitation, issued[0].invitation_id)
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db_session.flush()
    assert inv.unusable_reason(invitation) == "expired"
    assert responses.invitation_state(invitation) == "expired"
    assert inv.expire_due(db_session) == 1
    assert invitation.status == "expired"
    assert inv.expire_due(db_session) == 0


def test_rekey_gives_a_new_token_and_the_old_one_stops_working(db_session, launched):
    _wave, issued = launched
    old = issued[0].token
    invitation = inv.find_by_token(db_session, old)
    (fresh,) = inv.rekey(db_session, [invitation], channel="sms")
    assert fresh.token != old
    assert inv.find_by_token(db_session, old) is None
    assert inv.find_by_token(db_session, fresh.token) is invitation
    assert invitation.delivered_at is not None and invitation.channel == "sms"


def test_unknown_or_absurd_tokens_find_nothing(db_session, launched):
    assert inv.find_by_token(db_session, "nope") is None
    assert inv.find_by_token(db_session, "") is None
    assert inv.find_by_token(db_session, "x" * 500) is None


def test_qr_codes_encode_the_link_as_svg_and_png():
    svg = inv.qr_svg("http://127.0.0.1:5000/s/abc")
    assert svg.startswith("<?xml") and "<svg" in svg
    inline = inv.qr_svg("http://127.0.0.1:5000/s/abc", inline=True)
    assert inline.startswith("<svg") and "viewBox" in inline and 'width="' not in inline.split(">")[0]
    png = inv.qr_png("http://127.0.0.1:5000/s/abc")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_response_rates_per_stratum_service_point_and_outcome(db_session, launched, version):
    wave, issued = launched
    db_session.add(Response(uuid=str(uuid.uuid4()), invitation_id=issued[0].invitation_id,
                            questionnaire_version_id=version.id, mode="link"))
    db_session.flush()
    by_outcome = {r.group or r.label: r for r in wave_audit.response_rates(db_session, wave, "outcome")}
    assert by_outcome["total"].invited == 3 and by_outcome["total"].responded == 1
    assert by_outcome["rejected"].invited == 1
    answered = db_session.get(Invitation, issued[0].invitation_id)
    assert by_outcome[answered.outcome].responded == 1
    by_point = {r.label: r for r in wave_audit.response_rates(db_session, wave, "service_point")}
    assert set(by_point) == {"Bộ phận một cửa SP1", "Bộ phận một cửa SP2", "total"}
    by_stratum = {r.label: r for r in wave_audit.response_rates(db_session, wave, "stratum")}
    assert by_stratum["AG2|civil_status"].rate == 0.0
    assert by_stratum["total"].rate == pytest.approx(1 / 3)
