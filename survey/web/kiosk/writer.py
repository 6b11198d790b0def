"""The group committer's storage: one batch of walk-up submissions in one transaction, raw DBAPI.

Why raw: building SQLAlchemy statements, cache keys and parameter sets cost more CPU than the
database's own work for these small, fixed statements, and on a 2-core server that CPU is what
limits how many kiosks one process can take. So the committer thread keeps one driver
connection (opened through the engine, so the SQLite pragmas apply) and runs five fixed
statements per batch. Values go through the columns' own SQLAlchemy bind processors, so what is
stored is byte-for-byte what the ORM would store (timestamps on SQLite, booleans, ...).

A batch, in order, under the SQLite writers' lock:
1. the devices' credentials are re-checked and recorded as seen (UPDATE … RETURNING), so a
   tablet revoked a moment ago stores nothing;
2. UUIDs already stored are found: a resend from the same device is a duplicate, another's a
   conflict;
3. ids for the new responses are taken (SQLite: after MAX(id), safe because this transaction
   holds SQLite's write lock; PostgreSQL: from the column's sequence);
4. the responses, then all their answers, are inserted (executemany);
5. commit. Nothing is acknowledged before it.
"""
from __future__ import annotations

from typing import Any

from survey.extensions import db
from survey.models import Answer, Device, Response
from survey.models._base import utcnow
from survey.services.responses import repeat_of


class BatchWriter:
    """One committer thread's connection and prepared statements (not thread-safe: one owner)."""

    def __init__(self):
        engine = db.engine
        self.engine = engine
        self.dialect = engine.dialect
        self.sqlite = self.dialect.name == "sqlite"
        self.mark = "?" if self.dialect.paramstyle == "qmark" else "%s"
        self.integrity_error = self.dialect.loaded_dbapi.IntegrityError
        self.proxy = None
        self.conn = None
        self.sequence: str | None = None
        table = Response.__table__
        self.columns = [c.name for c in table.columns if c.name != "id"]
        self.processors = {name: self._processor(table.c[name]) for name in self.columns}
        self.device_seen = self._processor(Device.__table__.c.last_seen_at)
        self.device_active = self._processor(Device.__table__.c.active)
        marks = ", ".join([self.mark] * (len(self.columns) + 1))
        self.insert_response = (f"INSERT INTO {table.name} (id, {', '.join(self.columns)}) VALUES ({marks})")
        self.insert_answer = (f"INSERT INTO {Answer.__tablename__} (response_id, item_code, value_int, value_text) "
                              f"VALUES ({self.mark}, {self.mark}, {self.mark}, {self.mark})")

    def _processor(self, column):
        return column.type.dialect_impl(self.dialect).bind_processor(self.dialect)

    def _bind(self, name: str, value: Any) -> Any:
        processor = self.processors[name]
        return value if processor is None or value is None else processor(value)

    def _connect(self):
        if self.conn is None:
            self.proxy = self.engine.raw_connection()
            self.conn = self.proxy.dbapi_connection
            if not self.sqlite:
                cur = self.conn.cursor()
                cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", (Response.__tablename__,))
                self.sequence = cur.fetchone()[0]
                self.conn.commit()
        return self.conn

    def discard(self) -> None:
        """Drop the connection (after an error it may be broken); the next batch opens a new one."""
        if self.proxy is not None:
            try:
                self.proxy.invalidate()
            except Exception:  # already gone: nothing to release
                pass
        self.proxy = self.conn = None

    def write(self, batch: list) -> None:
        """Store the batch in one transaction and set each job's result (see the module docstring).

        Raises the driver's IntegrityError when another process stored one of the UUIDs in between
        (nothing of the batch is then stored) and any other driver error when the database fails.
        """
        conn = self._connect()
        cur = conn.cursor()
        try:
            self._write(cur, batch)
            conn.commit()
        except BaseException:
            try:
                conn.rollback()
            except Exception:
                self.discard()
            raise
        finally:
            cur.close()

    def _in(self, count: int) -> str:
        return "(" + ", ".join([self.mark] * count) + ")"

    def _write(self, cur, batch: list) -> None:
        for job in batch:
            job.result = None
        if self.sqlite:
            cur.execute("BEGIN IMMEDIATE")  # take SQLite's write lock before anything is read
        device_ids = sorted({job.values["device_id"] for job in batch})
        cur.execute(f"UPDATE {Device.__tablename__} SET last_seen_at = {self.mark} WHERE active = {self.mark} "
                    f"AND id IN {self._in(len(device_ids))} RETURNING id, secret_hash",
                    [self.device_seen(utcnow()) if self.device_seen else utcnow(),
                     self.device_active(True) if self.device_active else True, *device_ids])
        valid = set(cur.fetchall())
        live = []
        for job in batch:
            if (job.values["device_id"], job.secret_hash) in valid:
                live.append(job)
            else:
                job.result = "not_enrolled"
        if not live:
            return
        uuids = [job.values["uuid"] for job in live]
        cur.execute(f"SELECT uuid, device_id, invitation_id FROM {Response.__tablename__} "
                    f"WHERE uuid IN {self._in(len(uuids))}", uuids)
        stored = {row[0]: row for row in cur.fetchall()}
        fresh: dict[str, Any] = {}
        for job in live:
            key = job.values["uuid"]
            earlier = stored.get(key)
            if earlier is not None:
                same = repeat_of(earlier[1], earlier[2], None, job.values["device_id"])
                job.result = "duplicate" if same else "conflict"
            elif key in fresh:  # sent twice while the first was still queued
                same = fresh[key].values["device_id"] == job.values["device_id"]
                job.result = "duplicate" if same else "conflict"
            else:
                fresh[key] = job
        if not fresh:
            return
        jobs = list(fresh.values())
        ids = self._new_ids(cur, len(jobs))
        cur.executemany(self.insert_response, [
            (rid, *[self._bind(name, job.values[name]) for name in self.columns]) for job, rid in zip(jobs, ids)])
        rows = [(rid, row["item_code"], row["value_int"], row["value_text"])
                for job, rid in zip(jobs, ids) for row in job.rows]
        if rows:
            cur.executemany(self.insert_answer, rows)
        for job in jobs:
            job.result = "stored"

    def _new_ids(self, cur, count: int) -> list[int]:
        if self.sqlite:
            cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {Response.__tablename__}")
            top = cur.fetchone()[0]
            return list(range(top + 1, top + 1 + count))
        cur.execute("SELECT nextval(%s) FROM generate_series(1, %s)", (self.sequence, count))
        return [row[0] for row in cur.fetchall()]
