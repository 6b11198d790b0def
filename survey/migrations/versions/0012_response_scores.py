"""response_score: per-response satisfied/valid bits of the index items

Placeholder reserved in the migration chain so that work on several features can land in any
order; it changes nothing until its feature fills it in.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 00:10:00

"""

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
