"""Broken questionnaire files: every problem names the file, the path inside it and what is wrong."""
from __future__ import annotations

import pytest

from survey.services.questionnaires.bank import validate_path
from tests.questionnaires.conftest import MINI, mutate

CASES = [
    # (case id, old fragment, new fragment, expected path, expected words in the Vietnamese message)
    ("missing_required_text", '        text: {vi: "Câu một", en: "Question one"}\n', "",
     "sections[0].questions[0].text", "thiếu trường bắt buộc"),
    ("missing_english", '{vi: "Câu hai", en: "Question two"}', '{vi: "Câu hai"}',
     "sections[0].questions[1].text.en", "thiếu trường bắt buộc"),
    ("unknown_scale", "        scale: sat5\n        text: {vi: \"Câu một\"",
     "        scale: sat7\n        text: {vi: \"Câu một\"", "sections[0].questions[0].scale", "chưa được khai báo"),
    ("scale_question_without_scale", "        type: scale\n        scale: sat5\n        text: {vi: \"Câu một\"",
     "        type: scale\n        text: {vi: \"Câu một\"", "sections[0].questions[0].scale", "thiếu trường bắt buộc"),
    ("duplicate_item_code", "      - code: A4", "      - code: A1", "sections[0].questions[3].code", "bị lặp lại"),
    ("show_if_to_later_item", "show_if: {item: A2, in: [1]}", "show_if: {item: A4, in: [1]}",
     "sections[0].questions[2].show_if.item", "nằm sau"),
    ("show_if_to_itself", "show_if: {item: A2, in: [1]}", "show_if: {item: A3, in: [1]}",
     "sections[0].questions[2].show_if.item", "nằm sau"),
    ("show_if_to_unknown_item", "show_if: {item: A2, in: [1]}", "show_if: {item: ZZ9, in: [1]}",
     "sections[0].questions[2].show_if.item", "không có câu hỏi nào mã ZZ9"),
    ("show_if_code_not_an_answer", "show_if: {item: A2, in: [1]}", "show_if: {item: A2, in: [7]}",
     "sections[0].questions[2].show_if.in[0]", "không phải câu trả lời có thể"),
    ("index_item_not_a_scale_question", "items: [A1, A3]", "items: [A1, A2]",
     "index.elements.el.items[1]", "phải là câu hỏi loại scale"),
    ("index_item_unknown", "items: [A1, A3]", "items: [A1, B9]", "index.elements.el.items[1]",
     "không có câu hỏi nào mã B9"),
    ("part_names_unknown_element", "elements: [el]", "elements: [el, ghost]", "index.parts.p.elements[1]",
     "chưa được khai báo"),
    ("satisfied_code_not_in_scale", "satisfied: [2]", "satisfied: [2, 5]", "scales.sat5.satisfied[1]",
     "không có trong thang đo"),
    ("wrong_type_required", "        type: text\n", "        type: text\n        required: \"có\"\n",
     "sections[0].questions[3].required", "true hoặc false"),
    ("wrong_type_code", "- {code: 2, label: {vi: \"Không\"", "- {code: hai, label: {vi: \"Không\"",
     "sections[0].questions[1].options[1].code", "số nguyên"),
    ("unquoted_version", 'version: "1"', "version: 2023.1", "version", "ngoặc kép"),
    ("unknown_question_type", "        type: text\n", "        type: slider\n", "sections[0].questions[3].type",
     "slider"),
    ("misspelt_key", "        type: text\n", "        type: text\n        requried: true\n",
     "sections[0].questions[3].requried", "không được phép"),
    ("bad_item_code", "      - code: A4", "      - code: a-4", "sections[0].questions[3].code", "sai định dạng"),
    ("other_text_not_an_option", "          - {code: 2, label: {vi: \"Không\", en: \"No\"}}\n",
     "          - {code: 2, label: {vi: \"Không\", en: \"No\"}}\n        other_text: 9\n",
     "sections[0].questions[1].other_text", "other_text"),
    ("options_on_text_question", "        type: text\n",
     "        type: text\n        options:\n          - {code: 1, label: {vi: \"x\", en: \"x\"}}\n"
     "          - {code: 2, label: {vi: \"y\", en: \"y\"}}\n",
     "sections[0].questions[3].options", "chỉ dùng cho câu hỏi loại single/multiple"),
    ("duplicate_option_code", "- {code: 2, label: {vi: \"Không\"", "- {code: 1, label: {vi: \"Không\"",
     "sections[0].questions[1].options[1].code", "bị lặp lại"),
    ("empty_vietnamese_text", '{vi: "Góp ý", en: "Comments"}', '{vi: "", en: "Comments"}',
     "sections[0].questions[3].text.vi", "không được để trống"),
    ("duplicate_yaml_key", '        text: {vi: "Góp ý", en: "Comments"}\n',
     '        text: {vi: "Góp ý", en: "Comments"}\n        text: {vi: "Lặp", en: "Again"}\n', "", "bị lặp lại"),
]


