"""Approving staff accounts: admins approve anyone, bureau staff those of organizations in their region."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hub import permissions
from hub.auth import allowed_if
from hub.db import get_session
from hub.models import User
from hub.services import accounts

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/staff")
@allowed_if(permissions.can_review_staff)
def staff():
    pending = accounts.pending_staff(get_session(), current_user)
    return render_template("admin/staff.html", pending=pending)


@bp.post("/staff/<int:user_id>/approve")
@allowed_if(permissions.can_review_staff)
def approve(user_id: int):
    db = get_session()
    user = db.get(User, user_id)
    if user is None:
        abort(404)
    accounts.approve_staff(db, current_user, user)  # PermissionDenied (403) unless permissions.can_approve
    db.commit()
    flash(_("%(name)s is approved.", name=user.display_name), "success")
    return redirect(url_for(".staff"))
