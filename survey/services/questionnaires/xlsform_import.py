"""An XLSForm workbook → questionnaire content, with Vietnamese errors that name the sheet and the row.

Reads what xlsform_export.py writes and what a province authors in Excel with the same conventions
(docs/xlsform.md). Features the product has no equivalent for (repeat groups, calculate, nested groups,
other question types, free-form relevant/constraint expressions) are refused, never silently dropped.
"""
from __future__ import annotations

import json
import re
from typing import Any

from survey.services.questionnaires.xlsform_export import META_KEYS, OTHER_SUFFIX, PHONE_CONSTRAINT
from survey.services.questionnaires.xlsform_sheets import Sheets, choice_code, texts

Problem = tuple[str, int | None, str, str]  # (sheet, row, Vietnamese message, English message)
IGNORED_TYPES = {"start", "end", "today", "deviceid", "username", "phonenumber", "simserial", "subscriberid",
                 "email", "audit", "start-geopoint"}
UNSUPPORTED_TYPES = {
    "begin repeat": ("nhóm lặp (begin repeat) không được hỗ trợ: mỗi câu hỏi chỉ được trả lời một lần",
                     "repeat groups are not supported"),
    "calculate": ("trường tính toán (calculate) không được hỗ trợ", "calculate is not supported"),
}
UNSUPPORTED_COLUMNS = ("calculation", "choice_filter", "repeat_count", "default", "trigger", "read_only",
                       "media::image", "media::audio", "media::video", "image", "audio", "video")
_CLAUSE = re.compile(r"^\s*(?:selected\(\s*\$\{(?P<a>[A-Za-z0-9_]+)\}\s*,\s*'(?P<ca>-?\d+)'\s*\)"
                     r"|\$\{(?P<b>[A-Za-z0-9_]+)\}\s*=\s*'?(?P<cb>-?\d+)'?)\s*$")
_EXCLUSIVE = re.compile(r"^\s*not\(selected\(\.\s*,\s*'-?\d+'\)\s*and\s*count-selected\(\.\)\s*>\s*1\)\s*$")
_LENGTH = re.compile(r"^\s*string-length\(\.\)\s*<=\s*(\d+)\s*$")
_BOUND = re.compile(r"^\s*\.\s*(>=|<=)\s*(-?\d+(?:\.\d+)?)\s*$")


class Reader:
    """Builds the content dict and records, for each content path, the sheet and row it came from."""

    def __init__(self, sheets: Sheets):
        self.sheets = sheets
        self.problems: list[Problem] = []
        self.where: dict[str, tuple[str, int]] = {}

    def fail(self, sheet: str, row: int | None, vi: str, en: str) -> None:
        """Record one problem."""
        self.problems.append((sheet, row, vi, en))

    def choices(self) -> dict[str, list[tuple[int, dict]]]:
        """Choice lists by name, each a list of (row, entry) in sheet order."""
        lists: dict[str, list[tuple[int, dict]]] = {}
        for number, row in self.sheets.get("choices"):
            code = choice_code(row.get("name", ""))
            if code is None:
                self.fail("choices", number, f"mã lựa chọn {row.get('name', '')!r} phải là số nguyên",
                          "choice names must be integers")
                continue
            entry: dict[str, Any] = {"code": code, "label": texts(row, "label") or {}}
            for flag in ("face", "exclusive"):
                if flag in row:
                    entry[flag] = row[flag] if flag == "face" else row[flag].lower() in ("yes", "true", "1")
            lists.setdefault(row.get("list_name", ""), []).append((number, entry))
        return lists

    def meta(self) -> dict[str, Any]:
        """The hailong sheet: key → decoded JSON value."""
        found = {}
        for number, row in self.sheets.get("hailong"):
            try:
                found[row.get("key", "")] = json.loads(row.get("value", ""))
            except json.JSONDecodeError as exc:
                self.fail("hailong", number, f"giá trị của {row.get('key')!r} không phải JSON hợp lệ ({exc.msg})",
                          "value is not valid JSON")
            self.where.setdefault(row.get("key", ""), ("hailong", number))
        return found

    def index(self) -> dict | None:
        """The index sheet → {elements, parts} (None when the sheet is empty)."""
        rows = self.sheets.get("index")
        if not rows:
            return None
        elements, parts = {}, {}
        for number, row in rows:
            part, element = row.get("part", ""), row.get("element")
            if element:
                elements[element] = {"label": texts(row, "label") or {}, "items": row.get("items", "").split()}
                parts.setdefault(part, {"label": {}, "elements": []})["elements"].append(element)
                self.where[f"index.elements.{element}"] = ("index", number)
            else:
                parts.setdefault(part, {"label": {}, "elements": []})["label"] = texts(row, "label") or {}
                self.where[f"index.parts.{part}"] = ("index", number)
        return {"elements": elements, "parts": parts}


