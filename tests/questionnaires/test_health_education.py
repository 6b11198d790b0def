"""The health (QĐ 3869/QĐ-BYT) and education (QĐ 3476/QĐ-BGDĐT) instruments: structure, texts, index, loading."""

from __future__ import annotations

import os
import unicodedata

import numpy as np
import pytest

from analysis import Design, satisfaction_index
from analysis.indicators import indicator_questions, measures_of
from survey import QUESTIONNAIRE_DIR
from survey.services.questionnaires.bank import get_version, index_structure, iter_questions, load_paths, validate_paths
from survey.services.questionnaires.fileformat import parse_file
from survey.services.respond.answers import clean_answers
from survey.services.workspace.microdata import profile_units, variables
from tests.sampling import factories

HEALTH = ["health-inpatient", "health-outpatient"]
EDUCATION = ["education-preschool", "education-primary", "education-secondary"]
ALL = HEALTH + EDUCATION
ELEMENTS = {
    "health": ["access", "transparency", "facilities", "staff", "results"],
    "education": ["access", "facilities", "environment", "activities", "results"],
}
# Items per section of the MoH forms, in their official numbering (Mẫu số 1 inpatient, Mẫu số 2 outpatient).
OFFICIAL_ITEMS = {
    "health-inpatient": {"A": 5, "B": 7, "C": 11, "D": 7, "E": 6},
    "health-outpatient": {"A": 5, "B": 10, "C": 8, "D": 4, "E": 4},
}
SCALE_VI = ["Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng"]


def path(instrument: str) -> str:
    return os.path.join(QUESTIONNAIRE_DIR, instrument + ".yaml")


def content(instrument: str) -> dict:
    parsed, errors = parse_file(path(instrument))
    assert errors == []
    return parsed


def questions(instrument: str) -> dict:
    return {q["code"]: q for q in iter_questions(content(instrument))}


def test_the_five_instruments_validate_together_with_the_rest_of_the_bank():
    assert validate_paths([path(name) for name in ALL]) == []
    assert validate_paths([QUESTIONNAIRE_DIR]) == []
    for name in ALL:
        assert content(name)["instrument"] == name


@pytest.mark.parametrize("instrument", ALL)
def test_one_part_of_five_elements_every_item_on_the_five_level_scale(instrument):
    data = content(instrument)
    sector = instrument.split("-")[0]
    structure = index_structure(data)
    assert structure["parts"] == {sector: ELEMENTS[sector]}
    assert structure["satisfied"] == [[4, 5]] * len(structure["items"])
    labels = [c["label"]["vi"] for c in data["scales"]["sat5"]["codes"]]
    assert [c["code"] for c in data["scales"]["sat5"]["codes"]] == [1, 2, 3, 4, 5]
    assert [label.split(" / ")[0] for label in labels] == SCALE_VI
    assert all(1 <= len(s["questions"]) <= 4 for s in data["sections"])  # one screen each
    assert ("QĐ 3869/QĐ-BYT" if sector == "health" else "QĐ 3476/QĐ-BGDĐT") in data["source"]


@pytest.mark.parametrize("instrument", HEALTH)
def test_health_items_keep_the_official_sections_and_numbering(instrument):
    structure = index_structure(content(instrument))
    element_of = dict(zip(ELEMENTS["health"], "ABCDE"))
    for element, letter in element_of.items():
        items = [structure["items"][i] for i in structure["elements"][element]]
        assert items == [f"{letter}{k}" for k in range(1, OFFICIAL_ITEMS[instrument][letter] + 1)]
    assert structure["overall_item"] is None  # G1 is a percentage, not a satisfaction scale


@pytest.mark.parametrize("instrument", HEALTH)
def test_health_overall_percentage_return_question_cost_and_open_questions(instrument):
    qs = questions(instrument)
    cost = qs["E7" if instrument == "health-inpatient" else "E5"]
    assert cost["type"] == "single" and len(cost["options"]) == 6 and cost["other_text"] == 6
    g1 = qs["G1"]
    assert (g1["type"], g1["min"], g1["max"]) == ("number", 0, 200)
    g2 = qs["G2"]
    assert g2["type"] == "single" and "quay trở lại hoặc giới thiệu" in g2["text"]["vi"]
    assert [o["code"] for o in g2["options"]] == [1, 2, 3, 4, 5, 6] and g2["other_text"] == 6
    assert g2["options"][4]["label"]["vi"] == "Chắc chắn sẽ quay lại hoặc giới thiệu cho người khác"
    assert qs["H1"]["type"] == qs["H2"]["type"] == "text"
    data = content(instrument)
    cleaned, texts, errors = clean_answers(data, {"G1": 150, "G2": 6, "A1": 4}, {"G2": "Tùy bác sĩ"})
    assert errors == [] and cleaned == {"G1": 150, "G2": 6, "A1": 4} and texts == {"G2": "Tùy bác sĩ"}
    _, _, errors = clean_answers(data, {"G1": 201, "A1": 6})
    assert sorted((e.item, e.code) for e in errors) == [("A1", "out_of_scale"), ("G1", "too_large")]


def test_education_forms_follow_the_six_contents_and_end_with_the_open_question():
    for instrument in EDUCATION:
        data = content(instrument)
        numbered = [s["title"]["vi"].split(".")[0] for s in data["sections"] if s["title"]["vi"][0].isdigit()]
        assert sorted(set(numbered)) == ["1", "2", "3", "4", "5", "6"] and numbered == sorted(numbered)
        assert data["overall_item"] == "OVR1" and questions(instrument)["CMT1"]["type"] == "text"
        assert index_structure(data)["overall_item"] == "OVR1"
        assert "minh họa" in data["source"]  # the item texts are illustrative, and say so


