"""Group commit for walk-up kiosk submissions: many requests, one transaction, each stored once.

The respond service's second write path, beside responses.py: hand-offs and link answers are
stored by `responses.store_response` in their request's own transaction (the ORM); walk-ups, the
bulk of the traffic, come here. Both validate with `responses.prepare_response` and store the same
rows (tests/respond/test_write_paths.py); writer.py holds this path's statements.

Request threads validate their submission themselves (nothing here can fail on bad input) and
queue the ready rows; the one that finds no batch being written writes everything queued (up to
MAX_BATCH; see Committer) with writer.py in ONE transaction with a handful of statements:
re-check every device's credential (a revoked tablet stores nothing) and record it as seen, find
UUIDs already stored (a resend is answered "duplicate", a stranger's UUID 409), insert the new
responses, then all their answers (and the comment rows, raw texts and call-back contacts that
prepare_response attached to them, comments.py). If another process stores one of the UUIDs in between (a
unique-key clash), the batch is redone with one savepoint per submission. After the commit, each
resend's content is compared with what is stored under its UUID (only then, so the hot path pays
nothing); one with other answers is "changed", answered 409 and logged. Every request is
answered only after the commit that holds its rows, so an acknowledged response is durable; a
crash before the commit loses only unacknowledged work, which the kiosk resends under the same
UUID.

Why: one commit (and, on SQLite, one turn of the writers' lock) per batch instead of per request
is what lets a shared 2-core server keep up with a hundred kiosks. The usual rule "one commit per
request, in the view" becomes "the request returns after the commit that covers it".

Tests take this path too: the harness joins each test's connection (join_transaction), and the
batches are then written on it, each in a savepoint that the test's rollback undoes.
"""
from __future__ import annotations

import random
import threading
import time
from collections import deque

from flask import Flask
from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import DataError, IntegrityError

from survey.extensions import db
from survey.models import Answer, Device, Response
from survey.models._base import utcnow
from survey.services.common.txn import ATTEMPTS, transient, writer_lock
from survey.services.respond import scores
from survey.services.respond.comments import store_extras
from survey.services.respond.responses import changed_resend, content_of, repeat_of, stored_content
from survey.services.respond.writer import BatchWriter, encode_postgresql

MAX_BATCH = 64
WAIT_SECONDS = 30


class Job:
    """One validated submission waiting for its commit; `result` is stored, duplicate, conflict,
    changed (a stored UUID resent with other content), not_enrolled or refused (the database would
    not take it), `error` the database's failure."""

    __slots__ = ("values", "rows", "secret_hash", "encoded", "encoded_extras", "encoded_scores", "gate", "woken",
                 "finished", "abandoned", "result", "error")

    def __init__(self, values: dict, rows: list[dict], secret_hash: str):
        self.values, self.rows, self.secret_hash = values, rows, secret_hash
        self.encoded: tuple[str, str] | None = None  # the PostgreSQL writer's JSON (writer.encode_postgresql)
        self.encoded_extras: str | None = None  # its comments and contact, when there are any
        self.encoded_scores: str | None = None  # its score rows (scores.py)
        # A lock held from the start and released once, when the job is finished or its thread
        # must lead: the cheapest wake-up Python has (an Event builds a Condition and a waiter
        # lock per wait, a measurable share of a submission's CPU under load).
        self.gate = threading.Lock()
        self.gate.acquire()
        self.woken = self.finished = self.abandoned = False
        self.result: str | None = None
        self.error: BaseException | None = None

    def wake(self) -> None:
        """Let the job's thread go on (once; a job handed the lead is later finished by itself)."""
        if not self.woken:
            self.woken = True
            self.gate.release()


