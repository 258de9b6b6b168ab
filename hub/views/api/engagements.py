"""The shortlist and what follows it: shortlist, contact, the expert's answer, engagement, completion, evaluation."""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hub import limits, permissions
from hub.db import get_session
from hub.models import Engagement, Need, ShortlistEntry
from hub.services import contact, engagements
from hub.services.errors import NotEnoughHours, StateError, conflicts_as
from hub.views.api.base import (abort_json, bp, doc_errors, fields_error, find_expert, page_of, signed_in,
                                visible_engagement, visible_entry, visible_need)
from hub.views.api.schemas import (CompleteIn, ContactIn, EngagementIn, EngagementOut, EvaluationIn, EvaluationOut,
                                   PagingQuery, RespondIn, ShortlistEntryOut, ShortlistIn, ShortlistPage)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def entry_out(entry: ShortlistEntry) -> dict:
    running = engagements.engagement_of(get_session(), entry)
    return {"id": entry.id, "need": entry.need.external_id, "expert": entry.expert.external_id,
            "expert_name": entry.expert.name, "state": entry.state, "rank": entry.rank, "score": entry.score,
            "message": entry.message, "contacted_at": _iso(entry.contacted_at),
            "responded_at": _iso(entry.responded_at), "engagement": running.id if running else None}


def engagement_out(engagement: Engagement) -> dict:
    need = _need(engagement)
    return {"id": engagement.id, "need": need.external_id if need else None,
            "expert": engagement.expert.external_id, "status": engagement.status, "role": engagement.role or "",
            "start": engagement.start_date.isoformat(), "end": _iso(engagement.end_date),
            "hours_per_month": engagement.hours_per_month, "contribution": engagement.contribution,
            "outcome": engagement.outcome}


@bp.route("/needs/<ref>/shortlist", methods=["GET"])
@bp.arguments(PagingQuery, location="query", error_status_code=400)
@bp.response(200, ShortlistPage)
@doc_errors()
def list_shortlist(args: dict, ref: str):
    """The need's shortlist, oldest first (those who may see its candidates)."""
    signed_in()
    need = visible_need(ref)
    permissions.require(permissions.can_see_candidates(current_user, need))
    query = (select(ShortlistEntry).where(ShortlistEntry.need_id == need.id)
             .options(selectinload(ShortlistEntry.expert)).order_by(ShortlistEntry.created_at, ShortlistEntry.id))
    rows, paging = page_of(query, args["page"], args["per_page"])
    return {**paging, "items": [entry_out(e) for e in rows]}


@bp.route("/needs/<ref>/shortlist", methods=["POST"])
@bp.arguments(ShortlistIn)
@bp.response(201, ShortlistEntryOut)
@doc_errors(409, 422)
def add_to_shortlist(body: dict, ref: str):
    """Shortlist a ranked expert with the score and explanation the matcher gives now."""
    signed_in()
    need = visible_need(ref)
    permissions.require(permissions.can_manage_need(current_user, need))
    session = get_session()
    expert = find_expert(session, body["expert"])
    if expert is None or expert.deleted_at is not None:
        fields_error(422, {"expert": [_("There is no expert %(ref)s.", ref=body["expert"])]})
    outcome = current_app.extensions["hub.matcher"].rank(session, need, top_k=limits.API_TOP.high)
    position, match = next(((i, m) for i, m in enumerate(outcome.matches, 1) if m.expert_id == expert.id),
                           (None, None))
    if match is None:
        abort_json(409, _("This expert is not among the ranked candidates of this need."), reason="not_ranked")
    with conflicts_as(session, _l("%(name)s is on the shortlist already.", name=expert.name)):
        entry = engagements.shortlist(session, current_user, need, match, outcome.result, rank=position)
        session.commit()
    return entry_out(entry), 201


@bp.route("/shortlist/<int:entry_id>/contact", methods=["POST"])
@bp.arguments(ContactIn)
@bp.response(200, ShortlistEntryOut)
@doc_errors(409, 422)
def contact_expert(body: dict, entry_id: int):
    """Ask a shortlisted expert for contact; the expert is notified once this is committed."""
    signed_in()
    entry = visible_entry(entry_id)
    session = get_session()
    entry = engagements.request_contact(session, current_user, entry, body.get("message") or "")
    session.commit()
    return entry_out(entry)


