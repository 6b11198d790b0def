"""Benchmark: the answer table partitioned by response-id range (migration 0015) against one plain table.

    .venv/bin/python bench/partitions.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_parts
    .venv/bin/python bench/partitions.py --database-url ... --responses 2000000 --periods 4

Builds, in two schemas of the given PostgreSQL database (both DROPPED first), the same data: a
response table and --responses responses × --items answers in --periods equal periods (response-id
ranges), once as the plain table of migrations 0001–0014 and once partitioned as migration 0015
makes it, with one partition per period made by the product's own `partitions.create_ahead`.
Then times, on each:

  load          INSERT … SELECT of every answer (the indexes and the foreign key maintained);
  period read   the index-table aggregate of the latest period (item shares, GROUP BY response_id);
  whole read    the same aggregate over every period;
  retire        removing the oldest period: DELETE (plain) against DETACH + DROP (`partitions.retire`);
  vacuum        VACUUM after that (plain: the dead rows of the DELETE; partitioned: nothing left);
  sizes         table + index bytes before and after.

Prints the figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

DDL = """
CREATE TABLE {s}.response (id INTEGER PRIMARY KEY, wave_id INTEGER NOT NULL);
CREATE SEQUENCE {s}.answer_id_seq;
CREATE TABLE {s}.answer (id INTEGER NOT NULL DEFAULT nextval('{s}.answer_id_seq'::regclass),
  response_id INTEGER NOT NULL, item_code VARCHAR(64) NOT NULL, value_int INTEGER, value_text TEXT,
  CONSTRAINT pk_answer PRIMARY KEY ({key}),
  CONSTRAINT fk_answer_response_id_response FOREIGN KEY (response_id) REFERENCES {s}.response (id) ON DELETE CASCADE
) {partition};
CREATE INDEX ix_answer_response_id_item_code ON {s}.answer (response_id, item_code);
"""


def _size(conn, schema: str) -> int:
    from sqlalchemy import text

    return int(conn.scalar(text(
        "SELECT COALESCE(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c JOIN pg_namespace n "
        "ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname IN (:s, :p) AND c.relname LIKE 'answer%'"),
        {"s": schema, "p": schema + "_answer_part"}))


def build(engine, schema: str, partitioned: bool, responses: int, periods: int, items: int) -> dict:
    """Create the schema's tables and load them; the load time and size."""
    from sqlalchemy import text

    from survey.services.common import partitions as parts

    size = responses // periods
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema}_answer_part CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
        ddl = DDL.format(s=schema, key="id, response_id" if partitioned else "id",
                         partition="PARTITION BY RANGE (response_id)" if partitioned else "")
        for statement in filter(str.strip, ddl.split(";")):
            conn.execute(text(statement))
        conn.execute(text(f"INSERT INTO {schema}.response SELECT g, 1 + (g - 1) / {size} "
                          f"FROM generate_series(1, {responses}) g"))
        if partitioned:
            conn.execute(text(f"SET LOCAL search_path TO {schema}"))
            conn.execute(text(f"CREATE SCHEMA {schema}_answer_part"))
            conn.execute(text(f"CREATE TABLE {schema}_answer_part.answer_default PARTITION OF answer DEFAULT"))
            parts.create_ahead(conn, ahead=0, size=size)
    t = time.perf_counter()
    with engine.begin() as conn:
        # Answers in response order, as they arrive; codes 1-5 with about 80 % satisfied, 3 % left out.
        conn.execute(text(
            f"INSERT INTO {schema}.answer (response_id, item_code, value_int) "
            f"SELECT r, 'Q' || i, CASE WHEN (r * 7 + i * 13) % 10 < 8 THEN 4 + (r + i) % 2 "
            f"ELSE 1 + (r * 3 + i) % 3 END "
            f"FROM generate_series(1, {responses}) r, generate_series(1, {items}) i WHERE (r + i) % 33 <> 0"))
    loaded = time.perf_counter() - t
    with engine.begin() as conn:
        conn.execute(text(f"ANALYZE {schema}.response"))
        conn.execute(text(f"ANALYZE {schema}.answer"))
    with engine.connect() as conn:
        return {"load_s": loaded, "bytes": _size(conn, schema),
                "rows": int(conn.scalar(text(f"SELECT count(*) FROM {schema}.answer")))}


def _timed(engine, sql: str, params: dict | None = None, repeat: int = 3) -> float:
    """Best of `repeat` runs of a query (cache warm after the first)."""
    from sqlalchemy import text

    best = float("inf")
    for _ in range(repeat):
        with engine.connect() as conn:
            t = time.perf_counter()
            conn.execute(text(sql), params or {}).fetchall()
            best = min(best, time.perf_counter() - t)
    return best


