"""The members of a reproducibility pack: microdata (CSV, .sav, .dta), cells, strata, codebook, tree,
published numbers, the manifest, the README and the syntax (docs/reproducibility.md lists them)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import tempfile
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from survey.services.publications import pack_r, pack_readme, pack_spss, pack_stata
from survey.services.publications.pack_answers import DESIGN_COLUMNS, WITHHELD_FLAG

if TYPE_CHECKING:
    from survey.services.publications.pack import PackData

PUBLISHED_COLUMNS = (
    "grouping",
    "key",
    "level",
    "component",
    "value",
    "se",
    "ci_low",
    "ci_high",
    "df",
    "n",
    "status",
    "flags",
    "rank",
    "target",
)
DESIGN_LABELS = {
    "row_id": (
        "Số thứ tự ẩn danh (theo nội dung dòng, không liên kết với hồ sơ, phiếu hay thời điểm)",
        "Anonymous row number (ordered by the row's content; links to no dossier, response or time)",
    ),
    "stratum": (
        "Tầng dùng cho phương sai (sau khi gộp tầng chỉ có một người trả lời)",
        "Variance stratum (after collapsing strata with a single respondent)",
    ),
    "fpc": (
        "Số hồ sơ của tầng (hiệu chỉnh quần thể hữu hạn; Inf/trống = không hiệu chỉnh)",
        "Dossiers in the stratum (finite population correction; Inf/missing = none)",
    ),
    "w_base": ("Trọng số cơ sở 1/π", "Base weight 1/π"),
    "w_nonresponse": (
        "Trọng số sau điều chỉnh không trả lời (trước hiệu chỉnh)",
        "Nonresponse-adjusted weight (before calibration)",
    ),
    "w_final": (
        "Trọng số cuối cùng (sau hậu phân tầng theo số hồ sơ)",
        "Final weight (after post-stratification to the dossier counts)",
    ),
    "cell": (
        "Ô hiệu chỉnh (hậu phân tầng); tổng trong calibration_cells.csv",
        "Calibration (post-stratification) cell; totals in calibration_cells.csv",
    ),
    "agency": ("Mã cơ quan giải quyết", "Competent agency code"),
    "sector": ("Mã lĩnh vực", "Sector code"),
    "service_point": ("Mã điểm phục vụ (trống = không rõ)", "Service point code (empty = unknown)"),
    WITHHELD_FLAG: (
        "1 = các câu hỏi về người trả lời bị để trống (kiểm soát công bố)",
        "1 = the profile answers are withheld (disclosure control)",
    ),
}


def _num(value) -> str:
    """A number as text that reads back exactly ('' for a missing value, 'Inf' for no bound)."""
    if value is None:
        return ""
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    value = float(value)
    if math.isnan(value):
        return ""
    if math.isinf(value):
        return "Inf" if value > 0 else "-Inf"
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _csv(header, rows) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def order(data: PackData) -> np.ndarray:
    """Row order by content (design cell, domain, answers, weights): no trace of ids or arrival times."""
    d, dom = data.design, data.domains
    cols = [d["stratum"], d["cell"], dom["agency"], dom["sector"], dom["service_point"]]
    keys = [
        tuple(str(c[i]) for c in cols)
        + tuple(-1.0 if np.isnan(a[i]) else float(a[i]) for a in data.answers.values())
        + (float(d["w_final"][i]),)
        for i in range(data.n)
    ]
    return np.array(sorted(range(data.n), key=lambda i: keys[i]), dtype=np.int64)


def columns(data: PackData) -> list[str]:
    """The microdata columns: design and domain variables, the answers, the profile flag."""
    return list(DESIGN_COLUMNS) + [v.name for v in data.variables] + [WITHHELD_FLAG]


def table(data: PackData) -> list[list]:
    """The microdata rows (Python values; NaN for missing numbers) in pack order."""
    d, dom = data.design, data.domains
    rows = []
    for rank, i in enumerate(order(data).tolist(), 1):
        rows.append(
            [
                rank,
                d["stratum"][i],
                float(d["fpc"][i]),
                float(d["w_base"][i]),
                float(d["w_nonresponse"][i]),
                float(d["w_final"][i]),
                d["cell"][i],
                dom["agency"][i],
                dom["sector"][i],
                dom["service_point"][i],
            ]
            + [float(data.answers[v.name][i]) for v in data.variables]
            + [float(data.answers[WITHHELD_FLAG][i])]
        )
    return rows


def microdata_csv(data: PackData) -> bytes:
    """microdata.csv: UTF-8, comma, empty = missing, full-precision weights."""
    return _csv(columns(data), [[_num(v) if not isinstance(v, str) else v for v in r] for r in table(data)])


def _frame(data: PackData):
    import pandas as pd

    frame = pd.DataFrame(table(data), columns=columns(data))
    frame["fpc"] = frame["fpc"].where(np.isfinite(frame["fpc"]), np.nan)  # no fpc: missing in .sav/.dta
    frame["row_id"] = frame["row_id"].astype("float64")
    for c in ("stratum", "cell", "agency", "sector", "service_point"):
        frame[c] = frame[c].astype(str)
    return frame


def _labels(data: PackData) -> tuple[dict, dict]:
    labels = {c: DESIGN_LABELS[c][0] for c in DESIGN_COLUMNS + (WITHHELD_FLAG,)}
    values = {WITHHELD_FLAG: {0.0: "Không", 1.0: "Có"}}
    for v in data.variables:
        labels[v.name] = v.label_vi
        if v.values:
            values[v.name] = {float(k): t[0] for k, t in v.values.items()}
    return labels, values


def _write(writer, suffix: str, **kw) -> bytes:
    fd, path = tempfile.mkstemp(suffix=suffix)
    os.close(fd)
    try:
        writer(dst_path=path, **kw)
        with open(path, "rb") as fh:
            return _fixed_date(fh.read())
    finally:
        os.unlink(path)


def _fixed_date(body: bytes) -> bytes:
    """The file with its creation stamp set to the ZIP members' date (2020-01-01 00:00), so the same version
    gives the same bytes (and the manifest the same hashes) whenever it is packed."""
    if body[:4] in (b"$FL2", b"$FL3") and len(body) > 109:  # .sav header: date at 92 (9 bytes), time at 101 (8)
        return body[:92] + b"01 Jan 2000:00:00" + body[109:]
    stamp = body.find(b"<timestamp>", 0, 512)  # .dta 117+: <timestamp>, a length byte, "dd Mon yyyy hh:mm"
    if stamp >= 0 and body[stamp + 11] == 17:
        return body[: stamp + 12] + b"01 Jan 2020 00:00" + body[stamp + 29 :]
    return body


def microdata_sav(data: PackData) -> bytes:
    """microdata.sav (SPSS) with variable and value labels (Vietnamese; English in the codebook)."""
    import pyreadstat

    labels, values = _labels(data)
    return _write(
        pyreadstat.write_sav,
        ".sav",
        df=_frame(data),
        file_label=str(data.meta.get("wave", ""))[:64],
        column_labels={k: v[:256] for k, v in labels.items()},
        variable_value_labels=values,
    )


def microdata_dta(data: PackData) -> bytes:
    """microdata.dta (Stata 15, UTF-8) with variable and value labels."""
    import pyreadstat

    labels, values = _labels(data)
    return _write(
        pyreadstat.write_dta,
        ".dta",
        df=_frame(data),
        file_label=str(data.meta.get("wave", ""))[:80],
        column_labels={k: v[:80] for k, v in labels.items()},
        variable_value_labels={k: {int(c): t[:32000] for c, t in v.items()} for k, v in values.items()},
    )


def cells_csv(data: PackData) -> bytes:
    """calibration_cells.csv: each cell's population total as frozen, its respondents and weight sums."""
    cell, d = data.design["cell"], data.design
    rows = []
    for c, total in data.cells:
        m = cell == c
        rows.append([c, _num(total), int(m.sum()), _num(d["w_nonresponse"][m].sum()), _num(d["w_final"][m].sum())])
    return _csv(["cell", "total", "respondents", "sum_w_nonresponse", "sum_w_final"], rows)


