"""What estimation needs of a response, as bit masks written beside its answers (`response_score`).

The answer rows stay the record; this is a derived copy that the database can read one row per
respondent (and block), instead of ~36 answer rows. Its layout is defined by the questionnaire
version's content alone, so every writer and reader agrees on it without any other state:

- index items: `index_structure(content)["items"]` order; item i is bit i % 60 of block i // 60 in
  `satisfied` (answered with one of its scale's satisfied codes) and in `valid` (one of its codes);
- coded questions outside the index, the overall item and the profile sections (`profile*`: who
  answered, which no index estimates), in questionnaire order (scale, single, multiple): question
  q is bit q % 60 of block q // 60 in `answered` (any integer answer, even a code outside its
  list), and its (question, code) slots, numbered over all those questions in order, are the bits
  of `chosen` (the judgement indicators and needs of analysis.indicators are among them);
- `overall`: the integer answer to the version's `overall_item` (block 0 only).

A response has max(1, blocks needed) rows (the SIPAS 2023 service form: one; the household form:
two), so "has no score row" means "never scored". Why 60 bits:
the masks are signed BIGINTs on both databases and the reading side shifts them in numpy int64.
Both write paths take the rows from `prepare_response` (AnswerRows.scores); `hailong scores
backfill` and `scores check` compute them from stored answers with the same `score_rows`.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import chain, groupby
from typing import Any

import numpy as np
from sqlalchemy import BigInteger, Connection, and_, cast, exists, func, insert, select
from sqlalchemy.orm import Session

from survey.models import Answer, Invitation, QuestionnaireVersion, Response, ResponseScore, Wave
from survey.services.questionnaires.bank import answer_codes, iter_questions
from survey.services.questionnaires.bank import index_structure as _tree

BITS = 60
MASKS = ("satisfied", "valid", "chosen", "answered")
SCORE_COLUMNS = ("block", "wave_id", "questionnaire_version_id", *MASKS, "overall")
NO_OVERALL = -(2 ** 62)  # a NULL overall as it is read into int64 arrays (no scale code is near it)
READ_ROWS = 100_000  # rows fetched per round trip where the database does not pack them (SQLite)


@dataclass(frozen=True)
class Layout:
    """Where each answer of a questionnaire version goes in its score rows (see the module docstring)."""

    items: tuple[str, ...]
    satisfied: tuple[frozenset, ...]
    valid: tuple[frozenset, ...]
    questions: tuple[str, ...]
    slots: Mapping[tuple[str, int], int]
    overall_item: str | None
    blocks: int
    item_at: Mapping[str, int]
    question_at: Mapping[str, int]


def _layout(content: Mapping) -> Layout:
    tree = _tree(content)
    items = tuple(tree["items"])
    by_code = {q["code"]: q for q in iter_questions(content)}
    valid = tuple(frozenset(c["code"] for c in answer_codes(content, by_code[code])) for code in items)
    skip = {*items, tree.get("overall_item")}
    questions = tuple(q["code"] for q in iter_questions(content)
                      if q.get("type") in ("scale", "single", "multiple") and q["code"] not in skip
                      and not str(q.get("section", "")).startswith("profile"))
    slots: dict[tuple[str, int], int] = {}
    for code in questions:
        for choice in answer_codes(content, by_code[code]):
            slots.setdefault((code, choice["code"]), len(slots))
    blocks = max(1, *(-(-k // BITS) for k in (len(items), len(questions), len(slots))))
    return Layout(items, tuple(frozenset(s) for s in tree["satisfied"]), valid, questions, slots,
                  tree.get("overall_item"), blocks, {c: i for i, c in enumerate(items)},
                  {c: i for i, c in enumerate(questions)})


_layouts: dict[int, tuple[Mapping, Layout]] = {}


def layout_for(content: Mapping) -> Layout:
    """The score layout of a version's content, worked out once per content object (as checks_for)."""
    found = _layouts.get(id(content))
    if found is None or found[0] is not content:
        if len(_layouts) >= 64:
            _layouts.clear()
        found = _layouts[id(content)] = (content, _layout(content))
    return found[1]