def reads(engine, schema: str, responses: int, periods: int) -> dict:
    """The index-table aggregates of the latest period and of all periods."""
    size = responses // periods
    lo = size * (periods - 1) + 1
    share = (f"SELECT item_code, avg((value_int >= 4)::int) FROM {schema}.answer "
             "WHERE response_id BETWEEN :lo AND :hi AND value_int IS NOT NULL GROUP BY item_code")
    per_response = f"SELECT response_id, count(*) FROM {schema}.answer WHERE response_id BETWEEN :lo AND :hi " \
                   "GROUP BY response_id"
    return {"period_shares_s": _timed(engine, share, {"lo": lo, "hi": responses}),
            "period_groupby_s": _timed(engine, per_response, {"lo": lo, "hi": responses}),
            "whole_shares_s": _timed(engine, share, {"lo": 1, "hi": responses}, repeat=1)}


def retire(engine, schema: str, partitioned: bool, responses: int, periods: int) -> dict:
    """Remove the oldest period's answers: DELETE, or the product's DETACH + DROP; then VACUUM."""
    from sqlalchemy import text

    from survey.services.common import partitions as parts

    size = responses // periods
    t = time.perf_counter()
    with engine.begin() as conn:
        if partitioned:
            conn.execute(text(f"SET LOCAL search_path TO {schema}"))
            gone = parts.retire(conn, below=size)
            removed = sum(max(p.rows, 0) for p in gone)
        else:
            removed = conn.execute(text(f"DELETE FROM {schema}.answer WHERE response_id < :b"), {"b": size}).rowcount
    retired = time.perf_counter() - t
    with engine.connect() as conn:
        after_delete = _size(conn, schema)
    auto = engine.execution_options(isolation_level="AUTOCOMMIT")
    with auto.connect() as conn:
        t = time.perf_counter()
        conn.execute(text(f"VACUUM {schema}.answer"))
        vacuum = time.perf_counter() - t
    with engine.connect() as conn:
        return {"retire_s": retired, "removed": removed, "vacuum_s": vacuum, "bytes_after_retire": after_delete,
                "bytes_after_vacuum": _size(conn, schema)}


def main() -> None:
    """Build both layouts, time reads, retiring a period and vacuum; print side by side."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database (two schemas are dropped)")
    parser.add_argument("--responses", type=int, default=1_000_000, help="responses in all periods (1000000)")
    parser.add_argument("--periods", type=int, default=4, help="periods (= partitions) (4)")
    parser.add_argument("--items", type=int, default=36, help="answers per response (36, about 3 %% left out)")
    args = parser.parse_args()
    from sqlalchemy import create_engine

    engine = create_engine(args.database_url)
    figures = {}
    for schema, partitioned in (("bench_plain", False), ("bench_parted", True)):
        print("building %s (%d responses × %d items, %d periods) ..." % (schema, args.responses, args.items,
                                                                       args.periods), flush=True)
        f = build(engine, schema, partitioned, args.responses, args.periods, args.items)
        f.update(reads(engine, schema, args.responses, args.periods))
        f.update(retire(engine, schema, partitioned, args.responses, args.periods))
        figures[schema] = f
        print("  " + ", ".join("%s %s" % (k, ("%.2f" % v) if isinstance(v, float) else v) for k, v in f.items()),
              flush=True)
    plain, parted = figures["bench_plain"], figures["bench_parted"]
    mb = 2 ** 20
    print("\n%-44s %14s %14s" % ("answer rows: %d" % plain["rows"], "plain table", "partitioned"))
    for label, key, unit in (("load (INSERT … SELECT, indexes, FK)", "load_s", "s"),
                             ("read: latest period, item shares", "period_shares_s", "s"),
                             ("read: latest period, GROUP BY response_id", "period_groupby_s", "s"),
                             ("read: all periods, item shares", "whole_shares_s", "s"),
                             ("retire oldest period (DELETE | DETACH+DROP)", "retire_s", "s"),
                             ("VACUUM after retiring", "vacuum_s", "s")):
        print("%-44s %12.2f %s %12.2f %s" % (label, plain[key], unit, parted[key], unit))
    for label, key in (("size before", "bytes"), ("size after retiring", "bytes_after_retire"),
                       ("size after VACUUM", "bytes_after_vacuum")):
        print("%-44s %11.0f MB %11.0f MB" % (label, plain[key] / mb, parted[key] / mb))
    print("machine: %d cores, load average %.1f" % (os.cpu_count() or 0, os.getloadavg()[0]))


if __name__ == "__main__":
    main()
