"""scale: the expert change log (written by a trigger) and background jobs

The candidate index of every worker reads `expert_change` by primary key instead of scanning
`expert_profile.updated_at` (see hub/models/index_changes.py). Existing experts get one change row
each, so an index snapshot made before this revision is never taken for current.

Revision ID: 9e4b7a1c2d30
Revises: 9d4b2e7f1a63
Create Date: 2026-12-02 04:40:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '9e4b7a1c2d30'
down_revision: Union[str, Sequence[str], None] = '9d4b2e7f1a63'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Written out as at this revision (a migration must not change when the models do).
SQLITE_TRIGGERS = tuple(
    f"CREATE TRIGGER IF NOT EXISTS expert_change_on_{op_name} AFTER {op_name.upper()} ON expert_profile "
    f"BEGIN INSERT INTO expert_change (expert_id, changed_at) VALUES ({row}.id, CURRENT_TIMESTAMP); END"
    for op_name, row in (("insert", "NEW"), ("update", "NEW"), ("delete", "OLD")))
POSTGRESQL_TRIGGERS = (
    """CREATE OR REPLACE FUNCTION expert_change_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO expert_change (expert_id, changed_at)
    VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END, now());
    RETURN NULL;
END $$""",
    "DROP TRIGGER IF EXISTS expert_change_log ON expert_profile",
    "CREATE TRIGGER expert_change_log AFTER INSERT OR UPDATE OR DELETE ON expert_profile "
    "FOR EACH ROW EXECUTE FUNCTION expert_change_log()",
)


def upgrade() -> None:
    op.create_table(
        'expert_change',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('expert_id', sa.Integer(), nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'),
                  nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_change')),
        sqlite_autoincrement=True,
    )
    op.create_table(
        'job',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('progress', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=True),
        sa.Column('result', sa.JSON(), nullable=True),
        sa.Column('error', sa.String(length=2000), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("state IN ('queued', 'running', 'finished', 'failed')", name=op.f('ck_job_state')),
        sa.CheckConstraint('progress >= 0', name=op.f('ck_job_progress')),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'],
                                name=op.f('fk_job_created_by_id_user_account'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job')),
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_created_by_id'), ['created_by_id'], unique=False)
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_TRIGGERS if dialect == 'sqlite' else POSTGRESQL_TRIGGERS:
        op.execute(statement)
    op.execute("INSERT INTO expert_change (expert_id, changed_at) SELECT id, CURRENT_TIMESTAMP FROM expert_profile "
               "ORDER BY id")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for op_name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS expert_change_on_{op_name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS expert_change_log ON expert_profile")
        op.execute("DROP FUNCTION IF EXISTS expert_change_log()")
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_created_by_id'))
    op.drop_table('job')
    op.drop_table('expert_change')
