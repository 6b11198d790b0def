"""answer: one index on (response_id, item_code) instead of one on each column

Every read of answers goes from a wave's responses to their answers, for all items or some, and
the ON DELETE CASCADE from a response needs an index led by response_id. No query filters answers
by item_code alone, and that index made each answer row's insert about 30 % dearer (SQLite,
batches of 30 responses × 36 answers: 9.3 → 6.5 µs per row; see docs/kiosk.md).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 10:50:00

"""
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('answer', schema=None) as batch_op:
        # Created before the old ones go, so answers are never without an index by response.
        batch_op.create_index('ix_answer_response_id_item_code', ['response_id', 'item_code'], unique=False)
        batch_op.drop_index('ix_answer_item_code')
        batch_op.drop_index('ix_answer_response_id')


def downgrade():
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.create_index('ix_answer_response_id', ['response_id'], unique=False)
        batch_op.create_index('ix_answer_item_code', ['item_code'], unique=False)
        batch_op.drop_index('ix_answer_response_id_item_code')
