"""Draft waves can be edited (name, period, questionnaire version, design) and deleted, audit-logged."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from survey.models import AuditLog, Dossier, Publication, Wave, WaveStratum
from survey.services.sampling import operations as ops
from survey.services.sampling import waves
from tests.sampling.factories import make_version, make_wave

DESIGN = dict(scheme="agency_sector", fixed_pi=None, margin=0.1, response_rate=0.5, min_responses=10,
              new_stratum_pi=1.0)


def _edit(session, wave, version, **over):
    args = dict(name="Quý III", period_start=date(2025, 4, 1), period_end=date(2025, 6, 30), version=version,
                **DESIGN)
    args.update(over)
    return ops.update(session, "cli", wave, **args)


def _strata(session, wave):
    session.expire(wave, ["strata"])
    return sorted(s.key for s in wave.strata)


def test_editing_a_draft_replans_it_and_logs_what_changed(db_session, dossiers):
    wave = make_wave(db_session, dossiers, code="Q2", fixed_pi=None, margin=0.05, response_rate=0.5,
                     min_responses=10)
    before_pi = {s.key: s.pi for s in wave.strata}
    changes = _edit(db_session, wave, dossiers, name_en="Q3 survey")
    assert set(changes) == {"name", "name_en", "margin"} and changes["margin"] == [0.05, 0.1]
    assert wave.name == "Quý III" and wave.design["name_en"] == "Q3 survey" and wave.seed == "test-seed"
    after_pi = {s.key: s.pi for s in wave.strata}
    # N_prev = 200: e = 5 % needs every dossier (π = 1); e = 10 % needs n = 200/3 → 67 → 134 invitations.
    assert after_pi.keys() == before_pi.keys() and (before_pi["AG1|land"], after_pi["AG1|land"]) == (1.0, 0.67)
    entry = db_session.scalar(select(AuditLog).where(AuditLog.action == "wave.update"))
    assert entry.target_id == "Q2" and entry.details["changes"]["margin"] == [0.05, 0.1]


def test_saving_an_unchanged_draft_changes_and_logs_nothing(db_session, dossiers):
    wave = waves.create_wave(db_session, code="Q2", name="Quý III", period_start=date(2025, 4, 1),
                             period_end=date(2025, 6, 30), version=dossiers, **DESIGN)
    ids = sorted(s.id for s in wave.strata)
    assert _edit(db_session, wave, dossiers) == {}
    assert sorted(s.id for s in wave.strata) == ids
    assert db_session.scalar(select(func.count()).select_from(AuditLog)) == 0


def test_a_new_period_and_stratification_give_new_strata_and_drop_overrides(db_session, dossiers):
    wave = make_wave(db_session, dossiers, code="Q2")
    key = wave.strata[0].key
    ops.override_stratum(db_session, "cli", wave, key, pi=0.2)
    _edit(db_session, wave, dossiers, fixed_pi=0.5)  # same stratification: the override stays
    assert wave.design["overrides"] == {key: {"pi": 0.2}}
    _edit(db_session, wave, dossiers, scheme="agency", fixed_pi=0.5, period_start=date(2025, 7, 1),
          period_end=date(2025, 9, 30))
    assert wave.design["overrides"] == {} and wave.design["previous_period"] == ["2025-04-01", "2025-06-30"]
    assert _strata(db_session, wave) == ["AG2|*"]  # Q2 2025, now the previous period, had AG2's dossiers only
    assert db_session.scalar(select(func.count()).select_from(WaveStratum)) == 1


def test_another_questionnaire_version_can_be_chosen(db_session, dossiers):
    wave = make_wave(db_session, dossiers, code="Q2")
    other = make_version(db_session, "sipas2023-policy")
    changes = _edit(db_session, wave, other, **{**DESIGN, "fixed_pi": 0.5})
    assert wave.questionnaire_version_id == other.id and changes["questionnaire_version_id"] == [dossiers.id,
                                                                                                  other.id]


@pytest.mark.parametrize(("over", "code"), [
    ({"period_end": date(2025, 3, 1)}, "period_end_before_start"),
    ({"margin": 0}, "bad_design"),
    ({"fixed_pi": 1.5}, "bad_pi"),
    ({"scheme": "by_colour"}, "unknown_scheme"),
])
def test_a_bad_edit_is_refused_and_changes_nothing(db_session, dossiers, over, code):
    wave = make_wave(db_session, dossiers, code="Q2")
    design, strata = dict(wave.design), _strata(db_session, wave)
    with pytest.raises(waves.WaveError, match=code):
        _edit(db_session, wave, dossiers, **over)
    assert wave.design == design and wave.name == "Đợt thử" and _strata(db_session, wave) == strata


def test_only_drafts_can_be_edited_or_deleted(db_session, dossiers):
    wave = make_wave(db_session, dossiers, code="Q2")
    waves.launch(db_session, wave)
    with pytest.raises(waves.WaveError, match="not_draft"):
        _edit(db_session, wave, dossiers)
    with pytest.raises(waves.WaveError, match="not_draft_delete"):
        ops.delete(db_session, "cli", wave)


def test_deleting_a_draft_removes_it_and_its_strata_and_nothing_else(db_session, dossiers):
    keep = make_wave(db_session, dossiers, code="KEEP")
    wave = make_wave(db_session, dossiers, code="Q2")
    counts = (db_session.scalar(select(func.count()).select_from(Dossier)),
              db_session.scalar(select(func.count()).select_from(WaveStratum).where(WaveStratum.wave_id == keep.id)))
    gone = ops.delete(db_session, "cli", wave)
    assert gone == {"code": "Q2", "name": "Đợt thử", "period": ["2025-04-01", "2025-06-30"]}
    assert db_session.scalars(select(Wave.code)).all() == ["KEEP"]
    assert counts == (db_session.scalar(select(func.count()).select_from(Dossier)),
                      db_session.scalar(select(func.count()).select_from(WaveStratum)))
    entry = db_session.scalar(select(AuditLog).where(AuditLog.action == "wave.delete"))
    assert entry.target_id == "Q2" and entry.details["period"] == ["2025-04-01", "2025-06-30"]


def test_a_draft_something_points_at_is_not_deleted(db_session, dossiers):
    wave = make_wave(db_session, dossiers, code="Q2")
    db_session.add(Publication(wave_id=wave.id, kind="provisional", version=1, method_version="1", results={},
                               inputs={}, frame=b"", content_hash="0" * 64))
    db_session.flush()
    with pytest.raises(waves.WaveError, match="wave_in_use"):
        ops.delete(db_session, "cli", wave)
    assert db_session.get(Wave, wave.id) is not None and wave.strata


# The admin pages.

def test_the_edit_page_is_filled_in_and_saves_the_draft(client, admin, db_session, dossiers):
    wave = make_wave(db_session, dossiers, code="Q2", fixed_pi=0.05)
    form = client.get(f"/admin/waves/{wave.id}/edit").get_data(as_text=True)
    assert 'value="Đợt thử"' in form and 'value="2025-04-01"' in form and 'value="5.0"' in form
    assert 'name="code"' not in form  # the code never changes
    resp = client.post(f"/admin/waves/{wave.id}/edit", data={
        "name": "Quý II sửa", "name_en": "Q2 revised", "period_start": "2025-04-01", "period_end": "2025-06-30",
        "version_id": dossiers.id, "scheme": "agency_sector", "rule": "fixed", "fixed_pct": "20",
        "margin_pct": "5", "response_pct": "50", "min_responses": "10", "new_stratum_pct": "100"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/admin/waves/{wave.id}")
    db_session.expire_all()
    assert wave.name == "Quý II sửa" and wave.design["fixed_pi"] == 0.2
    assert all(s.pi == 0.2 for s in wave.strata)
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Đã lưu đợt nháp Q2" in page and "20,0&nbsp;%" in page


def test_a_bad_edit_shows_the_error_at_the_field_and_stores_nothing(client, admin, db_session, dossiers):
    wave = make_wave(db_session, dossiers, code="Q2")
    resp = client.post(f"/admin/waves/{wave.id}/edit", data={
        "name": "X", "period_start": "2025-06-30", "period_end": "2025-04-01", "version_id": dossiers.id,
        "scheme": "agency_sector", "rule": "target", "margin_pct": "5", "response_pct": "50",
        "min_responses": "10", "new_stratum_pct": "100"})
    assert resp.status_code == 200 and "Ngày kết thúc phải sau hoặc bằng ngày bắt đầu." in resp.get_data(as_text=True)
    db_session.expire_all()
    assert wave.name == "Đợt thử"


def test_a_running_wave_has_no_edit_or_delete(client, admin, db_session, dossiers):
    wave = make_wave(db_session, dossiers, code="Q2")
    assert "Sửa đợt nháp" in client.get(f"/admin/waves/{wave.id}").get_data(as_text=True)
    waves.launch(db_session, wave)
    db_session.commit()  # the refused delete below rolls back only its own work
    page = client.get(f"/admin/waves/{wave.id}").get_data(as_text=True)
    assert "Sửa đợt nháp" not in page and "Xoá đợt nháp" not in page
    resp = client.get(f"/admin/waves/{wave.id}/edit", follow_redirects=True)
    assert "Chỉ sửa được thiết kế khi đợt còn ở trạng thái nháp." in resp.get_data(as_text=True)
    resp = client.post(f"/admin/waves/{wave.id}/delete", data={"confirm_code": "Q2"}, follow_redirects=True)
    assert "Chỉ xoá được đợt còn ở trạng thái nháp." in resp.get_data(as_text=True)
    assert db_session.get(Wave, wave.id) is not None


def test_deleting_needs_the_typed_code(client, admin, db_session, dossiers):
    wave = make_wave(db_session, dossiers, code="Q2")
    wrong = client.post(f"/admin/waves/{wave.id}/delete", data={"confirm_code": "q2"}, follow_redirects=True)
    assert "Mã đợt không khớp: chưa xoá gì." in wrong.get_data(as_text=True)
    assert db_session.get(Wave, wave.id) is not None
    resp = client.post(f"/admin/waves/{wave.id}/delete", data={"confirm_code": " Q2 "})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/waves/")
    db_session.expire_all()
    assert db_session.scalar(select(Wave).where(Wave.code == "Q2")) is None
    assert "Đã xoá đợt nháp Q2." in client.get("/admin/waves/").get_data(as_text=True)
    assert db_session.scalar(select(AuditLog.actor).where(AuditLog.action == "wave.delete")) == admin.username


def test_deleting_without_the_csrf_token_deletes_nothing(client, admin, db_session, dossiers, csrf_enabled):
    wave = make_wave(db_session, dossiers, code="Q2")
    client.post(f"/admin/waves/{wave.id}/delete", data={"confirm_code": "Q2"})
    assert db_session.get(Wave, wave.id) is not None
