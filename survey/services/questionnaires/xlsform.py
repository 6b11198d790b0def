"""XLSForm (ODK, KoboToolbox, SurveyCTO) import and export of questionnaire versions.

export: content → .xlsx (xlsform_export.py), checked by converting it with pyxform.
import: .xlsx → content (xlsform_import.py) → the same schema and rules as a YAML file (fileformat.py),
every error naming the sheet and row it comes from → loaded like a YAML file (bank.py).
Mapping and differences: docs/xlsform.md. Services flush, never commit.
"""
from __future__ import annotations

import io
import os
import tempfile
import zipfile
from typing import Any

import yaml
from sqlalchemy.orm import Session

from survey.services.questionnaires.bank import LoadResult, QuestionnaireError, load_file
from survey.services.questionnaires.fileformat import ValidationError, parse_text
from survey.services.questionnaires.xlsform_export import ExportError, to_xlsx
from survey.services.questionnaires.xlsform_import import read_content

__all__ = ["ExportError", "export_xlsx", "import_xlsx", "load_xlsx", "pyxform_errors", "to_yaml"]


def pyxform_errors(data: bytes) -> list[str]:
    """What pyxform says converting this workbook to an XForm: [] when it is a valid form."""
    from pyxform.errors import PyXFormError
    from pyxform.xls2xform import convert

    try:
        convert(io.BytesIO(data), warnings=[])
    except PyXFormError as exc:
        return [str(exc)]
    except Exception as exc:  # noqa: BLE001 - pyxform raises plain errors on malformed workbooks
        return [f"{exc.__class__.__name__}: {exc}"]
    return []


def export_xlsx(content: dict) -> bytes:
    """The XLSForm of a version's content; ExportError if pyxform would not accept it (a bug, not the user's)."""
    data = to_xlsx(content)
    problems = pyxform_errors(data)
    if problems:
        raise ExportError("pyxform: " + "; ".join(problems))
    return data


def to_yaml(content: dict) -> str:
    """A version's content as a questionnaire YAML file (questionnaires/*.yaml) with the same content hash."""
    return yaml.safe_dump(content, allow_unicode=True, sort_keys=False, width=120, default_flow_style=False)


def _located(where: dict[str, tuple[str, int]], path: str) -> str:
    """The sheet and row a content path came from (the longest known prefix of the path)."""
    best = ""
    for key in where:
        if (path == key or path.startswith(key + ".") or path.startswith(key + "[")) and len(key) > len(best):
            best = key
    if not best:
        return path
    sheet, row = where[best]
    return f"trang {sheet}, dòng {row} ({path})"


def import_xlsx(data: bytes, name: str) -> tuple[dict | None, list[ValidationError]]:
    """Read an XLSForm: (content, []) when it is a valid questionnaire, else (None, errors with sheet/row)."""
    try:
        content, reader = read_content(data)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        return None, [ValidationError(name, "", "không đọc được tệp: cần một tệp Excel .xlsx (XLSForm)", None,
                                      f"not an .xlsx workbook: {exc}")]
    if reader.problems:
        return None, [ValidationError(name, f"trang {sheet}" + (f", dòng {row}" if row else ""), vi, None, en)
                      for sheet, row, vi, en in reader.problems]
    _, found = parse_text(to_yaml(content), name)
    errors = [ValidationError(name, _located(reader.where, e.path), e.message, None, e.message_en) for e in found]
    if not errors:
        errors = [ValidationError(name, "", f"pyxform không chấp nhận biểu mẫu: {p}", None, p)
                  for p in pyxform_errors(data)]
    return (None, errors) if errors else (content, [])


def load_xlsx(session: Session, data: bytes, name: str, actor: Any = None) -> LoadResult:
    """Import an XLSForm into the bank (all or nothing, like a YAML file); QuestionnaireError on any problem."""
    content, errors = import_xlsx(data, name)
    if errors:
        raise QuestionnaireError(errors)
    with tempfile.TemporaryDirectory() as folder:
        # The version's source_file records the workbook's name; the file itself is its YAML conversion.
        path = os.path.join(folder, os.path.basename(name) or "form.xlsx")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(to_yaml(content))
        return load_file(session, path, actor)
