"""What microdata needs beyond the frozen frame, read in one ordered pass and held as arrays by frame row.

microdata_rows.records reads the answers outside the frame and the responses' facts by response id, a
few thousand ids per query: right for a page of rows, but a chunk of shuffled rows makes the database
probe its index once per id and code (about 1 s per 5,000 respondents). Here both are read once, in
one scan of the wave's response-id range (a server-side cursor on PostgreSQL, STREAM rows at a time),
into numpy arrays aligned with the frame's rows: the `partial` flag and the two days of each response,
and for each coded microdata column outside the frame its value (single choice: the code when exactly one
was given; multiple choice: 0/1 per option when the question was answered). A million respondents'
twenty coded questions take about 100 MB. The values are those microdata_rows.records gives.
"""

from __future__ import annotations

from datetime import date

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Answer, Response
from survey.services.common.formats import local_day
from survey.services.workspace.microdata import Variable
from survey.services.workspace.microdata_rows import Source, answered_on

STREAM = 50_000  # rows fetched from the server-side cursor at a time
NO_DAY = 0  # date.toordinal() is at least 1


def _day(value: date | None) -> int:
    return NO_DAY if value is None else value.toordinal()


def _days(values: np.ndarray) -> list:
    return [None if d == NO_DAY else date.fromordinal(d) for d in values.tolist()]


class Columns:
    """The facts and coded answers of a source's respondents, by frame row (see the module docstring)."""

    def __init__(self, session: Session, src: Source, vars_: list[Variable]) -> None:
        data = src.data
        self.n = data.n
        self.ids = np.asarray(data.response_ids if data.response_ids is not None else [], dtype=np.int64)
        items = set(data.items) if data.answers is not None else set()
        self.frozen = {code: j for j, code in enumerate(data.items)} if data.answers is not None else {}
        self.answers = data.answers
        self.coded = [v for v in vars_ if v.source and v.source not in items]
        self.partial = np.full(self.n, -1, dtype=np.int8)
        self.submitted = np.zeros(self.n, dtype=np.int32)
        self.received = np.zeros(self.n, dtype=np.int32)
        self.value = {v.name: np.zeros(self.n, dtype=np.int64) for v in self.coded if v.option is None}
        self.count = {v.name: np.zeros(self.n, dtype=np.uint8) for v in self.coded if v.option is None}
        self.chosen = {v.name: np.zeros(self.n, dtype=bool) for v in self.coded if v.option is not None}
        self.answered = {v.source: np.zeros(self.n, dtype=bool) for v in self.coded if v.option is not None}
        if len(self.ids) and self.n:
            self._read_facts(session, np.asarray(data.mode).tolist())
            if self.coded:
                self._read_answers(session)

    def _parts(self, session: Session, stmt):
        """The statement's rows, STREAM at a time. On PostgreSQL straight from a named (server-side) psycopg
        cursor: building SQLAlchemy rows costs more than the query (about 25 µs a row); psycopg already gives
        the Python values the ORM would (datetimes, booleans). Elsewhere through SQLAlchemy, whose types
        convert what the driver returns (SQLite's dates are text)."""
        conn = session.connection()
        if conn.dialect.name != "postgresql":
            # on the statement, not the connection: a connection's options would outlive this query
            yield from conn.execute(stmt.execution_options(stream_results=True, yield_per=STREAM)).partitions(STREAM)
            return
        compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
        with conn.connection.dbapi_connection.cursor(name="hailong_microdata") as cur:
            cur.execute(str(compiled), compiled.params)
            while part := cur.fetchmany(STREAM):
                yield part

    def _stream(self, session: Session, stmt):
        """The statement's rows in parts of STREAM, with the frame row of each (and whether it is one of ours)."""
        for part in self._parts(session, stmt):
            columns = list(zip(*part, strict=True))
            rid = np.asarray(columns[0], dtype=np.int64)
            rows = np.minimum(np.searchsorted(self.ids, rid), len(self.ids) - 1)
            yield columns, rows, self.ids[rows] == rid  # ids of other waves inside the range are skipped

    def _read_facts(self, session: Session, modes: list) -> None:
        stmt = (select(Response.id, Response.partial, Response.submitted_at, Response.started_at,
                       Response.client_submitted_at)
                .where(Response.id.between(int(self.ids[0]), int(self.ids[-1]))))
        for (_rid, partial, stored, started, sent), rows, ours in self._stream(session, stmt):
            for k, row in enumerate(rows.tolist()):
                if ours[k]:
                    self.partial[row] = int(bool(partial[k]))
                    self.submitted[row] = _day(answered_on(str(modes[row]), stored[k], sent[k] or started[k]))
                    self.received[row] = _day(local_day(stored[k]))

    def _read_answers(self, session: Session) -> None:
        codes = sorted({v.source for v in self.coded})
        number = {code: k for k, code in enumerate(codes)}
        singles = {code: [v for v in self.coded if v.source == code and v.option is None] for code in codes}
        options = {code: [v for v in self.coded if v.source == code and v.option is not None] for code in codes}
        stmt = (select(Answer.response_id, Answer.item_code, Answer.value_int)
                .where(Answer.response_id.between(int(self.ids[0]), int(self.ids[-1])),
                       Answer.item_code.in_(codes), Answer.value_int.is_not(None)))
        for (_rid, code, value), rows, ours in self._stream(session, stmt):
            which = np.fromiter((number[c] for c in code), dtype=np.int32, count=len(code))
            values = np.asarray(value, dtype=np.int64)
            for k in np.unique(which[ours]).tolist():
                mine = ours & (which == k)
                at, got = rows[mine], values[mine]
                for v in singles[codes[k]]:  # the code when exactly one was given
                    self.value[v.name][at] = got
                    np.add.at(self.count[v.name], at, 1)
                for v in options[codes[k]]:  # 0/1 per option of an answered multiple choice
                    self.answered[v.source][at] = True
                    self.chosen[v.name][at[got == v.option]] = True

    def column(self, v: Variable, rows: list[int]) -> list:
        """The values of coded column `v` for these frame rows (None: not answered, or not one code)."""
        if v.source in self.frozen:  # an index answer exactly as frozen
            codes = np.asarray(self.answers)[rows, self.frozen[v.source]].tolist()
            if v.option is not None:
                return [None if c != c else int(int(c) == v.option) for c in codes]
            return [None if c != c else int(c) for c in codes]
        if v.option is not None:
            answered = self.answered[v.source][rows].tolist()
            chosen = self.chosen[v.name][rows].tolist()
            return [int(c) if a else None for a, c in zip(answered, chosen, strict=True)]
        once = (self.count[v.name][rows] == 1).tolist()
        return [c if one else None for c, one in zip(self.value[v.name][rows].tolist(), once, strict=True)]

    def facts(self, rows: list[int]) -> tuple[list, list, list]:
        """(partial, submitted_at, received_at) of these frame rows, as microdata_rows.records gives them."""
        partial = [None if p < 0 else p for p in self.partial[rows].tolist()]
        return partial, _days(self.submitted[rows]), _days(self.received[rows])


