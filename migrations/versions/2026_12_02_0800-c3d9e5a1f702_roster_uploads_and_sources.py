"""roster: uploaded roster files waiting for their import job, and which organization's roster an expert is

Revision ID: c3d9e5a1f702
Revises: a4f2c8e1d7b3
Create Date: 2026-12-02 08:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'c3d9e5a1f702'
down_revision: Union[str, Sequence[str], None] = 'a4f2c8e1d7b3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'roster_upload',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('format', sa.String(length=8), nullable=False),
        sa.Column('sheet', sa.String(length=31), nullable=True),
        sa.Column('scheme', sa.String(length=16), nullable=True),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'],
                                name=op.f('fk_roster_upload_created_by_id_user_account'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_upload')),
    )
    with op.batch_alter_table('roster_upload', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roster_upload_created_by_id'), ['created_by_id'], unique=False)
    op.create_table(
        'expert_roster_source',
        sa.Column('expert_id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=True),
        sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['expert_id'], ['expert_profile.id'],
                                name=op.f('fk_expert_roster_source_expert_id_expert_profile'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['organization_id'], ['organization.id'],
                                name=op.f('fk_expert_roster_source_organization_id_organization'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('expert_id', name=op.f('pk_expert_roster_source')),
    )
    with op.batch_alter_table('expert_roster_source', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_roster_source_organization_id'), ['organization_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('expert_roster_source', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_roster_source_organization_id'))
    op.drop_table('expert_roster_source')
    with op.batch_alter_table('roster_upload', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roster_upload_created_by_id'))
    op.drop_table('roster_upload')
