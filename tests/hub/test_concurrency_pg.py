"""Concurrency on PostgreSQL: capacity under a row lock, one engagement per shortlist entry, no 500 on GET.

These need real concurrent connections, so they cannot use the rolled-back-transaction fixture: they run on a
scratch database next to TEST_DATABASE_URL, migrated with Alembic (the real schema, partial index included),
and dropped afterwards. SQLite serialises writers and has no row locks to test; CI runs these on PostgreSQL.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from hub import migrate
from hub.db import make_engine
from hub.models import Embedding, Engagement, ExpertProfile, Need, ShortlistEntry, User
from hub.services import engagements
from hub.services.errors import Conflict, NotEnoughHours, Refused, StateError, conflicts_as
from tests.support import TEST_DATABASE_URL
from tests.web.needs_factories import expert, need, org, user

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL.startswith("postgresql"),
                                reason="needs PostgreSQL (row locks, concurrent connections); CI runs it there")

ROOT = Path(__file__).resolve().parents[2]
LG_CODES = ("202151", "202029", "202011", "202037", "202045", "202053", "202061", "202070")
START, END = date(2027, 4, 1), date(2028, 3, 31)


@pytest.fixture(scope="module")
def scratch_url():
    """A fresh database beside the test database, migrated to head; dropped at the end."""
    base = make_url(TEST_DATABASE_URL)
    name = f"{base.database}_scratch_{os.getpid()}"
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


@pytest.fixture
def scratch(scratch_url):
    engine = make_engine(scratch_url)
    yield engine
    with engine.begin() as connection:  # empty every table for the next test
        tables = [r[0] for r in connection.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename != 'alembic_version'"))]
        connection.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    engine.dispose()


def _run_at_once(n: int, work) -> list:
    """Run work(i) in n threads released together; return what each returned or raised."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001  (collected and asserted on)
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _accepted(session, person, row) -> ShortlistEntry:
    entry = ShortlistEntry(need_id=row.id, expert_id=person.id, state="accepted")
    session.add(entry)
    session.flush()
    return entry


def _start(factory, entry_id: int, staff_id: int, hours: int):
    with factory() as session:
        entry, staff = session.get(ShortlistEntry, entry_id), session.get(User, staff_id)
        with conflicts_as(session, "conflict"):
            engagement = engagements.start_engagement(session, staff, entry, role="", start=START, end=END,
                                                      hours_per_month=hours)
            session.commit()
        return engagement.id


def test_concurrent_starts_by_different_organizations_never_overbook(scratch):
    """6 organizations start 12 h/month each at once on an expert who offers 40: exactly 3 fit."""
    with Session(scratch) as session:
        person = expert(session, hours=40)
        plan = []
        for code in LG_CODES[:6]:
            organization = org(session, code)
            staff = user(session, "org_staff", organization)
            plan.append((_accepted(session, person, need(session, organization)).id, staff.id))
        session.commit()
        expert_id = person.id
    factory = sessionmaker(scratch, expire_on_commit=False)
    results = _run_at_once(len(plan), lambda i: _start(factory, plan[i][0], plan[i][1], 12))
    started = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, NotEnoughHours)]
    assert len(started) == 3 and len(refused) == 3, results
    assert sorted(r.remaining for r in refused) == [4, 4, 4]
    with Session(scratch) as session:
        committed = session.scalar(select(func.sum(Engagement.hours_per_month)).where(
            Engagement.expert_id == expert_id, Engagement.status == "active"))
        assert committed == 36 <= session.get(ExpertProfile, expert_id).hours_per_month
    print(f"\ncapacity: {len(plan)} attempts x 12 h on 40 h offered -> {len(started)} started, "
          f"{len(refused)} NotEnoughHours (remaining {refused[0].remaining}), {committed} h committed")


def test_sixteen_concurrent_starts_of_one_shortlist_entry_make_one_engagement(scratch):
    with Session(scratch) as session:
        organization = org(session)
        staff = user(session, "org_staff", organization)
        entry = _accepted(session, expert(session, hours=40), need(session, organization))
        session.commit()
        entry_id, staff_id = entry.id, staff.id
    factory = sessionmaker(scratch, expire_on_commit=False)
    results = _run_at_once(16, lambda i: _start(factory, entry_id, staff_id, 10))
    started = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, (StateError, Conflict))]
    assert len(started) == 1 and len(refused) == 15, results
    with Session(scratch) as session:
        assert session.scalar(select(func.count()).select_from(Engagement)) == 1
    print(f"\none entry: 16 concurrent starts -> {len(started)} engagement, {len(refused)} refused")


