"""dispatch: the workflow's columns (recommender, team, project, reasons, support date, report and follow-up
times); the scheme's caps leave the CHECK constraints for the rules file (skill_taxonomy/data/dispatch_rules.yaml)

Revision ID: 9d4b2e7f1a63
Revises: a7e4b2c9d130
Create Date: 2026-12-02 05:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '9d4b2e7f1a63'
down_revision: Union[str, Sequence[str], None] = 'a7e4b2c9d130'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('dispatch_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recommender_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('team', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('project', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('decision_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('support_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('follow_up_reminded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('followed_up_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_dispatch_request_recommender_id_organization'), 'organization',
                                    ['recommender_id'], ['id'])
        batch_op.drop_constraint(op.f('ck_dispatch_request_days'), type_='check')
        batch_op.drop_constraint(op.f('ck_dispatch_request_online_hours'), type_='check')
        batch_op.create_check_constraint(op.f('ck_dispatch_request_days'), sa.text('days BETWEEN 0 AND 31'))
        batch_op.create_check_constraint(op.f('ck_dispatch_request_online_hours'), sa.text('online_hours BETWEEN 0 AND 744'))
        batch_op.create_check_constraint(op.f('ck_dispatch_request_visits'), sa.text('visits BETWEEN 0 AND 31'))
        batch_op.create_check_constraint(op.f('ck_dispatch_request_decision_reason_length'), sa.text('length(decision_reason) <= 5000'))


def downgrade() -> None:
    # Values above the old caps cannot stay under the old constraints: clamp them first.
    op.execute(sa.text("UPDATE dispatch_request SET days = 3 WHERE days > 3"))
    op.execute(sa.text("UPDATE dispatch_request SET online_hours = 10 WHERE online_hours > 10"))
    with op.batch_alter_table('dispatch_request', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_dispatch_request_decision_reason_length'), type_='check')
        batch_op.drop_constraint(op.f('ck_dispatch_request_visits'), type_='check')
        batch_op.drop_constraint(op.f('ck_dispatch_request_online_hours'), type_='check')
        batch_op.drop_constraint(op.f('ck_dispatch_request_days'), type_='check')
        batch_op.create_check_constraint(op.f('ck_dispatch_request_days'), sa.text('days BETWEEN 0 AND 3'))
        batch_op.create_check_constraint(op.f('ck_dispatch_request_online_hours'), sa.text('online_hours BETWEEN 0 AND 10'))
        batch_op.drop_constraint(batch_op.f('fk_dispatch_request_recommender_id_organization'), type_='foreignkey')
        batch_op.drop_column('followed_up_at')
        batch_op.drop_column('follow_up_reminded_at')
        batch_op.drop_column('reported_at')
        batch_op.drop_column('support_date')
        batch_op.drop_column('decision_reason')
        batch_op.drop_column('project')
        batch_op.drop_column('team')
        batch_op.drop_column('recommender_id')
