"""Record who did what to which record: every change the hub makes on someone's behalf.

One naming scheme: `entity` is the kind of record changed, in the singular of its table ("need",
"shortlist_entry", "engagement", "evaluation", "expert", "user", "organization"), and `action` is
"<entity>.<verb>" ("need.publish", "shortlist_entry.contact", "engagement.start"). Each service verb writes
exactly one event (tests/hub/test_audit_names.py checks every call in hub/).
"""
from __future__ import annotations

from typing import Any

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
