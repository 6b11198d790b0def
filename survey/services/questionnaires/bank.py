"""The questionnaire bank: validate, load immutable content-hashed versions, and read their structure.

Format: docs/questionnaire-format.md. Parsing and the rules live in questionnaire_format.py and
questionnaire_rules.py; this module adds the database side and helpers for renderers and analysis.
Services add/flush and never commit.
"""
from __future__ import annotations

import glob
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Questionnaire, QuestionnaireVersion
from survey.services.questionnaires.fileformat import ValidationError, content_hash, parse_file

__all__ = [
    "LoadResult", "QuestionnaireError", "ValidationError", "answer_codes", "content_hash", "get_version",
    "index_structure", "iter_questions", "list_versions", "load_bank", "load_file", "load_paths", "scale_for",
    "score", "validate_path", "validate_paths", "visible", "visible_questions",
]


class QuestionnaireError(Exception):
    """Raised when files are invalid or a load would change an already loaded version."""

    def __init__(self, errors: list[ValidationError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass(frozen=True)
class LoadResult:
    """Outcome of loading one file: status is "loaded" (new version) or "unchanged" (identical reload)."""

    file: str
    instrument: str
    version: str
    content_hash: str
    status: str
    version_id: int


def _files(path: str) -> list[str]:
    if os.path.isdir(path):
        return sorted(glob.glob(os.path.join(path, "*.yaml")) + glob.glob(os.path.join(path, "*.yml")))
    return [path]


def _bank_errors(parsed: list[tuple[str, dict]]) -> list[ValidationError]:
    """Rules across files: one file per (instrument, version); maps_to targets exist when both are present."""
    errors: list[ValidationError] = []
    seen: dict[tuple, str] = {}
    codes = {c["instrument"]: {q["code"] for q in iter_questions(c)} for _, c in parsed}
    for path, content in parsed:
        name = os.path.basename(path)
        key = (content["instrument"], content["version"])
        if key in seen:
            errors.append(ValidationError(name, "version", f"{key[0]} phiên bản {key[1]} đã có trong tệp {seen[key]}",
                                          None, "the same instrument version is in two files"))
        seen.setdefault(key, name)
        target = content.get("maps_to", {}).get("instrument")
        for src, dst in content.get("maps_to", {}).get("items", {}).items():
            if target in codes and dst not in codes[target]:
                errors.append(ValidationError(name, f"maps_to.items.{src}", f"{target} không có câu hỏi mã {dst}",
                                              None, "maps_to target item does not exist"))
    return errors


def _read_all(paths: list[str]) -> tuple[list[tuple[str, dict]], list[ValidationError]]:
    parsed, errors, seen = [], [], set()
    for path in paths:
        for file in _files(path):
            if os.path.realpath(file) in seen:  # the same file named twice (a directory and one of its files)
                continue
            seen.add(os.path.realpath(file))
            content, found = parse_file(file)
            errors += found
            if not found:
                parsed.append((file, content))
    if not errors:
        errors = _bank_errors(parsed)
    return parsed, errors


def _missing(paths: list[str]) -> list[ValidationError]:
    errors = []
    for path in paths:
        if not os.path.exists(path):
            errors.append(ValidationError(os.path.basename(path.rstrip("/")) or path, "",
                                          "không tìm thấy tệp hoặc thư mục", None, "no such file or directory"))
        elif os.path.isdir(path) and not _files(path):
            errors.append(ValidationError(path, "", "thư mục không có tệp .yaml nào", None, "no .yaml files"))
    return errors


def validate_paths(paths: list[str]) -> list[ValidationError]:
    """All problems in these files/directories taken together (rules across files included)."""
    return _missing(paths) or _read_all(paths)[1]


def validate_path(path: str) -> list[ValidationError]:
    """All problems in a file, or in every *.yaml of a directory (plus rules across files)."""
    return validate_paths([path])


def _existing(session: Session, instrument: str, version: str) -> QuestionnaireVersion | None:
    return session.scalars(
        select(QuestionnaireVersion).join(Questionnaire)
        .where(Questionnaire.instrument == instrument, QuestionnaireVersion.version == version)
    ).first()


def _load(session: Session, paths: list[str], actor: Any = None) -> list[LoadResult]:
    """Validate everything, check immutability of every file, and only then write (all or nothing)."""
    missing = _missing(paths)
    if missing:
        raise QuestionnaireError(missing)
    parsed, errors = _read_all(paths)
    plan = []
    for path, content in parsed:
        digest = content_hash(content)
        old = _existing(session, content["instrument"], content["version"])
        if old is not None and old.content_hash != digest:
            errors.append(ValidationError(
                os.path.basename(path), "version",
                f"{content['instrument']} phiên bản {content['version']} đã được nạp với nội dung khác "
                f"(mã băm {old.content_hash[:12]}…, tệp này {digest[:12]}…). Phiên bản đã nạp không được sửa: "
                "hãy đặt số phiên bản mới.",
                None, "this version was already loaded with different content; give the file a new version"))
        plan.append((path, content, digest, old))
    if errors:
        raise QuestionnaireError(errors)
    results = []
    for path, content, digest, old in plan:
        if old is None:
            old = _add_version(session, path, content, digest, actor)
            status = "loaded"
        else:
            status = "unchanged"
        results.append(LoadResult(os.path.basename(path), content["instrument"], content["version"], digest,
                                  status, old.id))
    return results


def _add_version(session: Session, path: str, content: dict, digest: str, actor: Any) -> QuestionnaireVersion:
    instrument = session.scalars(select(Questionnaire).where(Questionnaire.instrument == content["instrument"])).first()
    if instrument is None:
        instrument = Questionnaire(instrument=content["instrument"], title_vi="", title_en="")
        session.add(instrument)
    # The instrument's display title follows its newest version.
    instrument.title_vi, instrument.title_en = content["title"]["vi"][:255], content["title"]["en"][:255]
    version = QuestionnaireVersion(questionnaire=instrument, version=content["version"], content=content,
                                   content_hash=digest, source_file=os.path.basename(path)[:255])
    session.add(version)
    session.flush()
    if actor is not None:
        from survey.services.common.audit import record

        record(session, actor, "questionnaire.load", "questionnaire_version", version.id,
               instrument=content["instrument"], version=content["version"], content_hash=digest,
               file=os.path.basename(path))
    return version


def load_file(session: Session, path: str, actor: Any = None) -> LoadResult:
    """Load one file; identical content is a no-op, changed content under a loaded version is refused."""
    return _load(session, [path], actor)[0]


def load_bank(session: Session, directory: str | None = None, actor: Any = None) -> list[LoadResult]:
    """Load every *.yaml in `directory` (default: the bank); nothing is written if any file is refused."""
    if directory is None:
        from survey.paths import QUESTIONNAIRE_DIR

        directory = QUESTIONNAIRE_DIR
    return _load(session, [directory], actor)


def load_paths(session: Session, paths: list[str], actor: Any = None) -> list[LoadResult]:
    """Load several files and/or directories at once, all or nothing."""
    return _load(session, paths, actor)


def get_version(session: Session, instrument: str, version: str | None = None) -> QuestionnaireVersion | None:
    """A loaded version of an instrument (the most recently loaded when `version` is None), or None."""
    query = select(QuestionnaireVersion).join(Questionnaire).where(Questionnaire.instrument == instrument)
    if version is not None:
        query = query.where(QuestionnaireVersion.version == version)
    return session.scalars(query.order_by(QuestionnaireVersion.id.desc())).first()


def list_versions(session: Session) -> list[QuestionnaireVersion]:
    """Every loaded version, by instrument then load order."""
    return list(session.scalars(
        select(QuestionnaireVersion).join(Questionnaire)
        .order_by(Questionnaire.instrument, QuestionnaireVersion.id)))


# ---- reading a version's content (renderers, analysis) -------------------------------------------

def iter_questions(content: Mapping) -> Iterator[dict]:
    """Every question in questionnaire order, as a copy with its section id under "section"."""
    for section in content["sections"]:
        for question in section["questions"]:
            yield {**question, "section": section["id"]}


def scale_for(content: Mapping, question: Mapping) -> dict | None:
    """The scale definition of a scale question (None for other types)."""
    if question.get("type") != "scale":
        return None
    return content["scales"][question["scale"]]


def answer_codes(content: Mapping, question: Mapping) -> list[dict]:
    """The choices of a coded question as [{code, label, ...}] in display order (scale codes or options)."""
    scale = scale_for(content, question)
    return list(scale["codes"]) if scale else list(question.get("options", []))


def _as_codes(value: Any) -> list[int]:
    values = value if isinstance(value, (list, tuple, set)) else [value]
    codes = []
    for v in values:
        try:
            codes.append(int(v))
        except (TypeError, ValueError):
            continue
    return codes


def visible(question: Mapping, answers: Mapping[str, Any]) -> bool:
    """Whether a question is shown given the answers so far ({item code: code, list of codes or text})."""
    rule = question.get("show_if")
    if not rule:
        return True
    return any(code in rule["in"] for code in _as_codes(answers.get(rule["item"])))


def visible_questions(content: Mapping, answers: Mapping[str, Any]) -> list[dict]:
    """Visible questions in order; answers to hidden questions are ignored, so hiding cascades."""
    shown, kept = [], {}
    for question in iter_questions(content):
        if visible(question, kept):
            shown.append(question)
            if question["code"] in answers:
                kept[question["code"]] = answers[question["code"]]
    return shown


def index_structure(content: Mapping) -> dict:
    """The index tree as columns: items (questionnaire order), elements → column indices, parts → elements.

    Also "satisfied": per column, the codes that count as satisfied; "overall_item" (or None).
    """
    index = content.get("index") or {"elements": {}, "parts": {}}
    in_tree = {code for element in index["elements"].values() for code in element["items"]}
    items = [q["code"] for q in iter_questions(content) if q["code"] in in_tree]
    column = {code: i for i, code in enumerate(items)}
    questions = {q["code"]: q for q in iter_questions(content)}
    return {
        "items": items,
        "elements": {name: sorted(column[c] for c in el["items"]) for name, el in index["elements"].items()},
        "parts": {name: list(part["elements"]) for name, part in index["parts"].items()},
        "satisfied": [list(scale_for(content, questions[code])["satisfied"]) for code in items],
        "overall_item": content.get("overall_item"),
    }


def score(content: Mapping, answers: Mapping[str, Any]) -> dict | None:
    """Sum score and band of a scored instrument (D); None when not scored or a scored item is unanswered."""
    scoring = content.get("scoring")
    if not scoring:
        return None
    codes = [_as_codes(answers.get(code)) for code in scoring["items"]]
    if any(len(c) != 1 for c in codes):
        return None
    total = sum(c[0] for c in codes)
    band = next(b for b in scoring["bands"] if total >= b["min"])
    return {"total": total, "max": _max_score(content), "band": band.get("code"), "label": band["label"]}


def _max_score(content: Mapping) -> int:
    questions = {q["code"]: q for q in iter_questions(content)}
    return sum(max(c["code"] for c in answer_codes(content, questions[code])) for code in content["scoring"]["items"])
