"""response_score: per-response satisfied/valid bits of the index items

What estimation needs of each response, written in the same transaction as its answers by every
write path (survey/services/respond/scores.py), so that a wave's index table reads one row per
respondent instead of one per answer (about 36). Only the table: responses stored before it get
their rows from `hailong scores backfill` (batches, resumable), and until then the index table
computes theirs from the answers.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 00:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'response_score',
        sa.Column('response_id', sa.Integer(), nullable=False),
        sa.Column('block', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('wave_id', sa.Integer(), nullable=True),
        sa.Column('questionnaire_version_id', sa.Integer(), nullable=False),
        sa.Column('satisfied', sa.BigInteger(), nullable=False),
        sa.Column('valid', sa.BigInteger(), nullable=False),
        sa.Column('chosen', sa.BigInteger(), nullable=False),
        sa.Column('answered', sa.BigInteger(), nullable=False),
        sa.Column('overall', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['questionnaire_version_id'], ['questionnaire_version.id'],
                                name=op.f('fk_response_score_questionnaire_version_id_questionnaire_version')),
        sa.ForeignKeyConstraint(['response_id'], ['response.id'], ondelete='CASCADE',
                                name=op.f('fk_response_score_response_id_response')),
        sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name=op.f('fk_response_score_wave_id_wave')),
        sa.PrimaryKeyConstraint('response_id', 'block', name=op.f('pk_response_score')),
    )
    op.create_index('ix_response_score_wave_id_response_id', 'response_score', ['wave_id', 'response_id'])


def downgrade():
    op.drop_index('ix_response_score_wave_id_response_id', table_name='response_score')
    op.drop_table('response_score')
