"""SQLAlchemy 2.0 engine, one session per request, and the declarative Base."""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone

from flask import Flask, current_app, g
from werkzeug.routing import IntegerConverter, ValidationError
from sqlalchemy import JSON, MetaData, create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

log = logging.getLogger(__name__)


class Base(DeclarativeBase):
    type_annotation_map = {dict: JSON, list: JSON}
    metadata = MetaData(naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "pk": "pk_%(table_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    })


MAX_ROW_ID = 2**31 - 1  # INTEGER primary keys; a larger number would be a database error on PostgreSQL


def parse_row_id(text: str | None) -> int | None:
    """The primary key a string names, or None: ASCII digits only (str.isdigit accepts "²") and in range."""
    if text is None or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ROW_ID else None


class RowIdConverter(IntegerConverter):
    """`<int:…>` in routes: ASCII digits within the INTEGER range, else 404 (never a database error)."""

    regex = r"[0-9]{1,10}"

    def to_python(self, value: str) -> int:
        row_id = parse_row_id(value)
        if row_id is None:
            raise ValidationError()
        return row_id


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets foreign keys on (off by default there).

    PostgreSQL sessions run with JIT off: the hub's queries are short, and JIT compilation cost more than it
    saved (staff word search at 10,000 experts: 171 ms with JIT, 134 ms without).
    """
    connect_args = {"options": "-c jit=off"} if url.startswith("postgresql") else {}
    engine = create_engine(url, connect_args=connect_args)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def refresh_statistics(session: Session) -> None:
    """Let the query planner see the new data after a bulk load.

    Measured on PostgreSQL with 10,000 freshly loaded experts: the staff search went from 0.97 s to 0.13 s,
    because stale statistics made the planner pick nested loops (and JIT) over hash joins.
    """
    session.execute(text("ANALYZE"))
    session.commit()


def refresh_statistics_in(app: Flask) -> None:
    """`refresh_statistics` in a session of its own (after a job's or a command's commit)."""
    with app.app_context():
        with app.extensions["hub.sessionmaker"]() as session:
            refresh_statistics(session)


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = RowIdConverter  # before any blueprint adds its routes
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["hub.engine"] = engine
    app.extensions["hub.sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def get_session() -> Session:
    """Return the request's session, opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["hub.sessionmaker"]()
    return g.db_session


def _close_session(exc: BaseException | None) -> None:
    if (session := g.pop("db_session", None)) is not None:
        session.close()  # whatever was not committed is rolled back


# --- after the commit ---------------------------------------------------------------------------
# Mail and other effects outside the database must not announce a change that is then rolled back.

_AFTER_COMMIT = "hub.after_commit"


def after_commit(session: Session, callback: Callable[..., object], *args: object) -> None:
    """Run `callback(*args)` once the session's next commit succeeded; a rollback discards it.

    A failing callback is logged, never raised: the change it follows is already committed.
    """
    session.info.setdefault(_AFTER_COMMIT, []).append((callback, args))


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    for callback, args in session.info.pop(_AFTER_COMMIT, []):
        try:
            callback(*args)
        except Exception:  # noqa: BLE001  (the commit stands; the effect is lost, loudly)
            log.exception("after-commit callback %r failed", callback)




# --- has this transaction written? ------------------------------------------------------------
# Derived data (text embeddings) read on a GET is stored in a short transaction of its own; inside a
# transaction that has written already it goes into that transaction instead (a second connection could
# wait on this one's locks, and on SQLite it would wait for the whole transaction).

_WROTE = "hub.wrote"


@event.listens_for(Session, "after_flush")
def _mark_written(session: Session, _context) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _mark_statement_written(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction) -> None:
    """After a commit (its callbacks ran already) or a rollback (they are discarded) of the whole transaction."""
    if transaction.parent is None:  # not a savepoint inside it
        session.info.pop(_AFTER_COMMIT, None)
        session.info.pop(_WROTE, None)


def has_written(session: Session) -> bool:
    """Whether the session flushed changes in its current transaction."""
    return bool(session.info.get(_WROTE))


def side_session(session: Session) -> Session:
    """A session for one short transaction of its own beside `session` (same database).

    Bound to the same engine it uses a connection of its own; bound to a connection (the test suite) it
    works in a savepoint on it.
    """
    return Session(bind=session.get_bind(), join_transaction_mode="create_savepoint", expire_on_commit=False,
                   info={"hub.side": True})
