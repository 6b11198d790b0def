"""publications (immutable by trigger) and background jobs

- publication: one version of a wave's published index table with its frozen inputs. The
  database itself refuses an UPDATE of any row and a DELETE of a final one, so no code path can
  change a published number silently; a restatement is a new row.
- job: a long task run in the background with its progress.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 20:51:07

"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('state', sa.Enum('queued', 'running', 'done', 'failed', name='jobstate', native_enum=False, length=16), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('file_path', sa.String(length=500), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_job_state')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_job_created_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job'))
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_kind'), ['kind'], unique=False)

    op.create_table('publication',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('final', 'provisional', name='publicationkind', native_enum=False, length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('method_version', sa.String(length=32), nullable=False),
    sa.Column('code_version', sa.String(length=64), nullable=False),
    sa.Column('results', sa.JSON(), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('diff', sa.JSON(), nullable=False),
    sa.Column('frame', sa.LargeBinary(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.CheckConstraint("kind IN ('final', 'provisional')", name=op.f('ck_publication_kind')),
    sa.ForeignKeyConstraint(['published_by_id'], ['user_account.id'], name=op.f('fk_publication_published_by_id_user_account')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['publication.id'], name=op.f('fk_publication_supersedes_id_publication')),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name=op.f('fk_publication_wave_id_wave')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publication')),
    sa.UniqueConstraint('wave_id', 'kind', 'version', name=op.f('uq_publication_wave_id_kind_version'))
    )
    with op.batch_alter_table('publication', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publication_wave_id'), ['wave_id'], unique=False)
    _immutable()


SQLITE_TRIGGERS = (
    "CREATE TRIGGER publication_no_update BEFORE UPDATE ON publication "
    "BEGIN SELECT RAISE(ABORT, 'publication rows are immutable: publish a new version'); END",
    "CREATE TRIGGER publication_keep_final BEFORE DELETE ON publication WHEN OLD.kind = 'final' "
    "BEGIN SELECT RAISE(ABORT, 'a final publication is never deleted'); END",
)
POSTGRES_TRIGGERS = (
    """CREATE FUNCTION publication_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'publication rows are immutable: publish a new version';
      END IF;
      IF OLD.kind = 'final' THEN
        RAISE EXCEPTION 'a final publication is never deleted';
      END IF;
      RETURN OLD;
    END $$""",
    "CREATE TRIGGER publication_immutable BEFORE UPDATE OR DELETE ON publication "
    "FOR EACH ROW EXECUTE FUNCTION publication_immutable()",
)


def _immutable():
    """Refuse updates (and deletes of final versions) in the database itself."""
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_TRIGGERS if postgres else SQLITE_TRIGGERS:
        op.execute(statement)



def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER publication_immutable ON publication")
        op.execute("DROP FUNCTION publication_immutable()")
    else:
        op.execute("DROP TRIGGER publication_no_update")
        op.execute("DROP TRIGGER publication_keep_final")
    with op.batch_alter_table('publication', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_publication_wave_id'))

    op.drop_table('publication')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_kind'))
        batch_op.drop_index(batch_op.f('ix_job_created_by_id'))

    op.drop_table('job')
