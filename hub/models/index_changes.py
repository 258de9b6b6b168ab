"""The change log the candidate index reads: one row per write to an expert's profile row.

A database trigger writes it (not the ORM), so every path that touches `expert_profile` — the ORM,
the importers' Core statements, the anonymising deletion, a manual UPDATE — is seen. The ORM event in
`hub.models.changes` already bumps the profile's `updated_at` when a row the matcher reads changes
(skills, engagements, shortlist states …), so those changes reach the log through the profile row.

Each worker remembers the highest change id it has applied and reads `id > seen` (a primary-key range,
O(changes) however many experts there are). Ids are handed out before commit, so a slow transaction can
commit a lower id after a faster one: the reader keeps such gaps open and reads them again
(`hub.services.index_store.ChangeCursor`).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, BigInteger, DateTime, Integer, event, func
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base

# The same statements run in the Alembic revision; these serve databases made from the models (tests).
SQLITE_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS expert_change_on_insert AFTER INSERT ON expert_profile "
    "BEGIN INSERT INTO expert_change (expert_id, changed_at) VALUES (NEW.id, CURRENT_TIMESTAMP); END",
    "CREATE TRIGGER IF NOT EXISTS expert_change_on_update AFTER UPDATE ON expert_profile "
    "BEGIN INSERT INTO expert_change (expert_id, changed_at) VALUES (NEW.id, CURRENT_TIMESTAMP); END",
    "CREATE TRIGGER IF NOT EXISTS expert_change_on_delete AFTER DELETE ON expert_profile "
    "BEGIN INSERT INTO expert_change (expert_id, changed_at) VALUES (OLD.id, CURRENT_TIMESTAMP); END",
)
SQLITE_DROP = tuple(f"DROP TRIGGER IF EXISTS expert_change_on_{op}" for op in ("insert", "update", "delete"))
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
POSTGRESQL_DROP = ("DROP TRIGGER IF EXISTS expert_change_log ON expert_profile",
                   "DROP FUNCTION IF EXISTS expert_change_log()")


class ExpertChange(Base):
    """Expert `expert_id` changed (or was created or deleted); no foreign key, so deletions are logged too."""

    __tablename__ = "expert_change"
    __table_args__ = {"sqlite_autoincrement": True}  # never reuse an id, even of a pruned row
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    expert_id: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


for _statement in SQLITE_TRIGGERS:
    event.listen(Base.metadata, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRESQL_TRIGGERS:
    event.listen(Base.metadata, "after_create", DDL(_statement).execute_if(dialect="postgresql"))


def ensure_triggers(connection) -> None:
    """(Re)create the triggers after migrating to head: on SQLite a later batch migration that copies
    `expert_profile` would drop them silently. Idempotent."""
    from sqlalchemy import inspect, text
    if "expert_change" not in inspect(connection).get_table_names():
        return
    for statement in SQLITE_TRIGGERS if connection.dialect.name == "sqlite" else POSTGRESQL_TRIGGERS:
        connection.execute(text(statement))
