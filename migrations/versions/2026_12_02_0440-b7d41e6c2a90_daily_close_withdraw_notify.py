"""daily: a need remembers why it was closed; a contact request can be withdrawn; notices link an engagement

Revision ID: b7d41e6c2a90
Revises: 7c3d9e2a41b6
Create Date: 2026-12-02 04:40:00

Adds need.close_reason / close_note / closed_at, shortlist_entry.withdrawn_at and the state "withdrawn", and
notification.engagement_id (a milestone notice links the engagement it is about).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'b7d41e6c2a90'
down_revision: Union[str, Sequence[str], None] = '7c3d9e2a41b6'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OLD_STATES = "state IN ('shortlisted', 'contacted', 'offered', 'accepted', 'declined')"
NEW_STATES = "state IN ('shortlisted', 'contacted', 'offered', 'accepted', 'declined', 'withdrawn')"
CLOSE_REASONS = "close_reason IS NULL OR close_reason IN ('filled', 'found_elsewhere', 'cancelled', 'no_fit', 'other')"


def upgrade() -> None:
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.add_column(sa.Column('close_reason', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('close_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_need_close_reason'), CLOSE_REASONS)
        batch_op.create_check_constraint(op.f('ck_need_close_note_length'), "length(close_note) <= 1000")
    with op.batch_alter_table('shortlist_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(op.f('ck_shortlist_entry_state'), type_='check')
    with op.batch_alter_table('shortlist_entry', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_shortlist_entry_state'), NEW_STATES)
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('engagement_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_notification_engagement_id_engagement'), 'engagement',
                                    ['engagement_id'], ['id'], ondelete='CASCADE')


def downgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notification_engagement_id_engagement'), type_='foreignkey')
        batch_op.drop_column('engagement_id')
    # A withdrawn request was, before this revision, a request still waiting for its answer.
    op.execute(sa.text("UPDATE shortlist_entry SET state = 'shortlisted' WHERE state = 'withdrawn'"))
    with op.batch_alter_table('shortlist_entry', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_shortlist_entry_state'), type_='check')
        batch_op.drop_column('withdrawn_at')
    with op.batch_alter_table('shortlist_entry', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_shortlist_entry_state'), OLD_STATES)
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_need_close_note_length'), type_='check')
        batch_op.drop_constraint(op.f('ck_need_close_reason'), type_='check')
        batch_op.drop_column('closed_at')
        batch_op.drop_column('close_note')
        batch_op.drop_column('close_reason')
