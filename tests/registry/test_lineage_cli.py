"""`hailong registry timeline | retired-users | reassign`: the registry's history on the command line."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from survey.models import AuditLog, User
from survey.models.registry import Agency
from survey.models.user import Role
from survey.services.registry.imports import import_registry
from survey.services.registry.lineage_import import import_lineage
from tests.registry._lineage_data import MERGE, REGISTRY, SPLIT


@pytest.fixture
def province(db_session, write_csv):
    """The small province after its merge and split; returns {code: id}."""
    assert import_registry(db_session, write_csv(REGISTRY)).errors == []
    assert import_lineage(db_session, write_csv(MERGE)).errors == []
    assert import_lineage(db_session, write_csv(SPLIT)).errors == []
    return dict(db_session.execute(select(Agency.code, Agency.id)).all())


def test_the_timeline_of_a_split_unit_lists_its_successors_with_shares(runner, province):
    result = runner.invoke(args=["registry", "timeline", "X3"])

    assert result.exit_code == 0, result.output
    assert "2025-07-01  chia tách → N2 (60.0%), N3 (40.0%)" in result.output
    assert "Quy về hôm nay: N2 (60.0%), N3 (40.0%)" in result.output


def test_the_timeline_of_an_unknown_code_says_so(runner, province):
    result = runner.invoke(args=["registry", "timeline", "KHONG"])

    assert result.exit_code != 0 and "KHONG" in result.output


def test_retired_users_are_listed_and_reassigned(runner, db_session, province):
    db_session.add(User(username="canbo", password_hash="x", role=Role.AGENCY_VIEWER, agency_id=province["X1"]))
    db_session.commit()  # the refused command below rolls back its own unit, not the setup

    listed = runner.invoke(args=["registry", "retired-users"])
    assert "canbo" in listed.output and "N1 (100.0%)" in listed.output

    refused = runner.invoke(args=["registry", "reassign", "canbo", "X2"])
    assert refused.exit_code != 0 and "hiện hành" in refused.output

    moved = runner.invoke(args=["registry", "reassign", "canbo", "N1"])
    assert moved.exit_code == 0, moved.output
    assert db_session.scalar(select(User.agency_id).where(User.username == "canbo")) == province["N1"]
    assert db_session.scalar(select(AuditLog.actor).where(AuditLog.action == "user.reassign")) == "cli"


def test_every_registry_command_has_help(runner):
    for name in ("timeline", "retired-users", "reassign"):
        result = runner.invoke(args=["registry", name, "--help"])
        assert result.exit_code == 0 and len(result.output.splitlines()) > 3
