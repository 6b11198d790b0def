"""invitation short codes: the hash of a code a person can type, and the token sealed with it

A citizen who cannot scan the QR code types the slip's 8-character code on the home page. Only the
code's hash is stored (unique), with the invitation's token sealed by a key derived from the code,
so the code leads to /s/<token> while the database holds neither in clear.

Existing invitations stay without a code (both columns NULL): their tokens exist only as hashes, so
no code could be sealed for them. They get one when they are next handed out (a slip, a bundle or
an SMS file re-keys them), and their links and QR codes keep working meanwhile.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 21:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('code_box', sa.String(length=128), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_invitation_code_hash'), ['code_hash'])


def downgrade():
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_invitation_code_hash'), type_='unique')
        batch_op.drop_column('code_box')
        batch_op.drop_column('code_hash')
