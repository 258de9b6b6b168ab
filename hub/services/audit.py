"""Record who did what to which record: every change the hub makes on someone's behalf.

One naming scheme: `entity` is the kind of record changed, in the singular of its table ("need",
"shortlist_entry", "engagement", "evaluation", "expert", "user", "organization"), and `action` is
"<entity>.<verb>" ("need.publish", "shortlist_entry.contact", "engagement.start"). Each service verb writes
exactly one event (tests/hub/test_audit_names.py checks every call in hub/).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.models import AuditEvent, User


def record(session: Session, user: User | None, action: str, entity: str, entity_id: object,
           **details: Any) -> AuditEvent:
    """Add an audit event; `user` None means the system or a command-line operator.

    `details` must be JSON-serialisable (counts, ids, file names); it is stored as given.
    """
    event = AuditEvent(user_id=user.id if user is not None else None, action=action[:50], entity=entity[:50],
                       entity_id=str(entity_id)[:64], details=details or None)
    session.add(event)
    session.flush()
    return event


EVENTS_PER_PAGE = 50


@dataclass(frozen=True)
class EventPage:
    """One page of the audit trail (newest first), the actors' accounts, and how many events match."""

    events: list[AuditEvent]
    actors: dict[int, User]
    total: int
    page: int
    pages: int


def search_events(session: Session, *, actor: str = "", entity: str = "", entity_id: str = "", verb: str = "",
                  since: date | None = None, until: date | None = None, page: int = 1,
                  per_page: int = EVENTS_PER_PAGE) -> EventPage:
    """Return one page of audit events narrowed by actor (e-mail or part of it; "system" for none), entity,
    record id, verb (the whole action "user.approve" or only "approve") and dates (both days included)."""
    query = select(AuditEvent)
    actor = actor.strip()
    if actor.lower() == "system":
        query = query.where(AuditEvent.user_id.is_(None))
    elif actor:
        ids = select(User.id).where(func.lower(User.email).contains(actor.lower(), autoescape=True))
        query = query.where(AuditEvent.user_id.in_(ids))
    if entity:
        query = query.where(AuditEvent.entity == entity)
    if entity_id.strip():
        query = query.where(AuditEvent.entity_id == entity_id.strip())
    if verb := verb.strip():
        query = query.where(AuditEvent.action == verb if "." in verb else AuditEvent.action.endswith("." + verb))
    if since is not None:
        query = query.where(AuditEvent.created_at >= datetime.combine(since, time.min, timezone.utc))
    if until is not None:
        query = query.where(AuditEvent.created_at < datetime.combine(until + timedelta(days=1), time.min,
                                                                      timezone.utc))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    events = list(session.scalars(query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
                                  .limit(per_page).offset((page - 1) * per_page)))
    user_ids = {e.user_id for e in events if e.user_id is not None}
    actors = {u.id: u for u in session.scalars(select(User).where(User.id.in_(user_ids)))} if user_ids else {}
    return EventPage(events, actors, total, page, pages)


def entities(session: Session) -> list[str]:
    """The kinds of record the trail names, for the filter's choices."""
    return list(session.scalars(select(AuditEvent.entity).distinct().order_by(AuditEvent.entity)))
