"""Adviser dispatch in the API: the requests a user may see, submitting one, each move of the workflow, and the
ranked advisers the bureau assigns from.

Only the verbs of hub/services/dispatch.py change anything and only hub/permissions.py decides who may: a
request the user may not see is a 404 (as on /dispatch/<id>), a move they may not make a 403, a rule of the
scheme that says no (the window, the 3 days / 10 hours, the state) a 409 with its `reason`.
"""
from __future__ import annotations

from datetime import date

from flask import current_app
from flask_babel import gettext as _
from flask_login import current_user

from hub import permissions
from hub.db import get_session
from hub.models import DispatchRequest, Organization
from hub.services import dispatch as verbs
from hub.services.dispatch_matching import rank_advisers
from hub.services.errors import NotEnoughHours, Refused
from hub.views.api.base import abort_json, bp, doc_errors, fields_error, find_expert, signed_in
from hub.views.api.dispatch_schemas import (AssignIn, CandidatesOut, DayIn, DispatchIn, DispatchOut, DispatchPage,
                                            DispatchQuery, FollowUpIn, ReasonIn, ReportIn)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def dispatch_out(row: DispatchRequest) -> dict:
    return {
        "id": row.id, "state": row.state, "requester": row.requester.name, "requester_id": row.requester_id,
        "recommender": row.recommender.name if row.recommender else None, "recommender_id": row.recommender_id,
        "bureau_id": row.bureau_id, "theme": row.theme, "purpose": row.purpose, "stage_id": row.stage_id,
        "field_ids": list(row.field_ids), "description": row.description or "", "project": row.project or "",
        "wanted_from": row.wanted_from.isoformat(), "wanted_until": _iso(row.wanted_until), "days": row.days,
        "online_hours": row.online_hours, "visits": row.visits, "team": bool(row.team),
        "hours": verbs.dispatch_hours(row),
        "named_expert": row.named_expert.external_id if row.named_expert else None,
        "decision_reason": row.decision_reason, "support_date": _iso(row.support_date),
        "report_due": _iso(verbs.report_due(row)), "report_overdue": verbs.is_report_overdue(row),
        "report": row.report, "reported_at": _iso(row.reported_at), "follow_up_due": _iso(verbs.follow_up_due(row)),
        "follow_up": row.follow_up, "followed_up_at": _iso(row.followed_up_at),
        "assignments": [{"expert": a.expert.external_id, "expert_name": a.expert.name,
                         "scheduled_on": _iso(a.scheduled_on)} for a in row.assignments],
    }


def visible_dispatch(request_id: int) -> DispatchRequest:
    """The request if the user may see it (permissions.can_see_dispatch); 404 otherwise, as on its page."""
    row = get_session().get(DispatchRequest, request_id)
    if row is None or not permissions.can_see_dispatch(current_user, row):
        abort_json(404, _("There is no dispatch request %(id)s.", id=request_id))
    return row


def _move(row: DispatchRequest, step) -> dict:
    """Call one verb, commit once, answer the request; a refused rule is 409 with its reason, nothing changed."""
    session = get_session()
    try:
        step(session)
        session.commit()
    except NotEnoughHours as exc:
        session.rollback()
        abort_json(409, exc.message, reason=exc.reason, remaining_hours=exc.remaining, asked=exc.asked)
    except Refused as exc:
        session.rollback()
        abort_json(409, exc.message, reason=exc.reason)
    session.refresh(row)
    return dispatch_out(row)


def _handled(request_id: int) -> DispatchRequest:
    """A bureau move: the request must be visible (404) and the user its region's bureau or an admin (403)."""
    signed_in()
    row = visible_dispatch(request_id)
    permissions.require(permissions.can_handle_dispatch(current_user, row))
    return row


# -- list, submit, read ----------------------------------------------------------------------------------

