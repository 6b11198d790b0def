"""comments, themes and feedback cases; staff e-mail for case mail

Free-text answers get a `comment` row each (the redacted text, folded for diacritic-free search,
where and when by day), the raw text apart in `comment_raw` (admin only, purgeable), the province's
themes and their tags, case rules per questionnaire, feedback cases with their history, call-back
contacts apart from everything else, and a cursor for the pass that opens cases. Existing answers
get no comment rows here: `hailong feedback backfill` redacts and files them in batches.
Staff accounts get an e-mail address and a daily-digest choice (empty / off for existing users).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 21:14:49.802663

"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('comment_theme',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name_vi', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), server_default='', nullable=False),
    sa.Column('keywords', sa.Text(), server_default='', nullable=False),
    sa.Column('complaint', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment_theme')),
    sa.UniqueConstraint('code', name=op.f('uq_comment_theme_code'))
    )
    op.create_table('feedback_cursor',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('last_response_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_feedback_cursor'))
    )
    op.create_table('case_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('overall_low', 'item_low', 'complaint', name='caserulekind', native_enum=False, length=16), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=True),
    sa.Column('case_type', sa.String(length=40), nullable=False),
    sa.Column('sla_days', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint("kind IN ('overall_low', 'item_low', 'complaint')", name=op.f('ck_case_rule_kind')),
    sa.CheckConstraint('sla_days > 0', name=op.f('ck_case_rule_sla_days')),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaire.id'], name=op.f('fk_case_rule_questionnaire_id_questionnaire')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_rule'))
    )
    with op.batch_alter_table('case_rule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_rule_questionnaire_id'), ['questionnaire_id'], unique=False)

    op.create_table('comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('item_code', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('folded', sa.Text(), nullable=False),
    sa.Column('redactions', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=True),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('service_point_id', sa.Integer(), nullable=True),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('overall', sa.Integer(), nullable=True),
    sa.Column('probability_sample', sa.Boolean(), nullable=False),
    sa.Column('tagged_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_comment_agency_id_agency')),
    sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_comment_response_id_response'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_point_id'], ['service_point.id'], name=op.f('fk_comment_service_point_id_service_point')),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name=op.f('fk_comment_wave_id_wave')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment')),
    sa.UniqueConstraint('response_id', 'item_code', name=op.f('uq_comment_response_id_item_code'))
    )
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.create_index('ix_comment_agency_day', ['agency_id', 'day'], unique=False)
        batch_op.create_index(batch_op.f('ix_comment_service_point_id'), ['service_point_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comment_wave_id'), ['wave_id'], unique=False)

    op.create_table('contact_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_contact_request_response_id_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_request')),
    sa.UniqueConstraint('response_id', name=op.f('uq_contact_request_response_id'))
    )
    op.create_table('comment_raw',
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], name=op.f('fk_comment_raw_comment_id_comment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('comment_id', name=op.f('pk_comment_raw'))
    )
    op.create_table('comment_tag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=False),
    sa.Column('auto', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], name=op.f('fk_comment_tag_comment_id_comment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['theme_id'], ['comment_theme.id'], name=op.f('fk_comment_tag_theme_id_comment_theme'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment_tag')),
    sa.UniqueConstraint('comment_id', 'theme_id', name=op.f('uq_comment_tag_comment_id_theme_id'))
    )
    with op.batch_alter_table('comment_tag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comment_tag_comment_id'), ['comment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comment_tag_theme_id'), ['theme_id'], unique=False)

    op.create_table('feedback_case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=True),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('rule_kind', sa.Enum('overall_low', 'item_low', 'complaint', name='caserulekind', native_enum=False, length=16), nullable=False),
    sa.Column('case_type', sa.String(length=40), nullable=False),
    sa.Column('status', sa.Enum('new', 'acknowledged', 'resolved', 'not_actionable', name='casestatus', native_enum=False, length=16), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('reply', sa.Text(), server_default='', nullable=False),
    sa.Column('overdue_notified_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("rule_kind IN ('overall_low', 'item_low', 'complaint')", name=op.f('ck_feedback_case_rule_kind')),
    sa.CheckConstraint("status IN ('new', 'acknowledged', 'resolved', 'not_actionable')", name=op.f('ck_feedback_case_status')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_feedback_case_agency_id_agency')),
    sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], name=op.f('fk_feedback_case_comment_id_comment'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_feedback_case_response_id_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_case')),
    sa.UniqueConstraint('response_id', 'case_type', name=op.f('uq_feedback_case_response_id_case_type'))
    )
    with op.batch_alter_table('feedback_case', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_case_agency_status', ['agency_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_case_due_at'), ['due_at'], unique=False)

    op.create_table('case_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_agency_id', sa.Integer(), nullable=True),
    sa.Column('to_agency_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['feedback_case.id'], name=op.f('fk_case_event_case_id_feedback_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['from_agency_id'], ['agency.id'], name=op.f('fk_case_event_from_agency_id_agency')),
    sa.ForeignKeyConstraint(['to_agency_id'], ['agency.id'], name=op.f('fk_case_event_to_agency_id_agency')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_case_event_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_event'))
    )
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_event_case_id'), ['case_id'], unique=False)

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=255), server_default='', nullable=False))
        batch_op.add_column(sa.Column('case_digest', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('case_digest')
        batch_op.drop_column('email')

    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_event_case_id'))

    op.drop_table('case_event')
    with op.batch_alter_table('feedback_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_case_due_at'))
        batch_op.drop_index('ix_feedback_case_agency_status')

    op.drop_table('feedback_case')
    with op.batch_alter_table('comment_tag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comment_tag_theme_id'))
        batch_op.drop_index(batch_op.f('ix_comment_tag_comment_id'))

    op.drop_table('comment_tag')
    op.drop_table('comment_raw')
    op.drop_table('contact_request')
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comment_wave_id'))
        batch_op.drop_index(batch_op.f('ix_comment_service_point_id'))
        batch_op.drop_index('ix_comment_agency_day')

    op.drop_table('comment')
    with op.batch_alter_table('case_rule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_rule_questionnaire_id'))

    op.drop_table('case_rule')
    op.drop_table('feedback_cursor')
    op.drop_table('comment_theme')
