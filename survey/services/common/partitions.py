"""The answer table's partitions on PostgreSQL: list them, create ranges ahead, retire old ones, convert.

Migration 0015 partitions `answer` by RANGE (response_id) — response ids only grow, so a range of
ids is a stretch of time — with the partitions in their own schema (answer_part) and a DEFAULT
partition for ids above the ranges made so far. This module is what operators run afterwards
(`hailong partitions`):

- `create_ahead`: ranges for the next response ids, so new answers never land in the default
  partition (rows already there for a new range are moved out first: PostgreSQL refuses a range
  partition whose rows sit in the default one);
- `retire`: detach and drop the partitions wholly below a response id (a past period), which frees
  the space at once, where a DELETE leaves dead rows for VACUUM;
- `convert`: an answer table populated before 0015 (the migration converts only an empty one) is
  copied in batches of answer ids into a partitioned twin, resumably, then the two are swapped
  under a lock that blocks writes (not reads) only for the last batch, a count check and the renames.

Functions take a SQLAlchemy Connection, run plain SQL and do not commit, except `convert`, which
calls `commit` between its batches (the command passes the connection's own commit).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, text

SCHEMA = "answer_part"  # beside public; beside another schema X (a test's own): X_answer_part
SIZE = 1_000_000  # response ids per partition (the migration's ranges)
TWIN = "answer_new"  # the partitioned copy that `convert` fills, in SCHEMA until the swap
BOUND = re.compile(r"FROM \((MINVALUE|-?\d+)\) TO \((MAXVALUE|-?\d+)\)")
LOW, HIGH = -(2 ** 31), 2 ** 31


class PartitionError(ValueError):
    """What cannot be done with the partitions (message in Vietnamese, for the operator)."""


@dataclass(frozen=True)
class Partition:
    """One partition: its name, the response ids it holds [low, high) (None for the default), size.

    `rows` is the planner's estimate, -1 before the partition was first analysed (autovacuum does it)."""

    name: str
    low: int | None
    high: int | None
    rows: int
    bytes: int

    @property
    def default(self) -> bool:
        """Whether this is the DEFAULT partition (ids above every range)."""
        return self.low is None


def available(conn: Connection) -> bool:
    """Whether the database can partition at all (PostgreSQL; SQLite has no partitioning)."""
    return conn.dialect.name == "postgresql"


def is_partitioned(conn: Connection, table: str = "answer") -> bool:
    """Whether `table` is a partitioned table on this PostgreSQL database."""
    if not available(conn):
        return False
    return conn.scalar(text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:t)"), {"t": table}) == "p"


def partitions(conn: Connection, table: str = "answer") -> list[Partition]:
    """The partitions of `table`, lowest range first and the default last."""
    found = []
    for name, bound, rows, size in conn.execute(text(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), c.reltuples::bigint, pg_total_relation_size(c.oid) "
            "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(:t)"),
            {"t": table}):
        match = BOUND.search(bound)
        low = high = None
        if match:
            low = LOW if match[1] == "MINVALUE" else int(match[1])
            high = HIGH if match[2] == "MAXVALUE" else int(match[2])
        found.append(Partition(name, low, high, int(rows), int(size)))
    return sorted(found, key=lambda p: (p.default, p.low or 0))


def schema_of(conn: Connection) -> str:
    """The schema that holds the partitions of the current schema's answer table (as migration 0015 names it)."""
    current = conn.scalar(text("SELECT current_schema()"))
    return SCHEMA if current == "public" else f"{current}_{SCHEMA}"