def score_rows(layout: Layout, answers: Iterable[tuple[str, Any]], wave_id: int | None,
               version_id: int) -> list[dict]:
    """A response's score rows from its (item code, integer code or None) answer pairs."""
    masks = [[0, 0, 0, 0] for _ in range(layout.blocks)]
    overall = None
    for code, value in answers:
        if value is None or isinstance(value, bool) or not isinstance(value, int):
            continue
        if code == layout.overall_item:
            overall = value
        i = layout.item_at.get(code)
        if i is not None:
            block, bit = divmod(i, BITS)
            if value in layout.valid[i]:
                masks[block][1] |= 1 << bit
                if value in layout.satisfied[i]:
                    masks[block][0] |= 1 << bit
            continue
        q = layout.question_at.get(code)
        if q is not None:
            masks[q // BITS][3] |= 1 << (q % BITS)
            slot = layout.slots.get((code, value))
            if slot is not None:
                masks[slot // BITS][2] |= 1 << (slot % BITS)
    return [{"block": b, "wave_id": wave_id, "questionnaire_version_id": version_id, "satisfied": m[0],
             "valid": m[1], "chosen": m[2], "answered": m[3], "overall": overall if b == 0 else None}
            for b, m in enumerate(masks)]


def rows_of(rows: list[dict]) -> list[dict]:
    """The score rows prepare_response attached to a response's answer rows (none for a plain list)."""
    return getattr(rows, "scores", None) or []


def store(executor: Session | Connection, response_id: int, rows: list[dict]) -> None:
    """Insert a stored response's score rows (the ORM path and the group commit's fallback)."""
    found = rows_of(rows)
    if found:
        executor.execute(insert(ResponseScore.__table__), [{**s, "response_id": response_id} for s in found])


# --- reading: per-respondent masks back to the arrays analysis/ takes --------------------------------

def _bit(masks: np.ndarray, index: int) -> np.ndarray:
    """0/1 (n,) of bit `index` from the (blocks, n) masks."""
    return (masks[index // BITS] >> (index % BITS)) & 1


def index_indicators(layout: Layout, satisfied: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(J, n) satisfied and valid 0/1 float indicators of the index items from (blocks, n) masks."""
    n = satisfied.shape[1]
    s, v = np.zeros((len(layout.items), n)), np.zeros((len(layout.items), n))
    for j in range(len(layout.items)):
        s[j], v[j] = _bit(satisfied, j), _bit(valid, j)
    return s, v


def option_matrices(layout: Layout, chosen: np.ndarray, answered: np.ndarray, questions: Mapping) -> dict:
    """{question: (n, K) 0/1/NaN} as analysis.indicators.option_matrix gives from the answer rows.

    Only the questions the layout holds: the caller reads any other from the answers.
    """
    out = {}
    n = chosen.shape[1]
    for code, question in questions.items():
        q = layout.question_at.get(code)
        if q is None:
            continue
        Y = np.full((n, len(question.options)), np.nan)
        yes = _bit(answered, q).astype(bool)
        for k, option in enumerate(question.options):
            slot = layout.slots.get((code, option))
            Y[yes, k] = _bit(chosen, slot)[yes] if slot is not None else 0.0
        out[code] = Y
    return out


@dataclass(frozen=True)
class Scores:
    """A wave's respondents' score rows as analysis/ takes them (columns in the order of `ids`)."""

    satisfied: np.ndarray  # (J, n) 0/1 of the index items
    valid: np.ndarray  # (J, n) 0/1
    overall: np.ndarray  # (n,) the overall item's code, NaN when not answered
    options: dict  # {indicator question: (n, K) 0/1/NaN}
    computed: int  # respondents without score rows, computed from their answers
    notes: tuple[str, ...]


def _arrays(session: Session, query, width: int) -> Iterator[np.ndarray]:
    """The query's integer rows (never NULL) as (m, width) int64 blocks (see `columns`)."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        yield np.stack(_packed(conn, query, "i" * width), axis=1)
        return
    result = conn.execute(query.execution_options(stream_results=True, yield_per=READ_ROWS))
    for part in result.partitions(READ_ROWS):
        yield np.fromiter(chain.from_iterable(part), dtype=np.int64, count=width * len(part)).reshape(-1, width)


def columns(session: Session, query, kinds: str, ordered: bool = False) -> list[np.ndarray]:
    """The query's columns as numpy arrays: kinds[k] "i" (BIGINT, int64) or "f" (DOUBLE, float64); no NULLs.

    PostgreSQL packs the rows itself (`_packed`); elsewhere READ_ROWS rows are fetched at a time.
    `ordered`: in the order of the first column (PostgreSQL's aggregate does not keep the query's).
    """
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        return _packed(conn, query, kinds, ordered)
    parts: list[list] = [[] for _ in kinds]
    result = conn.execute(query.execution_options(stream_results=True, yield_per=READ_ROWS))
    for part in result.partitions(READ_ROWS):
        for k, values in enumerate(zip(*part)):
            parts[k].append(np.array(values, dtype=np.int64 if kinds[k] == "i" else float))
    return [np.concatenate(p) if p else np.zeros(0, dtype=np.int64 if kinds[k] == "i" else float)
            for k, p in enumerate(parts)]


def _packed(conn: Connection, query, kinds: str, ordered: bool = False) -> list[np.ndarray]:
    """A query's BIGINT / DOUBLE columns (never NULL) as one bytea the server builds, read by numpy.

    Why: 10^6 rows fetched as row objects took longer than the whole index table, and even a
    binary COPY hands the driver one message per row; string_agg of int8send/float8send gives
    the same fixed-width big-endian records in one value, which numpy reads as it is.
    """
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    names = ", ".join(f"c{k}" for k in range(len(kinds)))
    record = " || ".join(f"{'int8send' if kind == 'i' else 'float8send'}(q.c{k})" for k, kind in enumerate(kinds))
    order = " ORDER BY q.c0" if ordered else ""
    with conn.connection.dbapi_connection.cursor() as cur:
        cur.execute(f"SELECT string_agg({record}, ''::bytea{order}) FROM ({sql}) AS q({names})", binary=True)
        data = cur.fetchone()[0] or b""
    row = np.dtype([(f"f{k}", ">i8" if kind == "i" else ">f8") for k, kind in enumerate(kinds)])
    rows = np.frombuffer(data, dtype=row)
    return [rows[f"f{k}"].astype(np.int64 if kind == "i" else np.float64) for k, kind in enumerate(kinds)]


def read(session: Session, wave: Wave, version: QuestionnaireVersion, ids: np.ndarray, respondents: tuple,
         questions: Mapping) -> Scores:
    """The score rows of the wave's respondents `ids` (sorted), from the answers where a response has none.

    `respondents` is the WHERE of the wave's respondents (results._respondents); `questions` the
    indicator questions (analysis.indicators.indicator_questions) whose option matrices to build.
    """
    layout = layout_for(version.content)
    n = ids.shape[0]
    masks = np.zeros((len(MASKS), layout.blocks, n), dtype=np.int64)
    overall = np.full(n, np.nan)
    found = np.zeros(n, dtype=bool)

    def place(a: np.ndarray) -> None:
        """Put (response_id, block, *MASKS, overall) rows at their respondents' columns."""
        at = np.searchsorted(ids, a[:, 0])
        keep = (at < n) & (a[:, 1] >= 0) & (a[:, 1] < layout.blocks)
        keep[keep] = ids[at[keep]] == a[keep, 0]  # a response committed after the respondent query: left out
        a, at = a[keep], at[keep]
        for k in range(len(MASKS)):
            masks[k, a[:, 1], at] = a[:, 2 + k]
        first = (a[:, 1] == 0) & (a[:, -1] != NO_OVERALL)
        overall[at[first]] = a[first, -1]
        found[at] = True

    own = _own(wave, version)
    columns = tuple(cast(c, BigInteger) for c in (
        ResponseScore.response_id, ResponseScore.block, *(getattr(ResponseScore, m) for m in MASKS),
        func.coalesce(ResponseScore.overall, NO_OVERALL)))
    for a in _arrays(session, select(*columns).where(own), len(columns)):
        place(a)
    computed = int(n - found.sum())
    if computed:  # stored before migration 0012 and not yet backfilled: the same rows, from the answers
        answers = session.connection().execute(
            select(Answer.response_id, Answer.item_code, Answer.value_int)
            .join(Response, Response.id == Answer.response_id).join(Invitation, Invitation.id == Response.invitation_id)
            .where(*respondents, Answer.value_int.is_not(None), ~exists().where(
                own, ResponseScore.response_id == Answer.response_id))
            .order_by(Answer.response_id).execution_options(stream_results=True, yield_per=READ_ROWS))
        rows = [(rid, row["block"], *(row[m] for m in MASKS), NO_OVERALL if row["overall"] is None else row["overall"])
                for rid, group in groupby(answers, key=lambda r: r[0])
                for row in score_rows(layout, ((r[1], r[2]) for r in group), wave.id, version.id)]
        if rows:
            place(np.array(rows, dtype=np.int64))
    s, v = index_indicators(layout, masks[0], masks[1])
    return Scores(s, v, overall, option_matrices(layout, masks[2], masks[3], questions), computed,
                  notes_for(computed))


def _own(wave: Wave, version: QuestionnaireVersion):
    """A score row of this wave's version (the layout the reader expects)."""
    return and_(ResponseScore.wave_id == wave.id, ResponseScore.questionnaire_version_id == version.id)


def unscored(session: Session, wave: Wave, version: QuestionnaireVersion, respondents: tuple) -> int:
    """How many of the wave's respondents have no score row (for source="memory", which reads none)."""
    return session.scalar(select(func.count()).select_from(Response)
                          .join(Invitation, Invitation.id == Response.invitation_id)
                          .where(*respondents, ~exists().where(_own(wave, version),
                                                               ResponseScore.response_id == Response.id))) or 0


def notes_for(computed: int) -> tuple[str, ...]:
    """The index table's note on respondents without score rows (the same on both sources)."""
    return () if not computed else (
        "%d phiếu chưa có điểm lưu sẵn (lưu trước bản cập nhật 0012): bảng chỉ số tính các phiếu này từ câu "
        "trả lời, chậm hơn với đợt lớn; chạy `hailong scores backfill` để bổ sung." % computed,)
