"""answer: declarative partitioning on PostgreSQL, by ranges of response id (a range is a period)

On PostgreSQL `answer` becomes a table partitioned by RANGE (response_id): response ids only grow,
so one range of ids holds the answers of one stretch of time, and retiring an old period is a
DETACH + DROP of its partitions instead of a DELETE of tens of millions of rows. No write path
changes: every INSERT names the same table and columns. The partitions live in their own schema
(answer_part; X_answer_part beside a schema X other than public), so the application's schema
lists exactly the model's tables; one DEFAULT partition takes any response id above the ranges
created so far (`hailong partitions create` makes ranges ahead and moves such rows out of it).

The primary key must contain the partition key on PostgreSQL: it becomes (id, response_id). The
id alone stays unique in practice (one sequence) and the model keeps `id` as its key; the foreign
key to response (ON DELETE CASCADE) and the index (response_id, item_code) are on the parent and
so on every partition.

Only an EMPTY answer table is converted here (a fresh database, or one not yet in use): copying
tens of millions of rows in one migration transaction would hold the table for many minutes. A
populated table is left as it is, with a notice: `hailong partitions convert` copies it in
batches with progress (it can resume) and swaps the tables under a short lock at the end.
SQLite: nothing (it has no partitioning; the schema is unchanged).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 00:10:00

"""
import logging

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

SCHEMA = 'answer_part'  # for the public schema; another schema X (a test's own) gets X_answer_part
SIZE = 1_000_000  # response ids per partition: about a month of a national roll-up (10^7 responses a year)
log = logging.getLogger('alembic.runtime.migration')


def _partitioned(conn) -> bool:
    return conn.scalar(sa.text("SELECT relkind FROM pg_class WHERE oid = 'answer'::regclass")) == 'p'


def _plain_table_sql(name: str, key: str) -> str:
    return (f"CREATE TABLE {name} (id INTEGER NOT NULL DEFAULT nextval('answer_id_seq'::regclass), "
            "response_id INTEGER NOT NULL, item_code VARCHAR(64) NOT NULL, value_int INTEGER, value_text TEXT, "
            f"CONSTRAINT pk_answer PRIMARY KEY ({key}), "
            "CONSTRAINT fk_answer_response_id_response FOREIGN KEY (response_id) "
            "REFERENCES response (id) ON DELETE CASCADE)")


def _schema(conn) -> str:
    current = conn.scalar(sa.text('SELECT current_schema()'))
    return SCHEMA if current == 'public' else f'{current}_{SCHEMA}'


def upgrade():
    conn = op.get_bind()
    if conn.dialect.name != 'postgresql' or _partitioned(conn):
        return
    schema = _schema(conn)
    op.execute(f'CREATE SCHEMA IF NOT EXISTS {schema}')
    if conn.scalar(sa.text('SELECT EXISTS (SELECT 1 FROM answer)')):
        log.warning('answer has rows: left unpartitioned; convert it in batches with `hailong partitions convert`')
        return
    # Nothing references answer; its sequence is kept (detached, then owned by the new id column).
    op.execute('ALTER SEQUENCE answer_id_seq OWNED BY NONE')
    op.execute('DROP TABLE answer')
    op.execute(_plain_table_sql('answer', 'id, response_id') + ' PARTITION BY RANGE (response_id)')
    op.execute('CREATE INDEX ix_answer_response_id_item_code ON answer (response_id, item_code)')
    op.execute('ALTER SEQUENCE answer_id_seq OWNED BY answer.id')
    op.execute(f'CREATE TABLE {schema}.answer_p0000 PARTITION OF answer FOR VALUES FROM (MINVALUE) TO ({SIZE})')
    op.execute(f'CREATE TABLE {schema}.answer_default PARTITION OF answer DEFAULT')


def downgrade():
    conn = op.get_bind()
    if conn.dialect.name != 'postgresql' or not _partitioned(conn):
        return
    # Back to one plain table with every row (INSERT … SELECT: minutes for tens of millions of rows).
    op.execute('ALTER TABLE answer RENAME TO answer_partitioned')
    op.execute('ALTER TABLE answer_partitioned RENAME CONSTRAINT pk_answer TO pk_answer_partitioned')
    op.execute('ALTER TABLE answer_partitioned RENAME CONSTRAINT fk_answer_response_id_response '
               'TO fk_answer_partitioned_response')
    op.execute('ALTER INDEX ix_answer_response_id_item_code RENAME TO ix_answer_partitioned')
    op.execute('ALTER SEQUENCE answer_id_seq OWNED BY NONE')
    op.execute(_plain_table_sql('answer', 'id'))
    op.execute('INSERT INTO answer SELECT id, response_id, item_code, value_int, value_text FROM answer_partitioned')
    op.execute('CREATE INDEX ix_answer_response_id_item_code ON answer (response_id, item_code)')
    op.execute('ALTER SEQUENCE answer_id_seq OWNED BY answer.id')
    op.execute('DROP TABLE answer_partitioned')  # its partitions go with it
    op.execute(f'DROP SCHEMA IF EXISTS {_schema(conn)}')
