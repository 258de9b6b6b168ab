"""infer: expert skills read from the profile's text (source "inferred")

Experts known only from a career summary get levels read from their text; they are stored as
their own source so that the matcher counts them below declared and verified levels, the pages
mark them 推定 and the expert can confirm or correct them.

Revision ID: a4f2c8e1d7b3
Revises: a7e2c4d91f08
Create Date: 2026-12-02 05:00:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = 'a4f2c8e1d7b3'
down_revision: Union[str, Sequence[str], None] = 'a7e2c4d91f08'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('expert_skill', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_expert_skill_source'), type_='check')
        batch_op.create_check_constraint(op.f('ck_expert_skill_source'),
                                         "source IN ('self', 'verified', 'rated', 'inferred')")


def downgrade() -> None:
    skills = sa.table('expert_skill', sa.column('source', sa.String))
    op.execute(skills.delete().where(skills.c.source == 'inferred'))  # guesses only: read again after upgrade
    with op.batch_alter_table('expert_skill', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_expert_skill_source'), type_='check')
        batch_op.create_check_constraint(op.f('ck_expert_skill_source'), "source IN ('self', 'verified', 'rated')")
