"""Background jobs: long work queued on Redis (RQ) and run by `flask --app app jobs-worker`, or in-process.

A job kind is a function `run(session, job, progress) -> dict` registered here under a name
(`register`); other modules add theirs the same way (e.g. the bureau's follow-up reminders:
`jobs.register("dispatch.reminders", send_follow_up_reminders, _l("Follow-up reminders"))`).

`submit` records the job and then:
- with `REDIS_URL` set, puts its id on the RQ queue once the caller's commit succeeded; a worker runs it in
  transactions of its own, storing its progress as it goes;
- without it (the embedded default), runs it right away inside the caller's transaction, in a savepoint:
  `./dev.sh run` needs nothing else, and a failing job leaves the caller's change standing.

States: queued → running → finished | failed (docs/state-changes.md). A job's progress and result are
shown at /jobs/<id> to whoever started it and to admins (hub/permissions.py).
"""
from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from hub.db import after_commit, utcnow
from hub.models import Job, User
from hub.services import audit
from hub.services.errors import Refused

log = logging.getLogger(__name__)

Progress = Callable[[int, int | None], None]  # (done, total)
ERROR_LENGTH = 2000


@dataclass(frozen=True)
class JobKind:
    name: str
    run: Callable[[Session, Job, Progress], dict]
    label: object  # a lazy translated string, shown on the jobs page
    # Called with (session, job) after a failure rolled the job's work back, in the transaction that records
    # the failure: e.g. to delete an uploaded file the job no longer needs.
    on_failure: Callable[[Session, Job], None] | None = None


KINDS: dict[str, JobKind] = {}


def register(name: str, run: Callable[[Session, Job, Progress], dict], label: object,
             on_failure: Callable[[Session, Job], None] | None = None) -> None:
    """Make `run` available as job kind `name` (idempotent for the same function)."""
    KINDS[name] = JobKind(name, run, label, on_failure)


def queue_configured() -> bool:
    return bool(current_app.config.get("REDIS_URL"))


def redis_queue():
    """The RQ queue of this hub (REDIS_URL, JOB_QUEUE)."""
    from redis import Redis
    from rq import Queue
    return Queue(current_app.config["JOB_QUEUE"], connection=Redis.from_url(current_app.config["REDIS_URL"]))


def submit(session: Session, actor: User | None, kind: str, params: dict | None = None, *,
           audited: bool = True) -> Job:
    """Record a job of `kind` and queue it (or run it now, in-process); audited as job.submit.

    A verb that submits a job as part of its own change passes `audited=False` and names the job in its
    own event (one event per verb).
    """
    if kind not in KINDS:
        raise Refused(_l("There is no job kind %(kind)s.", kind=kind), reason="unknown_kind")
    job = Job(kind=kind, state="queued", params=dict(params or {}), progress=0,
              created_by_id=actor.id if actor is not None else None)
    session.add(job)
    session.flush()
    if audited:
        audit.record(session, actor, "job.submit", "job", job.id, kind=kind)
    if queue_configured():
        after_commit(session, _put_on_queue, current_app._get_current_object(), job.id)
    else:
        run_in_transaction(session, job)
    return job


def _put_on_queue(app, job_id: int) -> None:
    with app.app_context():
        redis_queue().enqueue("hub.services.jobs.perform", job_id, job_id=f"hub-job-{job_id}",
                              job_timeout=6 * 3600, result_ttl=86400, failure_ttl=7 * 86400)


def run_in_transaction(session: Session, job: Job) -> Job:
    """Run a job in the caller's transaction (in-process mode); a failure rolls back only the job's work."""
    _start(job)

    def progress(done: int, total: int | None = None) -> None:
        job.progress, job.total = max(0, int(done)), total if total is None else int(total)

    savepoint = session.begin_nested()
    try:
        result = KINDS[job.kind].run(session, job, progress)
        savepoint.commit()
    except Exception as exc:  # noqa: BLE001  (the job fails, the request that started it does not)
        savepoint.rollback()
        _fail(session, job, exc)
    else:
        _finish(session, job, result)
    return job


