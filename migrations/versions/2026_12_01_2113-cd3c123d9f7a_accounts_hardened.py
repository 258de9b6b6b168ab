"""accounts hardened: e-mail verification and the auth version that ends sessions

Existing accounts (the demo, imports, everyone from before the check) count as verified: verified_at is set
to their creation time. auth_version starts at 1 for everyone.

Revision ID: cd3c123d9f7a
Revises: 5c1e9a7d3b42
Create Date: 2026-12-01 21:13:37.849960

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'cd3c123d9f7a'
down_revision: Union[str, Sequence[str], None] = '5c1e9a7d3b42'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('auth_version', sa.Integer(), server_default='1', nullable=False))
    user_account = sa.table('user_account', sa.column('verified_at', sa.DateTime(timezone=True)),
                            sa.column('created_at', sa.DateTime(timezone=True)))
    op.execute(user_account.update().values(verified_at=user_account.c.created_at))


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('auth_version')
        batch_op.drop_column('verified_at')
