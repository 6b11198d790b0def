"""Storage for group commit: one batch of walk-up submissions in one transaction, raw DBAPI.

The storage half of batch.py, in the respond service beside responses.py: it stores the column
values and answer rows that `responses.prepare_response` made (the validation `store_response`
uses too), so a walk-up's rows are the same whichever path stored it (tests/respond/test_write_paths.py).

Why raw: building SQLAlchemy statements, cache keys and parameter sets cost more CPU than the
database's own work for these small, fixed statements, and on a 2-core server that CPU is what
limits how many kiosks one process can take. So each process keeps one driver connection (opened
through the engine, so the SQLite pragmas apply) and runs a few fixed statements per batch.
On SQLite, values go through the columns' own SQLAlchemy bind processors, so what is stored is what
the ORM would store (timestamps as text, booleans as integers); on PostgreSQL these column types
have none, and JSON carries them to the server's own input functions (ISO timestamps, true/false).

SQLite, in order, under the writers' lock and SQLite's write lock (BEGIN IMMEDIATE): re-check the
devices' credentials and record them as seen (UPDATE … RETURNING), so a tablet revoked a moment
ago stores nothing; look up the UUIDs already stored (a resend from the same device is a
duplicate, another device's a conflict); take ids after MAX(id) (safe: nobody else can write);
insert the responses, their answers and score rows (executemany, in-process the cheapest), then the comment rows
(ids after MAX(id) too), the raw texts and call-back contacts of the few that have any; commit.

PostgreSQL: the same as ONE statement (data-modifying CTEs; the batch's responses, answers and
score rows travel as JSON texts that the server unpacks with json_to_recordset; one more carries
each one's comment rows, raw texts and contact), run in autocommit, so
that statement is the whole transaction: each statement is a round trip to a server that shares
the application's cores, and executemany made it parse and run one INSERT per answer. ON CONFLICT
(uuid) DO NOTHING skips a UUID stored before, or by a concurrent transaction (it waits for that
one to end).

Joined to a connection (batch.join_transaction: the test harness's, whose transaction is rolled
back after each test), the same statements run on that connection inside a SAVEPOINT, released
instead of committed: SAVEPOINT/RELEASE instead of BEGIN IMMEDIATE/commit on SQLite, the one
statement inside a savepoint instead of autocommit on PostgreSQL.

A submission not stored and not yet explained (a repeat within the batch, a skipped UUID, a
device that failed the check on PostgreSQL) is marked "conflict" for batch.py's _resolve, which
looks it up after the commit. Nothing is acknowledged before the commit.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from survey.extensions import db
from survey.models import Answer, Comment, CommentRaw, ContactRequest, Device, Response, ResponseScore
from survey.models._base import utcnow
from survey.services.respond.comments import COMMENT_COLUMNS, extras
from survey.services.respond.responses import repeat_of
from survey.services.respond.scores import SCORE_COLUMNS, rows_of

ANSWER_COLUMNS = ("item_code", "value_int", "value_text")
CONTACT_COLUMNS = ("phone", "created_at")
SAVEPOINT = "respond_batch"


def _json_default(value: Any) -> str:
    """Timestamps and days as ISO 8601 text, which PostgreSQL's timestamp and date input read back exactly."""
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def encode_postgresql(job: Any) -> None:
    """A submission as JSON texts for the PostgreSQL batch (run in the request's own thread).

    Why: a batch then travels as a few text parameters that the database reads with its own JSON
    parser (json_to_recordset), instead of a column-by-column list of values that the driver
    adapts one value at a time in Python; encoding here, before the submission queues, keeps
    that CPU out of the leader's turn, which every queued request waits for.
    """
    values = job.values
    job.encoded = (
        json.dumps({**values, "secret": job.secret_hash}, default=_json_default, ensure_ascii=False),
        '{"uuid": %s, "rows": %s}' % (json.dumps(values["uuid"]), json.dumps(job.rows, ensure_ascii=False)),
    )
    job.encoded_scores = '{"uuid": %s, "scores": %s}' % (json.dumps(values["uuid"]), json.dumps(rows_of(job.rows)))
    comments, raw, contact = extras(job.rows)
    job.encoded_extras = None if not (comments or contact) else json.dumps(
        {"uuid": values["uuid"], "comments": comments, "raw": [{"item_code": k, "text": v} for k, v in raw.items()],
         "contact": [contact] if contact else []}, default=_json_default, ensure_ascii=False)


