"""Adviser dispatch pages: the requests a user may see, the request form, a request with its workflow steps and
the ranked advisers, the follow-up survey, and the hub function (which route fits a need).

Every step is a POST to a service verb of hub/services/dispatch.py; a refusal is flashed with its reason and
nothing changes. Endpoints carry `dispatch` in their names (dispatch.*).
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from hub import permissions
from hub.auth import allowed_if
from hub.db import get_session, parse_row_id
from hub.forms import choices, locale, options, taxonomy
from hub.forms.dispatch import (ActionForm, AssignForm, DateForm, DispatchRequestForm, FollowUpForm, ReasonForm,
                                ReportForm, RoutingForm)
from hub.models import DispatchRequest, ExpertProfile, ExpertScheme, Organization
from hub.services import dispatch as verbs
from hub.services.dispatch_matching import rank_advisers
from hub.services.errors import Refused
from hub.views import needs as need_views
from skill_taxonomy import DISPATCH_STATES, load_rules

bp = Blueprint("dispatch", __name__, url_prefix="/dispatch")
bp.context_processor(need_views.labels)  # the matcher's explanation, shown as on a need's page


@bp.app_context_processor
def dispatch_labels() -> dict[str, Any]:
    """Labels of the dispatch vocabularies (skill_taxonomy enums) and the rule-derived dates, for templates."""
    def label(kind: str, value: str | None) -> str:
        entry = taxonomy().enums[kind].get(value) if value else None
        return entry.name(locale()) if entry else (value or "")

    return {"dispatch_state": lambda v: label("dispatch_states", v),
            "dispatch_purpose": lambda v: label("dispatch_purposes", v),
            "org_kind": lambda v: label("organization_kinds", v),
            "report_due": verbs.report_due, "is_report_overdue": verbs.is_report_overdue,
            "follow_up_due": verbs.follow_up_due}


def load_request(request_id: int) -> DispatchRequest:
    """The request if the user may see it; otherwise 404, so that its existence does not leak."""
    row = get_session().get(DispatchRequest, request_id)
    if row is None or not permissions.can_see_dispatch(current_user, row):
        abort(404)
    return row


def _back(row: DispatchRequest):
    return redirect(url_for("dispatch.detail", request_id=row.id))


def _run(row: DispatchRequest, step, done_message: str):
    """Call a verb, commit once, flash the outcome (a refusal with its reason), back to the request."""
    session = get_session()
    try:
        step(session)
        session.commit()
    except Refused as exc:
        session.rollback()
        flash(str(exc.message), "error")
    else:
        flash(done_message, "success")
    return _back(row)


# -- list and detail -------------------------------------------------------------------------------------

@bp.route("/")
@allowed_if(permissions.can_list_dispatches)
def index():
    state = request.args.get("state")
    rows = verbs.visible_requests(get_session(), current_user,
                                  states=(state,) if state in DISPATCH_STATES else None)
    return render_template("dispatch/index.html", rows=rows, state=state if state in DISPATCH_STATES else None,
                           states=DISPATCH_STATES)


@bp.route("/<int:request_id>")
@login_required
def detail(request_id: int):
    row = load_request(request_id)
    context: dict[str, Any] = {"row": row, "action_form": ActionForm(), "reason_form": ReasonForm(),
                               "assign_form": AssignForm(), "date_form": DateForm(formdata=None),
                               "report_form": ReportForm(formdata=None), "today": verbs.today(),
                               "hours": verbs.dispatch_hours(row), "rules": load_rules()}
    if permissions.can_handle_dispatch(current_user, row) and row.state in ("approved", "assigned", "under_review",
                                                                           "submitted"):
        context["ranking"] = rank_advisers(get_session(), current_app.extensions["hub.matcher"], row)
        context["assigned_ids"] = {a.expert_id for a in row.assignments}
    return render_template("dispatch/detail.html", **context)


# -- the request form --------------------------------------------------------------------------------------

def _recommenders(requester: Organization) -> list[Organization]:
    kinds = load_rules().dispatch.recommenders
    return list(get_session().scalars(select(Organization).where(
        Organization.kind.in_(kinds), Organization.bureau_id == requester.bureau_id)
        .order_by(Organization.kind, Organization.name)))


def _advisers() -> list[ExpertProfile]:
    return list(get_session().scalars(select(ExpertProfile).join(ExpertScheme).where(
        ExpertScheme.scheme == verbs.ADVISER_SCHEME, ExpertProfile.deleted_at.is_(None),
        ExpertProfile.listed.is_(True), ExpertProfile.status == "active").order_by(ExpertProfile.name)))


def _prepare(form: DispatchRequestForm, requester: Organization) -> None:
    form.purpose.choices = choices("dispatch_purposes")
    form.stage_id.choices = options((sid, stage.name(locale())) for sid, stage in taxonomy().stages.items())
    form.field_ids.choices = options((fid, f.name(locale())) for fid, f in taxonomy().fields.items())
    form.named_expert_id.choices = [SelectChoice("", _("Leave the choice to the bureau"))] + options(
        (str(e.id), e.name) for e in _advisers())
    form.recommender_id.choices = [SelectChoice("", _("None"))] + options(
        (str(o.id), o.name) for o in _recommenders(requester))


PREFILL = ("theme", "purpose", "stage_id", "description", "days", "online_hours")


@bp.route("/new", methods=["GET", "POST"])
@allowed_if(permissions.can_request_dispatch)
def new():
    """The request form; the hub function's answer opens it pre-filled (query arguments)."""
    requester = get_session().get(Organization, current_user.organization_id)
    if request.method == "POST":
        form = DispatchRequestForm()
    else:
        prefill = {key: request.args[key] for key in PREFILL if request.args.get(key)}
        for key in ("days", "online_hours"):
            if key in prefill:
                prefill[key] = parse_row_id(prefill[key]) or 0
        form = DispatchRequestForm(data={"wanted_from": None, **prefill})
    _prepare(form, requester)
    needs_recommendation = requester.kind in load_rules().dispatch.recommended_requesters
    if form.validate_on_submit():
        data = verbs.RequestData(
            theme=form.theme.data, purpose=form.purpose.data, stage_id=form.stage_id.data,
            wanted_from=form.wanted_from.data, wanted_until=form.wanted_until.data,
            field_ids=tuple(form.field_ids.data or ()), description=form.description.data or "",
            project=form.project.data or "", days=form.days.data, online_hours=form.online_hours.data,
            visits=form.visits.data, team=bool(form.team.data),
            named_expert_id=parse_row_id(form.named_expert_id.data) if form.named_expert_id.data else None,
            recommender_id=parse_row_id(form.recommender_id.data) if form.recommender_id.data else None)
        session = get_session()
        try:
            row = verbs.submit(session, current_user, requester, data)
            session.commit()
        except Refused as exc:
            session.rollback()
            flash(str(exc.message), "error")  # the form keeps what was typed
        else:
            flash(_("Request “%(theme)s” sent to the bureau.", theme=row.theme), "success")
            return redirect(url_for("dispatch.detail", request_id=row.id))
    return render_template("dispatch/new.html", form=form, requester=requester,
                           needs_recommendation=needs_recommendation, rules=load_rules())


