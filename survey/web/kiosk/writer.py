"""The group committer's storage: one batch of walk-up submissions in one transaction, raw DBAPI.

Why raw: building SQLAlchemy statements, cache keys and parameter sets cost more CPU than the
database's own work for these small, fixed statements, and on a 2-core server that CPU is what
limits how many kiosks one process can take. So each process keeps one driver
connection (opened through the engine, so the SQLite pragmas apply) and runs a few fixed
statements per batch. Values go through the columns' own SQLAlchemy bind processors, so what is
stored is byte-for-byte what the ORM would store (timestamps on SQLite, booleans, ...).

A batch, in order, under the SQLite writers' lock:
1. the devices' credentials are re-checked and recorded as seen (UPDATE … RETURNING), so a
   tablet revoked a moment ago stores nothing;
2. the new responses are inserted, skipping UUIDs already stored (a resend from the same device
   is a duplicate, another device's a conflict). SQLite: look them up, take ids after MAX(id)
   (safe: this transaction holds SQLite's write lock), executemany. PostgreSQL: one
   INSERT … SELECT FROM unnest(one array per column) ON CONFLICT (uuid) DO NOTHING RETURNING id;
3. all their answers are inserted (executemany; PostgreSQL: one INSERT from unnest);
4. commit. Nothing is acknowledged before it.
"""
from __future__ import annotations

from typing import Any

from survey.extensions import db
from survey.models import Answer, Device, Response
from survey.models._base import utcnow
from survey.services.responses import repeat_of


class BatchWriter:
    """A process's connection and statements, used by one leading request at a time (batch.py)."""

    def __init__(self):
        engine = db.engine
        self.engine = engine
        self.dialect = engine.dialect
        self.sqlite = self.dialect.name == "sqlite"
        self.mark = "?" if self.dialect.paramstyle == "qmark" else "%s"
        self.integrity_error = self.dialect.loaded_dbapi.IntegrityError
        self.proxy = None
        self.conn = None
        table = Response.__table__
        self.columns = [c.name for c in table.columns if c.name != "id"]
        self.processors = {name: self._processor(table.c[name]) for name in self.columns}
        self.device_seen = self._processor(Device.__table__.c.last_seen_at)
        self.device_active = self._processor(Device.__table__.c.active)
        if self.sqlite:
            self.insert_response = self._insert_sql(table, ["id", *self.columns])
        else:
            self.insert_response = (self._insert_sql(table, self.columns)
                                    + " ON CONFLICT (uuid) DO NOTHING RETURNING id, uuid")
        self.insert_answer = self._insert_sql(Answer.__table__, ["response_id", "item_code", "value_int", "value_text"])

    def _insert_sql(self, table, names: list[str]) -> str:
        if self.sqlite:  # executemany: in-process, the cheapest way (measured against multi-row VALUES)
            return f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join(['?'] * len(names))})"
        # PostgreSQL: one fixed statement whatever the number of rows, each column as one array
        # parameter. executemany made the server parse, plan and run one INSERT per answer, on
        # the very cores the application needs.
        arrays = ", ".join(f"CAST(%s AS {table.c[name].type.compile(self.dialect)}[])" for name in names)
        return f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({arrays})"

    def _insert(self, cur, sql: str, rows: list[tuple]) -> None:
        if not rows:
            return
        if self.sqlite:
            cur.executemany(sql, rows)
        else:
            cur.execute(sql, [list(column) for column in zip(*rows)])

    def _processor(self, column):
        return column.type.dialect_impl(self.dialect).bind_processor(self.dialect)

    def _bind(self, name: str, value: Any) -> Any:
        processor = self.processors[name]
        return value if processor is None or value is None else processor(value)

    def _connect(self):
        if self.conn is None:
            self.proxy = self.engine.raw_connection()
            self.conn = self.proxy.dbapi_connection
        return self.conn

    def close(self) -> None:
        """Give the connection back to the engine's pool."""
        if self.proxy is not None:
            self.proxy.close()
        self.proxy = self.conn = None

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
        fresh: dict[str, Any] = {}
        for job in live:
            if job.values["uuid"] in fresh:  # sent twice while the first was still queued:
                job.result = "conflict"       # batch.py's _resolve tells duplicate from conflict
            else:
                fresh[job.values["uuid"]] = job
        stored = self._store_sqlite(cur, fresh) if self.sqlite else self._store_postgresql(cur, fresh)
        rows = [(rid, row["item_code"], row["value_int"], row["value_text"])
                for job, rid in stored for row in job.rows]
        self._insert(cur, self.insert_answer, rows)
        for job, _rid in stored:
            job.result = "stored"

    def _store_sqlite(self, cur, fresh: dict[str, Any]) -> list[tuple[Any, int]]:
        # This transaction holds SQLite's write lock: nobody can store a UUID between the look-up
        # and the insert, nor take an id after MAX(id).
        uuids = list(fresh)
        cur.execute(f"SELECT uuid, device_id, invitation_id FROM {Response.__tablename__} "
                    f"WHERE uuid IN {self._in(len(uuids))}", uuids)
        for key, device_id, invitation_id in cur.fetchall():
            job = fresh.pop(key)
            job.result = "duplicate" if repeat_of(device_id, invitation_id, None, job.values["device_id"]) else "conflict"
        if not fresh:
            return []
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {Response.__tablename__}")
        top = cur.fetchone()[0]
        stored = [(job, top + 1 + i) for i, job in enumerate(fresh.values())]
        self._insert(cur, self.insert_response, [
            (rid, *[self._bind(name, job.values[name]) for name in self.columns]) for job, rid in stored])
        return stored

    def _store_postgresql(self, cur, fresh: dict[str, Any]) -> list[tuple[Any, int]]:
        # One statement: insert, skip UUIDs already stored (also by a concurrent transaction,
        # which ON CONFLICT waits for), return the new ids. A skipped one is a resend or a
        # stranger's UUID, which batch.py's _resolve sorts out after the commit.
        jobs = list(fresh.values())
        cur.execute(self.insert_response, [list(column) for column in zip(
            *[[self._bind(name, job.values[name]) for name in self.columns] for job in jobs])])
        ids = dict((key, rid) for rid, key in cur.fetchall())
        for job in jobs:
            if job.values["uuid"] not in ids:
                job.result = "conflict"
        return [(job, ids[job.values["uuid"]]) for job in jobs if job.values["uuid"] in ids]
