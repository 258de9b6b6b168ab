"""Contact requests seen from the expert's side: accept or decline, and who may see contact details.

A contact request is a ShortlistEntry in state "contacted" (the municipality side creates it);
the expert answers "accepted" or "declined". Once accepted, the staff of the need's organization
may see the expert's email and phone (hub.permissions.can_see_contact).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hub.db import utcnow
from hub.models import ExpertProfile, Need, ShortlistEntry, User
from hub.permissions import can_respond_to_contact, require
from hub.services import audit
from hub.services.errors import Refused
from hub.services.notifications import notify_contact_answered


class NotAContactRequest(Refused, LookupError):
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


def respond(session: Session, user: User | None, expert: ExpertProfile, entry_id: int,
            accept: bool) -> ShortlistEntry:
    """Accept or decline one of the expert's open contact requests (`user` None: the system)."""
    entry = session.get(ShortlistEntry, entry_id, with_for_update=True, populate_existing=True)  # one answer, however many clicks
    if entry is None or entry.expert_id != expert.id or entry.state != "contacted":
        raise NotAContactRequest(_l("This contact request is no longer open."), reason="not_open")
    if user is not None:
        require(can_respond_to_contact(user, entry))
    entry.state = "accepted" if accept else "declined"
    entry.responded_at = utcnow()
    session.flush()
    notify_contact_answered(session, entry)
    audit.record(session, user, "shortlist_entry.accept" if accept else "shortlist_entry.decline",
                 "shortlist_entry", entry.id, need_id=entry.need_id)
    return entry
