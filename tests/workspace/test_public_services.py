"""Public health and education waves: per-level and per-area indices, targets, the MoH rates, the dashboard
section and the PDF section (issue 22 item 4)."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest
from sqlalchemy import select

from analysis import satisfaction_index
from survey.models import Answer, Dossier, Invitation, Response
from survey.services import publications, results
from survey.services.workspace import public_services, public_services_view, reports
from tests.workspace.conftest import build_world, sign_in
from tests.workspace.public_world import FACILITIES, build_public_wave


@pytest.fixture
def health(db_session):
    """A published health (inpatient form) wave of three facilities."""
    return build_public_wave(db_session, "health")


def _stored(db_session, wave):
    return public_services.stored(publications.current(db_session, wave.id))


def _by_response(db_session, wave, ids):
    """Each respondent's event type and facility read straight from the invitations (not via the service)."""
    rows = dict(db_session.execute(select(Response.id, Invitation.event_type).join(
        Invitation, Invitation.id == Response.invitation_id).where(Response.wave_id == wave.id)).all())
    return np.array([str(rows[i]) if rows[i] else None for i in ids.tolist()], dtype=object)


def test_per_level_and_per_area_indices_equal_a_direct_computation_on_the_design(db_session, health):
    wave = health["wave"]
    data = results.wave_data(db_session, wave.id, source="memory")
    got = _stored(db_session, wave)
    levels = _by_response(db_session, wave, data.response_ids)
    area = {health["h1"].id: health["commune_a"].id, health["h2"].id: health["commune_b"].id}
    areas = np.array([area.get(a) for a in data.agency_id.tolist()], dtype=object)
    codes = dict(db_session.execute(select(Response.id, Dossier.citizen_area_code).join(
        Invitation, Invitation.id == Response.invitation_id).join(Dossier, Dossier.id == Invitation.dossier_id)
        .where(Response.wave_id == wave.id)).all())
    homes = np.array([codes.get(i) for i in data.response_ids.tolist()], dtype=object)
    for by, cells in ((levels, got.levels), (areas, got.areas), (homes, got.residences)):
        direct = satisfaction_index(data.design, data.answers, data.structure, by=by,
                                    satisfied=data.satisfied, valid=data.valid)
        assert set(cells) == set(direct)
        for key, res in direct.items():
            assert cells[key].est.value == pytest.approx(res.overall.value, abs=1e-9)
            assert cells[key].est.ci_low == pytest.approx(res.overall.ci_low, abs=1e-9)
            assert cells[key].est.se == pytest.approx(res.overall.se, abs=1e-9)
    assert set(got.levels) == {"inpatient", "outpatient"}
    assert got.area_of == area  # the provincial hospital (under the department) is in no commune-level area
    assert {k: c.label_vi for k, c in got.residences.items()} == {"42001": "Ủy ban nhân dân xã Cẩm Xuyên",
                                                                  "42002": "Ủy ban nhân dân xã Cẩm Bình"}
    # patients of the district hospital living in commune B count in B's residence cell, not in its area cell
    assert got.residences["42002"].est.n > got.areas[health["commune_b"].id].est.n


def test_cells_are_held_to_the_public_service_target_of_the_service(db_session, health):
    got = _stored(db_session, health["wave"])
    table = publications.current(db_session, health["wave"].id).table
    for cell in [*got.levels.values(), *got.areas.values(), *table.agencies.values(), table.overall]:
        assert (cell.target.scope, cell.target.sector_code, cell.target.value) == ("public_service", "health", 85)
        lo, hi = cell.est.ci_low, cell.est.ci_high
        assert cell.status == ("meets" if lo >= 85 else "below" if hi < 85 else "not_distinguishable")
    small = table.agencies[health["h3"].id]
    assert "few_answers" in small.flags and small.rank is None


