"""CHECK constraints: every state and option column takes only its enum's values; 0 < π <= 1

The models type these columns with StrEnums (survey/models); the database now refuses any other
value, and an inclusion probability outside (0, 1] (a weight 1/π needs π > 0). The values are
the strings stored until now, so no row changes. Before adding anything, the upgrade looks for
rows that would break a constraint and stops, naming the table, column and values, so the
operator can correct them and upgrade again (nothing is changed in between).

The allowed values are written out here rather than read from the models: a migration keeps
meaning what it meant when it was written.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 09:00:00

"""
import sqlalchemy as sa
from alembic import op
from alembic.util import CommandError


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# table → {column: allowed values}; a constraint is named ck_<table>_<column> (the naming convention).
ALLOWED = {
    'agency': {'level': ('province', 'department', 'district', 'commune', 'central')},
    'service_point': {'kind': ('province_centre', 'district_centre', 'commune_desk', 'agency_counter')},
    'target': {'scope': ('tthc', 'tthc_sector', 'service', 'public_service', 'province')},
    'dossier': {'channel': ('in_person', 'online', 'postal'), 'outcome': ('approved', 'rejected', 'withdrawn')},
    'wave': {'status': ('draft', 'launched', 'closed')},
    'invitation': {'outcome': ('approved', 'rejected', 'withdrawn'), 'channel': ('link', 'qr', 'sms', 'kiosk'),
                   'status': ('issued', 'opened', 'completed', 'expired')},
    'response': {'mode': ('link', 'kiosk', 'kiosk_walkup'), 'language': ('vi', 'en')},
    'user_account': {'role': ('admin', 'analyst', 'agency_viewer', 'officer')},
}
# table → inclusion-probability column
PROBABILITIES = {'wave_stratum': 'pi', 'invitation': 'pi'}
SHOWN = 10  # distinct offending values listed per column


def _in_list(column, values):
    return '%s IN (%s)' % (column, ', '.join("'%s'" % v for v in values))


def _in_unit_interval(column):
    return '%s > 0 AND %s <= 1' % (column, column)


def _offending(conn, table, column, condition):
    """(value, rows) for the values of table.column that break `condition`, most frequent first."""
    col = sa.column(column)
    query = (sa.select(col, sa.func.count()).select_from(sa.table(table)).where(sa.text('NOT (%s)' % condition))
             .group_by(col).order_by(sa.func.count().desc(), col).limit(SHOWN + 1))
    return conn.execute(query).all()


def _check_rows():
    """Stop, naming every table.column and its values, when existing rows would break a new CHECK."""
    if op.get_context().as_sql:  # an offline SQL script has no rows to look at
        return
    conn = op.get_bind()
    checks = [(t, c, _in_list(c, v)) for t, cols in ALLOWED.items() for c, v in cols.items()]
    checks += [(t, c, _in_unit_interval(c)) for t, c in PROBABILITIES.items()]
    problems = []
    for table, column, condition in checks:
        found = _offending(conn, table, column, condition)
        if found:
            listed = ', '.join('%r (%d row%s)' % (value, n, '' if n == 1 else 's') for value, n in found[:SHOWN])
            more = ', …' if len(found) > SHOWN else ''
            problems.append('  %s.%s: %s%s; allowed: %s' % (table, column, listed, more, condition))
    if problems:
        raise CommandError(
            'Migration 0004 adds CHECK constraints that existing rows break; nothing was changed. '
            'Correct these rows (table.column: values found), then upgrade again:\n' + '\n'.join(problems))


def upgrade():
    _check_rows()
    for table in sorted(set(ALLOWED) | set(PROBABILITIES)):
        # SQLite cannot add a constraint to a table: batch mode copies the table into a new one with it.
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table in PROBABILITIES:
                column = PROBABILITIES[table]
                batch_op.create_check_constraint(op.f('ck_%s_%s' % (table, column)), _in_unit_interval(column))
            for column, values in ALLOWED.get(table, {}).items():
                batch_op.create_check_constraint(op.f('ck_%s_%s' % (table, column)), _in_list(column, values))


def downgrade():
    for table in sorted(set(ALLOWED) | set(PROBABILITIES)):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in ALLOWED.get(table, {}):
                batch_op.drop_constraint(op.f('ck_%s_%s' % (table, column)), type_='check')
            if table in PROBABILITIES:
                batch_op.drop_constraint(op.f('ck_%s_%s' % (table, PROBABILITIES[table])), type_='check')
