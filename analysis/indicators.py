"""What each published number measures, and the judgement indicators as weighted proportions.

Pure functions over a questionnaire's content (a plain dict) and numpy arrays; no Flask or
SQLAlchemy (survey/services/results.py feeds them).  docs/indicators.md states the rules:

    measures_of(content) -> {"overall": Measure, "part:<p>", "element:<e>", "item:<code>": Measure}
    indicator_questions(content) -> {code: IndicatorQuestion}   judgement indicators and needs
    option_matrix(n, rows, values, options) -> (n, K) 0/1/NaN per option
    shares(design, Y, by=None, method="logit", level=0.95) -> [Estimate]*K or {group: [Estimate]*K}
    indicator_cells(design, questions, matrices, groupings, labels, ...) -> {grouping: {key: IndicatorCell}}

An indicator is the weighted share (percent) of the respondents who answered a question that
chose an option: y = 1{option chosen}, 0 for another answer, NaN when the question was not
answered (skipped or not shown), so the domain of each share is its question's respondents, as
R's svyciprop(~I(q == k), subset(design, !is.na(q))) — the same estimator as Design.proportion.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.ci import proportion_interval
from analysis.compare import small_cell
from analysis.design import Design
from analysis.estimate import NAN_ESTIMATE, Estimate
from analysis.linearization import domain_variance
from analysis.table import JUDGEMENT, NEED, SATISFACTION, Measure
from analysis.variance import domain_df

# The respondent's profile is reported as the sample's make-up, not as an indicator.
PROFILE_CODES = frozenset({"RESP_TYPE", "SECTOR16", "SEX", "AGE", "ETHNIC", "EDU", "OCCUP"})
SIPAS_PARTS = frozenset({"policy", "services"})
NOT_SIPAS2023 = {  # reason → (label suffix vi, en, note vi, en)
    "scale": (" (đánh giá nhanh, thang 3 mức)", " (quick rating, 3-point scale)",
              "Thang đánh giá nhanh tại quầy, ít hơn 5 mức: không so sánh được với chỉ số SIPAS 2023 "
              "(thang 5 mức, hài lòng = mức 4 và 5) và không được gộp vào chỉ số đó.",
              "A quick rating at the counter on fewer than 5 points: not comparable with the SIPAS 2023 index "
              "(5-point scale, satisfied = 4 and 5) and never averaged into it."),
    "earlier": (" (bộ tiêu chí 2017–2021)", " (2017–2021 criteria)",
                "Bộ tiêu chí SIPAS 2017–2021 (QĐ 2640/QĐ-BNV), câu hỏi riêng chỉ ánh xạ sang mã 2023: "
                "không so sánh được với chỉ số SIPAS 2023 (QĐ 1001/QĐ-BNV) và không được gộp vào chỉ số đó.",
                "The SIPAS 2017–2021 criteria (QĐ 2640/QĐ-BNV), with their own items only mapped to the 2023 "
                "codes: not comparable with the SIPAS 2023 index (QĐ 1001/QĐ-BNV) and never averaged into it."),
}


@dataclass(frozen=True)
class IndicatorQuestion:
    """A judgement indicator or a need: one question outside the index tree, its options in order."""

    code: str
    measure: Measure                 # kind "judgement" | "need", code "question:<code>"
    multiple: bool                   # several options may be chosen (shares need not sum to 100)
    options: tuple                   # option codes in display order
    option_labels: dict              # {option code: (label_vi, label_en)}


@dataclass(frozen=True)
class IndicatorCell:
    """One domain's indicators: {question: {option: Estimate}} in percent, with small-cell flags."""

    key: Any
    code: str
    label_vi: str
    label_en: str
    shares: dict                     # {question code: {option code: Estimate}}
    flags: dict                      # {question code: {option code: small-cell reasons, () = fine}}


def _text(node: Mapping | None, fallback: str) -> tuple[str, str]:
    """(vi, en) of a {vi, en} text, the English falling back to the Vietnamese."""
    node = node or {}
    vi = node.get("vi") or fallback
    return vi, node.get("en") or vi


def _questions(content: Mapping) -> list[tuple[dict, dict]]:
    """(question, section) pairs in questionnaire order."""
    return [(q, s) for s in content.get("sections", ()) for q in s.get("questions", ())]


