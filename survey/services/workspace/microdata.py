"""Microdata of a wave as released: anonymised, under disclosure control, with SPSS labels and a codebook.

Where the rows come from (survey.services.workspace.microdata_rows): the wave's publication, its frozen
frame, so the weights equal the published ones; a wave never published exports its live answers,
labelled provisional. The codebook (microdata_codebook) says which.

Privacy rules (the codebook's notes repeat them):
- Rows are rewritten to an allowlist of columns: a per-export row number (shuffled anew at every
  export), design variables (stratum, PSU, fpc, final weight), agency/sector/service-point codes,
  dossier outcome, answer mode, the `partial` flag, the day an answer was given and received, the
  coded answers and the disclosure-control flag. Never: database ids, dossier external ids,
  invitation ids or tokens, phone numbers, device ids, times of day.
- Free text is never exported: the open comment question and "other, please specify" texts may
  contain names, phone numbers or addresses; they stay in the database only.
- Agency viewers get only the rows of their agency subtree.
- Statistical disclosure control (survey.services.workspace.sdc): every combination of the
  quasi-identifiers (agency, sector, service point, outcome, mode, the two days, profile questions)
  has at least k = HAILONG_SDC_K rows, by collapsing strata, recoding and withholding values.

SPSS measurement levels: answers on a scale are ordinal; codes, single and multiple choice nominal;
weights, fpc and dates scale.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.orm import Session

from survey.models import QuestionnaireVersion, Wave
from survey.services.workspace import microdata_rows, sdc
from survey.services.workspace.microdata_codebook import (  # noqa: F401  (exports and the CLI use them from here)
    PRIVACY_NOTES,
    codebook,
    sdc_k,
    sdc_notes,
    source_note,
)

FORBIDDEN = {
    "id",
    "response_id",
    "invitation_id",
    "dossier_id",
    "external_id",
    "token",
    "token_hash",
    "phone",
    "device_id",
    "uuid",
    "started_at",
    "completed_at",
    "opened_at",
}
Measure = Literal["nominal", "ordinal", "scale"]
DATES = sdc.Unit("dates", microdata_rows.DATES, "binary")  # withheld together: one tells much of the other


@dataclass(frozen=True)
class Variable:
    """One microdata column: SPSS-safe name, label, value labels, measurement level and where it comes from."""

    name: str
    label: str
    kind: str = "numeric"  # numeric | string | date
    values: dict = field(default_factory=dict)
    source: str = ""
    option: int | None = None  # multiple choice: the option code this 0/1 column stands for
    measure: Measure = "nominal"


def _spss_name(code: str) -> str:
    name = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in code)
    return name if name[:1].isalpha() else "V" + name


YES_NO = {0: "Không", 1: "Có"}


def variables(content: dict) -> list[Variable]:
    """The microdata columns for a questionnaire version: design variables, then coded questions."""
    from survey.services.questionnaires.bank import answer_codes, iter_questions

    out = [
        Variable("row", "Số thứ tự dòng (ngẫu nhiên trong mỗi tệp, không liên kết được với hệ thống)"),
        Variable("wave", "Mã đợt khảo sát", "string"),
        Variable("stratum", "Tầng (cơ quan × lĩnh vực; tầng có dưới k người trả lời được gộp, xem ghi chú)", "string"),
        Variable("psu", "Đơn vị mẫu cấp 1 (mỗi người trả lời là một PSU)"),
        Variable(
            "fpc", "Số hồ sơ của tầng trong kỳ (tầng gộp: tổng các tầng; hiệu chỉnh quần thể hữu hạn)", measure="scale"
        ),
        Variable(
            "weight", "Trọng số cuối cùng: 1/π, điều chỉnh không trả lời, hiệu chỉnh theo số hồ sơ", measure="scale"
        ),
        Variable("agency", "Mã cơ quan giải quyết hồ sơ", "string"),
        Variable("agency_level", "Cấp cơ quan", "string"),
        Variable("sector", "Mã lĩnh vực", "string"),
        Variable("service_point", "Mã điểm phục vụ", "string"),
        Variable("mode", "Cách trả lời (link: đường liên kết, kiosk: máy tại quầy)", "string"),
        Variable("outcome", "Kết quả giải quyết hồ sơ (approved, rejected, withdrawn)", "string"),
        Variable("partial", "Phiếu trả lời dở dang (kiosk hết giờ, giữ các câu đã trả lời)", values=YES_NO),
        Variable(
            "submitted_at",
            "Ngày người dân trả lời (kiosk: theo đồng hồ máy tính bảng lúc bắt đầu, kể cả khi máy mất mạng "
            "gửi muộn; link, hoặc máy không gửi giờ: ngày máy chủ nhận)",
            "date",
            measure="scale",
        ),
        Variable(
            "received_at",
            "Ngày máy chủ nhận câu trả lời (kiosk mất mạng: có thể muộn hơn ngày trả lời)",
            "date",
            measure="scale",
        ),
    ]
    for q in iter_questions(content):
        if q.get("type") in ("text", "phone"):
            continue  # free text and call-back phones are never exported (they may identify the respondent)
        label = (q.get("text") or {}).get("vi", q["code"]) if isinstance(q.get("text"), dict) else q["code"]
        codes = {int(c["code"]): (c.get("label") or {}).get("vi", str(c["code"])) for c in answer_codes(content, q)}
        if q.get("type") == "multiple":
            for code, text in codes.items():
                out.append(
                    Variable(
                        _spss_name("%s_%d" % (q["code"], code)),
                        "%s — %s" % (label, text),
                        values={0: "Không chọn", 1: "Có chọn"},
                        source=q["code"],
                        option=code,
                    )
                )
        else:
            out.append(
                Variable(
                    _spss_name(q["code"]),
                    label,
                    values=codes,
                    source=q["code"],
                    measure="ordinal" if q.get("type") == "scale" else "nominal",
                )
            )
    out.append(
        Variable(
            sdc.FLAG,
            "Các biến bị để trống để bảo vệ người trả lời (kiểm soát công bố thống kê), cách nhau bởi dấu cách",
            "string",
        )
    )
    clash = {v.name.lower() for v in out} & FORBIDDEN
    if clash:  # a question coded like an identifier would be ambiguous: refuse rather than guess
        raise ValueError("question codes clash with reserved identifier names: %s" % ", ".join(sorted(clash)))
    return out


@dataclass(frozen=True)
class Release:
    """Microdata as released: its columns (value labels after recoding), rows, what disclosure control did
    and where the rows come from (microdata_rows.Source: publication version or live)."""

    variables: list[Variable]
    rows: list[list]
    sdc: sdc.Report
    source: microdata_rows.Source | None = None


def release(
    session: Session, wave: Wave, visible: set[int] | None = None, k: int | None = None, version: int | None = None
) -> Release:
    """Anonymised respondent rows of a wave's publication (final `version`, else the current one; live data
    when it has none), restricted to `visible` agencies, shuffled, under disclosure control
    (survey.services.workspace.sdc, k = HAILONG_SDC_K unless given), with SPSS-friendly columns: fpc of
    the released strata, multiple choice as one 0/1 column per option, the flag of withheld values.
    All rows in memory: an export writes microdata_release.plan()'s rows chunk by chunk instead."""
    from survey.services.workspace import microdata_release

    return microdata_release.release(session, wave, visible, k, version)


