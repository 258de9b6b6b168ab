"""Background jobs: in-process without a queue, on RQ with Redis (DB 7), the jobs page and its permissions."""
from __future__ import annotations

import socket

import pytest
from sqlalchemy import func, select

from hub.models import AuditEvent, Embedding, Job, Notification
from hub.services import jobs
from tests.support import csrf_token_from
from tests.web.needs_factories import expert, login, need, org, user

REDIS_URL = "redis://127.0.0.1:6379/7"


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def test_jobs_without_a_queue_run_in_process_and_keep_their_result(app, session):
    admin = user(session, "admin")
    expert(session, skills={"backend_dev": 3})
    expert(session, skills={"frontend_dev": 2})
    with app.test_request_context():
        job = jobs.submit(session, admin, "reembed")
    assert job.state == "finished" and job.result["experts"] == 2 and job.progress == job.total == 2
    assert job.started_at and job.finished_at
    assert session.scalar(select(func.count()).select_from(Embedding).where(Embedding.owner_kind == "expert")) == 2
    assert [e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.entity == "job"))] == [
        "job.submit", "job.finish"]


def test_a_failing_job_is_marked_failed_and_the_callers_change_stands(app, session):
    def explode(session_, job, progress):
        session_.add(Notification(user_id=job.created_by_id, kind="need_published"))
        session_.flush()
        raise RuntimeError("the disk is full")

    jobs.register("test.explode", explode, "explode")
    try:
        staff = user(session, "admin")
        with app.test_request_context():
            job = jobs.submit(session, staff, "test.explode")
        assert job.state == "failed" and "RuntimeError: the disk is full" in job.error
        assert session.scalar(select(func.count()).select_from(Notification)) == 0  # the job's work rolled back
        assert session.get(Job, job.id) is job  # the job row itself stays
    finally:
        jobs.KINDS.pop("test.explode")


def test_an_unknown_kind_is_refused(app, session):
    from hub.services.errors import Refused
    with app.test_request_context(), pytest.raises(Refused):
        jobs.submit(session, None, "no.such.kind")


def test_the_jobs_page_starts_a_job_and_shows_it_to_its_owner_and_admins_only(app, client, session):
    admin, other_admin = user(session, "admin"), user(session, "admin")
    staff = user(session, "org_staff", org(session))
    session.commit()
    login(client, admin)
    page = client.get("/jobs")
    assert page.status_code == 200
    response = client.post("/jobs", data={"kind": "availability.reminders",
                                          "csrf_token": csrf_token_from(page.get_data(as_text=True))})
    assert response.status_code == 302
    job = session.scalars(select(Job).order_by(Job.id.desc())).first()
    assert response.headers["Location"].endswith(f"/jobs/{job.id}")
    assert job.state == "finished" and job.created_by_id == admin.id
    assert "reminded" in job.result
    assert client.get(f"/jobs/{job.id}").status_code == 200
    assert client.post("/jobs", data={"kind": "reembed"}).status_code == 400  # CSRF stays on
    login(client, other_admin)
    assert client.get(f"/jobs/{job.id}").status_code == 200
    login(client, staff)
    assert client.get(f"/jobs/{job.id}").status_code == 404  # as if there were none
    page = client.get("/jobs")
    assert f"/jobs/{job.id}" not in page.get_data(as_text=True)
    token = csrf_token_from(page.get_data(as_text=True))
    assert client.post("/jobs", data={"kind": "reembed", "csrf_token": token}).status_code == 403


@pytest.fixture
def queued_app(app):
    if not _redis_reachable():
        pytest.skip("Redis is not reachable on 127.0.0.1:6379 (the RQ tests use its DB 7)")
    from redis import Redis
    Redis.from_url(REDIS_URL).flushdb()
    app.config["REDIS_URL"] = REDIS_URL
    app.config["JOB_QUEUE"] = "hub-test"
    yield app
    Redis.from_url(REDIS_URL).flushdb()


def _work(app) -> None:
    from rq import SimpleWorker
    with app.app_context():
        queue = jobs.redis_queue()
        SimpleWorker([queue], connection=queue.connection).work(burst=True, with_scheduler=False)


def test_with_a_queue_a_job_waits_for_the_commit_and_a_worker_runs_it(queued_app, session):
    admin = user(session, "admin")
    expert(session, skills={"backend_dev": 3})
    with queued_app.test_request_context():
        job = jobs.submit(session, admin, "reembed")
        assert job.state == "queued" and jobs.redis_queue().count == 0  # nothing on the queue before the commit
        session.commit()
        assert jobs.redis_queue().count == 1
    _work(queued_app)
    session.expire_all()
    job = session.get(Job, job.id)
    assert job.state == "finished" and job.result["experts"] == 1 and job.progress == job.total == 1


def test_with_a_queue_a_rolled_back_submit_queues_nothing(queued_app, session):
    with queued_app.test_request_context():
        jobs.submit(session, None, "reembed")
        session.rollback()
        assert jobs.redis_queue().count == 0


def test_with_a_queue_publishing_fans_the_notifications_out_in_a_job(queued_app, client, session):
    shiojiri = org(session)
    staff = user(session, "org_staff", shiojiri)
    fits = [expert(session, skills={"backend_dev": 3}) for _ in range(2)]
    draft = need(session, shiojiri, status="draft", skills={"backend_dev": 2}, created_by_id=staff.id)
    session.commit()
    login(client, staff)
    token = csrf_token_from(client.get(f"/needs/{draft.id}").get_data(as_text=True))
    assert client.post(f"/needs/{draft.id}/publish", data={"csrf_token": token}).status_code == 302
    assert session.scalar(select(func.count()).select_from(Notification)) == 0  # not in the request
    job = session.scalars(select(Job).where(Job.kind == "notify.need_published")).one()
    assert job.created_by_id == staff.id and job.params == {"need_id": draft.id}
    _work(queued_app)
    session.expire_all()
    assert session.get(Job, job.id).result == {"notified": 2}
    assert {n.user_id for n in session.scalars(select(Notification))} == {e.user_id for e in fits}
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "need.publish")).one()
    assert event.details == {"notify_job": job.id}