class Committer:
    """One process's queue of submissions and whichever request thread is writing it.

    Leader and followers, as in LevelDB's or MySQL's group commit: the request that finds no
    batch being written writes the queue itself; requests arriving meanwhile queue up and wait;
    when the leader's batch is committed it wakes them and hands the lead to the first still
    waiting, whose batch is everyone queued by then. A lone kiosk's submission is thus written
    by its own thread at once (no hand-off to a committer thread and back, which cost as much CPU
    as the write), and under load one transaction carries many.
    """

    def __init__(self, app: Flask):
        self.app = app
        self.lock = threading.Lock()
        self.queue: deque[Job] = deque()
        self.leading = False
        self.writer: BatchWriter | None = None  # used only by the leader of the moment
        self.joined: Connection | None = None  # see join_transaction
        with app.app_context():
            self.encode = None if db.engine.dialect.name == "sqlite" else encode_postgresql

    def submit(self, job: Job) -> Job:
        """Queue a job and return once its batch is committed (TimeoutError after WAIT_SECONDS)."""
        if self.encode is not None:
            self.encode(job)
        with self.lock:
            self.queue.append(job)
            lead = not self.leading
            self.leading = True
        if not lead and not job.gate.acquire(timeout=WAIT_SECONDS):
            with self.lock:
                if not job.woken:
                    job.abandoned = True  # a later leader stores it; the kiosk's resend then hears "duplicate"
                    raise TimeoutError("the database did not commit in time")
        if not job.finished:  # the lead has been handed to this thread
            self._lead()
        if job.error is not None:
            raise job.error
        return job

    def close(self) -> None:
        """Release the database connection (the next batch opens one again)."""
        with self.lock:
            if self.writer is not None and not self.leading:
                self.writer.close()

    def join(self, connection: Connection | None) -> None:
        """Write the next batches on `connection`, in savepoints of its transaction (None: on our own again)."""
        with self.lock:
            if self.leading:
                raise RuntimeError("a batch is being written")
            if self.writer is not None:
                self.writer.close()
            self.writer, self.joined = None, connection

    def _lead(self) -> None:
        while True:
            with self.lock:
                batch = [self.queue.popleft() for _ in range(min(MAX_BATCH, len(self.queue)))]
            try:
                self._commit(batch)
                self._resolve([j for j in batch if j.result == "conflict"])
                self._verify([j for j in batch if j.result == "duplicate"])
            except Exception as exc:  # the database is down: every waiting request gets a 503
                for job in batch:
                    job.error = exc
            for job in batch:
                job.finished = True
                job.wake()
            with self.lock:
                if not self.queue:
                    self.leading = False
                    return
                if not self.queue[0].abandoned:
                    self.queue[0].wake()  # its thread leads the next batch
                    return
                # the next one's request has given up waiting: write its batch here

    def _commit(self, batch: list[Job]) -> None:
        if self.writer is None:
            self.writer = BatchWriter(self.joined)
        for attempt in range(ATTEMPTS):
            try:
                try:
                    with writer_lock():
                        self.writer.write(batch)
                except (IntegrityError, DataError):
                    # The database refused a row (a UUID clash cannot reach here: the writers'
                    # lock on SQLite, ON CONFLICT on PostgreSQL). Redo the batch one savepoint per
                    # submission, so one bad row does not fail its neighbours, batch after batch
                    # as the kiosks resend.
                    with writer_lock(), self.writer.transaction() as conn:
                        for job in batch:
                            self._one(conn, job)
                return
            except Exception as exc:
                self.writer.discard()
                if not transient(exc) or attempt == ATTEMPTS - 1:
                    raise
                time.sleep(random.uniform(0.002, 0.02) * (attempt + 1))

    @staticmethod
    def _one(conn, job: Job) -> None:
        savepoint = conn.begin_nested()
        try:
            alive = conn.execute(
                update(Device.__table__)
                .where(Device.id == job.values["device_id"], Device.secret_hash == job.secret_hash,
                       Device.active.is_(True))
                .values(last_seen_at=utcnow())).rowcount
            if alive != 1:
                savepoint.rollback()
                job.result = "not_enrolled"
                return
            response_id = conn.execute(
                insert(Response.__table__).returning(Response.__table__.c.id), job.values).scalar_one()
            if job.rows:
                conn.execute(insert(Answer.__table__), [{**row, "response_id": response_id} for row in job.rows])
            store_extras(conn, response_id, job.rows)
            scores.store(conn, response_id, job.rows)
            savepoint.commit()
            job.result = "stored"
        except (IntegrityError, DataError):  # _resolve tells a stranger's UUID from a refused row
            savepoint.rollback()
            job.result = "conflict"

    def _resolve(self, unsure: list[Job]) -> None:
        """After the commit: was an unstored submission a resend, a stranger's UUID, a revoked
        device's, or refused by the database?"""
        if not unsure:
            return
        with self.writer.reading() as conn:
            for job in unsure:
                found = conn.execute(select(Response.device_id, Response.invitation_id)
                                     .where(Response.uuid == job.values["uuid"])).first()
                if found is not None:
                    same = repeat_of(found.device_id, found.invitation_id, None, job.values["device_id"])
                    job.result = "duplicate" if same else "conflict"
                    continue
                alive = conn.scalar(select(Device.id).where(
                    Device.id == job.values["device_id"], Device.secret_hash == job.secret_hash,
                    Device.active.is_(True)))
                job.result = "refused" if alive is not None else "not_enrolled"

    def _verify(self, repeats: list[Job]) -> None:
        """A resend must carry the content stored under its UUID; one that does not is "changed"."""
        if not repeats:
            return
        with self.writer.reading() as conn:
            for job in repeats:
                if stored_content(conn, job.values["uuid"]) != content_of(job.values, job.rows):
                    changed_resend(job.values["uuid"], job.values["device_id"])
                    job.result = "changed"


_committers: dict[int, Committer] = {}
_committers_lock = threading.Lock()


def committer_for(app: Flask) -> Committer:
    """This process's committer for `app`."""
    with _committers_lock:
        found = _committers.get(id(app))
        if found is None:
            found = _committers[id(app)] = Committer(app)
        return found


def join_transaction(app: Flask, connection: Connection | None) -> None:
    """Write `app`'s batches on `connection`, each in a savepoint of its open transaction; None undoes it.

    For a test harness that runs each test in one transaction and rolls it back: walk-ups take
    the production path and leave nothing behind. One thread at a time may then submit.
    """
    committer_for(app).join(connection)


def release(app: Flask) -> None:
    """Close and forget this process's committer for `app` (an app being torn down, in tests)."""
    with _committers_lock:
        found = _committers.pop(id(app), None)
    if found is not None:
        found.close()
