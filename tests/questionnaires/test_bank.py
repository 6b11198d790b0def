"""The questionnaire bank itself: valid, complete, and shaped as the instruments require."""
from __future__ import annotations

import os
import unicodedata

import pytest

from survey import QUESTIONNAIRE_DIR
from survey.services.questionnaires.bank import (
    answer_codes,
    index_structure,
    iter_questions,
    score,
    validate_path,
    visible,
    visible_questions,
)
from survey.services.questionnaires.fileformat import parse_file

SERVICE_ITEMS = ["ACC1", "ACC2", "ACC3", "PRO1", "PRO2", "PRO3", "PRO4", "CIV1", "CIV2", "CIV3",
                 "RES1", "RES2", "RES3", "FBK1", "FBK2", "FBK3"]
SERVICE_ELEMENTS = ["access", "procedures", "civil_servants", "results", "feedback"]


def bank(instrument: str) -> dict:
    content, errors = parse_file(os.path.join(QUESTIONNAIRE_DIR, instrument + ".yaml"))
    assert errors == []
    return content


def test_the_whole_bank_validates():
    assert validate_path(QUESTIONNAIRE_DIR) == []


def test_the_bank_has_one_file_per_instrument_named_after_it():
    files = sorted(f for f in os.listdir(QUESTIONNAIRE_DIR) if f.endswith(".yaml"))
    assert files == ["dossier-eval.yaml", "education-preschool.yaml", "education-primary.yaml",
                     "education-secondary.yaml", "health-inpatient.yaml", "health-outpatient.yaml", "kiosk-quick.yaml",
                     "sipas2017-service.yaml", "sipas2023-household.yaml", "sipas2023-service.yaml"]
    for name in files:
        assert bank(name[:-5])["instrument"] == name[:-5]


def test_service_point_instrument_index_columns_follow_the_sipas_tree():
    structure = index_structure(bank("sipas2023-service"))
    assert structure["items"] == SERVICE_ITEMS
    assert structure["elements"] == {"access": [0, 1, 2], "procedures": [3, 4, 5, 6], "civil_servants": [7, 8, 9],
                                     "results": [10, 11, 12], "feedback": [13, 14, 15]}
    assert structure["parts"] == {"services": SERVICE_ELEMENTS}
    assert structure["satisfied"] == [[4, 5]] * 16
    assert structure["overall_item"] == "OVR1"


def test_service_point_instrument_is_short_enough_for_three_minutes():
    content = bank("sipas2023-service")
    assert content["estimated_minutes"] == 3
    assert all(1 <= len(s["questions"]) <= 4 for s in content["sections"])
    codes = [q["code"] for q in iter_questions(content)]
    assert {"CHANNEL", "RESP_TYPE", "OVR1", "CMT1", "SEX", "AGE", "ETHNIC", "EDU", "OCCUP"} <= set(codes)
    assert [c for c in codes if c.startswith("NEED")] == [f"NEED{i}" for i in range(1, 11)]
    needs = next(q for q in iter_questions(content) if q["code"] == "NEED1")
    assert [c["label"]["vi"] for c in answer_codes(content, needs)] == [
        "Không mong muốn", "Khá mong muốn", "Mong muốn", "Rất mong muốn"]
    sat5 = content["scales"]["sat5"]
    assert [c["label"]["vi"] for c in sat5["codes"]] == [
        "Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng"]


def test_household_instrument_has_policy_and_services_parts():
    structure = index_structure(bank("sipas2023-household"))
    assert structure["parts"] == {"policy": ["accountability", "participation", "implementation", "outcomes"],
                                  "services": SERVICE_ELEMENTS}
    sizes = {name: len(cols) for name, cols in structure["elements"].items()}
    assert sizes == {"accountability": 2, "participation": 2, "implementation": 9, "outcomes": 10,
                     "access": 3, "procedures": 4, "civil_servants": 3, "results": 3, "feedback": 3}
    assert [structure["items"][i] for i in structure["elements"]["feedback"]] == ["FBK1", "FBK2", "FBK3"]


