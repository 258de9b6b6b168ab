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
