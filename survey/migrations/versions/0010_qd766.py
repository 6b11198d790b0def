"""per-dossier ratings and dossier events for the QĐ 766 satisfaction score

Two new tables, nothing else changes. `dossier_rating`: a citizen's rating of one dossier as the
one-stop software or the national portal reports it, the three-level verdict (satisfied / normal /
not_satisfied) and/or the dossier-eval 0–18 score (CHECK: at least one, score within 0–18).
`dossier_event`: on_time / overdue / apology_letter / petition, with its time and a note. Both keep
the source system's own id, unique per source, so a resend is recognised; both go with their dossier
(ON DELETE CASCADE). Enum values are named CHECKs (ck_<table>_<column>), as in 0004.
Downgrade drops both tables and their rows.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 21:06:47.555391

"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('dossier_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_system_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('on_time', 'overdue', 'apology_letter', 'petition', name='dossiereventkind', native_enum=False, length=16), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('on_time', 'overdue', 'apology_letter', 'petition')", name=op.f('ck_dossier_event_kind')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_dossier_event_dossier_id_dossier'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_system_id'], ['source_system.id'], name=op.f('fk_dossier_event_source_system_id_source_system')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dossier_event')),
    sa.UniqueConstraint('source_system_id', 'external_id', name=op.f('uq_dossier_event_source_system_id_external_id'))
    )
    with op.batch_alter_table('dossier_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dossier_event_dossier_id'), ['dossier_id'], unique=False)

    op.create_table('dossier_rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_system_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('rated_at', sa.DateTime(), nullable=False),
    sa.Column('level', sa.Enum('satisfied', 'normal', 'not_satisfied', name='ratinglevel', native_enum=False, length=16), nullable=True),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("level IN ('satisfied', 'normal', 'not_satisfied')", name=op.f('ck_dossier_rating_level')),
    sa.CheckConstraint('level IS NOT NULL OR score IS NOT NULL', name=op.f('ck_dossier_rating_rated')),
    sa.CheckConstraint('score IS NULL OR (score >= 0 AND score <= 18)', name=op.f('ck_dossier_rating_score')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_dossier_rating_dossier_id_dossier'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_system_id'], ['source_system.id'], name=op.f('fk_dossier_rating_source_system_id_source_system')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dossier_rating')),
    sa.UniqueConstraint('source_system_id', 'external_id', name=op.f('uq_dossier_rating_source_system_id_external_id'))
    )
    with op.batch_alter_table('dossier_rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dossier_rating_dossier_id'), ['dossier_id'], unique=False)



def downgrade():
    with op.batch_alter_table('dossier_rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dossier_rating_dossier_id'))

    op.drop_table('dossier_rating')
    with op.batch_alter_table('dossier_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dossier_event_dossier_id'))

    op.drop_table('dossier_event')
