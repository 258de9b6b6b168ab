"""Notifications of every signed-in user: the list (each notice links what it is about) and "mark read"."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hub import permissions
from hub.db import get_session, parse_row_id
from hub.forms.needs import SimpleActionForm
from hub.models import Need
from hub.services import notifications as notices

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.app_context_processor
def unread_notifications() -> dict:
    """The header's count of unread notices (one small query per page for signed-in users)."""
    def count() -> int:
        return notices.unread_count(get_session(), current_user) if permissions.is_signed_in(current_user) else 0
    return {"unread_notifications": count, "milestone_text": notices.milestone_text}


@bp.route("/")
@login_required
def index():
    session = get_session()
    rows = notices.recent(session, current_user)
    need_ids = {n.need_id for n in rows if n.need_id}
    needs = {n.id: n for n in session.scalars(select(Need).where(Need.id.in_(need_ids))
                                              .options(selectinload(Need.organization)))} if need_ids else {}
    for_expert = permissions.is_expert(current_user)
    links = {}
    for n in rows:
        target = notices.link_of(n, for_expert=for_expert)
        need = needs.get(n.need_id)
        if target and (need is None or permissions.can_see_need(current_user, need)):
            links[n.id] = url_for(target[0], **target[1])
    return render_template("notifications/index.html", notifications=rows, needs=needs, links=links,
                           action_form=SimpleActionForm())


@bp.post("/read")
@login_required
def read():
    """Mark one notice (field `id`) or all of the user's notices read, then go back to where the user was."""
    form = SimpleActionForm()
    if form.validate_on_submit():
        session = get_session()
        raw = request.form.get("id")
        notification_id = parse_row_id(raw) if raw else None
        if raw and notification_id is None:
            abort(400)
        notices.mark_read(session, current_user, notification_id)
        session.commit()
    back = request.form.get("back")
    return redirect(url_for("experts.dashboard") if back == "dashboard" else url_for(".index"))
