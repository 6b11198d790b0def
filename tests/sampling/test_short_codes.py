"""Short codes: what they look like, that every way of issuing gives one, that it leads to its token, uniqueness."""
from __future__ import annotations

import itertools
import re

import pytest
from sqlalchemy import select

from survey.models import Invitation
from survey.services.common.tokens import hash_token, new_token
from survey.services.intake import batch as intake
from survey.services.sampling import invitations as inv
from survey.services.sampling import waves
from tests.sampling.factories import make_wave, record

CODE = re.compile(r"^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{8}$")


@pytest.fixture
def launched(db_session, reg, version, source):
    """A launched wave (π = 1) over three dossiers; returns (wave, issued invitations)."""
    intake.ingest(db_session, source, [record("a"), record("b", outcome="rejected"),
                                       record("c", procedure="P-CIV-1", service_point="SP2", agency="AG2")])
    wave = make_wave(db_session, version, fixed_pi=1.0)
    return wave, waves.launch(db_session, wave)


def test_a_code_has_eight_characters_none_of_them_look_alikes():
    codes = {inv.short_code(new_token()) for _ in range(2000)}
    assert len(codes) == 2000 and all(CODE.match(c) for c in codes)
    used = set("".join(codes))
    assert not used & set("0O1IL") and len(used) == 31  # every other symbol of the alphabet occurs
    assert inv.display_code("ABCDEFGH") == "ABCD-EFGH"


def test_the_code_is_a_function_of_the_token():
    token = new_token()
    assert inv.short_code(token) == inv.short_code(token) != inv.short_code(token + "x")


@pytest.mark.parametrize("typed", ["abcd-efgh", " ABCD EFGH ", "AbCd–EfGh", "abcd.efgh", "ABCDEFGH"])
def test_a_typed_code_is_read_whatever_its_case_spaces_or_dashes(typed):
    assert inv.normalize_code(typed) == "ABCDEFGH"


@pytest.mark.parametrize("typed", ["", "ABCD-EFG", "ABCD-EFGHJ", "ABCD-EFG0", "ABCD-EFGI", "ABCD-EFGL", "ABCD-EFGO",
                                   None, "x" * 41, "ABCD<EFGH"])
def test_what_cannot_be_a_code_is_refused_before_any_lookup(typed):
    assert inv.normalize_code(typed) is None


def test_issuing_in_bulk_stores_only_the_codes_hash_and_the_code_leads_to_the_token(db_session, launched):
    _wave, issued = launched
    assert len(issued) == 3
    for it in issued:
        row = db_session.get(Invitation, it.invitation_id)
        assert row.code_hash == inv.code_hash(it.code) and it.code not in (row.code_hash + row.code_box)
        assert it.token not in row.code_box and hash_token(it.token) != row.code_hash
        found, token = inv.find_by_code(db_session, inv.display_code(it.code).lower())
        assert found is row and token == it.token
        assert inv.code_of(row, it.token) == it.code


def test_rekeying_gives_a_new_code_and_the_old_one_stops_working(db_session, launched):
    _wave, issued = launched
    row = db_session.get(Invitation, issued[0].invitation_id)
    [again] = inv.rekey(db_session, [row])
    assert again.code != issued[0].code
    assert inv.find_by_code(db_session, issued[0].code) is None
    assert inv.find_by_code(db_session, again.code) == (row, again.token)


def test_a_code_nobody_holds_finds_nothing(db_session, launched):
    held = {it.code for it in launched[1]}
    other = next(c for c in (inv.short_code(new_token()) for _ in range(10)) if c not in held)
    assert inv.find_by_code(db_session, other) is None


def test_an_invitation_issued_before_codes_has_none_and_its_token_still_works(db_session, launched):
    _wave, issued = launched
    row = db_session.get(Invitation, issued[0].invitation_id)
    row.code_hash = row.code_box = None  # what migration 0007 leaves on older rows
    db_session.flush()
    assert inv.code_of(row, issued[0].token) is None and inv.find_by_code(db_session, issued[0].code) is None
    assert inv.find_by_token(db_session, issued[0].token) is row


def test_a_drawn_token_whose_code_is_taken_is_drawn_again(db_session, launched):
    _wave, issued = launched
    taken = issued[0].token  # its code is stored; the next draws repeat it, within the batch too
    fresh = [new_token(), new_token()]
    draws = itertools.chain([taken, fresh[0], fresh[0]], [fresh[1]])
    tokens = inv.fresh_tokens(db_session, 2, draw=lambda: next(draws))
    assert tokens == fresh


def test_the_database_refuses_two_invitations_with_one_code(db_session, launched):
    from sqlalchemy.exc import IntegrityError

    _wave, issued = launched
    first, second = (db_session.get(Invitation, it.invitation_id) for it in issued[:2])
    second.code_hash = first.code_hash
    with pytest.raises(IntegrityError):
        db_session.flush()
    db_session.rollback()


def test_every_issued_invitation_of_a_wave_has_a_distinct_code(db_session, launched):
    hashes = db_session.scalars(select(Invitation.code_hash)).all()
    assert len(hashes) == 3 and None not in hashes and len(set(hashes)) == 3