def test_household_services_block_only_for_recent_users_and_hiding_cascades():
    content = bank("sipas2023-household")
    shown = lambda answers: {q["code"] for q in visible_questions(content, answers)}  # noqa: E731
    assert not {"ACC1", "OVR1", "FBK2"} & shown({"EXP": [1, 2], "FBK_USED": 1})
    assert {"ACC1", "FBK1", "OVR1"} <= shown({"EXP": [4]}) and "FBK2" not in shown({"EXP": [4]})
    assert {"FBK2", "FBK3"} <= shown({"EXP": [3], "FBK_USED": 1})
    assert {"ACT1", "IMP9", "OUT10", "NEED10", "HARASS", "INFORMAL"} <= shown({})


def test_kiosk_quick_rating_has_three_faces_and_a_reason_after_not_satisfied():
    content = bank("kiosk-quick")
    scale = content["scales"]["faces3"]
    assert scale["faces"] is True
    assert [c["label"]["vi"] for c in scale["codes"]] == ["Rất hài lòng", "Hài lòng", "Chưa hài lòng"]
    happy = [c["code"] for c in scale["codes"] if c["label"]["vi"] != "Chưa hài lòng"]
    assert sorted(scale["satisfied"]) == sorted(happy)
    questions = {q["code"]: q for q in iter_questions(content)}
    rated = [q for q in questions.values() if q["type"] == "scale"]
    assert 1 <= len(rated) <= 3
    reason = questions["Q1_REASON"]
    assert reason["other_text"] in [o["code"] for o in reason["options"]]
    assert visible(reason, {"Q1": 1}) and not visible(reason, {"Q1": 2}) and not visible(reason, {})
    assert not visible(reason, {"Q1": 3})
    assert index_structure(content)["satisfied"] == [scale["satisfied"]] * 2


def test_sipas2017_maps_every_index_item_to_a_2023_item_of_the_same_element():
    old, new = bank("sipas2017-service"), bank("sipas2023-service")
    mapping = old["maps_to"]["items"]
    assert old["maps_to"]["instrument"] == "sipas2023-service"
    element_of = lambda content: {c: e for e, v in content["index"]["elements"].items() for c in v["items"]}  # noqa
    old_el, new_el = element_of(old), element_of(new)
    assert set(old_el) <= set(mapping)
    assert all(old_el[code] == new_el[mapping[code]] for code in old_el)
    assert index_structure(old)["parts"] == {"services": SERVICE_ELEMENTS}
    fields = next(q for q in iter_questions(old) if q["code"] == "SECTOR16")
    assert len(fields["options"]) == 16


@pytest.mark.parametrize("total,band", [(18, "excellent"), (16, "excellent"), (15, "good"), (12, "good"),
                                        (11, "fair"), (9, "fair"), (8, "average"), (6, "average"),
                                        (5, "weak"), (0, "weak")])
def test_dossier_evaluation_bands_have_unambiguous_boundaries(total, band):
    content = bank("dossier-eval")
    answers, left = {}, total
    for code in content["scoring"]["items"]:
        answers[code] = min(2, left)
        left -= answers[code]
    result = score(content, answers)
    assert result["total"] == total and result["max"] == 18 and result["band"] == band


def test_dossier_evaluation_has_nine_criteria_scored_2_1_0_and_no_score_when_one_is_missing():
    content = bank("dossier-eval")
    criteria = [q for q in iter_questions(content) if q["code"] in content["scoring"]["items"]]
    assert len(criteria) == 9 and all(sorted(o["code"] for o in q["options"]) == [0, 1, 2] for q in criteria)
    assert score(content, {f"D{i}": 2 for i in range(1, 9)}) is None
    assert score(bank("sipas2023-service"), {}) is None


def _texts(node):
    if isinstance(node, dict):
        if set(node) == {"vi", "en"}:
            yield node
        for value in node.values():
            yield from _texts(value)
    elif isinstance(node, list):
        for value in node:
            yield from _texts(value)


@pytest.mark.parametrize("instrument", ["sipas2023-service", "sipas2023-household", "sipas2017-service",
                                        "kiosk-quick", "dossier-eval"])
def test_texts_are_precomposed_vietnamese_with_an_english_translation(instrument):
    texts = list(_texts(bank(instrument)))
    assert len(texts) > 10
    for text in texts:
        # Decomposed diacritics render badly on some tablets; store NFC.
        assert unicodedata.normalize("NFC", text["vi"]) == text["vi"], text
        assert text["en"].strip() and text["vi"].strip()
    vietnamese = "".join(t["vi"] for t in texts)
    assert any(ch in vietnamese for ch in "ảạằặẫờởợữựỳỷỹđ")
