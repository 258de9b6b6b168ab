"""The shortlist as a workspace: add anyone the officer found (ranking, search, a profile), remove, withdraw.

States of an entry (docs/state-changes.md): shortlisted -> contacted (a contact request; services/engagements)
-> accepted | declined (the expert; services/contact) ; contacted -> withdrawn (the organization takes its
request back; the expert is told). An entry that no one is waiting on (shortlisted, declined, withdrawn, or
accepted without an engagement) can be removed; its history stays in the audit trail.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.models import Engagement, ExpertProfile, Need, ShortlistEntry, User
from hub.permissions import can_manage_need, require
from hub.services import audit
from hub.services.errors import Conflict, StateError
from hub.services.notifications import notify_contact_withdrawn

REMOVABLE = ("shortlisted", "declined", "withdrawn", "accepted")


def _may_manage(actor: User | None, need: Need) -> None:
    if actor is not None:
        require(can_manage_need(actor, need))


def add_to_shortlist(session: Session, actor: User | None, need: Need, expert: ExpertProfile,
                     *, matcher=None) -> ShortlistEntry:
    """Put an expert on the need's shortlist, wherever the officer found them.

    The entry keeps what the matcher says of this expert for this need now (score, rank, explanation),
    as a shortlist from the ranking does; an expert the matcher excludes (no hours left, …) is kept without.
    """
    from flask import current_app

    from hub.services.matching import shortlist as keep_ranked
    _may_manage(actor, need)
    if need.status == "closed":
        raise StateError(_l("This need is closed."), reason="closed")
    if expert.deleted_at is not None:
        raise StateError(_l("This expert has deleted their account."), reason="deleted")
    if session.scalar(select(ShortlistEntry.id).where(ShortlistEntry.need_id == need.id,
                                                      ShortlistEntry.expert_id == expert.id)) is not None:
        raise Conflict(_l("%(name)s is on the shortlist already.", name=expert.name), reason="shortlisted")
    engine = matcher or current_app.extensions["hub.matcher"]
    position, match, result = engine.position_of(session, need, expert.id)
    if match is not None:
        entry = keep_ranked(session, need, match, result, actor, rank=position)
    else:
        entry = ShortlistEntry(need_id=need.id, expert_id=expert.id, state="shortlisted",
                               created_by_id=actor.id if actor else None)
        session.add(entry)
        session.flush()
    audit.record(session, actor, "shortlist_entry.create", "shortlist_entry", entry.id, need_id=need.id,
                 expert_id=expert.id, rank=position)
    return entry


def _locked(session: Session, entry: ShortlistEntry) -> ShortlistEntry:
    return session.get(ShortlistEntry, entry.id, with_for_update=True, populate_existing=True)


def withdraw(session: Session, actor: User | None, entry: ShortlistEntry) -> ShortlistEntry:
    """Take back an unanswered contact request: state withdrawn; the expert is told (mailed after the commit)."""
    _may_manage(actor, entry.need)
    entry = _locked(session, entry)  # the expert answering at the same moment: one of the two wins
    if entry.state != "contacted":
        raise StateError(_l("Only a contact request still waiting for an answer can be withdrawn."),
                         reason="not_contacted")
    withdraw_quietly(session, entry)
    audit.record(session, actor, "shortlist_entry.withdraw", "shortlist_entry", entry.id, need_id=entry.need_id,
                 expert_id=entry.expert_id)
    return entry


def withdraw_quietly(session: Session, entry: ShortlistEntry) -> None:
    """The change of `withdraw` without its audit event (closing a need withdraws its open requests)."""
    entry.state = "withdrawn"
    entry.withdrawn_at = utcnow()
    session.flush()
    notify_contact_withdrawn(session, entry)


def remove(session: Session, actor: User | None, entry: ShortlistEntry) -> int:
    """Take an expert off the shortlist; refused while a request waits or once work has started."""
    _may_manage(actor, entry.need)
    entry = _locked(session, entry)
    if entry.state not in REMOVABLE:
        raise StateError(_l("Withdraw the contact request before removing this expert."), reason="contacted")
    if session.scalar(select(Engagement.id).where(Engagement.shortlist_entry_id == entry.id)) is not None:
        raise StateError(_l("Work with this expert has started; the entry stays for the record."),
                         reason="engaged")
    entry_id, need_id, expert_id = entry.id, entry.need_id, entry.expert_id
    session.delete(entry)
    session.flush()
    audit.record(session, actor, "shortlist_entry.delete", "shortlist_entry", entry_id, need_id=need_id,
                 expert_id=expert_id)
    return entry_id