def microdata(session: Session, wave: Wave, visible: set[int] | None = None) -> tuple[list[Variable], list[list]]:
    """(columns, rows) of release(): the microdata under disclosure control."""
    out = release(session, wave, visible)
    return out.variables, out.rows


def is_profile(question: dict) -> bool:
    """A demographic question: instruments put them in a section named "profile" or "profile_…"."""
    section = question.get("section", "")
    return section == "profile" or section.startswith("profile_")


def profile_units(content: dict, vars_: list[Variable]) -> list[sdc.Unit]:
    """The instrument's profile questions as quasi-identifiers, in questionnaire order."""
    from survey.services.questionnaires.bank import iter_questions

    units = []
    for q in iter_questions(content):
        if not is_profile(q) or q.get("type") in ("text", "phone"):
            continue
        cols = [v for v in vars_ if v.source == q["code"]]
        if q.get("type") == "multiple":
            units.append(sdc.Unit(_spss_name(q["code"]), tuple(v.name for v in cols), "binary"))
        elif cols:
            units.append(sdc.Unit(cols[0].name, (cols[0].name,), "ordered", dict(cols[0].values)))
    return units


SPSS_DATE = "EDATE10"  # dd.mm.yyyy, the day-first date SPSS offers


def _document_lines(text: str, limit: int = 80) -> list[str]:
    """Text as SPSS document lines: at most `limit` bytes of UTF-8 each, broken between words."""
    lines: list[str] = []
    for word in text.split():
        if lines and len((lines[-1] + " " + word).encode("utf-8")) <= limit:
            lines[-1] += " " + word
        else:
            while len(word.encode("utf-8")) > limit:  # a single over-long word is cut
                cut = limit
                while len(word[:cut].encode("utf-8")) > limit:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            lines.append(word)
    return lines


def microdata_sav(vars_: list[Variable], rows: list, label: str = "", note: str = "") -> bytes:
    """SPSS .sav with variable labels, value labels, measurement levels and dates as SPSS dates
    (pyreadstat; UTF-8 text); `note` is stored as the file's document (the codebook's source line)."""
    import pandas as pd
    import pyreadstat

    frame = pd.DataFrame(rows, columns=[v.name for v in vars_])
    for v in vars_:
        if v.kind == "numeric":
            frame[v.name] = pd.to_numeric(frame[v.name], errors="coerce").astype("float64")
        elif v.kind == "string":
            frame[v.name] = frame[v.name].fillna("").astype(str)
        else:
            frame[v.name] = frame[v.name].astype(object)
    fd, path = tempfile.mkstemp(suffix=".sav")
    os.close(fd)
    try:
        pyreadstat.write_sav(
            frame,
            path,
            file_label=label[:64],
            note=_document_lines(note) or None,
            column_labels={v.name: v.label[:256] for v in vars_},
            variable_value_labels={v.name: {float(k): t for k, t in v.values.items()} for v in vars_ if v.values},
            variable_measure={v.name: v.measure for v in vars_},
            variable_format={v.name: SPSS_DATE for v in vars_ if v.kind == "date"},
        )
        with open(path, "rb") as fh:
            return fh.read()
    finally:
        os.unlink(path)


def version_content(session: Session, wave: Wave) -> dict:
    """The questionnaire content a wave was asked with."""
    return session.get(QuestionnaireVersion, wave.questionnaire_version_id).content
