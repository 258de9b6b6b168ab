"""Shared fixtures: one engine per run, one rolled-back transaction per test.

TEST_DATABASE_URL picks the database (default: in-memory SQLite); CI runs the suite on PostgreSQL too.
"""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, event
from sqlalchemy.pool import StaticPool

import hub.models  # noqa: F401  (registers every table)
from hub import create_app
from hub.db import Base
from tests.support import TEST_DATABASE_URL



def _make_test_engine(url: str):
    if url.startswith("sqlite"):
        engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection, _record):
            dbapi_connection.isolation_level = None  # let SQLAlchemy issue BEGIN/SAVEPOINT itself
            dbapi_connection.execute("PRAGMA foreign_keys=ON")

        @event.listens_for(engine, "begin")
        def _begin(connection):
            connection.exec_driver_sql("BEGIN")

        return engine
    return create_engine(url)


@pytest.fixture(scope="session")
def engine():
    engine = _make_test_engine(TEST_DATABASE_URL)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine):
    """Each test runs in one transaction, rolled back at the end."""
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def app(connection, tmp_path):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test",
        "DATABASE_URL": TEST_DATABASE_URL,
        "EMBEDDING_BACKEND": "tfidf",
        "AUTO_MIGRATE": False,
        "MAIL_SERVER": None,
        "SERVER_NAME": "hub.test",
        "PUBLIC_URL": "http://hub.test",  # mailed links; TRUSTED_HOSTS follow from it
        # Rate limits are tested on their own (tests/web/test_accounts_hardening.py); elsewhere they would
        # make the many logins of one test run depend on the order of the tests.
        "RATELIMIT_ENABLED": False,
    })
    app.extensions["hub.sessionmaker"].configure(  # commit() = RELEASE SAVEPOINT
        bind=connection, join_transaction_mode="create_savepoint")
    return app


@pytest.fixture
def session(app):
    """The same session the app's views and commands use during this test."""
    from hub.db import get_session
    with app.app_context():
        yield get_session()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def taxonomy(app):
    return app.extensions["hub.taxonomy"]
