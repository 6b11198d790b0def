"""registry: effective-dated agencies and service points, agency versions, lineage, new levels

Since 1 July 2025 local government has two levels (no districts) and units keep being merged,
split and renamed. Agencies and service points get a validity period (valid_from inclusive,
valid_to exclusive, NULL = open), agencies an official national code; every version of an
agency's name, codes, level and parent is kept in agency_version, and merges, splits and renames
in agency_lineage, so earlier periods can be restated onto today's units. Levels gain ward,
special_zone, health_facility and school. Each existing agency gets one version from its current
state, valid since ever (valid_from NULL).

The allowed values are written out here rather than read from the models: a migration keeps
meaning what it meant when it was written.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 00:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

OLD_LEVELS = ('province', 'department', 'district', 'commune', 'central')
LEVELS = ('province', 'department', 'district', 'commune', 'ward', 'special_zone', 'central', 'health_facility',
          'school')
LINEAGE_KINDS = ('merge', 'split', 'rename')
VALIDITY = 'valid_from IS NULL OR valid_to IS NULL OR valid_from < valid_to'


def _in(column, values):
    return '%s IN (%s)' % (column, ', '.join("'%s'" % v for v in values))


def _level():
    return sa.Enum(*LEVELS, name='agencylevel', native_enum=False, length=16)


def upgrade():
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.add_column(sa.Column('official_code', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('valid_from', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('valid_to', sa.Date(), nullable=True))
        batch_op.drop_constraint(op.f('ck_agency_level'), type_='check')
        batch_op.create_check_constraint(op.f('ck_agency_level'), _in('level', LEVELS))
        batch_op.create_check_constraint(op.f('ck_agency_validity'), VALIDITY)
    with op.batch_alter_table('service_point', schema=None) as batch_op:
        batch_op.add_column(sa.Column('valid_from', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('valid_to', sa.Date(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_service_point_validity'), VALIDITY)
    op.create_table(
        'agency_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('valid_from', sa.Date(), nullable=True),
        sa.Column('valid_to', sa.Date(), nullable=True),
        sa.Column('code', sa.String(length=64), nullable=False),
        sa.Column('official_code', sa.String(length=32), nullable=True),
        sa.Column('name_vi', sa.String(length=255), nullable=False),
        sa.Column('name_en', sa.String(length=255), nullable=False),
        sa.Column('level', _level(), nullable=False),
        sa.Column('parent_id', sa.Integer(), nullable=True),
        sa.CheckConstraint(_in('level', LEVELS), name=op.f('ck_agency_version_level')),
        sa.CheckConstraint(VALIDITY, name=op.f('ck_agency_version_validity')),
        sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_agency_version_agency_id_agency'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['parent_id'], ['agency.id'], name=op.f('fk_agency_version_parent_id_agency')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_version')),
    )
    with op.batch_alter_table('agency_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agency_version_agency_id'), ['agency_id'], unique=False)
    op.create_table(
        'agency_lineage',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.Enum(*LINEAGE_KINDS, name='lineagekind', native_enum=False, length=16), nullable=False),
        sa.Column('predecessor_id', sa.Integer(), nullable=False),
        sa.Column('successor_id', sa.Integer(), nullable=False),
        sa.Column('effective_on', sa.Date(), nullable=False),
        sa.Column('share', sa.Double(), nullable=True),
        sa.Column('note', sa.String(length=500), nullable=False),
        sa.CheckConstraint(_in('kind', LINEAGE_KINDS), name=op.f('ck_agency_lineage_kind')),
        sa.CheckConstraint('predecessor_id <> successor_id', name=op.f('ck_agency_lineage_distinct_units')),
        sa.CheckConstraint('share IS NULL OR (share > 0 AND share <= 1)', name=op.f('ck_agency_lineage_share')),
        sa.ForeignKeyConstraint(['predecessor_id'], ['agency.id'],
                                name=op.f('fk_agency_lineage_predecessor_id_agency'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['successor_id'], ['agency.id'],
                                name=op.f('fk_agency_lineage_successor_id_agency'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_lineage')),
        sa.UniqueConstraint('predecessor_id', 'successor_id',
                            name=op.f('uq_agency_lineage_predecessor_id_successor_id')),
    )
    with op.batch_alter_table('agency_lineage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agency_lineage_predecessor_id'), ['predecessor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agency_lineage_successor_id'), ['successor_id'], unique=False)
    # Today's state of every agency becomes its first version, valid since ever.
    op.execute("INSERT INTO agency_version (agency_id, valid_from, valid_to, code, official_code, name_vi, name_en,"
               " level, parent_id) SELECT id, NULL, NULL, code, NULL, name_vi, name_en, level, parent_id FROM agency")


def downgrade():
    # Levels that did not exist before refuse the downgrade through the old CHECK (nothing is guessed).
    with op.batch_alter_table('agency_lineage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agency_lineage_successor_id'))
        batch_op.drop_index(batch_op.f('ix_agency_lineage_predecessor_id'))
    op.drop_table('agency_lineage')
    with op.batch_alter_table('agency_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agency_version_agency_id'))
    op.drop_table('agency_version')
    with op.batch_alter_table('service_point', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_service_point_validity'), type_='check')
        batch_op.drop_column('valid_to')
        batch_op.drop_column('valid_from')
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_agency_validity'), type_='check')
        batch_op.drop_constraint(op.f('ck_agency_level'), type_='check')
        batch_op.create_check_constraint(op.f('ck_agency_level'), _in('level', OLD_LEVELS))
        batch_op.drop_column('valid_to')
        batch_op.drop_column('valid_from')
        batch_op.drop_column('official_code')
