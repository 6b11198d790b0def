"""A questionnaire version's content → an XLSForm workbook (survey, choices, settings, index, hailong sheets).

The mapping is described in docs/xlsform.md; xlsform_import.py reads exactly what this writes, so that
export → import gives the same content (and content hash). Sections become `begin group` rows (one screen
each, appearance field-list), scales and option lists become choice lists, show_if becomes `relevant`,
every text gets a `label::Vietnamese (vi)` and a `label::English (en)` column. What XLSForm has no place
for (the index tree, scale properties, scoring, ...) goes into two extra sheets that ODK, KoboToolbox
and SurveyCTO ignore.
"""
from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

LANGS = {"vi": "Vietnamese (vi)", "en": "English (en)"}
# A phone question (the call-back number) as XLSForm writes one; the import reads exactly this back as `phone`.
PHONE_CONSTRAINT = "regex(., '^[0-9 +.()-]{8,20}$')"
SURVEY_COLUMNS = ["type", "name", "label::Vietnamese (vi)", "label::English (en)", "hint::Vietnamese (vi)",
                  "hint::English (en)", "required", "relevant", "constraint", "appearance"]
CHOICE_COLUMNS = ["list_name", "name", "label::Vietnamese (vi)", "label::English (en)", "face", "exclusive"]
INDEX_COLUMNS = ["part", "element", "label::Vietnamese (vi)", "label::English (en)", "items"]
# Instrument-level keys carried in the `hailong` sheet as JSON (besides `title_en` and `scales`).
META_KEYS = ["description", "source", "estimated_minutes", "modes", "kiosk", "overall_item", "maps_to", "scoring"]
OTHER_SUFFIX = "_OTHER"
INTRO_SUFFIX = "_intro"


class ExportError(Exception):
    """The content cannot be written as an XLSForm without losing something (a name collision)."""


def _labels(text: Mapping | None, kind: str = "label") -> dict:
    if not text:
        return {}
    return {f"{kind}::{LANGS[lang]}": text[lang] for lang in LANGS if lang in text}


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


def _number(value: Any) -> str:
    return repr(value)


def relevant_for(show_if: Mapping) -> str:
    """show_if {item, in} as an XLSForm relevant expression (selected() works for select_one and _multiple)."""
    return " or ".join(f"selected(${{{show_if['item']}}}, '{code}')" for code in show_if["in"])


def exclusive_constraint(codes: list[int]) -> str:
    """ODK's way of saying an option of a select_multiple excludes every other one."""
    return " and ".join(f"not(selected(., '{code}') and count-selected(.) > 1)" for code in codes)


def _number_constraint(question: Mapping) -> str | None:
    parts = []
    if "min" in question:
        parts.append(f". >= {_number(question['min'])}")
    if "max" in question:
        parts.append(f". <= {_number(question['max'])}")
    return " and ".join(parts) or None


def _question_rows(content: Mapping, question: Mapping) -> list[dict]:
    kind, code = question["type"], question["code"]
    xls_type = {"scale": f"select_one {question.get('scale')}", "single": f"select_one {code}",
                "multiple": f"select_multiple {code}", "text": "text", "number": "integer", "phone": "text"}[kind]
    row = {"type": xls_type, "name": code, **_labels(question["text"]), **_labels(question.get("help"), "hint"),
           "required": _yes_no(question.get("required"))}
    if question.get("show_if"):
        row["relevant"] = relevant_for(question["show_if"])
    if kind == "number":
        row["constraint"] = _number_constraint(question)
    elif kind == "phone":  # XLSForm has no phone type: a text with a number pad and this constraint, read back
        row.update(constraint=PHONE_CONSTRAINT, appearance="numbers")
    elif kind == "text" and "max_length" in question:
        row["constraint"] = f"string-length(.) <= {question['max_length']}"
    elif kind == "multiple":
        exclusive = [o["code"] for o in question["options"] if o.get("exclusive")]
        row["constraint"] = exclusive_constraint(exclusive) if exclusive else None
    rows = [row]
    if kind in ("single", "multiple") and "other_text" in question:
        other = next((o for o in question["options"] if o["code"] == question["other_text"]), None)
        label = other["label"] if other else {"vi": "Ghi rõ", "en": "Please specify"}
        rows.append({"type": "text", "name": code + OTHER_SUFFIX, **_labels(label),
                     "relevant": f"selected(${{{code}}}, '{question['other_text']}')",
                     "constraint": (f"string-length(.) <= {question['max_length']}"
                                    if "max_length" in question else None)})
    elif kind in ("single", "multiple") and "max_length" in question:
        raise ExportError(f"{code}: max_length không có ô 'khác' (other_text) để gắn vào")
    return rows


