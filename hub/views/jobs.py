"""The jobs page: what background work was started, how far it is, and what came of it."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from hub import permissions
from hub.auth import allowed_if
from hub.db import get_session
from hub.forms.jobs import StartJobForm
from hub.models import Job
from hub.services import jobs

bp = Blueprint("jobs", __name__, url_prefix="/jobs")
PAGE = 50
RESULT_LABELS = {"experts": _l("Experts"), "model": _l("Text model"), "notified": _l("Experts notified"),
                 "reminded": _l("Experts reminded"),
                 # roster.import (hub/services/roster.py)
                 "file": _l("File"), "rows": _l("Rows"), "created": _l("Experts added"),
                 "updated": _l("Experts updated")}


def _labels() -> dict:
    return {name: kind.label for name, kind in jobs.KINDS.items()}


@bp.get("")
@allowed_if(permissions.can_see_jobs)
def index():
    query = select(Job).order_by(Job.id.desc()).limit(PAGE)
    if not permissions.is_admin(current_user):
        query = query.where(Job.created_by_id == current_user.id)
    startable = [kind for kind in jobs.STARTABLE_FROM_THE_PAGE if permissions.can_start_job(current_user, kind)]
    return render_template("jobs/index.html", jobs=get_session().scalars(query).all(), labels=_labels(),
                           startable=startable, form=StartJobForm(), queued=jobs.queue_configured())


@bp.post("")
@allowed_if(permissions.can_see_jobs)
def start():
    form = StartJobForm()
    if not form.validate_on_submit():
        flash(_("The form expired; please try again."), "warning")
        return redirect(url_for(".index"))
    permissions.require(permissions.can_start_job(current_user, form.kind.data))
    session = get_session()
    job = jobs.submit(session, current_user, form.kind.data)
    session.commit()
    flash(_("Job started.") if jobs.queue_configured() else _("Job done."), "success")
    return redirect(url_for(".detail", job_id=job.id))


@bp.get("/<int:job_id>")
@allowed_if(permissions.can_see_jobs)
def detail(job_id: int):
    job = get_session().get(Job, job_id)
    if job is None or not permissions.can_see_job(current_user, job):
        abort(404)  # another user's job: as if there were none
    return render_template("jobs/detail.html", job=job, labels=_labels(), result_labels=RESULT_LABELS)
