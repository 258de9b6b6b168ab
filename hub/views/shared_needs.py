"""Shared needs (共同任用): each co-organization evaluates the engagement it shared."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hub import permissions
from hub.db import get_session
from hub.forms.evaluations import EvaluationForm
from hub.models import Engagement, Evaluation, Need, Organization
from hub.services import engagements
from hub.services.errors import Refused, conflicts_as

bp = Blueprint("shared_needs", __name__, url_prefix="/needs")


@bp.context_processor
def need_page_labels() -> dict[str, Any]:
    """Its pages are need pages: the same labels and helpers as hub/views/needs.py's."""
    from hub.views.needs import labels
    return labels()


def co_evaluation_of(engagement: Engagement, organization_id: int) -> Evaluation | None:
    return next((e for e in engagement.co_evaluations if e.co_organization_id == organization_id), None)


@bp.route("/<int:need_id>/engagements/<int:engagement_id>/evaluate/<int:organization_id>", methods=["GET", "POST"])
@login_required  # permissions.can_evaluate_for decides
def co_evaluate(need_id: int, engagement_id: int, organization_id: int):
    """A co-organization's own evaluation of an engagement from the shared need."""
    session = get_session()
    need = session.get(Need, need_id)
    if need is None or not permissions.can_see_need(current_user, need):
        abort(404)
    engagement = session.get(Engagement, engagement_id)
    if engagement is None or engagement.need_id != need.id or organization_id not in need.co_organization_ids:
        abort(404)
    permissions.require(permissions.can_evaluate_for(current_user, need, organization_id))
    organization = session.get(Organization, organization_id)
    back = url_for("needs.detail", need_id=need.id) + "#shared"
    if co_evaluation_of(engagement, organization_id) is not None:
        flash(_("This engagement has been evaluated already."), "warning")
        return redirect(back)
    if engagement.status != "completed":
        abort(409, description=_("Complete the engagement before evaluating it."))
    asked = {s.skill_id: s.min_level for s in need.skills}
    blank = {"skills": [{"skill_id": skill_id} for skill_id in asked]}
    form = EvaluationForm() if request.method == "POST" else EvaluationForm(data=blank)
    if {row.form.skill_id.data for row in form.skills} != set(asked):  # a tampered form
        form = EvaluationForm(formdata=None, data=blank)
    if request.method == "POST" and form.validate():
        name = engagement.expert.name
        try:
            with conflicts_as(session, _l("This engagement has been evaluated already.")):
                engagements.evaluate(session, current_user, engagement, overall=form.overall.data,
                                     would_rehire=form.rehire(), comment=form.comment.data or "",
                                     skill_ratings=form.skill_ratings(), asked_levels=asked,
                                     co_organization_id=organization_id)
                session.commit()
        except Refused as exc:
            flash(str(exc.message), "warning")
        else:
            flash(_("Thank you: the evaluation is saved and now part of %(name)s's record.", name=name))
        return redirect(back)
    return render_template("needs/evaluate.html", need=need, engagement=engagement, form=form, asked=asked,
                           on_behalf=organization)


def shared_context(need: Need) -> dict:
    """What needs/_shared.html shows of a shared need: the shares, and each organization's evaluations."""
    if not need.shares:
        return {}
    session = get_session()
    completed = []
    if permissions.can_see_candidates(current_user, need):
        completed = list(session.scalars(
            select(Engagement).where(Engagement.need_id == need.id, Engagement.source == "need",
                                     Engagement.status == "completed")
            .options(selectinload(Engagement.evaluation), selectinload(Engagement.co_evaluations),
                     selectinload(Engagement.expert)).order_by(Engagement.id)))
    return {"shared_engagements": completed}
