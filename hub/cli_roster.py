"""`flask --app app import-roster FILE`: an .xlsx or CSV roster with Japanese headers (docs/roster.md)."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from hub.models.people import SCHEMES


@click.command("import-roster")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--sheet", help="The workbook's sheet (default: 名簿, else the first that is not 記入方法).")
@click.option("--scheme", type=click.Choice(SCHEMES), help="The list type, added to every row's schemes.")
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True,
              help="The language of the error messages.")
@with_appcontext
def import_roster_command(file: Path, sheet: str | None, scheme: str | None, lang: str) -> None:
    """Import experts from an .xlsx or CSV roster FILE; nothing is written when any row is bad."""
    from flask_babel import force_locale

    from hub.cli import _prepare_database, _progress
    from hub.db import get_session, refresh_statistics
    from hub.services import roster

    _prepare_database()
    taxonomy = current_app.extensions["hub.taxonomy"]
    session = get_session()
    data = file.read_bytes()
    with force_locale(lang):
        try:
            read = roster.read_roster(data, file.name, taxonomy, sheet=sheet)
        except roster.RosterRefused as exc:
            click.echo(f"{file.name}: {exc.message}", err=True)
            sys.exit(1)
        check = roster.check_roster(session, read, taxonomy, None, scheme=scheme)
        if not check.ok:
            for error in check.errors:
                click.echo(str(error), err=True)
            click.echo(f"{file.name}: {len(check.errors)} error(s); nothing was imported.", err=True)
            sys.exit(1)
    with _progress(len(check.records), "Importing roster") as progress:
        report = roster.apply_roster(session, check, None, scheme=scheme, progress=progress)
    session.commit()
    refresh_statistics(session)
    how = read.encoding or f"sheet {read.sheet}"
    click.echo(f"{file.name} ({read.format}, {how}): {report.records} experts: {report.created} created, "
               f"{report.updated} updated.", err=True)
