"""The migrations build exactly the models' schema, and go down and up again, on SQLite and PostgreSQL."""
from __future__ import annotations

import uuid

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

from hub.migrate import alembic_config
from tests.support import TEST_DATABASE_URL


@pytest.fixture
def empty_database(tmp_path):
    """A connection to an empty database: a SQLite file, or a scratch PostgreSQL schema rolled back after."""
    if TEST_DATABASE_URL.startswith("sqlite"):
        engine = create_engine(f"sqlite:///{tmp_path}/migrations.sqlite3")
        with engine.connect() as connection:
            yield connection
        engine.dispose()
        return
    engine = create_engine(TEST_DATABASE_URL)
    schema = f"mig_{uuid.uuid4().hex[:8]}"
    with engine.connect() as connection:
        transaction = connection.begin()
        connection.execute(text(f"CREATE SCHEMA {schema}"))
        connection.execute(text(f"SET search_path TO {schema}"))
        yield connection
        transaction.rollback()
    engine.dispose()


def _tables(connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


def test_migrations_reach_head_and_match_models(empty_database):
    cfg = alembic_config(empty_database)
    command.upgrade(cfg, "head")
    command.check(cfg)  # fails when a model changed without a revision
    assert {"expert_profile", "need", "engagement", "evaluation", "shortlist_entry"} <= _tables(empty_database)


def test_migrations_downgrade_to_base_and_up_again(empty_database):
    cfg = alembic_config(empty_database)
    command.upgrade(cfg, "head")
    command.downgrade(cfg, "base")
    assert _tables(empty_database) == set()
    command.upgrade(cfg, "head")
    assert "expert_profile" in _tables(empty_database)


def test_accounts_revision_counts_existing_accounts_as_verified(empty_database):
    """Accounts from before e-mail verification (the demo, imports) keep working: verified at their creation."""
    cfg = alembic_config(empty_database)
    command.upgrade(cfg, "f11e4b0cbe5d")
    empty_database.execute(text(
        "INSERT INTO user_account (email, password_hash, display_name, role, is_active, created_at) "
        "VALUES ('old@example.jp', 'x', 'old', 'expert', true, '2026-04-01 09:00:00+00')"))
    command.upgrade(cfg, "cd3c123d9f7a")
    verified, created, version = empty_database.execute(text(
        "SELECT verified_at, created_at, auth_version FROM user_account")).one()
    assert verified is not None and verified == created and version == 1
    command.downgrade(cfg, "f11e4b0cbe5d")
    assert "verified_at" not in {c["name"] for c in inspect(empty_database).get_columns("user_account")}
