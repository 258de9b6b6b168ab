"""export-all -> import-all into an empty database -> export-all is byte-identical; every row comes back."""
from __future__ import annotations

import io
import json
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from hub import demo
from hub.db import Base
from hub.models import Embedding, Organization, RankerWeights, ShortlistEntry, User
from hub.services import backup
from tests.hub.test_interchange_roundtrip import empty_session  # noqa: F401  (a fixture)
from tests.support import TEST_DATABASE_URL


def _fill(session, taxonomy) -> None:
    demo.load_demo(session, taxonomy, n_experts=60, n_needs=12)
    session.add_all([
        Embedding(owner_kind="expert", owner_id=1, model="tfidf-test", content_hash="0" * 64, dim=2,
                  vector=b"\x00\x00\x80?\x00\x00\x00@"),
        RankerWeights(version="2026-12-01-a", weights={"skill": 0.5, "text": 0.25}, metrics={"auc": 0.75},
                      created_at=datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=timezone.utc)),
    ])
    session.flush()


def _export(session, **options) -> str:
    out = io.StringIO()
    backup.export_all(session, out, **options)
    return out.getvalue()


def _rows(session) -> dict[str, list[list]]:
    connection = session.connection()
    return {t.name: list(backup.normalised_rows(connection, t)) for t in backup.backed_up_tables()}


def test_backup_roundtrip_is_byte_identical_and_row_for_row(session, taxonomy, empty_session):  # noqa: F811
    _fill(session, taxonomy)
    first = _export(session, with_embeddings=True)
    header = json.loads(first.splitlines()[0])
    assert header["format"] == backup.FORMAT and header["alembic_revision"]
    assert header["tables"]["user_account"] == 6  # the demo logins: one per role, two municipal, one prefectural

    report = backup.import_all(empty_session, io.StringIO(first))
    assert report.rows == sum(header["tables"].values())
    assert _export(empty_session, with_embeddings=True) == first
    assert _rows(empty_session) == _rows(session)
    if empty_session.bind.dialect.name == session.bind.dialect.name:  # raw values too, where the engine is the same
        for table in backup.backed_up_tables():
            order = table.primary_key.columns
            assert (empty_session.execute(select(table).order_by(*order)).all()
                    == session.execute(select(table).order_by(*order)).all()), table.name

    user = empty_session.scalars(select(User).where(User.email == "admin@demo.example.jp")).one()
    original = session.scalars(select(User).where(User.email == "admin@demo.example.jp")).one()
    assert user.password_hash == original.password_hash and user.id == original.id
    unscored = select(ShortlistEntry.id).where(ShortlistEntry.signals.is_(None)).order_by(ShortlistEntry.id)
    assert empty_session.scalars(unscored).all() == session.scalars(unscored).all()  # SQL NULL, not JSON null
    # New rows get fresh keys after the restored ones (PostgreSQL sequences were moved on).
    org = Organization(code="NPO-13-NEW", kind="npo", name="新しいNPO", prefecture_code="13", bureau_id="kanto")
    empty_session.add(org)
    empty_session.flush()
    assert org.id > max(empty_session.scalars(select(Organization.id).where(Organization.id != org.id)))


def test_backup_leaves_embeddings_out_unless_asked(session, taxonomy):
    _fill(session, taxonomy)
    lines = _export(session).splitlines()
    assert "embedding" not in json.loads(lines[0])["tables"]
    assert not any(json.loads(line).get("table") == "embedding" for line in lines if line.startswith("{"))


def test_backup_refuses_a_database_that_is_not_empty(session, taxonomy):
    _fill(session, taxonomy)
    with pytest.raises(backup.BackupError, match="not empty"):
        backup.import_all(session, io.StringIO(_export(session)))


def test_backup_refuses_another_schema_revision_and_other_files(empty_session):  # noqa: F811
    header = {"format": backup.FORMAT, "version": backup.FORMAT_VERSION, "alembic_revision": "0123456789ab",
              "embeddings": False, "tables": {}}
    with pytest.raises(backup.BackupError, match="schema revision '0123456789ab'"):
        backup.import_all(empty_session, io.StringIO(json.dumps(header) + "\n"))
    with pytest.raises(backup.BackupError, match="version 99"):
        backup.import_all(empty_session, io.StringIO(json.dumps(header | {"version": 99}) + "\n"))
    with pytest.raises(backup.BackupError, match="not a dx-talent-hub-backup file"):
        backup.import_all(empty_session, io.StringIO('{"external_id": "T1"}\n'))


def test_backup_commands_write_and_refuse(app, session, taxonomy, tmp_path):
    _fill(session, taxonomy)
    session.commit()
    runner = app.test_cli_runner()
    target = tmp_path / "hub.backup"
    result = runner.invoke(args=["export-all", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == _export(session)
    result = runner.invoke(args=["import-all", str(target)])
    assert result.exit_code == 1
    assert "the database is not empty" in result.output and "nothing was imported" in result.output


@pytest.mark.skipif(not TEST_DATABASE_URL.startswith("postgresql"), reason="needs PostgreSQL")
def test_backup_from_sqlite_to_postgresql_is_byte_identical(taxonomy, tmp_path):
    """The way a municipality grows out of the embedded default: SQLite file -> PostgreSQL -> same bytes."""
    sqlite = create_engine(f"sqlite:///{tmp_path}/hub.sqlite3")
    Base.metadata.create_all(sqlite)
    with Session(sqlite) as source:
        _fill(source, taxonomy)
        source.commit()
        first = _export(source, with_embeddings=True)
        rows = _rows(source)
    sqlite.dispose()
    engine = create_engine(TEST_DATABASE_URL)
    with engine.connect() as connection:
        transaction = connection.begin()
        schema = f"bk_{uuid.uuid4().hex[:8]}"
        connection.execute(text(f"CREATE SCHEMA {schema}"))
        connection.execute(text(f"SET search_path TO {schema}"))
        Base.metadata.create_all(connection)
        with Session(bind=connection, join_transaction_mode="create_savepoint") as target:
            backup.import_all(target, io.StringIO(first))
            assert _export(target, with_embeddings=True) == first
            assert _rows(target) == rows
        transaction.rollback()
    engine.dispose()


def test_backup_reports_a_damaged_file_by_line(session, taxonomy, empty_session):  # noqa: F811
    _fill(session, taxonomy)
    lines = _export(session).splitlines(keepends=True)
    cut = "".join(lines[:10])  # the header, organization's table line and some of its rows
    with pytest.raises(backup.BackupError, match="line 11: expected a row of organization, found the end"):
        backup.import_all(empty_session, io.StringIO(cut))
    with pytest.raises(backup.BackupError, match="line 4: a row of organization must be a list"):
        backup.import_all(empty_session, io.StringIO("".join(lines[:3]) + "[1, 2]\n"))
