"""dossier: where received, who decides, service events

A dossier already records the competent agency (agency_id) and where it was received
(service_point_id); it now also says what kind of frame record it is (an administrative dossier, a
hospital visit or a school enrolment: issue 22), the event's type (inpatient/outpatient, school
level), the hospital department or school class, and the citizen's commune-level area when the
source gives it. Invitations keep the event type as a design cell (unit × type strata must outlive
`wave anonymise`). Existing rows are dossiers (server default); every new column is nullable.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 00:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

KINDS = ('dossier', 'hospital_visit', 'school_enrolment')
EVENT_TYPES = ('inpatient', 'outpatient', 'preschool', 'primary', 'secondary')
FITS = ("event_type IS NULL OR (kind = 'hospital_visit' AND event_type IN ('inpatient', 'outpatient'))"
        " OR (kind = 'school_enrolment' AND event_type IN ('preschool', 'primary', 'secondary'))")


def _in(column, values):
    return "%s IN (%s)" % (column, ", ".join("'%s'" % v for v in values))


def _event_type():
    return sa.Column('event_type', sa.Enum(*EVENT_TYPES, name='eventtype', native_enum=False, length=32),
                     nullable=True)


def upgrade():
    with op.batch_alter_table('dossier', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.Enum(*KINDS, name='dossierkind', native_enum=False, length=32),
                                      nullable=False, server_default='dossier'))
        batch_op.add_column(_event_type())
        batch_op.add_column(sa.Column('unit_department', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('citizen_area_code', sa.String(length=16), nullable=True))
        batch_op.create_check_constraint(op.f('ck_dossier_kind'), _in('kind', KINDS))
        batch_op.create_check_constraint(op.f('ck_dossier_event_type'), _in('event_type', EVENT_TYPES))
        batch_op.create_check_constraint(op.f('ck_dossier_event_type_fits_kind'), FITS)
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.add_column(_event_type())
        batch_op.create_check_constraint(op.f('ck_invitation_event_type'), _in('event_type', EVENT_TYPES))


def downgrade():
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_invitation_event_type'), type_='check')
        batch_op.drop_column('event_type')
    with op.batch_alter_table('dossier', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_dossier_event_type_fits_kind'), type_='check')
        batch_op.drop_constraint(op.f('ck_dossier_event_type'), type_='check')
        batch_op.drop_constraint(op.f('ck_dossier_kind'), type_='check')
        batch_op.drop_column('citizen_area_code')
        batch_op.drop_column('unit_department')
        batch_op.drop_column('event_type')
        batch_op.drop_column('kind')
