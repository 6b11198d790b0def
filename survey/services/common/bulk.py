"""Bulk writes and large IN-lists that stay fast on both databases."""
from __future__ import annotations

from sqlalchemy import String, bindparam, func, insert, select
from sqlalchemy.orm import Session


def bulk_insert(session: Session, table, rows: list[dict]) -> None:
    """Insert many rows in the session's transaction: COPY on PostgreSQL (psycopg 3), executemany elsewhere."""
    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        names = list(rows[0])
        cols = ", ".join(table.c[n].name for n in names)
        import psycopg
        from sqlalchemy.exc import DBAPIError

        statement = f"COPY {table.name} ({cols}) FROM STDIN"
        try:
            with conn.connection.driver_connection.cursor() as cur, cur.copy(statement) as copy:
                for row in rows:
                    copy.write_row([row[n] for n in names])
        except psycopg.Error as exc:
            # As SQLAlchemy would have raised it (IntegrityError for a row a concurrent request stored
            # first, OperationalError for a deadlock or a lost connection), so that run_write's retries
            # and the 503 handlers see what the database said rather than a bare driver error.
            raise DBAPIError.instance(statement, None, exc, psycopg.Error) from exc
        return
    session.execute(insert(table), rows)


def matches(session: Session, col, keys: list[str]):
    """`col IN keys`: a semi-join on an unnested array on PostgreSQL (see _lookup), a plain IN elsewhere."""
    if session.get_bind().dialect.name != "postgresql":
        return col.in_(keys)
    from sqlalchemy.dialects.postgresql import ARRAY

    # One array parameter (the statement stays cached) turned into rows: a semi-join, not a filter.
    return col.in_(select(func.unnest(bindparam("wanted_keys", value=list(keys), type_=ARRAY(String)))))
