"""privacy: listing consent date and deleted (anonymised) expert profiles

Existing listed experts come from the demo or from imported rosters, whose holders collected the
consent to list them: their consent is dated to the row's creation. Unlisted experts stay without
consent, so listing them again takes the expert's own tick.

Revision ID: 7c3d9e2a41b6
Revises: cd3c123d9f7a
Create Date: 2026-12-01 21:25:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '7c3d9e2a41b6'
down_revision: Union[str, Sequence[str], None] = 'cd3c123d9f7a'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('expert_profile', schema=None) as batch_op:
        batch_op.add_column(sa.Column('listing_consented_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))
    profiles = sa.table('expert_profile', sa.column('listed', sa.Boolean), sa.column('created_at'),
                        sa.column('listing_consented_at'))
    op.execute(profiles.update().where(profiles.c.listed.is_(True))
               .values(listing_consented_at=profiles.c.created_at))
    with op.batch_alter_table('expert_profile', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_expert_profile_listing_consent'),
                                         'NOT listed OR listing_consented_at IS NOT NULL')
        batch_op.create_check_constraint(op.f('ck_expert_profile_deleted_unlisted'),
                                         'deleted_at IS NULL OR (NOT listed AND user_id IS NULL)')


def downgrade() -> None:
    with op.batch_alter_table('expert_profile', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_expert_profile_deleted_unlisted'), type_='check')
        batch_op.drop_constraint(op.f('ck_expert_profile_listing_consent'), type_='check')
        batch_op.drop_column('deleted_at')
        batch_op.drop_column('listing_consented_at')
