"""verbs: an engagement remembers its shortlist entry; at most one running engagement per entry

Revision ID: 5c1e9a7d3b42
Revises: 3c7a1d5e9b20
Create Date: 2026-12-01 21:30:00

Existing engagements from needs are linked to the entry of the same need and expert. Where the old race left
several running engagements for one entry, only the newest is linked (the others keep counting their hours,
but no longer block the unique index).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '5c1e9a7d3b42'
down_revision: Union[str, Sequence[str], None] = '3c7a1d5e9b20'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OPEN = "status IN ('proposed', 'active')"


def upgrade() -> None:
    with op.batch_alter_table('engagement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shortlist_entry_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_engagement_shortlist_entry_id_shortlist_entry'),
                                    'shortlist_entry', ['shortlist_entry_id'], ['id'], ondelete='SET NULL')
    op.execute(sa.text(f"""
        UPDATE engagement SET shortlist_entry_id = (
            SELECT s.id FROM shortlist_entry s
            WHERE s.need_id = engagement.need_id AND s.expert_id = engagement.expert_id)
        WHERE source = 'need' AND NOT ({OPEN} AND EXISTS (
            SELECT 1 FROM engagement newer
            WHERE newer.need_id = engagement.need_id AND newer.expert_id = engagement.expert_id
              AND newer.source = 'need' AND newer.status IN ('proposed', 'active') AND newer.id > engagement.id))
    """))
    op.create_index('uq_engagement_open_per_shortlist_entry', 'engagement', ['shortlist_entry_id'], unique=True,
                    postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))


def downgrade() -> None:
    op.drop_index('uq_engagement_open_per_shortlist_entry', table_name='engagement')
    with op.batch_alter_table('engagement', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_engagement_shortlist_entry_id_shortlist_entry'), type_='foreignkey')
        batch_op.drop_column('shortlist_entry_id')
