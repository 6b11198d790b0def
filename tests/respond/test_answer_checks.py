"""Answer checks against one questionnaire version (pure functions, no database)."""
from __future__ import annotations

import copy
import json

import pytest

from survey.services.respond.answers import answer_rows, checks_for, clean_answers

CONTENT = {
    "scales": {"sat5": {"codes": [{"code": c} for c in range(1, 6)]}},
    "sections": [
        {"id": "s1", "questions": [
            {"code": "Q1", "type": "scale", "scale": "sat5", "required": True},
            {"code": "WHY", "type": "multiple", "show_if": {"item": "Q1", "in": [1, 2]}, "required": True,
             "options": [{"code": 1}, {"code": 2}, {"code": 9}, {"code": 10, "exclusive": True}],
             "other_text": 9, "max_length": 20},
            {"code": "CH", "type": "single", "options": [{"code": 1}, {"code": 2}]},
        ]},
        {"id": "s2", "questions": [
            {"code": "AGE", "type": "number", "min": 15, "max": 100},
            {"code": "CMT", "type": "text", "max_length": 10},
        ]},
    ],
}


def _codes(errors):
    return [(e.item, e.code) for e in errors]


@pytest.mark.parametrize("answers, expected", [
    ({"Q1": 6}, [("Q1", "out_of_scale")]),
    ({"Q1": True}, [("Q1", "wrong_type")]),
    ({"Q1": 4.0}, [("Q1", "wrong_type")]),
    ({"Q1": 4, "CH": 3}, [("CH", "invalid_option")]),
    ({"Q1": 1, "WHY": 1}, [("WHY", "wrong_type")]),
    ({"Q1": 1, "WHY": [1, 7]}, [("WHY", "invalid_option")]),
    ({"Q1": 1, "WHY": [1, 10]}, [("WHY", "exclusive")]),
    ({"Q1": 4, "AGE": "40"}, [("AGE", "not_integer")]),
    ({"Q1": 4, "AGE": 14}, [("AGE", "too_small")]),
    ({"Q1": 4, "AGE": 101}, [("AGE", "too_large")]),
    ({"Q1": 4, "CMT": "x" * 11}, [("CMT", "too_long")]),
    ({"Q1": 4, "CMT": 5}, [("CMT", "wrong_type")]),
    ({"NOPE": 1}, [("NOPE", "unknown_item"), ("Q1", "required")]),
    ({"Q1": 1}, [("WHY", "required")]),
])
def test_each_kind_of_wrong_answer_gets_its_error_code(answers, expected):
    _cleaned, _texts, errors = clean_answers(CONTENT, answers)
    assert _codes(errors) == expected


def test_limits_are_named_in_the_error():
    _c, _t, errors = clean_answers(CONTENT, {"Q1": 4, "AGE": 101, "CMT": "x" * 11})
    assert [e.params for e in errors] == [{"n": 100}, {"n": 10}]


@pytest.mark.parametrize("value, expected", [
    (2 ** 31 - 1, []), (-(2 ** 31), []),
    (2 ** 31, [("N", "too_large", {"n": 2 ** 31 - 1})]), (2 ** 63, [("N", "too_large", {"n": 2 ** 31 - 1})]),
    (-(2 ** 31) - 1, [("N", "too_small", {"n": -(2 ** 31)})]),
])
def test_a_number_without_bounds_must_fit_the_answer_column(value, expected):
    # Without max the schema allows any integer, but answer.value_int is 32-bit: storing more fails.
    content = {"sections": [{"id": "s", "questions": [{"code": "N", "type": "number"}]}]}
    cleaned, _t, errors = clean_answers(content, {"N": value})
    assert [(e.item, e.code, e.params) for e in errors] == expected
    assert cleaned == ({} if expected else {"N": value})
    bounded = {"sections": [{"id": "s", "questions": [{"code": "N", "type": "number", "max": 2 ** 40}]}]}
    assert bool(clean_answers(bounded, {"N": value})[2]) == bool(expected)


def test_valid_answers_are_cleaned_and_hidden_answers_dropped():
    cleaned, texts, errors = clean_answers(CONTENT, {"Q1": 5, "WHY": [2, 1], "CMT": "  ", "AGE": 40})
    assert errors == [] and texts == {}
    assert cleaned == {"Q1": 5, "AGE": 40}  # WHY hidden (Q1 = 5), blank text is no answer


