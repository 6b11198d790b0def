"""The staff navigation leads to the feedback pages (comments, cases, counter ratings) for those who may see them."""
from __future__ import annotations

import pytest

from survey.services.accounts.users import create_user
from tests.workspace.conftest import PASSWORD, sign_in

FEEDBACK_LINKS = ('href="/analyst/inbox"', 'href="/analyst/cases/"', 'href="/analyst/counter"')


@pytest.mark.parametrize("role", ["analyst", "agency_viewer", "admin"])
def test_staff_who_read_results_find_comments_cases_and_counter_ratings_in_the_nav(client, db_session, world, role):
    agency = world["land"].id if role == "agency_viewer" else None
    create_user(db_session, "nav." + role, PASSWORD, role, agency_id=agency)
    sign_in(client, "nav." + role)
    page = client.get("/analyst/").get_data(as_text=True)
    assert all(link in page for link in FEEDBACK_LINKS)
    for link in FEEDBACK_LINKS:  # each leads to a page this user may open
        assert client.get(link.split('"')[1]).status_code == 200


def test_the_admin_home_links_to_case_rules_and_raw_comments(client, db_session, world):
    create_user(db_session, "nav.admin", PASSWORD, "admin")
    sign_in(client, "nav.admin")
    page = client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/case-rules/"' in page and 'href="/admin/comments/raw"' in page
