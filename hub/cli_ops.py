"""Operations commands: the background-job worker and the candidate index snapshot."""
from __future__ import annotations

import time

import click
from flask import Flask, current_app
from flask.cli import with_appcontext


@click.command("jobs-worker")
@click.option("--burst", is_flag=True, help="Run the queued jobs, then stop (instead of waiting for more).")
@with_appcontext
def jobs_worker_command(burst: bool) -> None:
    """Run background jobs from the RQ queue on REDIS_URL (the jobs page shows their progress)."""
    from rq import SimpleWorker

    from hub.services import jobs
    if not jobs.queue_configured():
        raise click.UsageError("REDIS_URL is not set: without a queue, jobs run in the process that starts them.")
    queue = jobs.redis_queue()
    # SimpleWorker runs each job in this process, inside this app context: no fork, no second app per job.
    SimpleWorker([queue], connection=queue.connection).work(burst=burst, with_scheduler=False)


@click.command("index-snapshot")
@with_appcontext
def index_snapshot_command() -> None:
    """Build the candidate index from the database and write a snapshot for the workers of this host."""
    from hub.db import get_session
    engine = current_app.extensions["hub.matcher"]
    if not engine.snapshot_dir:
        raise click.UsageError("index snapshots are off (INDEX_SNAPSHOT_DIR).")
    started = time.perf_counter()
    session = get_session()
    engine.forget()
    index = engine.index(session)  # maps the newest snapshot, or builds and writes one
    path = engine.save_snapshot(session)
    session.rollback()  # a ranking's vectors may have been stored aside; nothing else is written
    click.echo(f"index snapshot of {len(index)} experts: {path or 'another process is writing one'} "
               f"({time.perf_counter() - started:.1f} s)", err=True)


def init_app(app: Flask) -> None:
    for command in (jobs_worker_command, index_snapshot_command):
        app.cli.add_command(command)
