"""Privacy (個人情報保護法): the expert's own data to take away, consent to be listed, and account deletion.

Deletion removes what identifies the person and keeps the history that organizations' records point to
(engagements, evaluations as numbers, shortlist entries), under an anonymous profile that is unlisted,
retired, out of the matcher's index and search, and whose page says it was deleted.

Services take a Session, flush, never commit; views commit once.
"""
from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session, selectinload
from werkzeug.security import check_password_hash

from hub.db import utcnow
from hub.permissions import can_edit_expert, require
from hub.models import (AuditEvent, DispatchAssignment, DispatchRequest, Embedding, Engagement, ExpertProfile, Need,
                        Notification, ShortlistEntry, User)
from hub.services import audit
from hub.services.interchange import engagement_to_interchange, expert_to_interchange

# Stored rather than translated on display: every page, export and API answer that names the expert
# (shortlists, engagements, evaluations) shows it without knowing about deletion. Japanese first.
DELETED_NAME = "退会した専門家"
EXPORT_FORMAT = "dx-talent-hub/personal-data/1"
# States in which the organization has asked the expert something (a plain shortlist is its own working list).
ASKED_STATES = ("contacted", "offered", "accepted", "declined")


class NotConfirmed(ValueError):
    """The deletion was not explicitly confirmed."""


class WrongPassword(ValueError):
    """The password re-entered to confirm a deletion is wrong."""


def _require_own(actor: User, expert: ExpertProfile) -> None:
    """The expert's own account, while the profile is not deleted (hub.permissions decides who that is)."""
    require(expert.deleted_at is None and can_edit_expert(actor, expert))


# -- consent to be listed -------------------------------------------------------------------------

def set_listing_consent(session: Session, actor: User, expert: ExpertProfile, consent: bool) -> bool:
    """Give or withdraw the consent to be listed; listing follows it. Return whether anything changed.

    Giving consent dates it now; withdrawing unlists and clears the date (the audit trail keeps both).
    """
    _require_own(actor, expert)
    if expert.listed == consent and (expert.listing_consented_at is not None) == consent:
        return False
    now = utcnow()
    expert.listed = consent
    expert.listing_consented_at = now if consent else None
    session.flush()
    audit.record(session, actor, "expert.consent_listing" if consent else "expert.withdraw_listing", "expert", expert.id)
    return True


# -- the expert's data, to take away ----------------------------------------------------------------

def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# What the interchange format says of an evaluation at top level; the download nests it under "evaluation".
_EVALUATION_KEYS = ("rating", "would_rehire", "comment", "skill_ratings")


def _engagement(engagement: Engagement) -> dict[str, Any]:
    """The engagement as the interchange format writes it, with its id, organization name and source."""
    written = engagement_to_interchange(engagement)
    evaluation = engagement.evaluation
    return {
        "id": engagement.id,
        "organization": engagement.organization.name,
        "organization_lg_code": engagement.organization.lg_code,
        "source": engagement.source,
        **{key: value for key, value in written.items() if key not in _EVALUATION_KEYS + ("org_lg_code", "org")},
        "evaluation": None if evaluation is None else {
            "overall": evaluation.overall,
            **{key: written[key] for key in _EVALUATION_KEYS[1:]},
            "created_at": _iso(evaluation.created_at),
        },
        # A shared need's co-organizations evaluate too (共同任用): theirs are the expert's data as well.
        "co_organization_evaluations": [
            {"organization": e.co_organization.name, "overall": e.overall, "would_rehire": e.would_rehire,
             "comment": e.comment, "skill_ratings": {r.skill_id: r.rating for r in e.skill_ratings},
             "created_at": _iso(e.created_at)} for e in engagement.co_evaluations],
    }


