"""A database migrated to head enforces exactly the limits of hub/limits.py (alembic check compares no CHECKs).

Reflected from SQLite and PostgreSQL: every CHECK constraint of the models exists by name, a limit's CHECK
carries the declared numbers, every String column has the declared length, and the table below says which
declaration bounds which column.
"""
from __future__ import annotations

import re
import uuid

import pytest
from alembic import command
from sqlalchemy import CheckConstraint, String, create_engine, inspect, text

import hub.models  # noqa: F401  (registers every table)
from hub import limits
from hub.db import Base
from hub.migrate import alembic_config
from tests.support import TEST_DATABASE_URL
from tests.test_migrations import empty_database  # noqa: F401  (the fixture)

# (table, column) -> the declaration that bounds it: a text length, or a Range.
BOUNDS = {
    ("user_account", "email"): limits.EMAIL, ("user_account", "display_name"): limits.NAME,
    ("organization", "name"): limits.ORGANIZATION_NAME, ("organization", "code"): limits.ORGANIZATION_CODE,
    ("expert_profile", "external_id"): limits.EXTERNAL_ID, ("expert_profile", "name"): limits.NAME,
    ("expert_profile", "email"): limits.EMAIL, ("expert_profile", "phone"): limits.PHONE,
    ("expert_profile", "bio"): limits.BIO,
    ("expert_profile", "hours_per_month"): limits.HOURS_PER_MONTH,
    ("expert_profile", "max_travel_km"): limits.TRAVEL_KM, ("expert_profile", "fee_amount"): limits.MONEY,
    ("expert_skill", "level"): limits.SKILL_LEVEL, ("expert_skill", "rating_mean"): limits.RATING,
    ("need", "external_id"): limits.EXTERNAL_ID, ("need", "title"): limits.TITLE,
    ("need", "description"): limits.DESCRIPTION, ("need", "hours_per_month"): limits.HOURS_PER_MONTH,
    ("need", "budget_max"): limits.MONEY,
    ("need_role", "hours_per_month"): limits.COMMITTED_HOURS, ("need_share", "hours_per_month"): limits.HOURS_PER_MONTH,
    ("need_share", "budget_max"): limits.MONEY,
    ("need_skill", "min_level"): limits.REQUIRED_LEVEL, ("need_skill", "weight"): limits.SKILL_WEIGHT,
    ("shortlist_entry", "message"): limits.MESSAGE, ("need", "close_note"): limits.CLOSE_NOTE,
    ("engagement", "title"): limits.TITLE, ("engagement", "role"): limits.ROLE,
    ("engagement", "contribution"): limits.CONTRIBUTION, ("engagement", "outcome"): limits.OUTCOME,
    ("engagement", "hours_per_month"): limits.HOURS_PER_MONTH,
    ("evaluation", "overall"): limits.RATING, ("evaluation", "comment"): limits.COMMENT,
    ("evaluation_skill", "rating"): limits.RATING,
    ("dispatch_request", "theme"): limits.TITLE, ("dispatch_request", "description"): limits.DESCRIPTION,
    ("dispatch_request", "report"): limits.DESCRIPTION, ("dispatch_request", "follow_up"): limits.DESCRIPTION,
    ("dispatch_assignment", "note"): limits.COMMENT, ("dispatch_request", "decision_reason"): limits.COMMENT,
    ("dispatch_request", "project"): limits.TITLE, ("dispatch_request", "days"): limits.DISPATCH_DAYS,
    ("dispatch_request", "online_hours"): limits.DISPATCH_ONLINE_HOURS, ("dispatch_request", "visits"): limits.DISPATCH_VISITS,
}

NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")


def _numbers(sql: str) -> set[float]:
    """The numeric literals of a CHECK as either database writes it back (PostgreSQL adds casts and parentheses)."""
    return {float(n) for n in NUMBER.findall(sql)}


