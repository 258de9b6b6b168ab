"""`flask --app app …` commands. They parse arguments, call a service, commit once, and report."""
from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.engine import Engine

from hub import migrate
from hub.db import refresh_statistics

db_cli = AppGroup("db", help="Create, migrate or roll back the database schema.")


def _engine():
    return current_app.extensions["hub.engine"]


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Create or migrate the schema up to REVISION (default: head)."""
    migrate.upgrade(_engine(), revision)
    click.echo(f"Database at {revision}.", err=True)


@db_cli.command("downgrade")
@click.argument("revision", default="-1")
def db_downgrade(revision: str) -> None:
    """Roll the schema back to REVISION (default: one step; `base` empties it)."""
    migrate.downgrade(_engine(), revision)
    click.echo(f"Database at {revision}.", err=True)


# -- import and export (docs/interchange.md) ---------------------------------------------------------------------

PROGRESS_MIN_RECORDS = 2000  # without a terminal, report progress only for files this large


def _prepare_database() -> None:
    """Create or migrate the schema first, so each data command works on an empty database.

    AUTO_MIGRATE False means the schema is managed elsewhere (the test suite creates it itself).
    """
    if current_app.config.get("AUTO_MIGRATE") is not False:
        migrate.ensure_current(_engine())


@contextmanager
def _progress(total: int, label: str) -> Iterator[Callable[[int], None] | None]:
    """Yield a callback advancing a bar on standard error: a live bar on a terminal, a line per tenth otherwise."""
    if sys.stderr.isatty():
        with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
            yield bar.update
        return
    if total < PROGRESS_MIN_RECORDS:
        yield None
        return
    done = [0, 0]  # records done, tenths reported

    def advance(n: int) -> None:
        done[0] += n
        if (tenth := done[0] * 10 // total) > done[1]:
            done[1] = tenth
            click.echo(f"{label}: {done[0]}/{total}", err=True)

    yield advance


def _run_import(path: Path, kind: str, file_format: str) -> None:
    """Validate the whole file, apply it when no line is bad, commit once; exit 1 with the report otherwise."""
    from hub.db import get_session
    from hub.services import audit, interchange

    _prepare_database()
    taxonomy = current_app.extensions["hub.taxonomy"]
    data = path.read_bytes()
    if kind == "experts":
        parsed = interchange.parse_experts(data, taxonomy, format=file_format)
    else:
        parsed = interchange.parse_needs(data, taxonomy)
    if not parsed.ok:
        for error in parsed.errors:
            click.echo(str(error), err=True)
        click.echo(f"{path.name}: {len(parsed.errors)} error(s); nothing was imported.", err=True)
        sys.exit(1)
    session = get_session()
    apply = interchange.apply_experts if kind == "experts" else interchange.apply_needs
    with _progress(len(parsed.records), f"Importing {kind}") as progress:
        created, updated = apply(session, parsed.records, progress=progress)
    extra = {}
    if kind == "needs":
        current_app.extensions["hub.matcher"].store_need_vectors(session)  # so that no ranking computes them
    else:  # text-only rosters: skills read from the text
        extra["skills_read_from_text"] = interchange.infer_imported_skills(session, parsed.records)
    action, entity = ("expert.import", "expert") if kind == "experts" else ("need.import", "need")
    audit.record(session, None, action, entity, path.name, file=str(path), format=file_format,
                 records=len(parsed.records), created=created, updated=updated, **extra)
    session.commit()
    refresh_statistics(session)
    click.echo(f"{path.name}: {len(parsed.records)} {kind}: {created} created, {updated} updated.", err=True)


def _format_of(path: Path, given: str | None) -> str:
    if given:
        return given
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    raise click.UsageError(f"cannot tell the format of {path.name}; pass --format jsonl or --format csv")


@click.command("import-experts")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "file_format", type=click.Choice(["jsonl", "csv"]),
              help="Input format (default: from the file name, .jsonl or .csv).")
@with_appcontext
def import_experts_command(file: Path, file_format: str | None) -> None:
    """Import experts from FILE (JSONL or CSV); nothing is written when any line is bad."""
    _run_import(file, "experts", _format_of(file, file_format))


@click.command("import-needs")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_needs_command(file: Path) -> None:
    """Import needs from a JSONL FILE; nothing is written when any line is bad."""
    _run_import(file, "needs", "jsonl")


def _run_export(file: Path | None, kind: str) -> None:
    from hub.db import get_session
    from hub.services import interchange

    _prepare_database()
    session = get_session()
    objects = interchange.export_experts(session) if kind == "experts" else interchange.export_needs(session)
    if file is None:
        binary = getattr(sys.stdout, "buffer", None)
        if binary is None:  # a text-only stream (some embedders): write text as it is
            count = interchange.write_jsonl(objects, sys.stdout)
        else:  # UTF-8 whatever the locale says, so a Japanese name never fails on a C locale
            sys.stdout.flush()
            stream = io.TextIOWrapper(binary, encoding="utf-8", newline="\n")
            try:
                count = interchange.write_jsonl(objects, stream)
                stream.flush()
            finally:
                stream.detach()  # leave standard output open for whoever owns it
    else:
        partial = file.with_name(file.name + ".partial")
        try:
            with partial.open("w", encoding="utf-8", newline="\n") as stream:
                count = interchange.write_jsonl(objects, stream)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        os.replace(partial, file)  # a failed export never leaves half a file under the real name
    session.rollback()
    click.echo(f"Exported {count} {kind}{f' to {file}' if file else ''}.", err=True)


@click.command("export-experts")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def export_experts_command(file: Path | None) -> None:
    """Write every expert as JSONL to FILE, or to standard output (and nothing else there)."""
    _run_export(file, "experts")


@click.command("export-needs")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def export_needs_command(file: Path | None) -> None:
    """Write every need as JSONL to FILE, or to standard output (and nothing else there)."""
    _run_export(file, "needs")


# -- whole-database backup (docs/interchange.md) ------------------------------------------------------------------

@click.command("export-all")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--with-embeddings", is_flag=True, help="Also write the text embeddings (else recomputed after a restore).")
@with_appcontext
def export_all_command(file: Path, with_embeddings: bool) -> None:
    """Write every table (users, experts, needs, shortlists, engagements, audit, …) to FILE, as a backup."""
    import time

    from hub.db import get_session
    from hub.services import backup

    _prepare_database()
    session = get_session()
    bind = session.get_bind()
    if isinstance(bind, Engine):  # the session's own connection: one snapshot for every table
        session.connection(execution_options={"isolation_level": backup.SNAPSHOT_ISOLATION[bind.dialect.name]})
    started = time.perf_counter()
    partial = file.with_name(file.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8", newline="\n") as stream, \
                _progress(backup.count_rows(session, with_embeddings=with_embeddings), "Exporting rows") as advance:
            report = backup.export_all(session, stream, with_embeddings=with_embeddings, progress=advance)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, file)  # a failed export never leaves half a file under the real name
    session.rollback()
    click.echo(f"Exported {report.rows} rows of {report.tables} tables to {file} "
               f"in {time.perf_counter() - started:.1f} s.", err=True)


@click.command("import-all")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_all_command(file: Path) -> None:
    """Restore a backup written by export-all into an EMPTY database (the schema is created first)."""
    import time

    from hub.db import get_session
    from hub.services import backup

    _prepare_database()
    session = get_session()
    started = time.perf_counter()
    try:
        with file.open(encoding="utf-8", newline="\n") as stream:
            total = sum(backup.read_header(stream)["tables"].values())
            stream.seek(0)
            with _progress(total, "Importing rows") as advance:
                report = backup.import_all(session, stream, progress=advance)
    except backup.BackupError as exc:
        session.rollback()
        click.echo(f"{file.name}: {exc}; nothing was imported.", err=True)
        sys.exit(1)
    session.commit()
    refresh_statistics(session)
    click.echo(f"Imported {report.rows} rows of {report.tables} tables from {file.name} "
               f"in {time.perf_counter() - started:.1f} s.", err=True)


# -- matcher: learned weights and embeddings ----------------------------------------------------------------------

@click.command("train-ranker")
@click.option("--seed", default=0, show_default=True, help="Random state of the cross-validation folds.")
@with_appcontext
def train_ranker_command(seed: int) -> None:
    """Fit the signal weights from past outcomes and store them as a new version the ranker then uses."""
    from hub.db import get_session
    from hub.services.training import train_ranker

    _prepare_database()
    session = get_session()
    try:
        row, learned = train_ranker(session, random_state=seed)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    session.commit()
    click.echo(f"stored weights {row.version} from {learned.n_samples} outcomes ({learned.n_positive} positive)")
    click.echo(f"cross-validated ROC AUC {learned.cv_auc_mean:.3f} ± {learned.cv_auc_std:.3f}")
    for name, weight in sorted(learned.weights.items(), key=lambda kv: -kv[1]):
        click.echo(f"  {name:<13} {weight:.3f}")


@click.command("reembed")
@with_appcontext
def reembed_command() -> None:
    """Compute the text embeddings that are missing or stale for the configured model, with progress."""
    from hub.db import get_session

    _prepare_database()
    session = get_session()
    _embed_all(session)
    session.commit()
    refresh_statistics(session)  # the first rankings read every vector: without fresh statistics, by seq scans


def _embed_all(session) -> None:
    """Bring every stored embedding up to date for the configured model (only changed texts are encoded)."""

    from hub.services.matching import load_expert_rows

    engine = current_app.extensions["hub.matcher"]
    texts = load_expert_rows(session).texts
    click.echo(f"text embeddings ({engine.encoder.name}): {len(texts)} experts", err=True)
    with _progress(len(texts), "experts") as advance:
        engine.embed_experts(session, texts, progress=advance)
    engine.store_need_vectors(session)
    click.echo("text embeddings up to date", err=True)


@click.command("demo")
@click.option("--seed", type=int, default=None, help="Random seed (default: the fixed demo seed).")
@click.option("--experts", "n_experts", type=click.IntRange(min=1), default=None, help="Experts (default 320).")
@click.option("--needs", "n_needs", type=click.IntRange(min=5), default=None, help="Needs (default 64).")
@click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) when the database already has data.")
@click.option("--embed/--no-embed", default=True, show_default=True,
              help="Compute text embeddings now, so the first ranking does not wait for them.")
@with_appcontext
def demo_command(seed: int | None, n_experts: int | None, n_needs: int | None, if_empty: bool,
                 embed: bool) -> None:
    """Fill an empty database with a realistic, reproducible Japanese demo data set (docs/demo.md)."""
    import time

    from hub import demo
    from hub.db import get_session

    _prepare_database()
    session = get_session()
    if not demo.is_empty(session):
        if if_empty:
            click.echo("The database already has data; demo not loaded.", err=True)
            return
        click.echo("The database is not empty (it has experts, needs or users); the demo only fills an empty one.\n"
                   "Point DATABASE_URL at a new database, or remove the SQLite file under instance/, and run again.",
                   err=True)
        sys.exit(1)
    started = time.perf_counter()
    counts = demo.load_demo(session, current_app.extensions["hub.taxonomy"],
                            seed=demo.DEFAULT_SEED if seed is None else seed,
                            n_experts=n_experts or demo.DEFAULT_EXPERTS, n_needs=n_needs or demo.DEFAULT_NEEDS)
    if embed:
        _embed_all(session)
        scored = demo.score_shortlists(session, current_app.extensions["hub.matcher"])
        click.echo(f"shortlist entries scored by the matcher: {scored}", err=True)
    session.commit()
    refresh_statistics(session)
    for line in counts.lines():
        click.echo(line, err=True)
    click.echo(f"Demo loaded in {time.perf_counter() - started:.1f} s. Logins (password {demo.DEMO_PASSWORD}): "
               + ", ".join(email for email, *_ in demo.LOGINS), err=True)


def init_app(app: Flask) -> None:
    app.cli.add_command(db_cli)
    for command in (import_experts_command, import_needs_command, export_experts_command, export_needs_command,
                    export_all_command, import_all_command, train_ranker_command, reembed_command, demo_command, match_command,
                    remind_availability_command, notify_staff_command, create_token_command,
                    remind_dispatch_follow_ups_command):
        app.cli.add_command(command)
    from hub import cli_ops
    cli_ops.init_app(app)
    from hub.cli_roster import import_roster_command
    app.cli.add_command(import_roster_command)


@click.command("create-token")
@click.argument("email")
@click.option("--name", default="command line", show_default=True, help="What the token is for (shown on the account page).")
@with_appcontext
def create_token_command(email: str, name: str) -> None:
    """Make an API token for the account EMAIL and print it once on standard output (and nothing else there).

    Only its hash is stored: keep the printed token; the account page lists and revokes it.
    """
    from hub.db import get_session
    from hub.services import accounts, tokens
    from hub.services.errors import Refused

    _prepare_database()
    session = get_session()
    user = accounts.find_user(session, email)
    if user is None or not user.is_active:
        raise click.ClickException(f"no active account with the e-mail {email}")
    try:
        row, token = tokens.create_token(session, None, user, name)
    except Refused as exc:
        raise click.ClickException(str(exc.message)) from None
    session.commit()
    click.echo(f"token {row.prefix}… for {user.email} ({user.role}) made; it is shown only now.", err=True)
    click.echo(token)


@click.command("match")
@click.argument("need_external_id")
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True, help="How many experts to list.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON array of the API and nothing else.")
@with_appcontext
def match_command(need_external_id: str, top: int, as_json: bool) -> None:
    """Rank the experts for the need NEED_EXTERNAL_ID, best first (logs go to standard error)."""
    import json
    import unicodedata

    from sqlalchemy import select

    from hub.db import get_session
    from hub.models import Need
    from matching import SIGNALS

    session = get_session()
    need = session.scalar(select(Need).where(Need.external_id == need_external_id))
    if need is None:
        raise click.ClickException(f"no need with external id {need_external_id!r}")
    outcome = current_app.extensions["hub.matcher"].rank(session, need, top_k=top)
    result = outcome.result
    if as_json:
        click.echo(json.dumps(result.as_dicts(), ensure_ascii=False))
        return
    click.echo(f"{need.external_id}  {need.title}")
    click.echo(f"considered {result.considered}; excluded "
               + (", ".join(f"{k} {v}" for k, v in result.excluded.items() if v) or "none")
               + "; filtered " + (", ".join(f"{k} {v}" for k, v in result.filtered.items() if v) or "none"))
    names = {e.id: e.name for e in outcome.experts.values()}
    header = f"{'#':>3}  {'expert':<12} {'name':<16} {'score':>6}  " + " ".join(f"{s[:5]:>5}" for s in SIGNALS)
    click.echo(header)
    for rank, m in enumerate(result.matches, 1):
        name = names.get(m.expert_id, "")
        width = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in name)  # kanji take two columns
        click.echo(f"{rank:>3}  {m.external_id:<12} {name}{' ' * max(1, 17 - width)}{m.score:>6.3f}  "
                   + " ".join(f"{m.signals[s]:>5.2f}" for s in SIGNALS))


@click.command("remind-availability")
@with_appcontext
def remind_availability_command() -> None:
    """Mail experts whose availability is older than AVAILABILITY_STALE_DAYS a one-click confirmation link."""
    from hub.db import get_session
    from hub.mail import external_url
    from hub.services.accounts import remind_stale_experts

    app = current_app._get_current_object()
    session = get_session()
    with app.test_request_context():  # for Flask-Babel; the links come from PUBLIC_URL
        sent = remind_stale_experts(
            session, app.config["SECRET_KEY"], int(app.config["AVAILABILITY_STALE_DAYS"]),
            lambda token: external_url("experts.confirm_availability_link", token=token))
    session.commit()
    click.echo(f"Reminded {sent} expert(s).", err=True)


@click.command("notify-staff")
@click.option("--top", default=5, show_default=True, help="How deep in each need's ranking a new candidate must be.")
@with_appcontext
def notify_staff_command(top: int) -> None:
    """Daily: tell officers about new candidates that fit their published needs, and engagements past their end."""
    from datetime import date

    from hub.db import get_session
    from hub.services.notifications import notify_new_candidates, notify_overdue_engagements

    app = current_app._get_current_object()
    session = get_session()
    with app.test_request_context():  # for Flask-Babel; the links come from PUBLIC_URL
        candidates = notify_new_candidates(session, top_n=top)
        overdue = notify_overdue_engagements(session, date.today())
    session.commit()  # the mails go out after this
    click.echo(f"Notified: {len(candidates)} new-candidate notice(s), {len(overdue)} overdue-engagement notice(s).",
               err=True)


@click.command("remind-dispatch-follow-ups")
@with_appcontext
def remind_dispatch_follow_ups_command() -> None:
    """Mail requesters whose dispatch's follow-up survey opened (the next fiscal year) a link to it, once."""
    from hub.db import get_session
    from hub.mail import external_url
    from hub.services.dispatch import remind_follow_ups

    app = current_app._get_current_object()
    session = get_session()
    with app.test_request_context():  # for Flask-Babel; the links come from PUBLIC_URL
        reminded = remind_follow_ups(session, lambda request_id: external_url("dispatch.follow_up",
                                                                              request_id=request_id))
        session.commit()  # the mails go out after this commit
    click.echo(f"Reminded the requesters of {reminded} dispatch request(s).", err=True)