def personal_data(session: Session, actor: User, expert: ExpertProfile) -> dict[str, Any]:
    """Return everything the hub holds about this expert, as plain JSON-ready data. Reads only.

    Other people appear only as the organizations that asked or engaged them, never by name or account.
    """
    _require_own(actor, expert)
    user = expert.user
    engagements = list(session.scalars(
        select(Engagement).where(Engagement.expert_id == expert.id)
        .options(selectinload(Engagement.organization), selectinload(Engagement.stages),
                 selectinload(Engagement.fields), selectinload(Engagement.evaluation),
                 selectinload(Engagement.co_evaluations))
        .order_by(Engagement.start_date, Engagement.id)))
    entries = list(session.scalars(
        select(ShortlistEntry).where(ShortlistEntry.expert_id == expert.id, ShortlistEntry.state.in_(ASKED_STATES))
        .options(selectinload(ShortlistEntry.need).selectinload(Need.organization))
        .order_by(ShortlistEntry.contacted_at, ShortlistEntry.id)))
    assignments = list(session.scalars(
        select(DispatchAssignment).where(DispatchAssignment.expert_id == expert.id)
        .order_by(DispatchAssignment.created_at, DispatchAssignment.dispatch_id)))
    dispatches = {d.id: d for d in session.scalars(
        select(DispatchRequest).where(DispatchRequest.id.in_([a.dispatch_id for a in assignments]))
        .options(selectinload(DispatchRequest.requester)))} if assignments else {}
    notifications = list(session.scalars(
        select(Notification).where(Notification.user_id == user.id)
        .order_by(Notification.created_at, Notification.id)))
    about = [(AuditEvent.entity == "expert") & (AuditEvent.entity_id == str(expert.id)),
             (AuditEvent.entity == "user") & (AuditEvent.entity_id == str(user.id)),
             AuditEvent.user_id == user.id]
    if engagements:
        about.append((AuditEvent.entity == "engagement")
                     & AuditEvent.entity_id.in_([str(e.id) for e in engagements]))
    if entries:
        about.append((AuditEvent.entity == "shortlist_entry")
                     & AuditEvent.entity_id.in_([str(e.id) for e in entries]))
    events = list(session.scalars(select(AuditEvent).where(or_(*about))
                                  .order_by(AuditEvent.created_at, AuditEvent.id)))
    return {
        "format": EXPORT_FORMAT,
        "exported_at": _iso(utcnow()),
        "account": {
            "email": user.email, "display_name": user.display_name, "role": user.role, "locale": user.locale,
            "created_at": _iso(user.created_at), "last_login_at": _iso(user.last_login_at),
        },
        # The interchange object (docs/interchange.md), plus what the profile holds beyond it.
        "profile": expert_to_interchange(expert) | {
            "phone": expert.phone, "status": expert.status, "listed": expert.listed,
            "listing_consented_at": _iso(expert.listing_consented_at), "visibility": expert.visibility,
            "notify_opt_in": expert.notify_opt_in,
            "availability_confirmed_at": _iso(expert.availability_confirmed_at),
            "created_at": _iso(expert.created_at), "updated_at": _iso(expert.updated_at),
        },
        "skills": [{"skill_id": s.skill_id, "level": s.level, "source": s.source, "rating_mean": s.rating_mean,
                    "rating_count": s.rating_count} for s in expert.skills],
        "engagements": [_engagement(e) for e in engagements],
        "contact_requests": [{
            "id": e.id, "need": e.need.title, "organization": e.need.organization.name, "state": e.state,
            "message": e.message, "contacted_at": _iso(e.contacted_at), "responded_at": _iso(e.responded_at),
        } for e in entries],
        "dispatch_assignments": [{
            "dispatch_id": a.dispatch_id, "theme": dispatches[a.dispatch_id].theme,
            "requester": dispatches[a.dispatch_id].requester.name, "state": dispatches[a.dispatch_id].state,
            "scheduled_on": _iso(a.scheduled_on), "note": a.note, "created_at": _iso(a.created_at),
        } for a in assignments],
        "notifications": [{
            "kind": n.kind, "need_id": n.need_id, "payload": n.payload, "created_at": _iso(n.created_at),
            "read_at": _iso(n.read_at),
        } for n in notifications],
        "audit_events": [{
            "action": e.action, "entity": e.entity, "entity_id": e.entity_id, "details": e.details,
            "by_you": e.user_id == user.id, "created_at": _iso(e.created_at),
        } for e in events],
    }