def test_a_code_shared_by_education_levels_sits_in_the_same_content_at_every_level():
    element_of = {}
    for instrument in EDUCATION:
        for element, spec in content(instrument)["index"]["elements"].items():
            for code in spec["items"]:
                assert element_of.setdefault(code, element) == element, (instrument, code)
    shared = set.intersection(*(set(index_structure(content(i))["items"]) for i in EDUCATION))
    assert set("ACC1 ACC2 ACC3 ACC4 FAC1 FAC3 FAC4 ENV1 ENV2 ENV3 ACT3 ACT5 RES1 RES2 RES3 RES4 RES5".split()) <= shared


def _texts(node):
    if isinstance(node, dict):
        if set(node) == {"vi", "en"}:
            yield node
        for value in node.values():
            yield from _texts(value)
    elif isinstance(node, list):
        for value in node:
            yield from _texts(value)


@pytest.mark.parametrize("instrument", ALL)
def test_every_text_is_precomposed_vietnamese_with_an_english_translation(instrument):
    texts = list(_texts(content(instrument)))
    assert len(texts) > 40
    for text in texts:
        assert unicodedata.normalize("NFC", text["vi"]) == text["vi"], text
        assert text["vi"].strip() and text["en"].strip(), text
        assert text["en"] != text["vi"] or text["vi"] == "Kinh", text  # translated, not copied
    assert any(ch in "".join(t["vi"] for t in texts) for ch in "ảạằặẫờởợữựỳỷỹđ")


@pytest.mark.parametrize("instrument", ALL)
def test_the_index_tree_gives_100_for_all_fives_0_for_all_ones_and_skips_are_no_answer(instrument):
    structure = index_structure(content(instrument))
    n_items = len(structure["items"])
    answers = np.full((4, n_items), 5.0)
    answers[1] = 1.0  # a fully dissatisfied respondent
    answers[2:, 0] = np.nan  # two respondents skip the first item
    design = Design(np.ones(4))
    result = satisfaction_index(design, answers, structure, satisfied=structure["satisfied"])
    assert result.items[0].value == pytest.approx(50.0) and result.items[0].n == 2
    assert result.items[1].value == pytest.approx(75.0)
    first, columns = next(iter(structure["elements"].items()))
    assert result.elements[first].value == pytest.approx(np.mean([50.0] + [75.0] * (len(columns) - 1)))
    for code, expected in ((5.0, 100.0), (1.0, 0.0), (3.0, 0.0), (4.0, 100.0)):
        same = satisfaction_index(design, np.full((4, n_items), code), structure, satisfied=structure["satisfied"])
        assert same.overall.value == pytest.approx(expected)
        assert list(same.parts.values())[0].value == pytest.approx(expected)


@pytest.mark.parametrize("instrument", ALL)
def test_the_overall_measure_is_the_one_part_and_indicators_leave_out_the_profile(instrument):
    data = content(instrument)
    sector = instrument.split("-")[0]
    measures = measures_of(data)
    assert measures["overall"].code == f"part:{sector}" and measures["overall"].comparable
    profile = [q for q in iter_questions(data) if q["section"].startswith("profile")]
    assert profile and all(q["type"] == "single" for q in profile)  # coded bands: coarsened, never exact values
    indicators = indicator_questions(data)
    assert not {"SEX", "RESP_TYPE", "RELATION", "GRADE", "CHILD_GROUP", "INSURANCE", "RESIDENCE"} & set(indicators)
    assert set(indicators) == (
        {"G2", "E7" if instrument == "health-inpatient" else "E5"} if sector == "health" else set()
    )


def test_the_five_load_as_immutable_versions_and_reload_unchanged(db_session):
    first = load_paths(db_session, [path(name) for name in ALL])
    assert sorted((r.instrument, r.version, r.status) for r in first) == sorted(
        (name, "2019.1", "loaded") for name in ALL
    )
    again = load_paths(db_session, [path(name) for name in ALL])
    assert {r.status for r in again} == {"unchanged"}
    assert [r.version_id for r in again] == [r.version_id for r in first]
    db_session.expire_all()
    stored = get_version(db_session, "health-outpatient")
    assert stored.content == content("health-outpatient")
    assert index_structure(stored.content)["items"][:3] == ["A1", "A2", "A3"]


def test_the_cli_loads_and_shows_them(runner):
    result = runner.invoke(args=["questionnaires", "load", *[path(name) for name in ALL]])
    assert result.exit_code == 0, result.output
    assert "5 phiên bản mới" in result.output
    shown = runner.invoke(args=["questionnaires", "show", "education-primary"])
    assert shown.exit_code == 0, shown.output
    assert "OVR1" in shown.output and "Tiếp cận dịch vụ giáo dục" in shown.output


def test_the_bank_preview_shows_every_question_of_each_instrument(client, db_session):
    factories.login(client, factories.make_admin(db_session))
    for loaded in load_paths(db_session, [path(name) for name in ALL]):
        page = client.get(f"/admin/bank/versions/{loaded.version_id}").get_data(as_text=True)
        for code in questions(loaded.instrument):
            assert f'id="q-{code}"' in page, (loaded.instrument, code)


@pytest.mark.parametrize("instrument", ALL)
def test_microdata_columns_leave_out_free_text_and_protect_the_respondent_block(instrument):
    data = content(instrument)
    columns = variables(data)
    sources = {v.source for v in columns if v.source}
    assert not {code for code, q in questions(instrument).items() if q["type"] == "text"} & sources
    protected = {unit.columns[0] for unit in profile_units(data, columns)}
    assert protected == {q["code"] for q in iter_questions(data) if q["section"].startswith("profile")}
