"""Contact requests seen from the expert's side: accept or decline, and who may see contact details.

A contact request is a ShortlistEntry in state "contacted" (the municipality side creates it);
the expert answers "accepted" or "declined". Once accepted, the staff of the need's organization
may see the expert's email and phone (hub.permissions.can_see_contact).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hub import permissions
from hub.db import utcnow
from hub.models import ExpertProfile, Need, ShortlistEntry, User
from hub.services import audit


class NotAContactRequest(LookupError):
    """No open contact request with this id for this expert."""


def open_requests(session: Session, expert: ExpertProfile) -> list[ShortlistEntry]:
    """Return the expert's unanswered contact requests, newest first, with their needs loaded."""
    return list(session.scalars(
        select(ShortlistEntry).where(ShortlistEntry.expert_id == expert.id, ShortlistEntry.state == "contacted")
        .options(selectinload(ShortlistEntry.need).selectinload(Need.organization))
        .order_by(ShortlistEntry.contacted_at.desc(), ShortlistEntry.id.desc())))


def answered_requests(session: Session, expert: ExpertProfile, limit: int = 20) -> list[ShortlistEntry]:
    """Return the requests the expert has answered, latest answer first."""
    return list(session.scalars(
        select(ShortlistEntry).where(ShortlistEntry.expert_id == expert.id,
                                     ShortlistEntry.state.in_(("accepted", "declined")))
        .options(selectinload(ShortlistEntry.need).selectinload(Need.organization))
        .order_by(ShortlistEntry.responded_at.desc(), ShortlistEntry.id.desc()).limit(limit)))


def respond(session: Session, user: User, expert: ExpertProfile, entry_id: int, accept: bool) -> ShortlistEntry:
    """Accept or decline one of the expert's open contact requests."""
    entry = session.get(ShortlistEntry, entry_id)
    if (entry is None or entry.expert_id != expert.id or entry.state != "contacted"
            or not permissions.can_respond_to_contact(user, entry)):
        raise NotAContactRequest(entry_id)
    entry.state = "accepted" if accept else "declined"
    entry.responded_at = utcnow()
    expert.updated_at = entry.responded_at  # open contact requests feed load spreading in the matcher's index
    session.flush()
    audit.record(session, user, "accept_contact" if accept else "decline_contact", "shortlist_entry", entry.id,
                 need_id=entry.need_id)
    return entry
