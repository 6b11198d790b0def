"""api key scopes, server-side sessions, sealed intake answers, hand-off review flags

- api_key_scope: what an intake key may send (agency subtree, service point, sector). Keys that
  exist today were whole-province keys, so they get all_agencies = true: nothing that works stops
  working, and the keys page shows them as whole-province until an admin narrows them.
- user_session: one row per signed-in browser, so logout and password/role changes revoke cookies.
- intake_request: an intake call's answer, encrypted, for a day, so a retry gets the same tokens.
- kiosk_handoff: who handed it off, and a review flag.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 18:41:23

"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('intake_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_system_id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=128), nullable=True),
    sa.Column('body_hash', sa.String(length=64), nullable=False),
    sa.Column('answer_sealed', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['source_system_id'], ['source_system.id'], name=op.f('fk_intake_request_source_system_id_source_system')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_request')),
    sa.UniqueConstraint('source_system_id', 'body_hash', name=op.f('uq_intake_request_source_system_id_body_hash')),
    sa.UniqueConstraint('source_system_id', 'idempotency_key', name=op.f('uq_intake_request_source_system_id_idempotency_key'))
    )
    with op.batch_alter_table('intake_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intake_request_expires_at'), ['expires_at'], unique=False)

    op.create_table('api_key_scope',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('api_key_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('service_point_id', sa.Integer(), nullable=True),
    sa.Column('sector_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('agency_id IS NOT NULL OR service_point_id IS NOT NULL OR sector_id IS NOT NULL', name=op.f('ck_api_key_scope_names_a_unit')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_api_key_scope_agency_id_agency')),
    sa.ForeignKeyConstraint(['api_key_id'], ['api_key.id'], name=op.f('fk_api_key_scope_api_key_id_api_key'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sector_id'], ['sector.id'], name=op.f('fk_api_key_scope_sector_id_sector')),
    sa.ForeignKeyConstraint(['service_point_id'], ['service_point.id'], name=op.f('fk_api_key_scope_service_point_id_service_point')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_key_scope'))
    )
    with op.batch_alter_table('api_key_scope', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_key_scope_api_key_id'), ['api_key_id'], unique=False)

    op.create_table('user_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('user_agent', sa.String(length=255), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_user_session_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_session_token_hash'))
    )
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_session_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.add_column(sa.Column('label', sa.String(length=120), server_default='', nullable=False))
        batch_op.add_column(sa.Column('all_agencies', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('last_used_at', sa.DateTime(), nullable=True))
    op.execute(sa.text("UPDATE api_key SET all_agencies = :yes").bindparams(yes=True))

    with op.batch_alter_table('kiosk_handoff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('flagged_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('flag_reason', sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_kiosk_handoff_created_by_id_user_account'), 'user_account', ['created_by_id'], ['id'])



def downgrade():
    with op.batch_alter_table('kiosk_handoff', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_kiosk_handoff_created_by_id_user_account'), type_='foreignkey')
        batch_op.drop_column('flag_reason')
        batch_op.drop_column('flagged_at')
        batch_op.drop_column('created_by_id')

    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.drop_column('last_used_at')
        batch_op.drop_column('all_agencies')
        batch_op.drop_column('label')

    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_session_user_id'))

    op.drop_table('user_session')
    with op.batch_alter_table('api_key_scope', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_key_scope_api_key_id'))

    op.drop_table('api_key_scope')
    with op.batch_alter_table('intake_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intake_request_expires_at'))

    op.drop_table('intake_request')
