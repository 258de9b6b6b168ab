"""Health checks for the load balancer and the process manager: no sign-in, no session, JSON."""
from __future__ import annotations

from flask import Blueprint
from sqlalchemy import inspect, text

from hub import migrate
from hub.db import get_session

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The process answers (liveness): restart it when this fails."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    """The database answers and its schema is at the code's Alembic head (readiness): send traffic only then."""
    head = migrate.head_revision()
    session = get_session()
    try:
        connection = session.connection()
        connection.execute(text("SELECT 1"))
        revision = migrate.current_revision(connection)
        if revision is None and "user_account" in inspect(connection).get_table_names():
            revision = head  # a schema made from the models (the test suite), as backup.schema_revision
    except Exception as exc:  # noqa: BLE001  (any failure to reach the database means: not ready)
        return {"status": "unavailable", "database": "unreachable", "detail": type(exc).__name__}, 503
    if revision != head:
        return {"status": "unavailable", "database": "ok", "schema": revision, "head": head}, 503
    return {"status": "ok", "database": "ok", "schema": revision}