@bp.route("/dispatch", methods=["GET"])
@bp.arguments(DispatchQuery, location="query", error_status_code=400)
@bp.response(200, DispatchPage)
@doc_errors()
def list_dispatches(args: dict):
    """The requests the caller may see (services.dispatch.visible_requests), newest wanted date first."""
    signed_in()
    permissions.require(permissions.can_list_dispatches(current_user))
    rows = verbs.visible_requests(get_session(), current_user,
                                  states=(args["state"],) if args.get("state") else None)
    if args.get("purpose"):
        rows = [row for row in rows if row.purpose == args["purpose"]]
    page, per_page = args["page"], args["per_page"]
    total = len(rows)
    return {"page": page, "per_page": per_page, "total": total, "pages": max(1, -(-total // per_page)),
            "items": [dispatch_out(r) for r in rows[(page - 1) * per_page: page * per_page]]}


@bp.route("/dispatch", methods=["POST"])
@bp.arguments(DispatchIn)
@bp.response(201, DispatchOut)
@doc_errors(409, 422)
def submit_dispatch(body: dict):
    """File a request of the caller's organization with the bureau of its region (services.dispatch.submit)."""
    signed_in()
    permissions.require(permissions.can_request_dispatch(current_user))
    session = get_session()
    requester = session.get(Organization, current_user.organization_id)
    data = verbs.RequestData(
        theme=body["theme"], purpose=body["purpose"], stage_id=body["stage_id"], wanted_from=body["wanted_from"],
        wanted_until=body.get("wanted_until"), field_ids=tuple(body.get("field_ids") or ()),
        description=body.get("description") or "", project=body.get("project") or "", days=body["days"],
        online_hours=body["online_hours"], visits=body["visits"], team=body["team"],
        named_expert_id=body.get("named_expert_id"), recommender_id=body.get("recommender_id"))
    try:
        row = verbs.submit(session, current_user, requester, data)
        session.commit()
    except Refused as exc:
        session.rollback()
        if exc.reason == "period":
            fields_error(422, {"wanted_until": [str(exc.message)]})
        abort_json(409, exc.message, reason=exc.reason)
    return dispatch_out(row), 201


@bp.route("/dispatch/<int:request_id>", methods=["GET"])
@bp.response(200, DispatchOut)
@doc_errors()
def get_dispatch(request_id: int):
    """One request, as its page shows it to the caller."""
    signed_in()
    return dispatch_out(visible_dispatch(request_id))


@bp.route("/dispatch/<int:request_id>/candidates", methods=["GET"])
@bp.response(200, CandidatesOut)
@doc_errors()
def dispatch_candidates(request_id: int):
    """The ranked regional ICT advisers with the matcher's explanation, as the bureau sees them on the page."""
    row = _handled(request_id)
    session = get_session()
    ranking = rank_advisers(session, current_app.extensions["hub.matcher"], row)
    named = ranking.experts.get(row.named_expert_id) if row.named_expert_id is not None else None
    return {"matches": ranking.result.as_dicts(), "named_expert": named.external_id if named else None,
            "named_rank": ranking.named_rank, "named_excluded": ranking.named_excluded}


# -- the moves -----------------------------------------------------------------------------------------------

@bp.route("/dispatch/<int:request_id>/review", methods=["POST"])
@bp.response(200, DispatchOut)
@doc_errors(409)
def review_dispatch(request_id: int):
    """The bureau takes a submitted request up."""
    row = _handled(request_id)
    return _move(row, lambda s: verbs.start_review(s, current_user, row))


@bp.route("/dispatch/<int:request_id>/approve", methods=["POST"])
@bp.response(200, DispatchOut)
@doc_errors(409)
def approve_dispatch(request_id: int):
    """The bureau approves a request under review."""
    row = _handled(request_id)
    return _move(row, lambda s: verbs.approve(s, current_user, row))


@bp.route("/dispatch/<int:request_id>/reject", methods=["POST"])
@bp.arguments(ReasonIn)
@bp.response(200, DispatchOut)
@doc_errors(409, 422)
def reject_dispatch(body: dict, request_id: int):
    """The bureau turns a request down; the requester reads the `reason` (required: 409 reason_required)."""
    row = _handled(request_id)
    return _move(row, lambda s: verbs.reject(s, current_user, row, body.get("reason") or ""))


@bp.route("/dispatch/<int:request_id>/assign", methods=["POST"])
@bp.arguments(AssignIn)
@bp.response(200, DispatchOut)
@doc_errors(409, 422)
def assign_dispatch(body: dict, request_id: int):
    """Assign an adviser: 200, or 409 (`not_enough_hours` with `remaining_hours`, `not_adviser`, …)."""
    row = _handled(request_id)
    expert = find_expert(get_session(), body["expert"])
    if expert is None:
        fields_error(422, {"expert": [_("There is no expert %(ref)s.", ref=body["expert"])]})
    expert_id = expert.id
    return _move(row, lambda s: verbs.assign(s, current_user, row, expert_id))


@bp.route("/dispatch/<int:request_id>/schedule", methods=["POST"])
@bp.arguments(DayIn)
@bp.response(200, DispatchOut)
@doc_errors(409, 422)
def schedule_dispatch(body: dict, request_id: int):
    """Fix the day of the support for every assigned adviser."""
    row = _handled(request_id)
    day: date = body["day"]
    return _move(row, lambda s: verbs.schedule(s, current_user, row, day))


@bp.route("/dispatch/<int:request_id>/done", methods=["POST"])
@bp.arguments(DayIn)
@bp.response(200, DispatchOut)
@doc_errors(409, 422)
def done_dispatch(body: dict, request_id: int):
    """The support took place on `day` (not a future one): the report is due within a week."""
    row = _handled(request_id)
    day: date = body["day"]
    return _move(row, lambda s: verbs.mark_done(s, current_user, row, day))


@bp.route("/dispatch/<int:request_id>/report", methods=["POST"])
@bp.arguments(ReportIn)
@bp.response(200, DispatchOut)
@doc_errors(409, 422)
def report_dispatch(body: dict, request_id: int):
    """The assigned adviser (or the bureau on their behalf) files the report."""
    signed_in()
    row = visible_dispatch(request_id)
    permissions.require(permissions.can_report_dispatch(current_user, row))
    return _move(row, lambda s: verbs.file_report(s, current_user, row, body["report"]))


@bp.route("/dispatch/<int:request_id>/follow-up", methods=["POST"])
@bp.arguments(FollowUpIn)
@bp.response(200, DispatchOut)
@doc_errors(409, 422)
def follow_up_dispatch(body: dict, request_id: int):
    """The requester's follow-up survey, the next fiscal year; `overall` evaluates the advisers."""
    signed_in()
    row = visible_dispatch(request_id)
    permissions.require(permissions.can_answer_follow_up(current_user, row))
    return _move(row, lambda s: verbs.answer_follow_up(
        s, current_user, row, body["answer"], overall=body["overall"], would_rehire=body.get("would_rehire"),
        comment=body.get("comment") or ""))


@bp.route("/dispatch/<int:request_id>/cancel", methods=["POST"])
@bp.arguments(ReasonIn)
@bp.response(200, DispatchOut)
@doc_errors(409, 422)
def cancel_dispatch(body: dict, request_id: int):
    """The requester withdraws, or the bureau cancels, a request that has not happened yet."""
    signed_in()
    row = visible_dispatch(request_id)
    permissions.require(permissions.can_cancel_dispatch(current_user, row))
    return _move(row, lambda s: verbs.cancel(s, current_user, row, body.get("reason") or ""))
