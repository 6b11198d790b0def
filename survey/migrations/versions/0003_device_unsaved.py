"""device: how many queued answers the tablet holds only in memory (its storage is full)

The kiosk keeps an answer set it cannot write to its full storage in memory and reports how many
with its heartbeat, so the devices page can warn that they are lost if the tablet is switched off.
Existing devices start at 0 (server default), as a tablet reporting nothing has nothing unsaved.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 19:20:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('device', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unsaved_reported', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('device', schema=None) as batch_op:
        batch_op.drop_column('unsaved_reported')