def _relevant(reader: Reader, number: int, expression: str) -> dict | None:
    items, codes = set(), []
    for clause in re.split(r"\s+or\s+", expression.strip()):
        match = _CLAUSE.match(clause)
        if not match:
            reader.fail("survey", number, f"biểu thức relevant {expression!r} không được hỗ trợ; chỉ dùng "
                        "selected(${MÃ}, 'mã') nối bằng or (hoặc ${MÃ} = 'mã')", "unsupported relevant expression")
            return None
        items.add(match.group("a") or match.group("b"))
        codes.append(int(match.group("ca") or match.group("cb")))
    if len(items) != 1:
        reader.fail("survey", number, "relevant chỉ được dựa vào một câu hỏi", "relevant must name one question")
        return None
    return {"item": items.pop(), "in": codes}


def _constraint(reader: Reader, number: int, kind: str, expression: str) -> dict:
    """Parse the constraints the export writes; anything else is refused."""
    if kind == "multiple" and all(_EXCLUSIVE.match(c) for c in re.split(r"\s+and\s+(?=not\()", expression)):
        return {}  # exclusive options come from the choices sheet's exclusive column
    if kind == "text" and _LENGTH.match(expression):
        return {"max_length": int(_LENGTH.match(expression).group(1))}
    if kind == "number":
        found = {}
        for clause in re.split(r"\s+and\s+", expression):
            match = _BOUND.match(clause)
            if not match:
                break
            value = match.group(2)
            found["min" if match.group(1) == ">=" else "max"] = float(value) if "." in value else int(value)
        else:
            return found
    reader.fail("survey", number, f"ràng buộc (constraint) {expression!r} không được hỗ trợ cho câu hỏi loại "
                f"{kind}", "unsupported constraint")
    return {}


def _flag(reader: Reader, number: int, value: str) -> bool | None:
    lowered = value.lower()
    if lowered in ("yes", "true", "true()", "1"):
        return True
    if lowered in ("no", "false", "false()", "0"):
        return False
    reader.fail("survey", number, f"required phải là yes hoặc no, đang là {value!r}", "required must be yes or no")
    return None


def _question(reader: Reader, number: int, row: dict, lists: dict, scales: set) -> dict | None:
    words = row["type"].split()
    base, listname = words[0], (words[1] if len(words) > 1 else None)
    if base in ("select_one", "select_multiple") and len(words) == 2:
        kind = "scale" if base == "select_one" and listname in scales else (
            "single" if base == "select_one" else "multiple")
    elif row["type"] == "text" and (row.get("constraint") or "").strip() == PHONE_CONSTRAINT:
        kind = "phone"
        row = {k: v for k, v in row.items() if k != "constraint"}  # the constraint only marks the type
    elif row["type"] in ("text", "integer"):
        kind = {"text": "text", "integer": "number"}[row["type"]]
    else:
        reader.fail("survey", number, f"loại câu hỏi {row['type']!r} không được hỗ trợ (chỉ select_one, "
                    "select_multiple, text, integer, note đầu nhóm)", "unsupported question type")
        return None
    question: dict[str, Any] = {"code": row.get("name", ""), "type": kind, "text": texts(row, "label") or {}}
    if kind == "scale":
        question["scale"] = listname
    elif kind in ("single", "multiple"):
        if listname not in lists:
            reader.fail("survey", number, f"danh sách lựa chọn {listname!r} không có trong trang choices",
                        "unknown choice list")
            return None
        question["options"] = [entry for _, entry in lists[listname]]
    if texts(row, "hint"):
        question["help"] = texts(row, "hint")
    if "required" in row:
        required = _flag(reader, number, row["required"])
        if required is not None:
            question["required"] = required
    if "relevant" in row:
        show_if = _relevant(reader, number, row["relevant"])
        if show_if:
            question["show_if"] = show_if
    if "constraint" in row:
        question.update(_constraint(reader, number, kind, row["constraint"]))
    return question


