"""The privacy revision dates the consent of experts that were listed before it, and leaves the others unlisted."""
from __future__ import annotations

from alembic import command
from sqlalchemy import text

from hub.migrate import alembic_config
from tests.test_migrations import empty_database  # noqa: F401  (the fixture)

PRIVACY_REVISION = "7c3d9e2a41b6"


def test_existing_listed_experts_keep_the_consent_of_their_source(empty_database):  # noqa: F811
    cfg = alembic_config(empty_database)
    command.upgrade(cfg, "f11e4b0cbe5d")
    for external_id, listed in (("T1", True), ("T2", False)):
        empty_database.execute(text(
            "INSERT INTO expert_profile (external_id, name, talent_type, bio, remote, onsite, resident, "
            "hours_per_month, fee_negotiable, status, listed, visibility, notify_opt_in, created_at, updated_at) "
            "VALUES (:e, 'x', 'D', '', true, false, false, 10, true, 'active', :listed, 'staff', true, "
            "'2026-01-02 03:04:05', '2026-01-02 03:04:05')"), {"e": external_id, "listed": listed})
    command.upgrade(cfg, PRIVACY_REVISION)
    rows = dict(empty_database.execute(text(
        "SELECT external_id, listing_consented_at IS NOT NULL FROM expert_profile")).all())
    assert {k: bool(v) for k, v in rows.items()} == {"T1": True, "T2": False}
    command.downgrade(cfg, "f11e4b0cbe5d")
    command.upgrade(cfg, "head")
