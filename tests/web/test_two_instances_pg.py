"""Two app hosts on one PostgreSQL database: a change made through one is in the other's next ranking.

Two `gunicorn -w 2 app:app` instances (the README's production command) on two loopback ports share a
scratch database; each worker keeps its own candidate index. The expert sets their hours to 0 through
instance A; the very next ranking through instance B (whichever worker answers) no longer lists them.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from hub import migrate
from hub.db import make_engine, utcnow
from hub.services.accounts import hash_password
from tests.support import TEST_DATABASE_URL
from tests.web.needs_factories import expert, need, org, user

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgresql"),
    reason="needs PostgreSQL shared by two server processes; CI runs it there")]

ROOT = Path(__file__).resolve().parents[2]
PORTS = (5103, 5113)
PASSWORD = "a long enough test password 7"


@pytest.fixture(scope="module")
def shared_url():
    base = make_url(TEST_DATABASE_URL)
    name = f"{base.database}_two_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _serve(url: str, port: int, snapshots: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    env.update({"DATABASE_URL": url, "EMBEDDING_BACKEND": "tfidf", "SECRET_KEY": "two-instances",
                "RATELIMIT_ENABLED": "false", "PUBLIC_URL": "http://127.0.0.1", "INDEX_SNAPSHOT_DIR": str(snapshots)})
    gunicorn = Path(sys.executable).parent / "gunicorn"
    return subprocess.Popen([str(gunicorn), "-w", "2", "-b", f"127.0.0.1:{port}", "app:app"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_ready(httpx, port: int, process) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, "gunicorn exited"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"instance on {port} never became ready")


def _signed_in(httpx, port: int, email: str):
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
    page = client.get("/account/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    response = client.post("/account/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.text[:500]
    return client


def test_a_change_through_one_instance_is_in_the_next_ranking_of_the_other(shared_url, tmp_path):
    httpx = pytest.importorskip("httpx")
    engine = make_engine(shared_url)
    with Session(engine) as session:
        shiojiri = org(session)
        staff = user(session, "org_staff", shiojiri)
        staff.password_hash = hash_password(PASSWORD)
        fits = [expert(session, skills={"backend_dev": 3}) for _ in range(3)]
        fits[0].user.password_hash = hash_password(PASSWORD)
        fits[0].user.verified_at = utcnow()
        open_need = need(session, shiojiri, skills={"backend_dev": 2}, created_by_id=staff.id, published_at=utcnow())
        session.commit()
        staff_email, expert_email, moving, need_id = staff.email, fits[0].user.email, fits[0].external_id, open_need.id
    engine.dispose()

    servers = [_serve(shared_url, port, tmp_path / f"host{port}") for port in PORTS]  # two hosts: two disks
    try:
        for port, process in zip(PORTS, servers):
            _wait_ready(httpx, port, process)
        a_staff, b_staff = (_signed_in(httpx, port, staff_email) for port in PORTS)
        matches = f"/api/v1/needs/{need_id}/matches?top=10"
        for client in (a_staff, b_staff):
            for _ in range(6):  # every worker of both instances has ranked (and started its index)
                assert moving in [m["external_id"] for m in client.get(matches).json()]

        a_expert = _signed_in(httpx, PORTS[0], expert_email)
        form = a_expert.get("/experts/me/profile/hours")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.text).group(1)
        saved = a_expert.post("/experts/me/profile/hours", data={
            "csrf_token": token, "hours_per_month": "0", "available_from": "2026-01-01", "available_until": ""})
        assert saved.status_code == 302, saved.text[:500]

        for _ in range(4):  # the next ranking, whichever worker of B answers it
            ranked = b_staff.get(matches).json()
            assert moving not in [m["external_id"] for m in ranked]
            assert len(ranked) == 2
        assert moving not in [m["external_id"] for m in a_staff.get(matches).json()]
    finally:
        for process in servers:
            process.send_signal(signal.SIGTERM)
        for process in servers:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