def _other(reader: Reader, number: int, row: dict, previous: dict | None) -> bool:
    """Attach a `<CODE>_OTHER` text row to the select question just before it (other_text); True when it is one."""
    if not previous or previous["type"] not in ("single", "multiple") or row.get("type") != "text":
        return False
    if row.get("name") != previous["code"] + OTHER_SUFFIX:
        return False
    show_if = _relevant(reader, number, row.get("relevant", "")) if row.get("relevant") else None
    if not show_if or show_if["item"] != previous["code"] or len(show_if["in"]) != 1:
        reader.fail("survey", number, f"ô 'khác' {row['name']} cần relevant selected(${{{previous['code']}}}, 'mã')",
                    "an _OTHER box needs relevant on its question's other code")
        return True
    previous["other_text"] = show_if["in"][0]
    if "constraint" in row:
        previous.update(_constraint(reader, number, "text", row["constraint"]))
    return True


def _check_columns(reader: Reader, number: int, row: dict) -> None:
    for column in UNSUPPORTED_COLUMNS:
        if column in row:
            reader.fail("survey", number, f"cột {column} không được hỗ trợ", f"column {column} is not supported")


def _kind(text: str) -> str:
    """A row's type with spaces normalised; begin_group / end_repeat spelt with a space."""
    kind = " ".join(text.split())
    for word in ("begin_", "end_"):
        if kind.startswith(word):
            kind = word[:-1] + " " + kind[len(word):]
    return kind


def read_sections(reader: Reader, lists: dict, scales: set) -> list[dict]:
    """The survey sheet → sections (one per top-level group)."""
    sections: list[dict] = []
    current: dict | None = None
    previous: dict | None = None
    for number, row in reader.sheets.get("survey"):
        kind = _kind(row.get("type", ""))
        row = {**row, "type": kind}
        _check_columns(reader, number, row)
        if kind in IGNORED_TYPES or not kind:
            continue
        if kind in UNSUPPORTED_TYPES or kind == "end repeat":
            vi, en = UNSUPPORTED_TYPES.get(kind, UNSUPPORTED_TYPES["begin repeat"])
            reader.fail("survey", number, vi, en)
        elif kind == "begin group":
            if current is not None:
                reader.fail("survey", number, "nhóm lồng trong nhóm không được hỗ trợ: mỗi nhóm cấp cao nhất là "
                            "một màn hình", "nested groups are not supported")
                continue
            current = {"id": row.get("name", ""), "title": texts(row, "label") or {}, "questions": []}
            reader.where[f"sections[{len(sections)}]"] = ("survey", number)
            sections.append(current)
            previous = None
        elif kind == "end group":
            current, previous = None, None
        elif current is None:
            reader.fail("survey", number, "câu hỏi phải nằm trong một nhóm (begin group … end group)",
                        "questions must be inside a group")
        elif kind == "note":
            if current["questions"] or "intro" in current:
                reader.fail("survey", number, "note chỉ được dùng làm lời giới thiệu ở đầu nhóm",
                            "a note is only allowed as the first row of a group (its intro)")
            else:
                current["intro"] = texts(row, "label") or {}
                reader.where[f"sections[{len(sections) - 1}].intro"] = ("survey", number)
        elif not _other(reader, number, row, previous):
            question = _question(reader, number, row, lists, scales)
            if question is not None:
                reader.where[f"sections[{len(sections) - 1}].questions[{len(current['questions'])}]"] = (
                    "survey", number)
                current["questions"].append(question)
                previous = question
    if current is not None:
        reader.fail("survey", None, f"nhóm {current['id']!r} thiếu dòng end group", "a group is not closed")
    return sections


def read_content(data: bytes) -> tuple[dict, Reader]:
    """Build the content dict of a workbook; problems found on the way are in reader.problems."""
    reader = Reader(Sheets(data))
    settings = dict(reader.sheets.get("settings")[0][1]) if reader.sheets.get("settings") else {}
    if not reader.sheets.get("survey"):
        reader.fail("survey", None, "thiếu trang tính survey (hoặc trang trống)", "no survey sheet")
    meta = reader.meta()
    scale_props = meta.pop("scales", {}) if isinstance(meta.get("scales"), dict) else {}
    lists = reader.choices()
    content: dict[str, Any] = {
        "instrument": settings.get("form_id", ""), "version": settings.get("version", ""),
        "title": {"vi": settings.get("form_title", ""), "en": meta.pop("title_en", "")},
    }
    for where in ("instrument", "version", "title"):
        reader.where[where] = ("settings", 2)
    content.update({key: meta[key] for key in META_KEYS if key in meta})
    if scale_props:
        content["scales"] = {}
        for name, props in scale_props.items():
            rows = lists.get(name, [])
            content["scales"][name] = {"codes": [entry for _, entry in rows], **props}
            if rows:
                reader.where[f"scales.{name}"] = ("choices", rows[0][0])
    content["sections"] = read_sections(reader, lists, set(scale_props))
    index = reader.index()
    if index:
        content["index"] = index
    return content, reader
