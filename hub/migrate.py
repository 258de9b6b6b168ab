"""Run Alembic from the app: `flask db upgrade`, and first-run creation of the embedded database."""
from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["configure_logger"] = False  # keep the app's logging as it is
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    if revision == "head" and is_current(engine):
        log.info("database schema already at head")
        return
    log.info("migrating the database schema to %s", revision)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)
        if revision == "head":
            from hub.models.index_changes import ensure_triggers
            ensure_triggers(connection)


def downgrade(engine: Engine, revision: str) -> None:
    log.info("rolling the database schema back to %s", revision)
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), revision)


def is_current(engine: Engine) -> bool:
    """True when the database is at the newest revision."""
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads()) == heads


def head_revision() -> str | None:
    """The newest revision of the migrations (one head: the revisions form a line)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at, or None when Alembic never ran on it."""
    return MigrationContext.configure(connection).get_current_revision()


def ensure_current(engine: Engine) -> None:
    """Create or migrate the schema when it is behind; cheap when it is current."""
    if not is_current(engine):
        upgrade(engine)
