"""Approving staff accounts: admins approve anyone, bureau staff those of organizations in their region."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hub.auth import roles_required
from hub.db import get_session
from hub.models import User
from hub.services import accounts

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/staff")
@roles_required("admin", "bureau_staff")
def staff():
    pending = accounts.pending_staff(get_session(), current_user)
    return render_template("admin/staff.html", pending=pending)


@bp.post("/staff/<int:user_id>/approve")
@roles_required("admin", "bureau_staff")
def approve(user_id: int):
    db = get_session()
    user = db.get(User, user_id)
    if user is None:
        abort(404)
    try:
        accounts.approve_staff(db, current_user, user)
    except accounts.NotAllowed:
        abort(403)
    db.commit()
    flash(_("%(name)s is approved.", name=user.display_name), "success")
    return redirect(url_for(".staff"))