def strata_csv(data: PackData) -> bytes:
    """strata.csv: each variance stratum, its fpc and respondents (a '+' in the name: collapsed strata)."""
    h, d = data.design["stratum"], data.design
    rows = [[s, _num(d["fpc"][h == s][0]), int((h == s).sum()), s.count("+") + 1] for s in sorted(set(h.tolist()))]
    return _csv(["stratum", "fpc", "respondents", "sampling_strata"], rows)


def codebook_csv(data: PackData) -> bytes:
    """codebook.csv: every variable with its labels and value labels in Vietnamese and English."""
    rows = [[c, "design", DESIGN_LABELS[c][0], DESIGN_LABELS[c][1], "", "", "", ""] for c in DESIGN_COLUMNS]
    for v in data.variables:
        rows.append(
            [
                v.name,
                v.qtype,
                v.label_vi,
                v.label_en,
                "; ".join("%s = %s" % (k, t[0]) for k, t in v.values.items()),
                "; ".join("%s = %s" % (k, t[1]) for k, t in v.values.items()),
                v.question,
                "" if v.option is None else str(v.option),
            ]
        )
    rows.append([WITHHELD_FLAG, "flag", *DESIGN_LABELS[WITHHELD_FLAG], "0 = Không; 1 = Có", "0 = No; 1 = Yes", "", ""])
    # `option`: the option a multiple-choice question's 0/1 column stands for (the syntax finds the
    # column of each published indicator "<question>=<option>" here).
    return _csv(["variable", "type", "label_vi", "label_en", "values_vi", "values_en", "question", "option"], rows)