def test_moh_pooled_rate_counts_answers_and_differs_from_the_mean_of_item_shares(db_session, health):
    wave = health["wave"]
    got = _stored(db_session, wave).moh
    rows = db_session.execute(select(Answer.value_int).join(Response, Response.id == Answer.response_id)
                              .where(Response.wave_id == wave.id, Answer.item_code.in_(
                                  results.index_structure(health["version"].content)["items"]))).scalars().all()
    assert got.answers == len(rows)
    assert got.pooled_unweighted == pytest.approx(100 * sum(v >= 4 for v in rows) / len(rows))
    data = results.wave_data(db_session, wave.id, source="memory")
    ok = ~np.isnan(data.answers)
    direct = data.design.ratio((data.answers >= 4).sum(axis=1), ok.sum(axis=1))
    assert got.pooled.value == pytest.approx(100 * direct.value) and got.pooled.se == pytest.approx(100 * direct.se)
    index = publications.current(db_session, wave.id).table.overall.est.value
    assert not math.isclose(got.pooled.value, index, abs_tol=0.01)  # two definitions, two numbers
    assert got.overall_share is None  # the health forms have no overall question on the scale
    assert set(got.mean_scores) == {"access", "transparency", "facilities", "staff", "results"}
    assert all(1 <= e.value <= 5 for e in got.mean_scores.values())


def test_education_wave_has_the_overall_question_share(db_session):
    school = build_public_wave(db_session, "education", code="GD-2025")
    got = _stored(db_session, school["wave"])
    assert got.service == "education" and set(got.levels) == {"primary"}
    answers = db_session.execute(select(Answer.value_int).join(Response, Response.id == Answer.response_id)
                                 .where(Response.wave_id == school["wave"].id, Answer.item_code == "OVR1")).scalars()
    values = list(answers)
    assert 0 < got.moh.overall_share.value < 100 and got.moh.overall_share.n == len(values)
    assert got.levels["primary"].target.sector_code == "education"


def test_a_tthc_wave_stores_no_public_service_tables_and_shows_no_section(db_session, client, analyst):
    world = build_world(db_session)
    assert _stored(db_session, world["wave"]) is None
    assert public_services_view.section(db_session, world["wave"], None, None, 30) is None
    sign_in(client, "phan.tich")
    page = client.get("/analyst/?wave=%d" % world["wave"].id).get_data(as_text=True)
    assert 'data-testid="public-service"' not in page
    from io import BytesIO

    from pypdf import PdfReader

    pdf = reports.report(db_session, world["wave"], "vi", min_n=30)
    assert "Dịch vụ công" not in " ".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_dashboard_shows_the_health_section_with_facilities_levels_areas_and_moh(db_session, client, health,
                                                                                  analyst):
    sign_in(client, "phan.tich")
    html = client.get("/analyst/?wave=%d" % health["wave"].id).get_data(as_text=True)
    assert 'data-testid="public-service"' in html
    text = _text(html)
    for expected in ("Y tế", "Theo cơ sở", "Theo loại hình", "Theo địa bàn cấp xã", "Nội trú".lower(),
                     "Theo xã nơi người dân cư trú",
                     FACILITIES["health"][0][2], "Ủy ban nhân dân xã Cẩm Bình", "tỷ lệ hài lòng chung"):
        assert expected.lower() in text.lower(), expected
    assert "Quá ít câu trả lời" in text  # the provincial hospital's 14 answers


def test_agency_viewer_sees_only_their_facility_and_no_pooled_tables(db_session, health):
    section = public_services_view.section(db_session, health["wave"], None, {health["h2"].id}, 30)
    assert [c.key for c in section.facilities] == [health["h2"].id]
    assert section.levels == [] and section.areas == [] and section.residences == [] and section.scoped


