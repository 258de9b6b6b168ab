"""teams: the roles a need's team must fill, shared needs (共同任用) and an evaluation per organization

Revision ID: b7e2d41c9a08
Revises: b7d41e6c2a90
Create Date: 2026-12-02 04:40:00

need_role: a DSS role a team for the need fills, with its hours per month. need_share: a co-organization of
a shared need, with its share of the hours and the budget and its site. evaluation.co_organization_id: NULL
for the engagement's own organization (every existing evaluation), else the co-organization evaluating;
the one-evaluation-per-engagement unique constraint becomes one per engagement and organization.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'b7e2d41c9a08'
down_revision: Union[str, Sequence[str], None] = 'b7d41e6c2a90'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OWN = "co_organization_id IS NULL"


def upgrade() -> None:
    op.create_table(
        'need_role',
        sa.Column('need_id', sa.Integer(), nullable=False),
        sa.Column('role_id', sa.String(length=40), nullable=False),
        sa.Column('hours_per_month', sa.SmallInteger(), nullable=False),
        sa.CheckConstraint('hours_per_month BETWEEN 1 AND 744', name=op.f('ck_need_role_hours_per_month')),
        sa.ForeignKeyConstraint(['need_id'], ['need.id'], name=op.f('fk_need_role_need_id_need'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('need_id', 'role_id', name=op.f('pk_need_role')))
    op.create_table(
        'need_share',
        sa.Column('need_id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('hours_per_month', sa.SmallInteger(), nullable=False),
        sa.Column('budget_max', sa.Integer(), nullable=True),
        sa.Column('location_lg_code', sa.String(length=6), nullable=False),
        sa.CheckConstraint('hours_per_month BETWEEN 0 AND 744', name=op.f('ck_need_share_hours_per_month')),
        sa.CheckConstraint('budget_max IS NULL OR budget_max BETWEEN 0 AND 2147483647',
                           name=op.f('ck_need_share_budget_max')),
        sa.CheckConstraint('length(location_lg_code) = 6', name=op.f('ck_need_share_location_lg_code_length')),
        sa.ForeignKeyConstraint(['need_id'], ['need.id'], name=op.f('fk_need_share_need_id_need'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['organization_id'], ['organization.id'],
                                name=op.f('fk_need_share_organization_id_organization')),
        sa.PrimaryKeyConstraint('need_id', 'organization_id', name=op.f('pk_need_share')))
    op.create_index(op.f('ix_need_share_organization_id'), 'need_share', ['organization_id'], unique=False)
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('co_organization_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_evaluation_co_organization_id_organization'),
                                    'organization', ['co_organization_id'], ['id'])
        batch_op.drop_constraint(batch_op.f('uq_evaluation_engagement_id'), type_='unique')
        batch_op.create_unique_constraint('uq_evaluation_engagement_id_co_organization_id',
                                          ['engagement_id', 'co_organization_id'])
    op.create_index('uq_evaluation_own_per_engagement', 'evaluation', ['engagement_id'], unique=True,
                    postgresql_where=sa.text(OWN), sqlite_where=sa.text(OWN))


def downgrade() -> None:
    # The co-organizations' evaluations have no place in the older schema.
    op.execute(sa.text("DELETE FROM evaluation_skill WHERE evaluation_id IN "
                       "(SELECT id FROM evaluation WHERE co_organization_id IS NOT NULL)"))
    op.execute(sa.text("DELETE FROM evaluation WHERE co_organization_id IS NOT NULL"))
    op.drop_index('uq_evaluation_own_per_engagement', table_name='evaluation')
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.drop_constraint('uq_evaluation_engagement_id_co_organization_id', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_evaluation_engagement_id'), ['engagement_id'])
        batch_op.drop_constraint(batch_op.f('fk_evaluation_co_organization_id_organization'), type_='foreignkey')
        batch_op.drop_column('co_organization_id')
    op.drop_index(op.f('ix_need_share_organization_id'), table_name='need_share')
    op.drop_table('need_share')
    op.drop_table('need_role')