# -- the workflow steps ------------------------------------------------------------------------------------

def _handled(request_id: int) -> DispatchRequest:
    row = load_request(request_id)
    permissions.require(permissions.can_handle_dispatch(current_user, row))
    return row


@bp.post("/<int:request_id>/review")
@login_required
def review(request_id: int):
    row = _handled(request_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return _run(row, lambda s: verbs.start_review(s, current_user, row), _("Taken up for review."))


@bp.post("/<int:request_id>/approve")
@login_required
def approve(request_id: int):
    row = _handled(request_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return _run(row, lambda s: verbs.approve(s, current_user, row), _("Request approved."))


@bp.post("/<int:request_id>/reject")
@login_required
def reject(request_id: int):
    row = _handled(request_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    return _run(row, lambda s: verbs.reject(s, current_user, row, form.reason.data or ""), _("Request rejected."))


@bp.post("/<int:request_id>/assign")
@login_required
def assign(request_id: int):
    row = _handled(request_id)
    form = AssignForm()
    expert_id = parse_row_id(form.expert_id.data) if form.validate_on_submit() else None
    if expert_id is None or get_session().get(ExpertProfile, expert_id) is None:
        abort(400)
    return _run(row, lambda s: verbs.assign(s, current_user, row, expert_id), _("Adviser assigned."))


@bp.post("/<int:request_id>/schedule")
@login_required
def schedule(request_id: int):
    row = _handled(request_id)
    form = DateForm()
    if not form.validate_on_submit():
        flash(_("Enter a valid date."), "error")
        return _back(row)
    return _run(row, lambda s: verbs.schedule(s, current_user, row, form.day.data), _("Date fixed."))


@bp.post("/<int:request_id>/done")
@login_required
def done(request_id: int):
    row = _handled(request_id)
    form = DateForm()
    if not form.validate_on_submit():
        flash(_("Enter a valid date."), "error")
        return _back(row)
    return _run(row, lambda s: verbs.mark_done(s, current_user, row, form.day.data),
                _("Marked as done; the report is due within a week."))


@bp.post("/<int:request_id>/report")
@login_required
def report(request_id: int):
    row = load_request(request_id)
    permissions.require(permissions.can_report_dispatch(current_user, row))
    form = ReportForm()
    if not form.validate_on_submit():
        flash(_("Write the report."), "error")
        return _back(row)
    return _run(row, lambda s: verbs.file_report(s, current_user, row, form.report.data), _("Report filed."))


@bp.post("/<int:request_id>/cancel")
@login_required
def cancel(request_id: int):
    row = load_request(request_id)
    permissions.require(permissions.can_cancel_dispatch(current_user, row))
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    return _run(row, lambda s: verbs.cancel(s, current_user, row, form.reason.data or ""), _("Request cancelled."))


def _follow_up_form(row: DispatchRequest, advisers: list, asked: dict[int, dict[str, int]]) -> FollowUpForm:
    """The survey with one evaluation per adviser, each rating exactly the skills of `follow_up_skills`.

    As on a need's evaluation, a posted form of another shape (tampered, or the advisers changed meanwhile) is
    set back to the expected rows, keeping the typed answer.
    """
    def rows():
        return [{"engagement_id": str(engagement.id), "skills": [{"skill_id": item} for item in asked[engagement.id]]}
                for engagement in advisers]

    if request.method != "POST":
        return FollowUpForm(data={"advisers": rows()})
    form = FollowUpForm()
    shape = [(part.form.engagement_id.data, [r.form.skill_id.data for r in part.form.skills]) for part in form.advisers]
    if shape != [(str(engagement.id), list(asked[engagement.id])) for engagement in advisers]:
        form = FollowUpForm(formdata=None, data={"answer": form.answer.data, "advisers": rows()})
    return form


@bp.route("/<int:request_id>/follow-up", methods=["GET", "POST"])
@login_required
def follow_up(request_id: int):
    """The requester's follow-up survey, the next fiscal year; each adviser is evaluated as on a need."""
    row = load_request(request_id)
    permissions.require(permissions.can_answer_follow_up(current_user, row))
    session = get_session()
    advisers = verbs.follow_up_engagements(session, row) if row.state == "reported" else []
    asked = {engagement.id: verbs.follow_up_skills(row, engagement) for engagement in advisers}
    form = _follow_up_form(row, advisers, asked)
    if form.validate_on_submit():
        evaluations = {int(part.form.engagement_id.data): verbs.AdviserEvaluation(
            overall=part.form.overall.data, would_rehire=part.form.rehire(), comment=part.form.comment.data or "",
            skill_ratings=part.form.skill_ratings()) for part in form.advisers}
        try:
            verbs.answer_follow_up(session, current_user, row, form.answer.data, evaluations=evaluations)
            session.commit()
        except Refused as exc:
            session.rollback()
            flash(str(exc.message), "error")
        else:
            flash(_("Thank you: the follow-up is recorded."), "success")
            return _back(row)
    names = {engagement.id: engagement.expert.name for engagement in advisers}
    return render_template("dispatch/follow_up.html", row=row, form=form, due=verbs.follow_up_due(row),
                           today=verbs.today(), asked=asked, names=names)


# -- the hub function: which route fits ---------------------------------------------------------------------

@bp.route("/routing")
@allowed_if(permissions.can_use_routing)
def routing():
    """Describe the need once; every route with each of its published rules and whether it holds."""
    own_kind = current_user.organization.kind if current_user.organization is not None else "municipality"
    form = RoutingForm(request.args if request.args else None, requester_kind=own_kind)
    form.requester_kind.choices = options(
        (kind, label) for kind, label in taxonomy().choices("organization_kinds", locale()) if kind != "bureau")
    form.stage_id.choices = [SelectChoice("", _("Not sure"))] + options(
        (sid, stage.name(locale())) for sid, stage in taxonomy().stages.items())
    form.purpose.choices = [SelectChoice("", _("Not sure"))] + choices("dispatch_purposes")
    answers = None
    if request.args and form.validate():
        facts = {"requester_kind": form.requester_kind.data, "months": form.months.data,
                 "days_per_month": form.days_per_month.data, "hours_per_month": form.hours_per_month.data,
                 "onsite_days_per_month": form.onsite_days_per_month.data,
                 "has_budget": form.has_budget.data == "yes"}
        answers = [(answer, _start_link(answer.route, form)) for answer in load_rules().route(facts)]
    return render_template("dispatch/routing.html", form=form, answers=answers)


def _start_link(route, form: RoutingForm) -> str | None:
    """The pre-filled form the route starts, if the user may start it."""
    if route.starts == "dispatch" and permissions.can_request_dispatch(current_user):
        online_only = form.onsite_days_per_month.data == 0
        args = {"theme": form.what.data or "", "purpose": form.purpose.data or "", "stage_id": form.stage_id.data or "",
                "days": 0 if online_only else min(form.onsite_days_per_month.data, load_rules().dispatch.max_onsite_days),
                "online_hours": min(form.hours_per_month.data * form.months.data, load_rules().dispatch.max_online_hours)
                if online_only else 0}
        return url_for("dispatch.new") + "?" + urlencode({k: v for k, v in args.items() if v != ""})
    if route.starts == "need" and permissions.can_post_need(current_user):
        args = {"title": form.what.data or "", "stages": form.stage_id.data or "",
                "engagement_form": route.engagement_form or "", "hours_per_month": form.hours_per_month.data,
                "work_style": "remote" if form.onsite_days_per_month.data == 0 else "hybrid"}
        return url_for("needs.create") + "?" + urlencode({k: v for k, v in args.items() if v != ""})
    return None