def test_the_unique_index_holds_without_the_lock(scratch):
    """The constraint is the last line: two running engagements of one entry cannot be stored at all."""
    with Session(scratch) as session:
        organization = org(session)
        row = need(session, organization)
        person = expert(session)
        entry = _accepted(session, person, row)
        for _ in range(2):
            session.add(Engagement(expert_id=person.id, organization_id=organization.id, need_id=row.id,
                                   shortlist_entry_id=entry.id, source="need", title="t", start_date=START,
                                   end_date=END, hours_per_month=1, status="active"))
        with pytest.raises(Refused):
            with conflicts_as(session, "twice"):
                session.flush()


def _new_need_world(scratch, n_experts: int = 12) -> tuple[str, int]:
    with Session(scratch) as session:
        organization = org(session)
        staff = user(session, "org_staff", organization)
        for i in range(n_experts):
            expert(session, name=f"専門家 {i}", skills={"backend_dev": 1 + i % 4, "frontend_dev": 2},
                   bio=f"地域交通とデータ活用の支援 {i}")
        row = need(session, organization, skills={"backend_dev": 2}, description="オンデマンド交通の新しい募集")
        session.commit()
        return row.external_id, staff.id


def test_four_concurrent_flask_match_processes_on_a_new_need_all_succeed_alike(scratch, scratch_url):
    ref, _staff = _new_need_world(scratch)
    env = {**os.environ, "DATABASE_URL": scratch_url, "EMBEDDING_BACKEND": "tfidf", "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "flask", "--app", "app", "match", ref, "--top", "5", "--json"]
    processes = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for _ in range(4)]
    outputs = [p.communicate(timeout=300) for p in processes]
    codes = [p.returncode for p in processes]
    assert codes == [0, 0, 0, 0], [err.decode()[-2000:] for _, err in outputs]
    assert len({out for out, _ in outputs}) == 1 and json.loads(outputs[0][0])
    with Session(scratch) as session:
        assert session.scalar(select(func.count()).select_from(Embedding).where(Embedding.owner_kind == "need")) == 1
    print(f"\nflask match: 4 concurrent processes on a new need -> exit codes {codes}, identical output")


def test_concurrent_api_calls_on_a_new_need_all_answer_200(scratch, scratch_url):
    from hub import create_app
    ref, staff_id = _new_need_world(scratch)
    with Session(scratch) as session:
        login_id = session.get(User, staff_id).get_id()
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": scratch_url,
                      "EMBEDDING_BACKEND": "tfidf", "AUTO_MIGRATE": False, "MAIL_SERVER": None,
                      "SERVER_NAME": "hub.test", "PUBLIC_URL": "http://hub.test"})

    def call(_i: int):
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"] = login_id  # Flask-Login's id carries the auth version
            sess["_fresh"] = True
        response = client.get(f"/api/v1/needs/{ref}/matches?top=5")
        return response.status_code, response.get_data()

    results = _run_at_once(6, call)
    assert [r[0] if isinstance(r, tuple) else r for r in results] == [200] * 6
    assert len({body for _, body in results}) == 1
    with Session(scratch) as session:
        assert session.scalar(select(func.count()).select_from(Embedding).where(Embedding.owner_kind == "need")) == 1
        assert session.scalar(select(Need.status).where(Need.external_id == ref)) == "open"
    app.extensions["hub.engine"].dispose()
    print("\nAPI: 6 concurrent calls on a new need -> all 200, identical bodies")


def test_double_clicks_on_contact_and_evaluate_act_once(scratch, scratch_url):
    """8 contact requests and 8 evaluations at once: one notification, one evaluation, the rest refused."""
    from hub import create_app
    from hub.models import Evaluation, Notification
    with Session(scratch) as session:
        organization = org(session)
        staff = user(session, "org_staff", organization)
        row = need(session, organization)
        person = expert(session, skills={"backend_dev": 2})
        entry = ShortlistEntry(need_id=row.id, expert_id=person.id, state="shortlisted")
        session.add(entry)
        session.flush()
        done = Engagement(expert_id=person.id, organization_id=organization.id, need_id=row.id, source="need",
                          title="t", start_date=START, end_date=END, hours_per_month=1, status="completed")
        session.add(done)
        session.commit()
        entry_id, staff_id, engagement_id, expert_id = entry.id, staff.id, done.id, person.id
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": scratch_url, "EMBEDDING_BACKEND": "tfidf",
                      "AUTO_MIGRATE": False, "MAIL_SERVER": None, "SERVER_NAME": "hub.test",
                      "PUBLIC_URL": "http://hub.test"})
    factory = sessionmaker(scratch, expire_on_commit=False)

    def contact(_i):
        with app.test_request_context(), factory() as session:
            with conflicts_as(session, "conflict"):
                engagements.request_contact(session, session.get(User, staff_id), session.get(ShortlistEntry, entry_id))
                session.commit()
            return "sent"

    def evaluate(_i):
        with factory() as session:
            with conflicts_as(session, "conflict"):
                engagements.evaluate(session, session.get(User, staff_id), session.get(Engagement, engagement_id),
                                     overall=4, would_rehire=True, skill_ratings={"backend_dev": 4})
                session.commit()
            return "saved"

    contacts, evaluations = _run_at_once(8, contact), _run_at_once(8, evaluate)
    assert contacts.count("sent") == 1 and all(isinstance(r, Refused) for r in contacts if r != "sent"), contacts
    assert evaluations.count("saved") == 1 and all(isinstance(r, Refused) for r in evaluations if r != "saved")
    with Session(scratch) as session:
        kinds = list(session.scalars(select(Notification.kind).order_by(Notification.kind)))
        # One contact request, and the one evaluation tells the expert once (issue 11's milestone notice).
        assert kinds == ["contact_request", "engagement_milestone"]
        assert len(app.extensions["hub.outbox"]) == 1
        assert session.scalar(select(func.count()).select_from(Evaluation)) == 1
        skill = session.scalar(select(ExpertProfile).where(ExpertProfile.id == expert_id)).skills[0]
        assert (skill.rating_count, skill.rating_mean) == (1, 4.0)
    app.extensions["hub.engine"].dispose()