def perform(job_id: int) -> str:
    """What an RQ worker calls: run job `job_id` in transactions of its own, storing progress as it goes."""
    if has_app_context():
        return _perform(job_id)
    from hub import create_app
    with create_app().app_context():
        return _perform(job_id)


def _perform(job_id: int) -> str:
    from hub.db import side_session
    maker = current_app.extensions["hub.sessionmaker"]
    with maker() as session:
        job = session.get(Job, job_id, with_for_update=True)
        if job is None or job.state != "queued":  # gone, or another worker took it
            return job.state if job is not None else "missing"
        _start(job)
        session.commit()

        def progress(done: int, total: int | None = None) -> None:
            with side_session(session) as side:
                row = side.get(Job, job_id)
                row.progress, row.total = max(0, int(done)), total if total is None else int(total)
                side.commit()

        try:
            result = KINDS[job.kind].run(session, job, progress)
            session.flush()
        except Exception as exc:  # noqa: BLE001  (stored on the job, shown on its page)
            session.rollback()
            job = session.get(Job, job_id)
            _fail(session, job, exc)
        else:
            session.refresh(job, ["progress", "total"])
            _finish(session, job, result)
        session.commit()
        return job.state


def _start(job: Job) -> None:
    job.state, job.started_at = "running", utcnow()


def _finish(session: Session, job: Job, result: dict | None) -> None:
    job.state, job.result, job.finished_at = "finished", result or {}, utcnow()
    audit.record(session, None, "job.finish", "job", job.id, kind=job.kind)


def _fail(session: Session, job: Job, exc: BaseException) -> None:
    log.error("job %s (%s) failed:\n%s", job.id, job.kind, "".join(traceback.format_exception(exc)))
    job.state, job.finished_at = "failed", utcnow()
    job.error = f"{type(exc).__name__}: {exc}"[:ERROR_LENGTH]
    kind = KINDS.get(job.kind)
    if kind is not None and kind.on_failure is not None:
        kind.on_failure(session, job)
    audit.record(session, None, "job.fail", "job", job.id, kind=job.kind)


# --- the hub's own kinds ----------------------------------------------------------------------------------------

def _reembed(session: Session, job: Job, progress: Progress) -> dict:
    """Bring every stored embedding up to date for the configured model, then refresh the planner's statistics."""
    from hub.db import refresh_statistics_in
    from hub.services.matching import load_expert_rows
    engine = current_app.extensions["hub.matcher"]
    texts = load_expert_rows(session).texts
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        progress(done, len(texts))

    progress(0, len(texts))
    engine.embed_experts(session, texts, progress=advance)  # advances only for texts it had to encode
    progress(len(texts), len(texts))
    engine.store_need_vectors(session)
    after_commit(session, refresh_statistics_in, current_app._get_current_object())
    return {"experts": len(texts), "model": engine.encoder.name}


def _notify_need_published(session: Session, job: Job, progress: Progress) -> dict:
    from hub.models import Need
    from hub.services.notifications import notify_need_published
    need = session.get(Need, int(job.params["need_id"]))
    if need is None or need.status != "open":
        return {"notified": 0}
    sent = notify_need_published(session, need)
    progress(len(sent), len(sent))
    return {"notified": len(sent)}


def _remind_availability(session: Session, job: Job, progress: Progress) -> dict:
    from hub.mail import external_url
    from hub.services.accounts import remind_stale_experts
    config = current_app.config
    with current_app.test_request_context():  # Flask-Babel outside a request; links come from PUBLIC_URL
        sent = remind_stale_experts(session, config["SECRET_KEY"], int(config["AVAILABILITY_STALE_DAYS"]),
                                    lambda token: external_url("experts.confirm_availability_link", token=token))
    progress(sent, sent)
    return {"reminded": sent}


register("reembed", _reembed, _l("Re-embed the texts"))
register("notify.need_published", _notify_need_published, _l("Notify the experts a new need fits"))
register("availability.reminders", _remind_availability, _l("Availability reminders"))
STARTABLE_FROM_THE_PAGE = ("reembed", "availability.reminders")  # by admins; the others start from their verbs
