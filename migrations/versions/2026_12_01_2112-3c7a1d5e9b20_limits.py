"""limits: CHECK constraints for text lengths, money and travel reach, from hub/limits.py

Text columns get length(col) <= n; money columns stay within the INTEGER range (a SQLite database
would otherwise keep amounts PostgreSQL refuses); travel reach gets its upper bound. The numbers are
written out here, as they were declared when this revision was made: a migration must not change
when hub/limits.py does later.

Revision ID: 3c7a1d5e9b20
Revises: f11e4b0cbe5d
Create Date: 2026-12-01 21:12:24.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '3c7a1d5e9b20'
down_revision: Union[str, Sequence[str], None] = 'f11e4b0cbe5d'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

MONEY_MAX = 2_147_483_647

# table -> [(constraint name as in the models, new condition, condition before this revision or None)]
CHECKS = {
    "expert_profile": [
        ("max_travel_km", "max_travel_km IS NULL OR max_travel_km BETWEEN 0 AND 5000",
         "max_travel_km IS NULL OR max_travel_km >= 0"),
        ("fee_amount", f"fee_amount IS NULL OR fee_amount BETWEEN 0 AND {MONEY_MAX}",
         "fee_amount IS NULL OR fee_amount >= 0"),
        ("bio_length", "length(bio) <= 4000", None),
    ],
    "need": [
        ("budget_max", f"budget_max IS NULL OR budget_max BETWEEN 0 AND {MONEY_MAX}",
         "budget_max IS NULL OR budget_max >= 0"),
        ("description_length", "length(description) <= 8000", None),
    ],
    "engagement": [
        ("contribution_length", "length(contribution) <= 5000", None),
        ("outcome_length", "length(outcome) <= 5000", None),
    ],
    "evaluation": [("comment_length", "length(comment) <= 5000", None)],
    "shortlist_entry": [("message_length", "length(message) <= 2000", None)],
    "dispatch_request": [
        ("description_length", "length(description) <= 8000", None),
        ("report_length", "length(report) <= 8000", None),
        ("follow_up_length", "length(follow_up) <= 8000", None),
    ],
    "dispatch_assignment": [("note_length", "length(note) <= 5000", None)],
}


def _refuse_rows_out_of_bounds() -> None:
    """Stop with the rows to correct rather than fail on a constraint (or silently change someone's data)."""
    connection = op.get_bind()
    problems = []
    for table, checks in CHECKS.items():
        for name, condition, _old in checks:
            ids = connection.execute(sa.text(f"SELECT id FROM {table} WHERE NOT ({condition}) ORDER BY id LIMIT 20")
                                     if table != "dispatch_assignment" else
                                     sa.text(f"SELECT dispatch_id FROM {table} WHERE NOT ({condition}) LIMIT 20")
                                     ).scalars().all()
            if ids:
                problems.append(f"{table} ({condition}): ids {', '.join(map(str, ids))}")
    if problems:
        raise RuntimeError("Rows outside the hub's limits; correct them, then upgrade again:\n  "
                           + "\n  ".join(problems))


def upgrade() -> None:
    _refuse_rows_out_of_bounds()
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, condition, old in checks:
                if old is not None:
                    batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
                batch_op.create_check_constraint(op.f(f"ck_{table}_{name}"), condition)


def downgrade() -> None:
    for table, checks in reversed(CHECKS.items()):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _condition, old in reversed(checks):
                batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
                if old is not None:
                    batch_op.create_check_constraint(op.f(f"ck_{table}_{name}"), old)
