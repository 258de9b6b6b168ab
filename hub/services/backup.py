"""A whole-database backup (`export-all` / `import-all`, docs/interchange.md): every table, any engine.

Generic over the metadata, so a table or column added later is carried without a change here: tables in
`Base.metadata.sorted_tables` order (parents before children), rows in primary-key order, values written
one way whatever the engine (dates ISO, datetimes in UTC, JSON as JSON, binary as base64). Hence a backup
restored into an empty database, on SQLite or PostgreSQL, exports to the same bytes again.

The file is JSON Lines: a header object, then per table one object naming its columns and row count,
followed by that many lines, each a JSON array of one row's values in column order.
"""
from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import IO, Any

from sqlalchemy import JSON, Boolean, Connection, Date, DateTime, LargeBinary, String, Table, bindparam, func
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from hub import migrate
from hub.db import Base

FORMAT = "dx-talent-hub-backup"
FORMAT_VERSION = 1
OPTIONAL_TABLES = ("embedding",)  # derived from the texts; `flask reembed` recomputes them
# Never in a backup: the change log is written by a trigger while the experts are restored (and only
# tells running indexes what moved since they looked).
DERIVED_TABLES = ("expert_change",)
BATCH = 1000
# Read every table from one snapshot while the hub runs (PostgreSQL's default reads each statement anew).
SNAPSHOT_ISOLATION = {"postgresql": "REPEATABLE READ", "sqlite": "SERIALIZABLE"}


class BackupError(ValueError):
    """The file cannot be restored here: wrong format, another schema revision, or a database not empty."""


@dataclass
class BackupReport:
    tables: int = 0
    rows: int = 0


def _tables(with_embeddings: bool) -> list[Table]:
    return [t for t in backed_up_tables() if with_embeddings or t.name not in OPTIONAL_TABLES]


def backed_up_tables() -> list[Table]:
    """Every table a backup may hold, parents first."""
    return [t for t in Base.metadata.sorted_tables if t.name not in DERIVED_TABLES]


def schema_revision(connection: Connection) -> str | None:
    """The Alembic revision of the database; a schema made from the models (tests) is taken as the head."""
    return migrate.current_revision(connection) or migrate.head_revision()


# -- values -----------------------------------------------------------------------------------------------------

def _utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes (stored in UTC); PostgreSQL aware ones in the session's zone."""
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _dump_value(value: Any, column_type) -> Any:
    if value is None:
        return None
    if isinstance(column_type, DateTime):
        return _utc(value).isoformat()
    if isinstance(column_type, Date):
        return value.isoformat()
    if isinstance(column_type, LargeBinary):
        return base64.b64encode(value).decode("ascii")
    return value


def _load_value(value: Any, column_type) -> Any:
    if value is None:
        return None
    if isinstance(column_type, DateTime):
        return _utc(datetime.fromisoformat(value))
    if isinstance(column_type, Date):
        return date.fromisoformat(value)
    if isinstance(column_type, LargeBinary):
        return base64.b64decode(value)
    if isinstance(column_type, Boolean):
        return bool(value)
    return value


def normalised_rows(connection: Connection, table: Table) -> Iterator[list]:
    """Yield the rows of `table` in primary-key order as engine-independent values (what the file holds).

    String keys sort by code point on both engines (PostgreSQL's collation could order them otherwise).
    """
    order = [c.collate("C") if connection.dialect.name == "postgresql" and isinstance(c.type, String) else c
             for c in table.primary_key.columns]
    types = [c.type for c in table.columns]
    result = connection.execute(select(table).order_by(*order).execution_options(yield_per=BATCH))
    for row in result:
        yield [_dump_value(v, t) for v, t in zip(row, types)]


