"""response: the moment the tablet says the answer was submitted (offline answers arrive later)

A kiosk queues answers while offline and sends them when the network is back, hours or days later;
`submitted_at` is when the server received them. The tablet's own submit time is kept beside it so
exports can give both (the day the citizen answered, the day it arrived). Nullable: link answers,
older rows and tablets with an implausible clock have none. Adding a nullable column rewrites no row
on either backend.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 22:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_submitted_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_column('client_submitted_at')
