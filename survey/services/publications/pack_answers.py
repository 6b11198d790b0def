"""The answer columns of a reproducibility pack: every coded (non-free-text) question, and their protection.

Free text never leaves the database (it may name people or give phone numbers). A multiple-choice
question becomes one 0/1 column per option. The profile questions (sections `profile`, `profile_…`:
sex, age band, …) are quasi-identifiers that no published number needs, so they are withheld in every
row whose combination of agency, sector, service point and profile answers has fewer than k rows
(k = HAILONG_SDC_K); the row's `profile_withheld` column says so. Design and domain variables stay
exact: they are what makes the published numbers reproducible (docs/reproducibility.md).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Answer
from survey.services.questionnaires.bank import answer_codes, iter_questions

WITHHELD_FLAG = "profile_withheld"
# The pack's design columns, before the answer variables; no answer variable may take one of these names.
DESIGN_COLUMNS = ("row_id", "stratum", "fpc", "w_base", "w_nonresponse", "w_final", "cell", "agency", "sector",
                  "service_point")
RESERVED = {*DESIGN_COLUMNS, WITHHELD_FLAG}


@dataclass(frozen=True)
class Variable:
    """One answer column: its name (valid in R, Stata and SPSS), labels and value labels in vi and en."""

    name: str
    label_vi: str
    label_en: str
    question: str
    qtype: str
    section: str
    values: dict = field(default_factory=dict)  # code → (vi, en)
    option: int | None = None  # multiple choice: the option this 0/1 column stands for


def safe_name(code: str) -> str:
    """A variable name valid in R, Stata and SPSS (letters, digits, _; starts with a letter; ≤ 32)."""
    name = "".join(ch if ch.isascii() and (ch.isalnum() or ch == "_") else "_" for ch in code)
    name = name if name[:1].isalpha() else "V" + name
    return name[:32]


def _text(node: object, code: str) -> tuple[str, str]:
    if isinstance(node, dict):
        vi = node.get("vi") or code
        return vi, node.get("en") or vi
    return code, code


def is_profile(question: dict) -> bool:
    """A demographic question: instruments put them in a section named "profile" or "profile_…"."""
    section = question.get("section", "")
    return section == "profile" or section.startswith("profile_")


def variables(content: dict) -> list[Variable]:
    """The answer columns of a questionnaire version, in questionnaire order."""
    out: list[Variable] = []
    for q in iter_questions(content):
        if q.get("type") in ("text", "phone"):
            continue  # free text and call-back phones are never exported
        vi, en = _text(q.get("text"), q["code"])
        codes = {int(c["code"]): _text(c.get("label"), str(c["code"])) for c in answer_codes(content, q)}
        if q.get("type") == "multiple":
            for code, (ovi, oen) in codes.items():
                out.append(
                    Variable(
                        safe_name("%s_%d" % (q["code"], code)),
                        "%s — %s" % (vi, ovi),
                        "%s — %s" % (en, oen),
                        q["code"],
                        "multiple",
                        q["section"],
                        {0: ("Không chọn", "Not chosen"), 1: ("Có chọn", "Chosen")},
                        code,
                    )
                )
        else:
            out.append(Variable(safe_name(q["code"]), vi, en, q["code"], q.get("type", ""), q["section"], codes))
    names = [v.name.lower() for v in out]
    clash = (set(names) & RESERVED) | {n for n, c in Counter(names).items() if c > 1}
    if clash:  # a question coded like a design variable would be ambiguous: refuse rather than guess
        raise ValueError("question codes clash with pack variable names: %s" % ", ".join(sorted(clash)))
    return out


def read(session: Session, content: dict, vars_: list[Variable], response_ids: np.ndarray) -> dict:
    """{variable: float array} of the coded answers of these responses (row i = response_ids[i])."""
    n = response_ids.shape[0]
    out = {v.name: np.full(n, np.nan) for v in vars_}
    by_question: dict[str, list[Variable]] = {}
    for v in vars_:
        by_question.setdefault(v.question, []).append(v)
    row = {int(r): i for i, r in enumerate(response_ids.tolist())}
    ids = response_ids.tolist()
    chosen: dict[tuple, set] = {}
    for start in range(0, len(ids), 5000):
        for rid, code, value in session.execute(
            select(Answer.response_id, Answer.item_code, Answer.value_int).where(
                Answer.response_id.in_(ids[start : start + 5000]),
                Answer.item_code.in_(list(by_question)),
                Answer.value_int.is_not(None),
            )
        ):
            chosen.setdefault((row[rid], code), set()).add(int(value))
    for (i, code), values in chosen.items():
        for v in by_question[code]:
            if v.option is not None:
                out[v.name][i] = float(v.option in values)
            elif len(values) == 1:
                out[v.name][i] = float(next(iter(values)))
    return out


def protect_profile(content: dict, vars_: list[Variable], answers: dict, domains: dict, k: int) -> tuple[dict, dict]:
    """Withhold the profile answers of rows in a combination (domain cell × profile answers) below k rows.

    Returns the protected answers (with the 0/1 column `profile_withheld`) and {variable: answered values
    withheld}. Whether a row is withheld depends on its content only, never on the order of the rows."""
    profile = [v.name for v in vars_ if is_profile({"section": v.section})]
    n = next(iter(domains.values())).shape[0] if domains else 0
    out = dict(answers)
    flag = np.zeros(n)
    if profile and k > 1:
        keys = [
            tuple(domains[c][i] for c in ("agency", "sector", "service_point"))
            + tuple(-1.0 if np.isnan(answers[p][i]) else float(answers[p][i]) for p in profile)
            for i in range(n)
        ]
        size = Counter(keys)
        flag = np.array([1.0 if size[key] < k else 0.0 for key in keys])
    suppressed = {}
    for p in profile:
        col = np.array(answers[p], dtype=float)
        hit = (flag == 1) & ~np.isnan(col)
        if hit.any():
            suppressed[p] = int(hit.sum())
        col[flag == 1] = np.nan
        out[p] = col
    out[WITHHELD_FLAG] = flag
    return out, suppressed


def indicator_columns(vars_: list[Variable], published: list) -> list[tuple[str, list[tuple[str, str, int]]]]:
    """[(question, [(option, column, chosen code)])] of the published indicators ("<question>=<option>" rows),
    in published order: a multiple-choice option is its own 0/1 column (chosen = 1), any other question one
    column of codes (chosen = the option). The first column says who answered (empty = not answered)."""
    multi = {(v.question, str(v.option)): v.name for v in vars_ if v.option is not None}
    single = {v.question: v.name for v in vars_ if v.option is None}
    out: dict[str, list] = {}
    for row in published:
        if row["level"] != "indicator":
            continue
        question, option = row["component"].rsplit("=", 1)
        if (question, option) in multi:
            column = (option, multi[(question, option)], 1)
        elif question in single:
            column = (option, single[question], int(option))
        else:
            continue  # no column (cannot happen for a coded question): the syntax reports it missing
        if column not in out.setdefault(question, []):
            out[question].append(column)
    return list(out.items())