def quasi_records(src: Source, columns: Columns, rows: list[int], quasi: list[Variable]) -> list[dict]:
    """The records disclosure control works on, for these frame rows: design and domain values, `partial`,
    the two days and the quasi-identifying coded columns `quasi` (the profile questions)."""
    data = src.data
    weights = (data.design.weights[rows] if data.design is not None else np.zeros(len(rows))).tolist()
    agencies = np.asarray(data.agency_id)[rows].tolist()
    points = np.asarray(data.service_point_id, dtype=object)[rows].tolist()
    partial, submitted, received = columns.facts(rows)
    values = {v.name: columns.column(v, rows) for v in quasi}
    arrays = (data.stratum, data.sector_code, data.mode, data.outcome)
    pick = [np.asarray(a, dtype=object)[rows].tolist() for a in arrays]
    out = []
    for pos, (stratum, sector, mode, outcome) in enumerate(zip(*pick, strict=True)):
        agency, point = agencies[pos], points[pos]
        rec = {
            "stratum": str(stratum),
            "agency": src.agencies.get(int(agency), (str(agency), None, ""))[0],
            "sector": str(sector),
            "service_point": "" if point is None else src.points.get(int(point), str(point)),
            "mode": str(mode),
            "outcome": outcome,
            "weight": weights[pos],
            "partial": partial[pos],
            "submitted_at": submitted[pos],
            "received_at": received[pos],
        }
        for name, got in values.items():
            rec[name] = got[pos]
        out.append(rec)
    return out
