"""kiosk hand-off states: waiting, in progress, answered, released

A hand-off used to be consumed by the first kiosk start, so Back on the first screen or idling
before the first answer lost it. It now has a state (CHECK), when that state began, and when and by
whom it was answered or released. Existing rows: not yet claimed → waiting; claimed and its
invitation answered → answered; claimed and not answered → released (that kiosk session is gone).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 21:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

STATES = ('waiting', 'in_progress', 'answered', 'released')


def upgrade():
    with op.batch_alter_table('kiosk_handoff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.Enum(*STATES, name='handoffstate', native_enum=False, length=16),
                                      nullable=False, server_default='waiting'))
        batch_op.add_column(sa.Column('state_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('answered_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('released_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('released_by_id', sa.Integer(), nullable=True))
    op.execute("UPDATE kiosk_handoff SET state_at = COALESCE(consumed_at, created_at)")
    op.execute("UPDATE kiosk_handoff SET state = 'answered', answered_at = consumed_at WHERE consumed_at IS NOT NULL"
               " AND invitation_id IN (SELECT id FROM invitation WHERE completed_at IS NOT NULL)")
    op.execute("UPDATE kiosk_handoff SET state = 'released', released_at = consumed_at"
               " WHERE consumed_at IS NOT NULL AND state = 'waiting'")
    with op.batch_alter_table('kiosk_handoff', schema=None) as batch_op:
        batch_op.alter_column('state', server_default=None)
        batch_op.alter_column('state_at', existing_type=sa.DateTime(), nullable=False)
        batch_op.create_check_constraint(op.f('ck_kiosk_handoff_state'), "state IN (%s)" % ", ".join(
            "'%s'" % s for s in STATES))
        batch_op.create_foreign_key(batch_op.f('fk_kiosk_handoff_released_by_id_user_account'), 'user_account',
                                    ['released_by_id'], ['id'])


def downgrade():
    # A hand-off that was given back (waiting again) after a claim reads as unclaimed, as before.
    with op.batch_alter_table('kiosk_handoff', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_kiosk_handoff_released_by_id_user_account'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('ck_kiosk_handoff_state'), type_='check')
        batch_op.drop_column('released_by_id')
        batch_op.drop_column('released_at')
        batch_op.drop_column('answered_at')
        batch_op.drop_column('state_at')
        batch_op.drop_column('state')
