"""The expert's data and account: download everything the hub holds, delete the account (個人情報保護法)."""
from __future__ import annotations

import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from hub import permissions
from hub.auth import allowed_if
from hub.db import get_session
from hub.forms.privacy import DeleteAccountForm, DownloadForm
from hub.services import privacy

bp = Blueprint("privacy", __name__, url_prefix="/experts/me")


def _own_expert():
    expert = current_user.expert
    if expert is None or expert.deleted_at is not None:
        abort(404)
    return expert


@bp.route("/privacy")
@allowed_if(permissions.is_expert)
def overview():
    """What the hub holds and shows, the consent to be listed, and the two actions."""
    return render_template("experts/privacy.html", expert=_own_expert(), form=DownloadForm())


@bp.post("/privacy/download")
@allowed_if(permissions.is_expert)
def download():
    """Return all the expert's data as a JSON file; a POST because the download is audited."""
    form = DownloadForm()
    if not form.validate_on_submit():
        abort(400)
    db = get_session()
    expert = _own_expert()
    privacy.record_download(db, current_user, expert)
    data = privacy.personal_data(db, current_user, expert)
    db.commit()
    body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n"
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="dx-talent-hub-my-data-{expert.id}.json"',
        "Cache-Control": "no-store"})


@bp.route("/delete", methods=["GET", "POST"])
@allowed_if(permissions.is_expert)
def delete():
    """Say plainly what is deleted and what is kept; delete on the password and an explicit confirmation."""
    expert = _own_expert()
    form = DeleteAccountForm()
    if form.validate_on_submit():
        db = get_session()
        try:
            privacy.delete_account(db, current_user, expert, password=form.password.data,
                                   confirmed=form.confirm.data)
        except privacy.WrongPassword:
            form.password.errors.append(_("This is not your password."))
        else:
            db.commit()
            logout_user()
            flash(_("Your account is deleted. Thank you for the work you did with the hub."), "success")
            return redirect(url_for("main.index"))
    return render_template("experts/delete_account.html", expert=expert, form=form,
                           deleted_name=privacy.DELETED_NAME)
