"""Roster imports on the web: upload an .xlsx or CSV roster, see its errors, or follow its import job.

The file is checked on upload and nothing is written while any row is bad; a valid file is stored and
imported by a `roster.import` background job (hub/services/roster.py), whose progress is at /jobs/<id>.
"""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from hub import limits, permissions
from hub.auth import allowed_if
from hub.db import get_session
from hub.errors import limit_error
from hub.forms.roster import RosterUploadForm
from hub.services import roster
from hub.services.roster_columns import load_columns
from hub.services.roster_templates import instructions_table, roster_table
from hub.views.downloads import csv_response, xlsx_response

bp = Blueprint("roster", __name__, url_prefix="/roster")
# The request may carry the file plus the form's few fields; the file itself is checked against ROSTER_FILE_BYTES.
UPLOAD_BODY_BYTES = limits.ROSTER_FILE_BYTES + 64 * 1024


@bp.url_value_preprocessor
def _raise_body_limit(endpoint: str | None, _values: dict | None) -> None:
    """Allow the upload its larger body: this runs before the app's before_request hooks (CSRF, the NUL check),
    which are the first to read the form."""
    if endpoint == "roster.upload" and request.method == "POST":
        request.max_content_length = UPLOAD_BODY_BYTES


def _form(**kwargs) -> RosterUploadForm:
    form = RosterUploadForm(**kwargs)
    scheme_labels = dict(current_app.extensions["hub.taxonomy"].choices("schemes", get_locale()))
    form.scheme.choices = [(s, scheme_labels.get(s, s)) for s in permissions.roster_schemes(current_user)]
    return form


def _page(form: RosterUploadForm, *, errors=None, refused=None, status: int = 200, checked=None):
    errors = errors or []
    return render_template("roster/import.html", form=form, errors=errors[:limits.ROSTER_ERRORS_SHOWN],
                           error_count=len(errors), refused=refused, checked=checked,
                           max_mb=limits.ROSTER_FILE_BYTES // (1024 * 1024), max_rows=limits.ROSTER_ROWS), status


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc):
    """A file over the limit: the upload page says so (to those who may upload; others get the hub's 413 page)."""
    if not permissions.can_import_roster(current_user):
        return limit_error(exc)
    form = _form(formdata=None)
    return _page(form, refused=roster.too_large_message(), status=413)


@bp.route("/import", methods=["GET", "POST"])
@allowed_if(permissions.can_import_roster)
def upload():
    """The upload form; a valid file starts the import job, a bad one shows its errors and writes nothing."""
    form = _form()
    if not form.validate_on_submit():
        return _page(form, status=400 if request.method == "POST" else 200)
    file = form.file.data
    filename = (file.filename or "roster").replace("\\", "/").rsplit("/", 1)[-1][:200]
    data = file.read(limits.ROSTER_FILE_BYTES + 1)
    session = get_session()
    taxonomy = current_app.extensions["hub.taxonomy"]
    try:
        read = roster.read_roster(data, filename, taxonomy, sheet=form.sheet.data or None)
    except roster.RosterRefused as exc:
        return _page(form, refused=exc.message, status=422)
    check = roster.check_roster(session, read, taxonomy, current_user, scheme=form.scheme.data)
    if not check.ok:
        session.rollback()
        return _page(form, errors=check.errors, checked=read, status=422)
    job = roster.submit_import(session, current_user, data, filename, fmt=read.format, sheet=read.sheet,
                               scheme=form.scheme.data)
    session.commit()
    if job.state == "failed":
        flash(_("The import failed; nothing was imported."), "error")
    elif job.state == "finished":
        flash(_("Roster imported: %(created)d experts added, %(updated)d updated.",
                created=job.result.get("created", 0), updated=job.result.get("updated", 0)), "success")
    else:
        flash(_("The roster is valid (%(rows)d rows); it is being imported.", rows=len(read.rows)), "success")
    return redirect(url_for("jobs.detail", job_id=job.id))


def _template_name(ext: str) -> str:
    name = _("roster-template")  # the file's name: 名簿テンプレート in Japanese
    return name + "." + ext


@bp.get("/template.xlsx")
@allowed_if(permissions.can_import_roster)
def export_template_xlsx():
    """The roster template: the header row with an example row, and a sheet explaining each column."""
    taxonomy = current_app.extensions["hub.taxonomy"]
    columns, locale = load_columns(taxonomy), get_locale()
    return xlsx_response([roster_table(columns, locale), instructions_table(columns, taxonomy, locale)],
                         _template_name("xlsx"))


@bp.get("/template.csv")
@allowed_if(permissions.can_import_roster)
def export_template_csv():
    """The roster template as CSV (UTF-8 with BOM): the header row and an example row."""
    taxonomy = current_app.extensions["hub.taxonomy"]
    return csv_response(roster_table(load_columns(taxonomy), get_locale()), _template_name("csv"))


def init_app(app) -> None:
    """Register the blueprint and check the column declarations now, not at the first upload."""
    load_columns(app.extensions["hub.taxonomy"])
    app.register_blueprint(bp)