@pytest.mark.parametrize("old,new,path,words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_broken_file_error_names_file_path_and_problem(write, old, new, path, words):
    errors = validate_path(write(mutate(old, new), "broken.yaml"))
    assert errors, "the broken file must be refused"
    assert all(e.file == "broken.yaml" for e in errors)
    matching = [e for e in errors if e.path == path and words in e.message]
    assert matching, [str(e) for e in errors]
    assert "broken.yaml" in str(matching[0]) and (path or "<toàn tệp>") in str(matching[0])


def test_the_unbroken_mini_file_is_valid(write):
    assert validate_path(write(MINI)) == []


def test_yaml_syntax_error_gives_line_and_column(write):
    text = mutate("      - code: A4\n        type: text\n", "      - code: A4\n        type: [text\n")
    errors = validate_path(write(text, "syntax.yaml"))
    assert len(errors) == 1
    err = errors[0]
    assert err.file == "syntax.yaml" and "cú pháp YAML" in err.message and "dòng" in err.message
    assert err.line is not None and err.line > 30


def test_error_carries_the_line_of_the_offending_node(write):
    text = mutate("        scale: sat5\n        text: {vi: \"Câu một\"",
                  "        scale: sat7\n        text: {vi: \"Câu một\"")
    line = text.splitlines().index("        scale: sat7") + 1
    (error,) = validate_path(write(text))
    assert error.line == line and f"(dòng {line})" in str(error)


def test_several_problems_are_all_listed_in_one_pass(write):
    text = mutate("satisfied: [2]", "satisfied: [9]")
    text = mutate("      - code: A4", "      - code: A1", text)
    text = mutate("        type: text\n", "        type: text\n        required: 1\n", text)
    paths = {e.path for e in validate_path(write(text))}
    assert {"scales.sat5.satisfied[0]", "sections[0].questions[3].code", "sections[0].questions[3].required"} <= paths


@pytest.mark.parametrize("text,words", [("", "mapping"), ("- a\n- b\n", "mapping"), ("{1: x}\n", "chuỗi")])
def test_a_file_that_is_not_a_mapping_of_strings_is_refused(write, text, words):
    errors = validate_path(write(text))
    assert errors and words in errors[0].message


def test_missing_file_is_reported(tmp_path):
    (error,) = validate_path(str(tmp_path / "nope.yaml"))
    assert error.file == "nope.yaml" and "không tìm thấy" in error.message


def test_directory_validation_lists_errors_of_every_file(write):
    write(mutate("satisfied: [2]", "satisfied: [9]"), "a.yaml")
    path = write(mutate('instrument: mini', 'instrument: mini-b', mutate("items: [A1, A3]", "items: [A2]")), "b.yaml")
    errors = validate_path(path.rsplit("/", 1)[0])
    assert {e.file for e in errors} == {"a.yaml", "b.yaml"}


def test_same_instrument_version_in_two_files_is_refused(write):
    write(MINI, "a.yaml")
    path = write(MINI, "b.yaml")
    errors = validate_path(path.rsplit("/", 1)[0])
    assert [(e.file, e.path) for e in errors] == [("b.yaml", "version")]
    assert "a.yaml" in errors[0].message


def test_maps_to_target_items_must_exist_in_the_target_instrument(write):
    write(MINI, "a.yaml")
    mapped = (mutate("instrument: mini", "instrument: mini-old")
              + "maps_to: {instrument: mini, items: {A1: A1, A3: NOPE}}\n")
    path = write(mapped, "b.yaml")
    errors = validate_path(path.rsplit("/", 1)[0])
    assert [(e.file, e.path) for e in errors] == [("b.yaml", "maps_to.items.A3")]


def test_scoring_bands_must_cover_every_possible_sum(write):
    scored = MINI.replace("index:", "scoring:\n  type: sum\n  items: [A1, A2]\n  bands:\n"
                          "    - {min: 3, label: {vi: \"Tốt\", en: \"Good\"}}\n"
                          "    - {min: 1, label: {vi: \"Kém\", en: \"Weak\"}}\nindex:")
    assert validate_path(write(scored)) == []
    gap = scored.replace("{min: 1, label", "{min: 3, label")
    assert any(e.path == "scoring.bands" for e in validate_path(write(gap)))
    too_high = scored.replace("{min: 3, label", "{min: 4, label").replace("{min: 1, label", "{min: 3, label")
    assert [e.path for e in validate_path(write(too_high))] == ["scoring.bands[1].min"]


def _leaves(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _leaves(value, path + (i,))
    else:
        yield path


@pytest.mark.parametrize("replacement", [[1, 2], {"x": 1}, None, True, -5])
def test_any_value_of_the_wrong_shape_gives_errors_not_a_crash(write, replacement):
    import copy

    import yaml

    base = yaml.safe_load(MINI)
    for path in _leaves(base):
        data = copy.deepcopy(base)
        target = data
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = replacement
        errors = validate_path(write(yaml.safe_dump(data, allow_unicode=True)))
        assert all(e.path is not None and e.message for e in errors), path