def _name(low: int, size: int) -> str:
    return "answer_p%04d" % (max(low, 0) // size)


def _top_response_id(conn: Connection) -> int:
    return int(conn.scalar(text("SELECT COALESCE(MAX(id), 0) FROM response")))


def _ranges(existing: list[Partition], top: int, size: int, ahead: int) -> list[tuple[int, int]]:
    """The [low, high) ranges, aligned on `size`, missing between the existing ones and `ahead` past `top`."""
    covered = [(p.low, p.high) for p in existing if not p.default]
    start = max((high for _low, high in covered), default=0)
    start = 0 if start <= 0 else start
    end = (top // size + 1 + ahead) * size
    wanted = []
    low = start
    while low < end:
        high = (low // size + 1) * size
        if not any(lo < high and low < hi for lo, hi in covered):
            wanted.append((low, high))
        low = high
    return wanted


def create_ahead(conn: Connection, ahead: int = 2, size: int = SIZE, table: str = "answer") -> list[str]:
    """Create the range partitions up to `ahead` ranges past the highest response id; their names.

    Rows of a new range already in the default partition are moved into it in the same transaction.
    """
    if not is_partitioned(conn, table):
        raise PartitionError("Bảng câu trả lời chưa được phân vùng: chạy 'hailong partitions convert' trước.")
    if size < 1 or ahead < 0:
        raise PartitionError("Cỡ phân vùng phải dương và số phân vùng tạo trước không được âm.")
    existing = partitions(conn, table)
    default = next((p for p in existing if p.default), None)
    created = []
    where = schema_of(conn)
    for low, high in _ranges(existing, _top_response_id(conn), size, ahead):
        name = _name(low, size)
        bounds = f"FOR VALUES FROM ({low}) TO ({high})"
        moved = default is not None and conn.scalar(text(
            f"SELECT EXISTS (SELECT 1 FROM {where}.{default.name} WHERE response_id >= :lo AND response_id < :hi)"),
            {"lo": low, "hi": high})
        if not moved:
            conn.execute(text(f"CREATE TABLE {where}.{name} PARTITION OF {table} {bounds}"))
        else:  # a plain table, filled from the default partition, then attached with its range
            conn.execute(text(f"CREATE TABLE {where}.{name} (LIKE {table} INCLUDING DEFAULTS)"))
            conn.execute(text(f"WITH gone AS (DELETE FROM {where}.{default.name} WHERE response_id >= :lo "
                              f"AND response_id < :hi RETURNING *) INSERT INTO {where}.{name} SELECT * FROM gone"),
                         {"lo": low, "hi": high})
            conn.execute(text(f"ALTER TABLE {table} ATTACH PARTITION {where}.{name} {bounds}"))
        created.append(name)
    return created


def retire(conn: Connection, below: int, table: str = "answer") -> list[Partition]:
    """Detach and drop every range partition wholly below response id `below` (their answers go); them."""
    if not is_partitioned(conn, table):
        raise PartitionError("Bảng câu trả lời chưa được phân vùng: không có phân vùng nào để bỏ.")
    gone = [p for p in partitions(conn, table) if not p.default and p.high <= below]
    where = schema_of(conn)
    for p in gone:
        conn.execute(text(f"ALTER TABLE {table} DETACH PARTITION {where}.{p.name}"))
        conn.execute(text(f"DROP TABLE {where}.{p.name}"))
    return gone


def _create_twin(conn: Connection, where: str, top: int, size: int, ahead: int) -> None:
    """The partitioned copy of answer, in the partitions' schema, with the final constraint and index names."""
    home = conn.scalar(text("SELECT current_schema()"))
    conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {where}"))
    conn.execute(text(
        f"CREATE TABLE {where}.{TWIN} (id INTEGER NOT NULL DEFAULT nextval('{home}.answer_id_seq'::regclass), "
        "response_id INTEGER NOT NULL, item_code VARCHAR(64) NOT NULL, value_int INTEGER, value_text TEXT, "
        "CONSTRAINT pk_answer PRIMARY KEY (id, response_id), "
        "CONSTRAINT fk_answer_response_id_response FOREIGN KEY (response_id) "
        f"REFERENCES {home}.response (id) ON DELETE CASCADE) PARTITION BY RANGE (response_id)"))
    conn.execute(text(f"CREATE INDEX ix_answer_response_id_item_code ON {where}.{TWIN} (response_id, item_code)"))
    for low, high in _ranges([], top, size, ahead):
        bound_low = "MINVALUE" if low == 0 else str(low)
        conn.execute(text(f"CREATE TABLE {where}.{_name(low, size)} PARTITION OF {where}.{TWIN} "
                          f"FOR VALUES FROM ({bound_low}) TO ({high})"))
    conn.execute(text(f"CREATE TABLE {where}.answer_default PARTITION OF {where}.{TWIN} DEFAULT"))


def convert(conn: Connection, *, batch: int = 500_000, size: int = SIZE, ahead: int = 2,
            commit: Callable[[], None] | None = None,
            progress: Callable[[int, int], None] | None = None) -> int:
    """Partition a populated answer table: copy it in batches of answer ids, then swap; rows copied.

    Resumes a copy an earlier run left (the twin table and its highest id). Writers are blocked
    only during the final step (the rows written since the last batch, a count check, the renames);
    answers deleted meanwhile (a cascade from a response) are reconciled by the count check.
    """
    if not available(conn):
        raise PartitionError("Chỉ PostgreSQL có phân vùng bảng; SQLite giữ một bảng câu trả lời.")
    if is_partitioned(conn):
        raise PartitionError("Bảng câu trả lời đã được phân vùng.")
    commit = commit or (lambda: None)
    where, home = schema_of(conn), conn.scalar(text("SELECT current_schema()"))
    twin = f"{where}.{TWIN}"
    if not is_partitioned(conn, twin):
        _create_twin(conn, where, _top_response_id(conn), size, ahead)
        commit()
    columns = "id, response_id, item_code, value_int, value_text"
    cursor = int(conn.scalar(text(f"SELECT COALESCE(MAX(id), 0) FROM {twin}")))
    top = int(conn.scalar(text("SELECT COALESCE(MAX(id), 0) FROM answer")))
    copied = 0
    while cursor < top:
        done = conn.execute(text(f"INSERT INTO {twin} SELECT {columns} FROM answer WHERE id > :lo AND id <= :hi"),
                            {"lo": cursor, "hi": cursor + batch}).rowcount
        copied += done
        cursor += batch
        commit()
        if progress is not None:
            progress(min(cursor, top), top)
    conn.execute(text("LOCK TABLE answer IN EXCLUSIVE MODE"))  # reads go on; writes wait for the swap
    copied += conn.execute(text(f"INSERT INTO {twin} SELECT {columns} FROM answer WHERE id > :lo"),
                           {"lo": cursor}).rowcount
    if conn.scalar(text("SELECT count(*) FROM answer")) != conn.scalar(text(f"SELECT count(*) FROM {twin}")):
        # Late commits below the cursor or cascaded deletes during the copy: make the twin equal.
        conn.execute(text(f"DELETE FROM {twin} t WHERE NOT EXISTS (SELECT 1 FROM answer a WHERE a.id = t.id)"))
        copied += conn.execute(text(f"INSERT INTO {twin} SELECT {columns} FROM answer a WHERE NOT EXISTS "
                                    f"(SELECT 1 FROM {twin} t WHERE t.id = a.id)")).rowcount
    for statement in (
            "ALTER TABLE answer RENAME TO answer_unpartitioned",
            "ALTER TABLE answer_unpartitioned RENAME CONSTRAINT pk_answer TO pk_answer_unpartitioned",
            "ALTER TABLE answer_unpartitioned RENAME CONSTRAINT fk_answer_response_id_response TO fk_answer_old",
            "ALTER INDEX ix_answer_response_id_item_code RENAME TO ix_answer_unpartitioned",
            "ALTER SEQUENCE answer_id_seq OWNED BY NONE",
            f"ALTER TABLE {twin} SET SCHEMA {home}",
            f"ALTER TABLE {TWIN} RENAME TO answer",
            "ALTER SEQUENCE answer_id_seq OWNED BY answer.id",
            "DROP TABLE answer_unpartitioned"):
        conn.execute(text(statement))
    commit()
    return copied
