"""`flask --app app …` commands. They parse arguments, call a service, commit once, and report."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from hub import migrate

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


def init_app(app: Flask) -> None:
    app.cli.add_command(db_cli)