def comparability(content: Mapping) -> str | None:
    """None when the index is on the SIPAS 2023 scale and method, else why not ("scale" | "earlier").

    "scale": an index item's scale has fewer than 5 codes or "satisfied" is not {4, 5} (the quick
    3-point kiosk faces); "earlier": the instrument maps its own items to another instrument's
    codes (`maps_to`: the 2017–2021 criteria)."""
    index = content.get("index") or {}
    in_tree = {c for el in (index.get("elements") or {}).values() for c in el.get("items", ())}
    scales = content.get("scales") or {}
    for q, _ in _questions(content):
        if q["code"] in in_tree:
            scale = scales.get(q.get("scale"), {})
            if len(scale.get("codes", ())) != 5 or sorted(scale.get("satisfied", ())) != [4, 5]:
                return "scale"
    return "earlier" if content.get("maps_to") else None


def measures_of(content: Mapping) -> dict:
    """{"overall" | "part:<p>" | "element:<e>" | "item:<code>": Measure} of a questionnaire's index tree."""
    index = content.get("index") or {}
    elements, parts = index.get("elements") or {}, index.get("parts") or {}
    why = comparability(content)
    sfx_vi, sfx_en, note_vi, note_en = NOT_SIPAS2023[why] if why else ("", "", "", "")
    kw = {"comparable": why is None, "note_vi": note_vi, "note_en": note_en,
          "instrument": str(content.get("instrument", ""))}

    def make(code: str, vi: str, en: str) -> Measure:
        return Measure(code, SATISFACTION, vi + sfx_vi, en + sfx_en, **kw)

    out: dict = {}
    for name, part in parts.items():
        vi, en = _text(part.get("label"), name)
        if name == "services":
            out["part:" + name] = make("part:services", "Chỉ số hài lòng về phần dịch vụ",
                                       "Satisfaction index: services part")
        elif name == "policy":
            out["part:" + name] = make("part:policy", "Chỉ số hài lòng về phần chính sách",
                                       "Satisfaction index: policy part")
        else:
            out["part:" + name] = make("part:" + name, "Chỉ số hài lòng: " + vi, "Satisfaction index: " + en)
    for name, el in elements.items():
        vi, en = _text(el.get("label"), name)
        out["element:" + name] = make("element:" + name, "Chỉ số thành phần: " + vi, "Element index: " + en)
    questions = {q["code"]: q for q, _ in _questions(content)}
    for el in elements.values():
        for code in el.get("items", ()):
            q = questions.get(code, {})
            vi, en = _text(q.get("short") or q.get("text"), code)
            out["item:" + code] = make("item:" + code, "Chỉ số nội dung %s: %s" % (code, vi),
                                       "Item index %s: %s" % (code, en))
    if len(parts) == 1:
        out["overall"] = out["part:" + next(iter(parts))]
    elif set(parts) == SIPAS_PARTS:
        out["overall"] = make("sipas", "Chỉ số SIPAS (hài lòng về sự phục vụ hành chính)",
                              "SIPAS index (satisfaction with the service of state administrative agencies)")
    elif parts:
        out["overall"] = make("parts", "Chỉ số hài lòng chung (trung bình các phần)",
                              "Overall satisfaction index (mean of the parts)")
    elif elements:
        out["overall"] = make("elements", "Chỉ số hài lòng chung (trung bình các thành phần)",
                              "Overall satisfaction index (mean of the elements)")
    return out


def indicator_questions(content: Mapping) -> dict:
    """{code: IndicatorQuestion}: single/multiple-choice questions and scale questions without
    "satisfied" codes, outside the index tree, except the profile, the overall-satisfaction item
    and scored criteria.  Needs and expectations (NEED*, sections needs*) get kind "need".  The
    questions of an instrument not comparable with SIPAS 2023 carry its note (comparable=False)."""
    index = content.get("index") or {}
    skip = {c for el in (index.get("elements") or {}).values() for c in el.get("items", ())}
    skip |= set(PROFILE_CODES) | set((content.get("scoring") or {}).get("items", ()))
    skip.add(content.get("overall_item"))
    scales = content.get("scales") or {}
    why = comparability(content)  # the instrument's numbers carry its note, indicators included
    kw = {"comparable": why is None, "note_vi": NOT_SIPAS2023[why][2] if why else "",
          "note_en": NOT_SIPAS2023[why][3] if why else "", "instrument": str(content.get("instrument", ""))}
    out = {}
    for q, section in _questions(content):
        code, kind = q["code"], q.get("type")
        if code in skip or str(section.get("id", "")).startswith("profile"):
            continue
        if kind == "scale":
            scale = scales.get(q.get("scale"), {})
            if scale.get("satisfied"):
                continue
            choices = scale.get("codes", ())
            title = re.sub(r"\s*\(\d+/\d+\)$", "", _text(section.get("title"), "")[0])
            title_en = re.sub(r"\s*\(\d+/\d+\)$", "", _text(section.get("title"), "")[1])
            vi, en = _text(q.get("short") or q.get("text"), code)
            vi, en = ("%s: %s" % (title, vi), "%s: %s" % (title_en, en)) if title else (vi, en)
        elif kind in ("single", "multiple"):
            choices = q.get("options", ())
            vi, en = _text(q.get("short") or q.get("text"), code)
        else:
            continue
        need = code.startswith("NEED") or str(section.get("id", "")).startswith("needs")
        measure = Measure("question:" + code, NEED if need else JUDGEMENT, vi, en, **kw)
        out[code] = IndicatorQuestion(code, measure, kind == "multiple", tuple(c["code"] for c in choices),
                                      {c["code"]: _text(c.get("label"), str(c["code"])) for c in choices})
    return out