def _limit_checks():
    for table in Base.metadata.sorted_tables:
        for constraint in table.constraints:
            if isinstance(constraint, CheckConstraint) and "limit" in constraint.info:
                yield table.name, constraint


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """An inspector of a database migrated to head (once for this module): a SQLite file or a scratch schema."""
    if TEST_DATABASE_URL.startswith("sqlite"):
        engine = create_engine(f"sqlite:///{tmp_path_factory.mktemp('limits')}/limits.sqlite3")
        with engine.connect() as connection:
            command.upgrade(alembic_config(connection), "head")
            yield inspect(connection)
        engine.dispose()
        return
    engine = create_engine(TEST_DATABASE_URL)
    with engine.connect() as connection:
        transaction = connection.begin()
        schema = f"lim_{uuid.uuid4().hex[:8]}"
        connection.execute(text(f"CREATE SCHEMA {schema}"))
        connection.execute(text(f"SET search_path TO {schema}"))
        command.upgrade(alembic_config(connection), "head")
        yield inspect(connection)
        transaction.rollback()
    engine.dispose()


def test_limits_every_check_of_the_models_exists_in_the_migrated_database(migrated):
    for table in Base.metadata.sorted_tables:
        declared = {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
        reflected = {c["name"] for c in migrated.get_check_constraints(table.name)}
        assert reflected == declared, table.name


def test_limits_reflected_checks_carry_the_declared_numbers(migrated):
    checks = list(_limit_checks())
    assert len(checks) >= 20
    for table, constraint in checks:
        kind, column, bound = constraint.info["limit"]
        reflected = {c["name"]: c["sqltext"] for c in migrated.get_check_constraints(table)}
        sql = reflected[constraint.name]
        assert column in sql, (table, sql)
        if kind == "length":
            assert "length(" in sql.lower() and _numbers(sql) == {float(bound)}, (table, sql)
        else:
            assert _numbers(sql) == {float(bound.low), float(bound.high)}, (table, sql)


def test_limits_reflected_column_lengths_match_the_models(migrated):
    for table in Base.metadata.sorted_tables:
        columns = {c["name"]: c["type"] for c in migrated.get_columns(table.name)}
        for column in table.columns:
            if isinstance(column.type, String) and column.type.length is not None:
                assert getattr(columns[column.name], "length", None) == column.type.length, (table.name, column.name)


@pytest.mark.parametrize(("table", "column"), sorted(BOUNDS))
def test_limits_each_bounded_column_is_enforced_by_its_declaration(migrated, table, column):
    bound = BOUNDS[(table, column)]
    checks = {c["name"]: c["sqltext"] for c in migrated.get_check_constraints(table)}
    if isinstance(bound, limits.Range):
        sql = checks[f"ck_{table}_{column}"]
        assert _numbers(sql) == {float(bound.low), float(bound.high)}, sql
        return
    reflected_type = {c["name"]: c["type"] for c in migrated.get_columns(table)}[column]
    length = getattr(reflected_type, "length", None)
    if length is not None:
        assert length == bound
    else:  # a Text column: its CHECK holds the limit
        assert _numbers(checks[f"ck_{table}_{column}_length"]) == {float(bound)}


def test_limits_every_text_column_is_bounded():
    """A new free-text column without a limit fails here: add it to hub/limits.py, the model and BOUNDS."""
    unbounded = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, String) and column.type.length is None and (table.name, column.name) not in BOUNDS:
                unbounded.append(f"{table.name}.{column.name}")
    assert unbounded == []


def test_limits_migration_names_rows_out_of_bounds_instead_of_changing_them(empty_database):  # noqa: F811
    cfg = alembic_config(empty_database)
    command.upgrade(cfg, "f11e4b0cbe5d")
    empty_database.execute(text(
        "INSERT INTO expert_profile (external_id, name, talent_type, bio, remote, onsite, resident, hours_per_month,"
        " fee_negotiable, status, listed, visibility, notify_opt_in, created_at, updated_at) VALUES ('T1', 'n', 'X',"
        " :bio, true, false, false, 0, true, 'active', true, 'staff', true, '2026-12-01', '2026-12-01')"),
        {"bio": "経" * (limits.BIO + 1)})
    with pytest.raises(RuntimeError, match=r"expert_profile \(length\(bio\) <= 4000\): ids \d+"):
        command.upgrade(cfg, "head")