def _line(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


# -- export -----------------------------------------------------------------------------------------------------

def export_all(session: Session, stream: IO[str], *, with_embeddings: bool = False,
               progress: Callable[[int], None] | None = None) -> BackupReport:
    """Write every table to `stream`; return what was written.

    Run it in a transaction of SNAPSHOT_ISOLATION, so that the tables agree with each other (the command does).
    """
    connection = session.connection()
    tables = _tables(with_embeddings)
    counts = {t.name: connection.scalar(select(func.count()).select_from(t)) for t in tables}
    stream.write(_line({"format": FORMAT, "version": FORMAT_VERSION, "alembic_revision": schema_revision(connection),
                        "embeddings": with_embeddings, "tables": counts}))
    report = BackupReport()
    for table in tables:
        stream.write(_line({"table": table.name, "columns": [c.name for c in table.columns],
                            "rows": counts[table.name]}))
        written = 0
        for row in normalised_rows(connection, table):
            stream.write(_line(row))
            written += 1
            if progress and written % BATCH == 0:
                progress(BATCH)
        if progress and written % BATCH:
            progress(written % BATCH)
        if written != counts[table.name]:  # the read transaction should make this impossible
            raise RuntimeError(f"{table.name}: counted {counts[table.name]} rows, wrote {written}")
        report.tables += 1
        report.rows += written
    return report


def count_rows(session: Session, *, with_embeddings: bool = False) -> int:
    connection = session.connection()
    return sum(connection.scalar(select(func.count()).select_from(t)) for t in _tables(with_embeddings))


# -- import -----------------------------------------------------------------------------------------------------

def read_header(stream: IO[str]) -> dict:
    """Read and check the header line; the stream is left at the first table."""
    first = stream.readline()
    try:
        header = json.loads(first)
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupError(f"not a {FORMAT} file (its first line is not the header export-all writes)")
    if header.get("version") != FORMAT_VERSION:
        raise BackupError(f"backup format version {header.get('version')!r}; this hub reads version {FORMAT_VERSION}")
    return header


def non_empty_tables(connection: Connection) -> list[str]:
    return [t.name for t in backed_up_tables()
            if connection.scalar(select(func.count()).select_from(t)) > 0]


def import_all(session: Session, stream: IO[str], *,
               progress: Callable[[int], None] | None = None) -> BackupReport:
    """Restore a backup into this empty database, in the caller's transaction (never commits).

    Refuses a file of another format version or schema revision, and a database that holds any row.
    Primary keys are restored as they were; PostgreSQL sequences are then moved past them.
    """
    connection = session.connection()
    header = read_header(stream)
    revision = schema_revision(connection)
    if header.get("alembic_revision") != revision:
        raise BackupError(f"the backup is of schema revision {header.get('alembic_revision')!r}, this database is at "
                          f"{revision!r}; restore it with the hub version that wrote it, or migrate both to "
                          f"the same revision")
    if busy := non_empty_tables(connection):
        named = ", ".join(busy[:3]) + (f" and {len(busy) - 3} more tables" if len(busy) > 3 else "")
        raise BackupError(f"the database is not empty ({named} have rows); import-all only fills an empty "
                          f"database: point DATABASE_URL at a new one")
    tables = {t.name: t for t in backed_up_tables()}
    report = BackupReport()
    number = 1  # the header

    def read(what: str, line: str | None = None) -> Any:
        nonlocal number
        number += 1
        line = stream.readline() if line is None else line
        try:
            return json.loads(line)
        except ValueError:
            raise BackupError(f"line {number}: expected {what}, found "
                              f"{'the end of the file' if not line else 'text that is not JSON'}") from None

    while first := stream.readline():
        section = read("a table line", first)
        table = tables.get(section.get("table")) if isinstance(section, dict) else None
        if table is None:
            raise BackupError(f"line {number}: unknown table {section.get('table')!r}" if isinstance(section, dict)
                              else f"line {number}: expected a table line")
        columns = [table.c[name] for name in section["columns"] if name in table.c]
        if len(columns) != len(section["columns"]) or len(columns) != len(table.columns):
            raise BackupError(f"line {number}: {table.name}: the backup's columns {section['columns']} are not the "
                              f"table's {[c.name for c in table.columns]}")
        # SQL NULL stays SQL NULL in JSON columns (the default writes a JSON 'null', which IS NULL misses).
        statement = insert(table).values({c.name: bindparam(c.name, type_=JSON(none_as_null=True))
                                          for c in columns if isinstance(c.type, JSON)})
        types = [c.type for c in columns]
        names = [c.name for c in columns]
        batch: list[dict] = []
        for _ in range(section["rows"]):
            values = read(f"a row of {table.name}")
            if not isinstance(values, list) or len(values) != len(names):
                raise BackupError(f"line {number}: a row of {table.name} must be a list of {len(names)} values")
            batch.append({n: _load_value(v, t) for n, v, t in zip(names, values, types)})
            if len(batch) == BATCH:
                connection.execute(statement, batch)
                if progress:
                    progress(len(batch))
                batch = []
        if batch:
            connection.execute(statement, batch)
            if progress:
                progress(len(batch))
        report.tables += 1
        report.rows += section["rows"]
    _reset_sequences(connection)
    return report


def _reset_sequences(connection: Connection) -> None:
    """Move each PostgreSQL identity/serial sequence past the restored keys (SQLite needs nothing)."""
    if connection.dialect.name != "postgresql":
        return
    for table in Base.metadata.sorted_tables:
        key = list(table.primary_key.columns)
        if len(key) != 1 or not key[0].autoincrement or key[0].type.python_type is not int:
            continue
        sequence = connection.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                     {"t": table.name, "c": key[0].name})
        if sequence is None:
            continue
        connection.execute(text(f'SELECT setval(:s, COALESCE((SELECT MAX("{key[0].name}") FROM "{table.name}"), 1), '
                                f'(SELECT MAX("{key[0].name}") FROM "{table.name}") IS NOT NULL)'), {"s": sequence})
