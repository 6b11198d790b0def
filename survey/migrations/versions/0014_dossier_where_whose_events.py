"""dossier: where received, who decides, service events

Placeholder reserved in the migration chain so that work on several features can land in any
order; it changes nothing until its feature fills it in.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 00:10:00

"""

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
