"""Questionnaire files: safe YAML parsing, schema validation with Vietnamese errors, content hash."""
from __future__ import annotations

import hashlib
import json
import os
import re
from functools import lru_cache
from typing import Any, NamedTuple

import jsonschema
import yaml

from survey.services.questionnaires.rules import check_rules

# survey/services/questionnaires/ → the repository root, where the bank and its schema live.
SCHEMA_PATH = os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), *[os.pardir] * 3, "questionnaires", "schema.json"))


class ValidationError(NamedTuple):
    """One problem in a questionnaire file: which file, where inside it, what is wrong."""

    file: str
    path: str
    message: str
    line: int | None = None
    message_en: str = ""

    def __str__(self) -> str:
        where = self.file + (f" (dòng {self.line})" if self.line else "")
        return f"{where}: {self.path or '<toàn tệp>'}: {self.message}"


_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: same rules, faster


class _UniqueKeyLoader(_SafeLoader):
    """SafeLoader that refuses duplicate mapping keys (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: Any, node: yaml.MappingNode) -> dict:
    loader.flatten_mapping(node)
    result: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"khóa {key!r} bị lặp lại (duplicate key)", key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
    return result


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@lru_cache(maxsize=1)
def schema() -> dict:
    """The JSON Schema of a questionnaire file (questionnaires/schema.json)."""
    with open(SCHEMA_PATH, encoding="utf-8") as fh:
        return json.load(fh)


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    jsonschema.Draft202012Validator.check_schema(schema())
    return jsonschema.Draft202012Validator(schema())


def format_path(parts: Any) -> str:
    """Render a path like sections[2].questions[1].scale from its parts."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _split_path(path: str) -> list[Any]:
    parts: list[Any] = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path):
        parts.append(int(index) if index else name)
    return parts


def _line_of(root: yaml.Node | None, path: str) -> int | None:
    """1-based line of the deepest YAML node found along `path` (None without a node tree)."""
    node, line = root, None
    for part in _split_path(path):
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if getattr(k, "value", None) == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            node = None
    if node is not None:
        line = node.start_mark.line + 1
    return line


_TYPES_VI = {"string": "chuỗi văn bản (string)", "integer": "số nguyên", "number": "số",
             "boolean": "true hoặc false", "object": "bảng khóa: giá trị (mapping)", "array": "danh sách"}


def _schema_errors(data: Any) -> list[tuple[str, str, str]]:
    """Schema violations as (path, Vietnamese message, English message)."""
    validator = _validator()
    found: list[tuple[str, str, str]] = []
    for err in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        parts = list(err.absolute_path)
        kind, value = err.validator, err.validator_value
        if kind == "required":
            name = re.match(r"'(.*)' is a required property", err.message)
            parts.append(name.group(1) if name else "?")
            vi = "thiếu trường bắt buộc"
        elif kind == "additionalProperties":
            allowed = err.schema.get("properties", {})
            for extra in [k for k in err.instance if k not in allowed]:
                hint = ", ".join(sorted(allowed)) if allowed else ""
                found.append((format_path(parts + [extra]),
                               "trường không được phép (viết sai tên?)"
                               f"{'; các trường hợp lệ: ' + hint if hint else ''}",
                               err.message))
            continue
        elif kind == "type":
            vi = f"phải là {_TYPES_VI.get(value, value)}, đang là {err.instance!r}"
            if value == "string" and isinstance(err.instance, (int, float, bool)):
                vi += " (hãy đặt giá trị trong dấu ngoặc kép)"
        elif kind == "enum":
            vi = f"giá trị {err.instance!r} không hợp lệ; chọn một trong: {', '.join(map(str, value))}"
        elif kind == "const":
            vi = f"phải là {value!r}"
        elif kind == "pattern":
            vi = f"giá trị {err.instance!r} sai định dạng (mẫu {value})"
        elif kind in ("minItems", "minProperties"):
            vi = f"cần ít nhất {value} phần tử"
        elif kind == "minLength":
            vi = "không được để trống"
        elif kind == "maxLength":
            vi = f"dài quá {value} ký tự"
        elif kind == "uniqueItems":
            vi = "có phần tử bị lặp lại"
        elif kind in ("minimum", "exclusiveMinimum", "maximum"):
            sign = {"minimum": "≥", "exclusiveMinimum": ">", "maximum": "≤"}[kind]
            vi = f"phải {sign} {value}, đang là {err.instance!r}"
        elif kind == "propertyNames":
            vi = f"tên khóa {err.instance!r} sai định dạng"
        else:
            vi = "giá trị không hợp lệ"
        found.append((format_path(parts), vi, err.message))
    return found


def _non_string_keys(data: Any, parts: list[Any]) -> list[tuple[str, str, str]]:
    """YAML allows `1: x` keys; JSON (and the stored content) does not."""
    found = []
    if isinstance(data, dict):
        for key, value in data.items():
            if not isinstance(key, str):
                found.append((format_path(parts + [str(key)]), f"khóa {key!r} phải là chuỗi (đặt trong ngoặc kép)",
                              "mapping keys must be strings"))
            found += _non_string_keys(value, parts + [str(key)])
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += _non_string_keys(value, parts + [i])
    return found


def parse_text(text: str, file: str) -> tuple[Any, list[ValidationError]]:
    """Parse and validate one file's text: (content, errors); content is None on a syntax error."""
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader subclass)
        root = yaml.compose(text, Loader=_SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        where = f" ở dòng {line}, cột {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        return None, [ValidationError(file, "", f"lỗi cú pháp YAML{where}: {problem}", line,
                                      f"YAML syntax error: {exc}")]
    if not isinstance(data, dict):
        return None, [ValidationError(file, "", "tệp phải chứa một bảng (mapping) ở cấp cao nhất",
                                      1, "the file must hold a mapping at the top level")]
    found = _non_string_keys(data, []) or _schema_errors(data) + check_rules(data)
    errors = [ValidationError(file, path, vi, _line_of(root, path), en) for path, vi, en in found]
    return data, errors


def parse_file(path: str) -> tuple[Any, list[ValidationError]]:
    """Read, parse and validate one questionnaire file."""
    name = os.path.basename(path)
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        return None, [ValidationError(name, "", f"không đọc được tệp: {exc.strerror}", None, str(exc))]
    except UnicodeDecodeError:
        return None, [ValidationError(name, "", "tệp không phải văn bản UTF-8", None, "file is not UTF-8")]
    return parse_text(text, name)


def canonical_json(content: Any) -> str:
    """Canonical JSON: sorted keys, no whitespace, UTF-8 kept (the basis of the content hash)."""
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content_hash(content: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of a questionnaire's content."""
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()