def tree_csv(data: PackData) -> bytes:
    """index_tree.csv: items → elements → parts → overall, each item's column and its satisfied and valid codes."""
    t, lab, var = data.tree, data.labels, data.item_vars
    parent = {i: e for e, items in t["elements"].items() for i in items}
    eparent = {e: p for p, els in t["parts"].items() for e in els}
    rows = [
        [
            "item",
            i,
            var[i],
            *lab.get(i, (i, i)),
            parent.get(i, ""),
            " ".join(map(str, t["satisfied"][i])),
            " ".join(map(str, t["valid"][i])),
        ]
        for i in t["items"]
    ]
    rows += [["element", e, "", *lab.get(e, (e, e)), eparent.get(e, "SIPAS"), "", ""] for e in t["elements"]]
    rows += [["part", p, "", *lab.get(p, (p, p)), "SIPAS", "", ""] for p in t["parts"]]
    rows.append(["overall", "SIPAS", "", "Chỉ số hài lòng (SIPAS)", "Satisfaction index (SIPAS)", "", "", ""])
    return _csv(["level", "code", "variable", "label_vi", "label_en", "parent", "satisfied_codes", "valid_codes"], rows)


def published_csv(data: PackData) -> bytes:
    """published.csv: every number of the publication version, full precision (percent)."""
    return _csv(
        PUBLISHED_COLUMNS,
        [[r[c] if isinstance(r[c], str) else _num(r[c]) for c in PUBLISHED_COLUMNS] for r in data.published],
    )


BUILDERS = (
    ("microdata.csv", microdata_csv),
    ("microdata.sav", microdata_sav),
    ("microdata.dta", microdata_dta),
    ("calibration_cells.csv", cells_csv),
    ("strata.csv", strata_csv),
    ("codebook.csv", codebook_csv),
    ("index_tree.csv", tree_csv),
    ("published.csv", published_csv),
    ("reproduce.R", lambda data: pack_r.render(data).encode("utf-8")),
    ("reproduce.do", lambda data: pack_stata.render(data).encode("utf-8")),
    ("reproduce.sps", lambda data: pack_spss.render(data).encode("utf-8")),
)


def members(data: PackData, progress: Callable[[str], None] | None = None) -> list[tuple[str, bytes]]:
    """(name, bytes) of every file in the pack, the manifest (with each file's SHA-256) last but one;
    progress(name) after each file of BUILDERS is written (the background job's progress bar)."""
    files = []
    for name, build in BUILDERS:
        files.append((name, build(data)))
        if progress is not None:
            progress(name)
    manifest = {
        **{k: v for k, v in data.meta.items() if k != "k"},
        "settings": data.settings,
        "disclosure_k": data.meta.get("k"),
        "profile_values_withheld": data.suppressed,
        "files": {name: hashlib.sha256(body).hexdigest() for name, body in files},
    }
    files.append(("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2, default=str).encode("utf-8")))
    files.insert(0, ("README.md", pack_readme.render(data).encode("utf-8")))
    return files