def record_download(session: Session, actor: User, expert: ExpertProfile) -> None:
    """Audit that the expert took their data away (the download is a POST for this reason)."""
    _require_own(actor, expert)
    audit.record(session, actor, "expert.download_data", "expert", expert.id)


# -- account deletion ------------------------------------------------------------------------------

def delete_account(session: Session, actor: User, expert: ExpertProfile, *, password: str,
                   confirmed: bool) -> None:
    """Delete the expert's account: remove their personal data, keep the history anonymised.

    Removed: name, e-mail, phone, bio, home municipality (the prefecture stays), declared skills, roles,
    fields, stages, schemes, hours, fee and travel, the texts of their own track record, evaluation comments,
    contact messages and dispatch notes (free texts about them), notifications, text embeddings; the account
    can no longer sign in and its e-mail is free for a new sign-up. Kept: engagements, evaluations as numbers and
    per-skill ratings, shortlist entries, dispatch assignments, audit events, all pointing to the anonymous
    profile. Open
    contact requests end as declined, since nobody can answer them any more.
    """
    _require_own(actor, expert)
    if not confirmed:
        raise NotConfirmed()
    user = expert.user
    if not check_password_hash(user.password_hash, password):
        raise WrongPassword()
    now = utcnow()
    expert.user = None  # first: a deleted profile belongs to no account (CHECK deleted_unlisted)
    _anonymise_profile(expert, now)
    for engagement in session.scalars(select(Engagement).where(Engagement.expert_id == expert.id)
                                      .options(selectinload(Engagement.evaluation),
                                               selectinload(Engagement.co_evaluations))):
        if engagement.source == "import":  # typed by the expert on their track record page
            engagement.role, engagement.contribution, engagement.outcome = "", "", None
        for evaluation in ([engagement.evaluation] if engagement.evaluation else []) + engagement.co_evaluations:
            evaluation.comment = ""
    for entry in session.scalars(select(ShortlistEntry).where(ShortlistEntry.expert_id == expert.id)):
        entry.message = None
        if entry.state == "contacted":
            entry.state, entry.responded_at = "declined", now
    for assignment in session.scalars(select(DispatchAssignment).where(DispatchAssignment.expert_id == expert.id)):
        assignment.note = None
    session.execute(delete(Notification).where(Notification.user_id == user.id))
    session.execute(delete(Embedding).where(Embedding.owner_kind == "expert", Embedding.owner_id == expert.id))
    # The account row stays (audit events and other records point to it) but says nothing and opens nothing.
    user.email = f"deleted-{user.id}@deleted.invalid"
    user.password_hash = "!"  # no scheme, so no password ever matches
    user.display_name = DELETED_NAME
    user.locale = None
    user.last_login_at = None
    user.is_active = False
    user.verified_at = None
    user.rejected_at = user.rejection_reason = None  # an admin's words about the person go too
    user.auth_version = (user.auth_version or 1) + 1  # ends every session and remember-me cookie at once
    session.flush()
    audit.record(session, actor, "expert.delete_account", "expert", expert.id)


def _anonymise_profile(expert: ExpertProfile, now: datetime) -> None:
    expert.external_id = f"deleted-{secrets.token_hex(8)}"  # a roster's id would name the person again
    expert.name = DELETED_NAME
    expert.email = expert.phone = None
    expert.bio = ""
    expert.home_lg_code = None
    expert.remote, expert.onsite, expert.resident = True, False, False
    expert.max_travel_km = None
    expert.hours_per_month = 0
    expert.available_from = expert.available_until = None
    expert.fee_unit = expert.fee_amount = None
    expert.fee_negotiable = True
    expert.status = "retired"
    expert.listed = False
    expert.listing_consented_at = None
    expert.visibility = "staff"
    expert.notify_opt_in = False
    expert.availability_confirmed_at = None
    for collection in (expert.skills, expert.roles, expert.fields, expert.stages_led, expert.schemes,
                       expert.travel_prefectures):
        collection.clear()
    expert.deleted_at = now

