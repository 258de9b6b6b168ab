"""Accounts and the audit trail: approving or refusing staff (admins, and bureau staff for their region),
the users page with deactivation (admins), and the audit page (admins)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from hub import permissions
from hub.auth import allowed_if
from hub.db import get_session
from hub.forms.admin import AuditFilterForm, RejectForm, UserFilterForm
from hub.models import User
from hub.services import accounts, audit
from hub.services.errors import Refused

bp = Blueprint("admin", __name__, url_prefix="/admin")

ROLE_LABELS = {"expert": _l("Expert"), "org_staff": _l("Organization staff"), "bureau_staff": _l("Bureau staff"),
               "admin": _l("Administrator")}


# The kinds of record the audit trail names (hub/services/audit.py), as the filter and the table show them.
ENTITY_LABELS = {"user": _l("Account"), "expert": _l("Expert profile"), "need": _l("Need"),
                 "shortlist_entry": _l("Shortlist entry"), "engagement": _l("Engagement"),
                 "evaluation": _l("Evaluation"), "organization": _l("Organization"),
                 "dispatch_request": _l("Dispatch request")}


@bp.app_context_processor
def _role_labels() -> dict:
    return {"role_label": lambda role: ROLE_LABELS.get(role, role),
            "entity_label": lambda entity: ENTITY_LABELS.get(entity, entity)}


def _user_or_404(user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


def _back() -> str:
    """Back to the page the button was on: the users page (with its filters) or the approvals page."""
    target = request.form.get("back", "")
    if target.startswith("/admin/users") and "//" not in target and "\\" not in target:
        return target
    return url_for(".staff")


@bp.route("/staff")
@allowed_if(permissions.can_review_staff)
def staff():
    pending = accounts.pending_staff(get_session(), current_user)
    return render_template("admin/staff.html", pending=pending, reject_form=RejectForm())


@bp.post("/staff/<int:user_id>/approve")
@allowed_if(permissions.can_review_staff)
def approve(user_id: int):
    db = get_session()
    user = _user_or_404(user_id)
    accounts.approve_staff(db, current_user, user)  # PermissionDenied (403) unless permissions.can_approve
    db.commit()
    flash(_("%(name)s is approved.", name=user.display_name), "success")
    return redirect(_back())


@bp.post("/staff/<int:user_id>/reject")
@allowed_if(permissions.can_review_staff)
def reject(user_id: int):
    db = get_session()
    user = _user_or_404(user_id)
    permissions.require(permissions.can_approve(current_user, user))
    form = RejectForm()
    if not form.validate():
        flash(" ".join(form.reason.errors), "error")
        return redirect(_back())
    try:
        accounts.reject_staff(db, current_user, user, form.reason.data)
    except Refused as refused:
        flash(str(refused.message), "error")
        return redirect(_back())
    db.commit()  # the mail with the reason goes out after this commit
    flash(_("The sign-up of %(name)s is refused; they were mailed the reason.", name=user.display_name), "success")
    return redirect(_back())


@bp.route("/users")
@allowed_if(permissions.can_manage_users)
def users():
    form = UserFilterForm(formdata=request.args)
    form.validate()
    page = accounts.list_users(get_session(), role=form.role.data or "", status=form.status.data or "",
                               words="" if form.q.errors else (form.q.data or ""), page=form.page.data or 1)
    args = {k: v for k, v in request.args.items() if k not in ("page", "lang")}
    return render_template("admin/users.html", form=form, result=page, args=args,
                           back=request.full_path.rstrip("?"), reject_form=RejectForm())


@bp.post("/users/<int:user_id>/deactivate")
@allowed_if(permissions.can_manage_users)
def deactivate(user_id: int):
    return _change_activation(user_id, accounts.deactivate_user,
                              _l("The account of %(name)s is deactivated; it was signed out everywhere."))


@bp.post("/users/<int:user_id>/reactivate")
@allowed_if(permissions.can_manage_users)
def reactivate(user_id: int):
    return _change_activation(user_id, accounts.reactivate_user, _l("The account of %(name)s is active again."))


def _change_activation(user_id: int, verb, done):
    db = get_session()
    user = _user_or_404(user_id)
    try:
        verb(db, current_user, user)  # PermissionDenied (403) for one's own account
    except Refused as refused:
        flash(str(refused.message), "error")
        return redirect(_back())
    db.commit()
    flash(str(done) % {"name": user.display_name}, "success")
    return redirect(_back())


@bp.route("/audit")
@allowed_if(permissions.can_read_audit)
def audit_trail():
    db = get_session()
    form = AuditFilterForm(formdata=request.args)
    form.entity.choices = [("", _("All records"))] + [(e, str(ENTITY_LABELS.get(e, e))) for e in audit.entities(db)]
    valid = form.validate()
    if not valid and form.entity.errors:  # an entity nobody recorded: nothing matches, say so by the field
        form.entity.errors = [_("No event names this record.")]
    ok = lambda field: None if field.errors else field.data  # noqa: E731  (a bad field filters nothing)
    page = audit.search_events(db, actor=ok(form.actor) or "", entity=ok(form.entity) or "",
                               entity_id=ok(form.entity_id) or "", verb=ok(form.verb) or "",
                               since=ok(form.since), until=ok(form.until), page=ok(form.page) or 1)
    args = {k: v for k, v in request.args.items() if k not in ("page", "lang")}
    return render_template("admin/audit.html", form=form, result=page, args=args)