def test_multiple_choice_is_sorted_once_and_other_text_kept_only_when_chosen():
    cleaned, texts, errors = clean_answers(CONTENT, {"Q1": 2, "WHY": [9, 1, 9]}, {"WHY": "  chờ lâu "})
    assert errors == [] and cleaned["WHY"] == [1, 9] and texts == {"WHY": "chờ lâu"}
    _c, texts, errors = clean_answers(CONTENT, {"Q1": 2, "WHY": [1]}, {"WHY": "chờ lâu"})
    assert errors == [] and texts == {}


def test_other_text_on_a_question_without_a_box_or_too_long_is_refused():
    _c, _t, errors = clean_answers(CONTENT, {"Q1": 4, "CH": 1}, {"CH": "x"})
    assert _codes(errors) == [("CH", "no_other_box")]
    _c, _t, errors = clean_answers(CONTENT, {"Q1": 1, "WHY": [9]}, {"WHY": "x" * 21})
    assert _codes(errors) == [("WHY", "too_long")] and errors[0].params == {"n": 20}


def test_partial_and_only_relax_the_required_check():
    assert clean_answers(CONTENT, {}, partial=True)[2] == []
    assert _codes(clean_answers(CONTENT, {}, only={"AGE"})[2]) == []
    assert _codes(clean_answers(CONTENT, {}, only={"Q1"})[2]) == [("Q1", "required")]


def test_rows_follow_questionnaire_order_one_per_chosen_code_with_other_text_on_its_code():
    cleaned, texts, _e = clean_answers(CONTENT, {"CMT": "ok", "WHY": [9, 1], "Q1": 1}, {"WHY": "khác"})
    assert answer_rows(CONTENT, cleaned, texts) == [
        {"item_code": "Q1", "value_int": 1, "value_text": None},
        {"item_code": "WHY", "value_int": 1, "value_text": None},
        {"item_code": "WHY", "value_int": 9, "value_text": "khác"},
        {"item_code": "CMT", "value_int": None, "value_text": "ok"},
    ]


def test_checks_are_read_once_per_content_and_another_content_gets_its_own():
    assert checks_for(CONTENT) is checks_for(CONTENT)
    narrower = copy.deepcopy(CONTENT)
    narrower["scales"]["sat5"]["codes"] = [{"code": c} for c in range(1, 4)]
    assert checks_for(narrower) is not checks_for(CONTENT)
    assert _codes(clean_answers(narrower, {"Q1": 5})[2]) == [("Q1", "out_of_scale")]
    assert clean_answers(CONTENT, {"Q1": 5})[2] == []


def test_wrong_shapes_are_one_wrong_type_error():
    assert _codes(clean_answers(CONTENT, ["Q1"])[2]) == [("", "wrong_type")]
    assert _codes(clean_answers(CONTENT, {"Q1": 4}, ["x"])[2]) == [("", "wrong_type")]


def test_a_nul_character_in_a_text_or_other_text_is_refused():
    assert _codes(clean_answers(CONTENT, {"Q1": 4, "CMT": "a\x00b"})[2]) == [("CMT", "wrong_type")]
    assert _codes(clean_answers(CONTENT, {"Q1": 1, "WHY": [9]}, {"WHY": "a\x00"})[2]) == [("WHY", "wrong_type")]


def test_a_lone_surrogate_in_a_text_or_other_text_is_refused_and_real_emoji_kept():
    lone = json.loads('"x\\ud800"')  # JSON can spell half of a UTF-16 pair; it has no UTF-8 form
    assert _codes(clean_answers(CONTENT, {"Q1": 4, "CMT": lone})[2]) == [("CMT", "wrong_type")]
    assert _codes(clean_answers(CONTENT, {"Q1": 1, "WHY": [9]}, {"WHY": lone})[2]) == [("WHY", "wrong_type")]
    pair = json.loads('"\\ud83d\\ude00"')  # a whole pair is one character, an emoji
    assert clean_answers(CONTENT, {"Q1": 4, "CMT": pair})[2] == []