@bp.route("/shortlist/<int:entry_id>/respond", methods=["POST"])
@bp.arguments(RespondIn)
@bp.response(200, ShortlistEntryOut)
@doc_errors(409, 422)
def respond_to_contact(body: dict, entry_id: int):
    """The expert accepts or declines a contact request (accepting shows them their contact details)."""
    signed_in()
    entry = visible_entry(entry_id)
    permissions.require(permissions.can_respond_to_contact(current_user, entry))
    session = get_session()
    with conflicts_as(session, _l("This contact request is no longer open.")):
        entry = contact.respond(session, current_user, entry.expert, entry.id, accept=body["accept"])
        session.commit()
    return entry_out(entry)


@bp.route("/shortlist/<int:entry_id>/engagement", methods=["POST"])
@bp.arguments(EngagementIn)
@bp.response(201, EngagementOut)
@doc_errors(409, 422)
def start_engagement(body: dict, entry_id: int):
    """Start work with an expert who accepted: 201, or 409 with `remaining_hours` when the hours do not fit."""
    signed_in()
    entry = visible_entry(entry_id)
    session = get_session()
    try:
        with conflicts_as(session, _l("An engagement can start only once the expert has accepted, and only "
                                      "once at a time.")):
            engagement = engagements.start_engagement(
                session, current_user, entry, role=body.get("role") or "", start=body["start"], end=body.get("end"),
                hours_per_month=body["hours_per_month"])
            session.commit()
    except NotEnoughHours as exc:
        session.rollback()
        abort_json(409, exc.message, reason=exc.reason, remaining_hours=exc.remaining, asked=exc.asked)
    except StateError as exc:
        session.rollback()
        if exc.reason == "period":
            fields_error(422, {"end": [str(exc.message)]})
        raise
    return engagement_out(engagement), 201


@bp.route("/engagements/<int:engagement_id>/complete", methods=["POST"])
@bp.arguments(CompleteIn)
@bp.response(200, EngagementOut)
@doc_errors(409, 422)
def complete_engagement(body: dict, engagement_id: int):
    """Close an active engagement: it stops consuming the expert's hours."""
    signed_in()
    engagement = visible_engagement(engagement_id)
    session = get_session()
    try:
        engagement = engagements.complete_engagement(session, current_user, engagement, end=body["end"],
                                                     contribution=body.get("contribution") or "",
                                                     outcome=body.get("outcome") or "")
    except StateError as exc:
        if exc.reason == "period":
            fields_error(422, {"end": [str(exc.message)]})
        raise
    session.commit()
    return engagement_out(engagement)


@bp.route("/engagements/<int:engagement_id>/evaluation", methods=["POST"])
@bp.arguments(EvaluationIn)
@bp.response(201, EvaluationOut)
@doc_errors(409, 422)
def evaluate_engagement(body: dict, engagement_id: int):
    """Evaluate a completed engagement; ratings of the need's skills verify them on the expert's record."""
    signed_in()
    engagement = visible_engagement(engagement_id)
    session = get_session()
    need = _need(engagement)
    permissions.require(permissions.can_manage_need(current_user, need))
    asked = {s.skill_id: s.min_level for s in need.skills}
    ratings = body.get("skill_ratings") or {}
    if unknown := sorted(set(ratings) - set(asked)):
        fields_error(422, {f"skill_ratings.{skill}": [_("is not a skill this need asked for")] for skill in unknown})
    with conflicts_as(session, _l("This engagement has been evaluated already.")):
        evaluation = engagements.evaluate(session, current_user, engagement, overall=body["overall"],
                                          would_rehire=body.get("would_rehire"), comment=body.get("comment") or "",
                                          skill_ratings=ratings, asked_levels=asked)
        session.commit()
    return {"id": evaluation.id, "engagement": engagement.id, "overall": evaluation.overall,
            "would_rehire": evaluation.would_rehire, "comment": evaluation.comment,
            "skill_ratings": {r.skill_id: r.rating for r in evaluation.skill_ratings}}, 201


def _need(engagement: Engagement) -> Need | None:
    return get_session().get(Need, engagement.need_id) if engagement.need_id is not None else None
