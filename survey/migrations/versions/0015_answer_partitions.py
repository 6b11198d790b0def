"""answer: declarative partitioning on PostgreSQL

Placeholder reserved in the migration chain so that work on several features can land in any
order; it changes nothing until its feature fills it in.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 00:10:00

"""

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