def test_concurrent_api_engagements_exactly_one_fits(scratch, scratch_url):
    """6 organizations POST /api/v1/shortlist/{id}/engagement at once, 30 h each, on 40 h: one 201, five 409."""
    from hub import create_app
    from hub.services import tokens
    with Session(scratch) as session:
        person = expert(session, hours=40)
        plan = []
        for code in LG_CODES[:6]:
            organization = org(session, code)
            staff = user(session, "org_staff", organization)
            _row, token = tokens.create_token(session, None, staff, "bench")
            plan.append((_accepted(session, person, need(session, organization)).id, token))
        session.commit()
        expert_id = person.id
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": scratch_url, "EMBEDDING_BACKEND": "tfidf",
                      "AUTO_MIGRATE": False, "MAIL_SERVER": None, "SERVER_NAME": "hub.test",
                      "PUBLIC_URL": "http://hub.test"})

    def call(i: int):
        entry_id, token = plan[i]
        response = app.test_client().post(f"/api/v1/shortlist/{entry_id}/engagement",
                                          headers={"Authorization": f"Bearer {token}"},
                                          json={"hours_per_month": 30, "start": START.isoformat(), "end": END.isoformat()})
        return response.status_code, response.get_json()

    results = _run_at_once(len(plan), call)
    codes = sorted(r[0] if isinstance(r, tuple) else r for r in results)
    assert codes == [201, 409, 409, 409, 409, 409], results
    assert {r[1]["remaining_hours"] for r in results if r[0] == 409} == {10}
    with Session(scratch) as session:
        committed = session.scalar(select(func.sum(Engagement.hours_per_month)).where(
            Engagement.expert_id == expert_id, Engagement.status == "active"))
        assert committed == 30
    app.extensions["hub.engine"].dispose()
    print(f"\nAPI capacity: {len(plan)} concurrent engagement requests x 30 h on 40 h -> codes {codes}")


def test_withdraw_and_accept_at_once_end_in_one_state(scratch, scratch_url):
    """The officer withdraws while the expert accepts (issue 11): both lock the entry; one wins, the other is
    refused with a reason, and the entry is never both."""
    from hub import create_app
    from hub.services import contact as contact_verbs, shortlist as shortlist_verbs
    with Session(scratch) as session:
        organization = org(session)
        staff = user(session, "org_staff", organization)
        row = need(session, organization)
        person = expert(session, skills={"backend_dev": 2})
        entry = ShortlistEntry(need_id=row.id, expert_id=person.id, state="contacted", contacted_at=START)
        session.add(entry)
        session.commit()
        entry_id, staff_id, expert_id, expert_user_id = entry.id, staff.id, person.id, person.user_id
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": scratch_url, "EMBEDDING_BACKEND": "tfidf",
                      "AUTO_MIGRATE": False, "MAIL_SERVER": None, "SERVER_NAME": "hub.test",
                      "PUBLIC_URL": "http://hub.test"})
    factory = sessionmaker(scratch, expire_on_commit=False)

    def act(i):
        with app.test_request_context(), factory() as session:
            if i % 2:
                shortlist_verbs.withdraw(session, session.get(User, staff_id), session.get(ShortlistEntry, entry_id))
            else:
                contact_verbs.respond(session, session.get(User, expert_user_id),
                                      session.get(ExpertProfile, expert_id), entry_id, accept=True)
            session.commit()
            return "withdrawn" if i % 2 else "accepted"

    results = _run_at_once(6, act)
    done = [r for r in results if isinstance(r, str)]
    assert len(done) == 1 and all(isinstance(r, Refused) for r in results if not isinstance(r, str)), results
    with Session(scratch) as session:
        assert session.get(ShortlistEntry, entry_id).state == done[0]
    app.extensions["hub.engine"].dispose()