def option_matrix(n: int, rows: Any, values: Any, options: Sequence) -> np.ndarray:
    """(n, K) indicators 1{option k chosen} for one question from its answer rows (row index, code).

    A row without an answer is NaN in every column (it leaves the domain); an answered row is 0/1.
    Single and multiple choice share the layout (a single choice has one 1 per answered row);
    a code outside `options` still counts as an answer (0 in every column)."""
    rows = np.asarray(rows, dtype=np.int64).reshape(-1)
    values = np.asarray(values, dtype=np.int64).reshape(-1)
    Y = np.full((n, len(options)), np.nan)
    answered = np.unique(rows)
    Y[answered] = 0.0
    for k, code in enumerate(options):
        Y[rows[values == code], k] = 1.0
    return Y


def shares(d: Design, Y: Any, by: Any = None, method: str = "logit", level: float = 0.95):
    """Proportions (percent) of K 0/1/NaN columns at once, each as R's svyciprop(~y, subset(design,
    !is.na(y))): value and SE as Design.proportion, df (and so the interval) of the answering rows.

    Returns a list of K Estimates, or {group: [Estimate]*K} with by=."""
    gc, labels = d.groups(by)
    out = dict(zip(labels, _shares_of(d, [Y], gc, len(labels), method, level)[0]))
    return out[None] if by is None else out


# Linearised values of at most this many cells (columns × rows) go to one variance call: one call
# per grouping instead of one per question saves the per-call set-up, and the cap bounds memory.
_BATCH_CELLS = 16_000_000
_BATCH_GROUP_COLUMNS = 4_000  # columns × groups of one batch