class BatchWriter:
    """A process's connection and statements, used by one leading request at a time (batch.py).

    With `joined`, batches are written on that connection, each in a savepoint of its open
    transaction, and the connection is never committed, closed or dropped here.
    """

    def __init__(self, joined: Connection | None = None):
        self.engine = db.engine
        self.dialect = self.engine.dialect
        self.sqlite = self.dialect.name == "sqlite"
        self.joined = joined
        self.dbapi_error = self.dialect.loaded_dbapi.Error
        if joined is not None:
            self.begin_sql: str | None = f"SAVEPOINT {SAVEPOINT}"
        else:  # SQLite: take its write lock before anything is read; PostgreSQL: autocommit (_connect)
            self.begin_sql = "BEGIN IMMEDIATE" if self.sqlite else None
        self.proxy = self.conn = None
        self.columns = [c.name for c in Response.__table__.columns if c.name != "id"]
        if self.sqlite:
            self.processors = {name: self._processor(Response.__table__.c[name]) for name in self.columns}
            self.device_seen = self._processor(Device.__table__.c.last_seen_at)
            self.device_active = self._processor(Device.__table__.c.active)
            self.insert_response = "INSERT INTO %s (id, %s) VALUES (%s)" % (
                Response.__tablename__, ", ".join(self.columns), ", ".join(["?"] * (len(self.columns) + 1)))
            self.insert_answer = "INSERT INTO %s (response_id, %s) VALUES (?, ?, ?, ?)" % (
                Answer.__tablename__, ", ".join(ANSWER_COLUMNS))
            self.insert_score = "INSERT INTO %s (response_id, %s) VALUES (?, %s)" % (
                ResponseScore.__tablename__, ", ".join(SCORE_COLUMNS), ", ".join(["?"] * len(SCORE_COLUMNS)))
            comment = Comment.__table__
            self.comment_processors = {name: self._processor(comment.c[name]) for name in COMMENT_COLUMNS}
            self.contact_processors = {name: self._processor(ContactRequest.__table__.c[name])
                                       for name in CONTACT_COLUMNS}
            self.insert_comment = "INSERT INTO %s (id, response_id, %s) VALUES (%s)" % (
                comment.name, ", ".join(COMMENT_COLUMNS), ", ".join(["?"] * (len(COMMENT_COLUMNS) + 2)))
            self.insert_raw = f"INSERT INTO {CommentRaw.__tablename__} (comment_id, text) VALUES (?, ?)"
            self.insert_contact = "INSERT INTO %s (response_id, %s) VALUES (?, ?, ?)" % (
                ContactRequest.__tablename__, ", ".join(CONTACT_COLUMNS))
        else:
            self.batch_sql = self._postgresql_batch()

    def _processor(self, column):
        return column.type.dialect_impl(self.dialect).bind_processor(self.dialect)

    def _bind(self, name: str, value: Any, processors: dict | None = None) -> Any:
        processor = (self.processors if processors is None else processors)[name]
        return value if processor is None or value is None else processor(value)

    def _connect(self):
        if self.conn is not None:
            return self.conn
        if self.joined is not None:  # its transaction is open: batches go in savepoints (write)
            self.conn = self.joined.connection.dbapi_connection
            return self.conn
        self.proxy = self.engine.raw_connection()
        self.conn = self.proxy.dbapi_connection
        if not self.sqlite:
            # A batch is ONE statement, atomic by itself, so in autocommit it is its own
            # transaction: one round trip instead of three (BEGIN, the statement, COMMIT).
            # Measured (batches of 6 full forms, A/B interleaved): 17 % less CPU in this
            # process and 7 % less in PostgreSQL's backend per form.
            self.conn.autocommit = True
        return self.conn

    def close(self) -> None:
        """Give the connection back to the engine's pool (a joined one is only let go)."""
        if self.proxy is not None:
            if not self.sqlite:
                try:
                    self.conn.autocommit = False  # the pool's other users expect transactions
                except Exception:  # a broken connection: drop it rather than pool it
                    self.discard()
                    return
            self.proxy.close()
        self.proxy = self.conn = None

    def discard(self) -> None:
        """Drop the connection (after an error it may be broken); the next batch opens a new one.

        A joined connection is only let go: it belongs to whoever joined it.
        """
        if self.proxy is not None:
            try:
                self.proxy.invalidate()
            except Exception:  # already gone: nothing to release
                pass
        self.proxy = self.conn = None

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A SQLAlchemy connection in a transaction of its own (joined: a savepoint), for batch.py's fallback."""
        if self.joined is None:
            with self.engine.begin() as conn:
                yield conn
        else:
            with self.joined.begin_nested():
                yield self.joined

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A SQLAlchemy connection that sees the committed (joined: the written) batches."""
        if self.joined is None:
            with self.engine.connect() as conn:
                yield conn
        else:
            yield self.joined

    def write(self, batch: list) -> None:
        """Store the batch in one transaction and set each job's result (see the module docstring).

        Raises SQLAlchemy's IntegrityError or DataError when the database refuses a row (nothing
        of the batch is then stored) and another DBAPIError when the database fails, so that
        batch.py can tell them apart as everywhere else (txn.transient).
        """
        conn = self._connect()
        cur = conn.cursor()
        begun = False
        try:
            for job in batch:
                job.result = None
            fresh = self._distinct(batch)
            if fresh:
                if self.begin_sql is not None:
                    cur.execute(self.begin_sql)
                begun = True
                (self._write_sqlite if self.sqlite else self._write_postgresql)(cur, fresh)
                if self.joined is not None:
                    cur.execute(f"RELEASE SAVEPOINT {SAVEPOINT}")
                else:
                    conn.commit()
        except BaseException as exc:
            self._undo(conn, cur, begun)
            if isinstance(exc, self.dbapi_error):
                raise DBAPIError.instance(None, None, exc, self.dbapi_error, dialect=self.dialect) from exc
            raise
        finally:
            cur.close()

    def _undo(self, conn, cur, begun: bool) -> None:
        try:
            if self.joined is None:
                conn.rollback()
            elif begun:
                cur.execute(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
                cur.execute(f"RELEASE SAVEPOINT {SAVEPOINT}")
        except Exception:
            self.discard()

    @staticmethod
    def _distinct(batch: list) -> dict[str, Any]:
        fresh: dict[str, Any] = {}
        for job in batch:
            if job.values["uuid"] in fresh:  # sent twice while the first was still queued
                job.result = "conflict"
            else:
                fresh[job.values["uuid"]] = job
        return fresh

    # --- SQLite ---------------------------------------------------------------------------------

    def _write_sqlite(self, cur, fresh: dict[str, Any]) -> None:
        device_ids = sorted({job.values["device_id"] for job in fresh.values()})
        marks = ", ".join(["?"] * len(device_ids))
        cur.execute(f"UPDATE {Device.__tablename__} SET last_seen_at = ? WHERE active = ? AND id IN ({marks}) "
                    "RETURNING id, secret_hash",
                    [self.device_seen(utcnow()) if self.device_seen else utcnow(),
                     self.device_active(True) if self.device_active else True, *device_ids])
        valid = set(cur.fetchall())
        for key, job in list(fresh.items()):
            if (job.values["device_id"], job.secret_hash) not in valid:
                job.result = "not_enrolled"
                del fresh[key]
        if not fresh:
            return
        marks = ", ".join(["?"] * len(fresh))
        cur.execute(f"SELECT uuid, device_id, invitation_id FROM {Response.__tablename__} WHERE uuid IN ({marks})",
                    list(fresh))
        for key, device_id, invitation_id in cur.fetchall():
            job = fresh.pop(key)
            same = repeat_of(device_id, invitation_id, None, job.values["device_id"])
            job.result = "duplicate" if same else "conflict"
        if not fresh:
            return
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {Response.__tablename__}")
        top = cur.fetchone()[0]
        stored = [(job, top + 1 + i) for i, job in enumerate(fresh.values())]
        cur.executemany(self.insert_response, [
            (rid, *[self._bind(name, job.values[name]) for name in self.columns]) for job, rid in stored])
        cur.executemany(self.insert_answer, [(rid, row["item_code"], row["value_int"], row["value_text"])
                                             for job, rid in stored for row in job.rows])
        cur.executemany(self.insert_score, [(rid, *[score[c] for c in SCORE_COLUMNS])
                                            for job, rid in stored for score in rows_of(job.rows)])
        self._extras_sqlite(cur, stored)
        for job, _rid in stored:
            job.result = "stored"

    def _extras_sqlite(self, cur, stored: list[tuple[Any, int]]) -> None:
        """Comment rows, raw texts and contacts of the stored responses (most have none: no statement)."""
        comments, raws, contacts = [], [], []
        for job, rid in stored:
            found, raw, contact = extras(job.rows)
            comments += [(rid, comment, raw.get(comment["item_code"])) for comment in found]
            if contact:
                contacts.append((rid, *[self._bind(n, contact[n], self.contact_processors) for n in CONTACT_COLUMNS]))
        if comments:
            cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {Comment.__tablename__}")
            top = cur.fetchone()[0]
            numbered = [(top + 1 + i, rid, comment, raw) for i, (rid, comment, raw) in enumerate(comments)]
            cur.executemany(self.insert_comment, [
                (cid, rid, *[self._bind(n, comment[n], self.comment_processors) for n in COMMENT_COLUMNS])
                for cid, rid, comment, _raw in numbered])
            raws = [(cid, raw) for cid, _rid, _comment, raw in numbered if raw is not None]
            if raws:
                cur.executemany(self.insert_raw, raws)
        if contacts:
            cur.executemany(self.insert_contact, contacts)

    # --- PostgreSQL -----------------------------------------------------------------------------

    def _postgresql_batch(self) -> str:
        def typed(table, names):
            return ", ".join(f"{name} {table.c[name].type.compile(self.dialect)}" for name in names)

        response, answer, comment = Response.__table__, Answer.__table__, Comment.__table__
        score = ResponseScore.__table__
        columns = ", ".join(self.columns)
        picked = ", ".join("u." + name for name in self.columns)
        contact = ContactRequest.__table__
        return (
            f"WITH dev AS (UPDATE {Device.__tablename__} SET last_seen_at = %s "
            f"WHERE active AND id = ANY(CAST(%s AS INTEGER[])) RETURNING id, secret_hash), "
            f"new AS (INSERT INTO {response.name} ({columns}) SELECT {picked} "
            f"FROM json_to_recordset(CAST(%s AS JSON)) AS u({typed(response, self.columns)}, secret TEXT), dev "
            f"WHERE dev.id = u.device_id AND dev.secret_hash = u.secret "
            f"ON CONFLICT (uuid) DO NOTHING RETURNING id, uuid), "
            f"ans AS (INSERT INTO {answer.name} (response_id, {', '.join(ANSWER_COLUMNS)}) "
            f"SELECT new.id, {', '.join('a.' + c for c in ANSWER_COLUMNS)} "
            f"FROM json_to_recordset(CAST(%s AS JSON)) AS j(uuid TEXT, rows JSON) "
            f"JOIN new ON new.uuid = j.uuid, "
            f"json_to_recordset(j.rows) AS a({typed(answer, ANSWER_COLUMNS)})), "
            # Their score rows (scores.py), made by prepare_response like the answer rows.
            f"sco AS (INSERT INTO {score.name} (response_id, {', '.join(SCORE_COLUMNS)}) "
            f"SELECT new.id, {', '.join('s.' + c for c in SCORE_COLUMNS)} "
            f"FROM json_to_recordset(CAST(%s AS JSON)) AS k(uuid TEXT, scores JSON) "
            f"JOIN new ON new.uuid = k.uuid, "
            f"json_to_recordset(k.scores) AS s({typed(score, SCORE_COLUMNS)})), "
            # The responses with free text or a call-back phone: comments, raw texts (by item), contacts.
            f"sub AS (SELECT new.id, e.comments, e.raw, e.contact FROM json_to_recordset(CAST(%s AS JSON)) "
            f"AS e(uuid TEXT, comments JSON, raw JSON, contact JSON) JOIN new ON new.uuid = e.uuid), "
            f"com AS (INSERT INTO {comment.name} (response_id, {', '.join(COMMENT_COLUMNS)}) "
            f"SELECT sub.id, {', '.join('c.' + c for c in COMMENT_COLUMNS)} "
            f"FROM sub, json_to_recordset(sub.comments) AS c({typed(comment, COMMENT_COLUMNS)}) "
            f"RETURNING id, response_id, item_code), "
            f"raw AS (INSERT INTO {CommentRaw.__tablename__} (comment_id, text) SELECT com.id, r.text "
            f"FROM sub JOIN com ON com.response_id = sub.id, "
            f"json_to_recordset(sub.raw) AS r(item_code TEXT, text TEXT) WHERE r.item_code = com.item_code), "
            f"con AS (INSERT INTO {contact.name} (response_id, {', '.join(CONTACT_COLUMNS)}) "
            f"SELECT sub.id, {', '.join('k.' + c for c in CONTACT_COLUMNS)} "
            f"FROM sub, json_to_recordset(sub.contact) AS k({typed(contact, CONTACT_COLUMNS)})) "
            f"SELECT id, uuid FROM new")

    def _write_postgresql(self, cur, fresh: dict[str, Any]) -> None:
        jobs = list(fresh.values())
        for job in jobs:
            if job.encoded is None:
                encode_postgresql(job)
        params = [utcnow(), sorted({job.values["device_id"] for job in jobs}),
                  "[" + ",".join(job.encoded[0] for job in jobs) + "]",
                  "[" + ",".join(job.encoded[1] for job in jobs) + "]",
                  "[" + ",".join(job.encoded_scores for job in jobs) + "]",
                  "[" + ",".join(job.encoded_extras for job in jobs if job.encoded_extras is not None) + "]"]
        cur.execute(self.batch_sql, params)
        stored = {key for _rid, key in cur.fetchall()}
        for job in jobs:
            job.result = "stored" if job.values["uuid"] in stored else "conflict"