def test_pdf_has_a_health_section_with_the_moh_comparison(db_session, health):
    from io import BytesIO

    import pikepdf
    from pypdf import PdfReader

    pdf = reports.report(db_session, health["wave"], "vi", province="Thử", min_n=30)
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages))
    section = text.split("11. Dịch vụ công: Y tế")[1]
    for expected in ("Chỉ số hài lòng theo cơ sở y tế", "Bệnh viện đa khoa Cẩm Xuyên", "Chỉ số hài lòng theo loại hình",
                     "nội trú", "Chỉ số hài lòng theo địa bàn cấp xã", "Ủy ban nhân dân xã Cẩm Xuyên",
                     "theo cách tính của Bộ Y tế", "QĐ 3869", "Mục tiêu health 2025",
                     "Chỉ số hài lòng theo xã nơi người dân cư trú"):
        assert expected.lower() in section.lower(), expected
    with pikepdf.open(BytesIO(pdf)) as doc:  # the added section keeps the PDF/UA tagging
        with doc.open_metadata() as meta:
            assert meta.get("pdfuaid:part") == "1"
        todo, captions = [doc.Root.StructTreeRoot], 0
        while todo:
            node = todo.pop()
            captions += str(node.get("/S", "")) == "/Caption"
            kids = node.get("/K")
            kids = [kids] if isinstance(kids, pikepdf.Dictionary) else list(kids) if isinstance(kids, pikepdf.Array) \
                else []
            todo += [k for k in kids if isinstance(k, pikepdf.Dictionary)]
    assert captions >= 4 + 4  # the report's own tables and this section's four, each with its caption


def test_dashboard_holds_the_wave_and_its_sector_to_the_health_target_not_the_tthc_one(db_session, health):
    from survey.services.workspace import dashboard as dash

    ov = dash.overview(db_session, health["wave"], dash.Filters(health["wave"].id), None, 30)
    assert [(t.scope, t.sector_code, t.value) for t in ov.targets] == [("public_service", "health", 85),
                                                                         ("public_service", "health", 90)]
    assert [(c.key, c.target.value, c.target.scope) for c in ov.sectors] == [("health", 85, "public_service")]
    assert all(c.target.value == 85 for c in ov.agencies)


def test_without_recorded_event_types_the_level_is_the_forms_own(db_session):
    from survey.services.workspace import publishing

    built = build_public_wave(db_session, "health", publish=False)
    wave = built["wave"]
    db_session.execute(Invitation.__table__.update().where(Invitation.wave_id == wave.id).values(event_type=None))
    publishing.publish(db_session, "test", wave)
    got = _stored(db_session, wave)
    assert list(got.levels) == ["inpatient"]  # health-inpatient.yaml: every respondent an inpatient
    assert got.levels["inpatient"].est.value == pytest.approx(
        publications.current(db_session, wave.id).table.overall.est.value)


def test_english_and_agency_reports_name_units_in_english_and_leave_pooled_tables_out(db_session, health):
    from io import BytesIO

    from pypdf import PdfReader

    def text(pdf: bytes) -> str:
        return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages))

    english = text(reports.report(db_session, health["wave"], "en", min_n=30))
    assert "Ủy ban nhân dân xã Cẩm Xuyên (en)" in english and "Outpatient care" in english
    one = text(reports.report(db_session, health["wave"], "vi", min_n=30, visible={health["h2"].id},
                              scope_agency=health["h2"]))
    section = one.split("11. Dịch vụ công: Y tế")[1]
    assert "Trạm y tế xã Cẩm Bình" in section and "Bệnh viện đa khoa Cẩm Xuyên" not in section
    assert "Chỉ số hài lòng theo địa bàn cấp xã" not in section and "không có trong báo cáo của một cơ quan" in section


def test_a_health_wave_without_answers_publishes_empty_tables_and_renders(db_session, client, health, analyst):
    from datetime import date

    from survey.models import Wave
    from survey.services.workspace import publishing

    empty = Wave(code="PS-EMPTY", name="Đợt y tế chưa có trả lời", period_start=date(2026, 1, 1),
                 period_end=date(2026, 3, 31), questionnaire_version_id=health["version"].id, seed="x",
                 status="launched", design={})
    db_session.add(empty)
    db_session.flush()
    publishing.refresh_provisional(db_session, empty)
    got = _stored(db_session, empty)
    assert (got.service, got.levels, got.areas, got.residences, got.moh) == ("health", {}, {}, {}, None)
    sign_in(client, "phan.tich")
    assert client.get("/analyst/?wave=%d" % empty.id).status_code == 200
    assert reports.report(db_session, empty, "vi").startswith(b"%PDF")