def _shares_of(d: Design, matrices: Sequence, gc: np.ndarray, G: int, method: str,
               level: float) -> list:
    """[G × K_q Estimates per group] for each 0/1/NaN matrix (n, K_q), groups gc (−1 = outside)."""
    w = d.weights
    gin = gc >= 0
    gsafe = np.where(gin, gc, G)
    positive = w > 0
    parts, pending, done = [], [], []
    # Many groups make domain_variance split them into chunks per call; there a batch costs more.
    cap = max(1, min(_BATCH_CELLS // max(d.n, 1), _BATCH_GROUP_COLUMNS // max(G, 1)))

    def flush() -> None:
        """Variances of the pending linearised values (one call for several questions)."""
        if pending:
            z = pending[0] if len(pending) == 1 else np.concatenate(pending)
            done.append(domain_variance(d.frame, d.calibration_weights, z, gc, G, d.calibration))
            pending.clear()

    for Y in matrices:
        Y = np.asarray(Y, dtype=float)
        if Y.ndim != 2 or Y.shape[0] != d.n:
            raise ValueError("Y must be an n × K array with one row per design row (%d)" % d.n)
        part = _linearised(d, np.ascontiguousarray(Y.T), w, gin, gsafe, positive, gc, G)
        parts.append(part[:4])
        if sum(p.shape[0] for p in pending) + part[4].shape[0] > cap:
            flush()
        pending.append(part[4])
    flush()
    var = np.concatenate(done, axis=1) if done else np.zeros((G, 0))          # (G, ΣK)
    value, df, n_valid, n_rows = (np.concatenate([p[i] for p in parts], axis=1) for i in range(4))
    se = np.where(np.isnan(value), np.nan, np.sqrt(var))
    lo, hi = proportion_interval(value, se, df, n_valid, method, level, n_rows)
    cols = [(100 * value).tolist(), (100 * se).tolist(), (100 * lo).tolist(), (100 * hi).tolist(),
            df.tolist(), n_valid.tolist()]
    out, at = [], 0
    for p in parts:
        K = p[0].shape[1]
        out.append([[Estimate(cols[0][g][k], cols[1][g][k], cols[2][g][k], cols[3][g][k], int(cols[4][g][k]),
                              int(cols[5][g][k])) for k in range(at, at + K)] for g in range(G)])
        at += K
    return out


def _linearised(d: Design, Yt: np.ndarray, w: np.ndarray, gin: np.ndarray, gsafe: np.ndarray,
                positive: np.ndarray, gc: np.ndarray, G: int) -> tuple:
    """value, df, n_valid, n_rows (G, K) and linearised values z (K, n) of K columns Yt (K, n).

    Column by column (a row of Yt is contiguous): the same formulas as Design.proportion."""
    K, n = Yt.shape
    value = np.zeros((G, K))
    df = np.zeros((G, K), dtype=np.int64)
    n_valid = np.zeros((G, K), dtype=np.int64)
    n_rows = np.full((G, K), float(d.n))
    z = np.empty((K, n))
    prev = None
    for k in range(K):
        y = Yt[k]
        missing = np.isnan(y)
        if not (missing | (y == 0) | (y == 1)).all():
            raise ValueError("shares: values must be 0, 1 or NaN")
        inside = ~missing & gin
        wi = np.where(inside, w, 0.0)
        wy = wi * np.where(inside, y, 0.0)
        t_num = np.bincount(gsafe, weights=wy, minlength=G + 1)[:G]
        t_den = np.bincount(gsafe, weights=wi, minlength=G + 1)[:G]
        n_valid[:, k] = np.bincount(gsafe, weights=(inside & positive).astype(float), minlength=G + 1)[:G]
        with np.errstate(divide="ignore", invalid="ignore"):
            v = np.where(t_den != 0, t_num / t_den, np.nan)
            rg = np.append(np.nan_to_num(v), 0.0)[gsafe]
            den = np.append(t_den, 1.0)[gsafe]
            zk = np.where(inside, (wy - rg * wi) / den, 0.0)
        z[k] = np.nan_to_num(zk, nan=0.0, posinf=0.0, neginf=0.0)
        value[:, k] = v
        # df of the answering rows (R: degf(subset(design, answered))), not of the whole group: a PSU
        # where nobody was asked the question (show_if) adds no degree of freedom.
        if prev is not None and np.array_equal(inside, prev):
            df[:, k] = df[:, k - 1]
        else:
            df[:, k] = domain_df(d.frame, wi, gc, G)
        prev = inside
        if not d.calibrated:
            n_rows[:, k] = np.bincount(gsafe, weights=inside.astype(float), minlength=G + 1)[:G]
    return value, df, n_valid, n_rows, z


def indicator_cells(d: Design | None, questions: Mapping, matrices: Mapping, groupings: Mapping,
                    label_of: Callable[[str, Any], tuple], method: str = "logit", level: float = 0.95,
                    min_n: int = 30, max_rse: float = 0.3) -> dict:
    """{grouping name: {key: IndicatorCell}} for {name: by} (by=None: the key is "").

    `matrices`: {question code: option_matrix}; label_of(grouping name, key) -> (code, vi, en).
    Without a design (nobody answered) every grouping but the whole sample is empty and the
    whole sample's shares are NaN with n = 0."""
    out: dict = {}
    for name, by in groupings.items():
        per_key: dict = {}
        if d is None:
            if by is None:
                per_key[""] = {q: [NAN_ESTIMATE] * len(spec.options) for q, spec in questions.items()}
        elif questions:
            gc, labels = d.groups(by)
            got = _shares_of(d, [matrices[q] for q in questions], gc, len(labels), method, level)
            for j, q in enumerate(questions):
                for g, label in enumerate(labels):
                    per_key.setdefault("" if by is None else label, {})[q] = got[j][g]
        cells = {}
        for key, by_question in per_key.items():
            est = {q: dict(zip(questions[q].options, ests)) for q, ests in by_question.items()}
            flags = {q: {o: _flags(e, min_n, max_rse) for o, e in opts.items()} for q, opts in est.items()}
            cells[key] = IndicatorCell(key, *label_of(name, key), est, flags)
        out[name] = cells
    return out


def _flags(est: Estimate, min_n: int, max_rse: float) -> tuple:
    """Small-cell reasons of a share (analysis.compare.small_cell), except that a share of exactly 0 is
    not "high_rse": its relative SE is undefined, and its Clopper–Pearson interval on the n answers
    (methodology §4) states its precision."""
    reasons = small_cell(est, min_n, max_rse).reasons
    if est.value == 0 and est.has_interval:
        reasons = tuple(r for r in reasons if r != "high_rse")
    return reasons