def survey_rows(content: Mapping) -> list[dict]:
    """The survey sheet: one group per section (its intro as a leading note), the questions inside."""
    names = {s["id"] for s in content["sections"]} | {q["code"] for s in content["sections"] for q in s["questions"]}
    rows: list[dict] = []
    for section in content["sections"]:
        rows.append({"type": "begin group", "name": section["id"], **_labels(section["title"]),
                     "appearance": "field-list"})
        if section.get("intro"):
            name = section["id"] + INTRO_SUFFIX
            if name in names:
                raise ExportError(f"tên {name} (lời giới thiệu của phần {section['id']}) trùng một phần khác")
            rows.append({"type": "note", "name": name, **_labels(section["intro"])})
        for question in section["questions"]:
            for row in _question_rows(content, question):
                if row["name"] != question["code"] and row["name"] in names:
                    raise ExportError(f"tên {row['name']} (ô 'khác' của {question['code']}) trùng một câu hỏi")
                rows.append(row)
        rows.append({"type": "end group", "name": section["id"]})
    return rows


def choice_rows(content: Mapping) -> list[dict]:
    """The choices sheet: every scale under its name, every question's options under the question code."""
    rows = [{"list_name": name, "name": str(c["code"]), **_labels(c["label"]), "face": c.get("face")}
            for name, scale in content.get("scales", {}).items() for c in scale["codes"]]
    for section in content["sections"]:
        for question in section["questions"]:
            for option in question.get("options", []):
                rows.append({"list_name": question["code"], "name": str(option["code"]), **_labels(option["label"]),
                             "exclusive": _yes_no(option.get("exclusive"))})
    return rows


def index_rows(content: Mapping) -> list[dict]:
    """The index sheet: a row per part, then a row per element of that part with its items."""
    index = content.get("index")
    if not index:
        return []
    rows = []
    for part_name, part in index["parts"].items():
        rows.append({"part": part_name, **_labels(part["label"])})
        for element in part["elements"]:
            el = index["elements"][element]
            rows.append({"part": part_name, "element": element, **_labels(el["label"]), "items": " ".join(el["items"])})
    return rows


def meta_rows(content: Mapping) -> list[dict]:
    """The hailong sheet: key / JSON value for what XLSForm has no column for."""
    rows = [{"key": "title_en", "value": json.dumps(content["title"]["en"], ensure_ascii=False)}]
    if "scales" in content:
        scales = {name: {k: v for k, v in scale.items() if k != "codes"} for name, scale in content["scales"].items()}
        rows.append({"key": "scales", "value": json.dumps(scales, ensure_ascii=False)})
    rows += [{"key": key, "value": json.dumps(content[key], ensure_ascii=False)} for key in META_KEYS if key in content]
    return rows


def _sheet(workbook: Any, name: str, columns: list[str], rows: list[dict]) -> None:
    from openpyxl.styles import Font

    sheet = workbook.create_sheet(name)
    sheet.append(columns)
    for row in rows:
        sheet.append([row.get(column) for column in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"


def to_xlsx(content: Mapping) -> bytes:
    """The XLSForm workbook of a questionnaire version's content, as .xlsx bytes."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    _sheet(workbook, "survey", SURVEY_COLUMNS, survey_rows(content))
    _sheet(workbook, "choices", CHOICE_COLUMNS, choice_rows(content))
    _sheet(workbook, "settings", ["form_title", "form_id", "version", "default_language"],
           [{"form_title": content["title"]["vi"], "form_id": content["instrument"], "version": content["version"],
             "default_language": LANGS["vi"]}])
    _sheet(workbook, "index", INDEX_COLUMNS, index_rows(content))
    _sheet(workbook, "hailong", ["key", "value"], meta_rows(content))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
